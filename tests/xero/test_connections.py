"""CONN-1..CONN-6 against the Xero sandbox over real HTTP."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from django.utils import timezone

from ledgerbridge.xero import connections
from ledgerbridge.xero.connections import AuthorisationFailed
from ledgerbridge.xero.errors import ReauthorisationNeeded
from ledgerbridge.xero.models import Connection, ConnectionState, TokenSet, XeroModule

from .helpers import REDIRECT_URI, connect, consent, fast_client

pytestmark = pytest.mark.django_db


def test_conn_1_module_switch_and_settings_locked_until_a_tenant_is_connected(
    xero_settings, sandbox
):
    assert not XeroModule.get().enabled
    connections.set_module_enabled(True)
    assert XeroModule.get().enabled
    assert not connections.general_settings_unlocked()
    connect(sandbox, "NZ books", save=False)
    assert not connections.general_settings_unlocked()  # finished the flow, not saved yet
    connection = Connection.objects.get(name="NZ books")
    connections.save_connection(connection)
    assert connections.general_settings_unlocked()


def test_conn_2_any_number_of_tenants_each_under_its_display_name(xero_settings, sandbox):
    nz = connect(sandbox, "Wellington office", "Demo Company (NZ)")
    au = connect(sandbox, "Sydney office", "Demo Company (AU)")
    assert (nz.tenant_name, au.tenant_name) == ("Demo Company (NZ)", "Demo Company (AU)")
    assert nz.tenant_id != au.tenant_id and str(nz) == "Wellington office"
    with pytest.raises(AuthorisationFailed, match="already exists"):
        connections.create_connection("wellington OFFICE")


def test_conn_3_connect_now_uses_state_and_pkce_and_returns_to_the_same_connection(
    xero_settings, sandbox
):
    connection = connections.create_connection("Books")
    url = connections.start_authorisation(connection, None, REDIRECT_URI)
    query = dict(httpx.URL(url).params)
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["state"] and "offline_access" in query["scope"]
    params = consent(sandbox, url)
    assert params["state"] == query["state"]
    [linked] = connections.complete_authorisation(params, REDIRECT_URI)
    assert linked.pk == connection.pk
    assert linked.tenant_name == "Demo Company (NZ)" and linked.xero_connection_id
    assert "accounting.contacts" in linked.scopes and linked.connected_at is not None


def test_conn_4_finished_but_unsaved_connection_stays_disconnected(xero_settings, sandbox):
    connection = connect(sandbox, "Unsaved", save=False)
    assert connection.state == ConnectionState.DISCONNECTED and not connection.is_connected
    assert connection.awaiting_save
    connections.save_connection(connection)
    connection.refresh_from_db()
    assert connection.is_connected and not connection.awaiting_save


def test_conn_4_save_before_connecting_is_refused(xero_settings):
    connection = connections.create_connection("Empty")
    with pytest.raises(AuthorisationFailed, match="Connect to an organisation first"):
        connections.save_connection(connection)


def test_conn_5_disconnect_revokes_and_removes_the_xero_connection(
    xero_settings, sandbox, spec_checked
):
    connection = connect(sandbox, "Books")
    assert spec_checked == ["GET /connections"]  # the connect flow's only API call
    token = TokenSet.objects.get().access_token
    refresh = TokenSet.objects.get().refresh_token
    connections.disconnect(connection)
    assert any(c.startswith("DELETE /connections/") for c in spec_checked)
    connection.refresh_from_db()
    assert connection.state == ConnectionState.DISCONNECTED and connection.token_set is None
    assert connection.tenant_id and connection.tenant_name  # what it was linked to is kept
    assert not TokenSet.objects.exists()
    listed = httpx.get(f"{sandbox.url}/connections", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 401 or listed.json() == []
    # Revoked: Xero refuses the refresh token it had.
    refused = httpx.post(
        f"{sandbox.url}/connect/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": xero_settings.XERO_CLIENT_ID,
            "client_secret": xero_settings.XERO_CLIENT_SECRET,
        },
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert connection.last_error == ""


def test_conn_5_disconnect_keeps_a_shared_login_for_the_other_organisation(xero_settings, sandbox):
    nz = connect(sandbox, "NZ", "Demo Company (NZ)")
    au = connect(sandbox, "AU", "Demo Company (AU)")
    connections.disconnect(nz)
    au.refresh_from_db()
    assert au.is_connected
    with fast_client(au) as client:
        assert client.get("/Organisation")["Organisations"][0]["Name"] == "Demo Company (AU)"


def test_conn_5_delete_removes_only_the_connection(xero_settings, sandbox):
    connection = connect(sandbox, "Books")
    connections.delete_connection(connection)
    assert not Connection.objects.exists() and not TokenSet.objects.exists()


def test_conn_6_token_refreshed_before_expiry_without_a_person(xero_settings, sandbox):
    connection = connect(sandbox, "Books")
    token_set = TokenSet.objects.get()
    first_access = token_set.access_token
    first_refresh = token_set.refresh_token
    TokenSet.objects.filter(pk=token_set.pk).update(
        expires_at=timezone.now() + dt.timedelta(seconds=30)
    )
    with fast_client(connection) as client:
        client.get("/Organisation")
    token_set.refresh_from_db()
    assert token_set.refresh_count == 1 and token_set.access_token != first_access
    assert token_set.refresh_token != first_refresh  # rotated and stored


def test_conn_6_invalid_grant_needs_reauthorisation_and_keeps_the_connection(
    xero_settings, sandbox
):
    connection = connect(sandbox, "Books")
    token_set = TokenSet.objects.get()
    # The grant is revoked in Xero (e.g. by the user): the refresh token no longer works.
    httpx.post(
        f"{sandbox.url}/connect/revocation",
        data={
            "token": token_set.refresh_token,
            "client_id": xero_settings.XERO_CLIENT_ID,
            "client_secret": xero_settings.XERO_CLIENT_SECRET,
        },
    )
    TokenSet.objects.filter(pk=token_set.pk).update(expires_at=timezone.now())
    with (
        pytest.raises(ReauthorisationNeeded, match="connect it again"),
        fast_client(connection) as client,
    ):
        client.get("/Organisation")
    connection.refresh_from_db()
    assert (
        connection.state == ConnectionState.NEEDS_REAUTH
        and "invalid_grant" in connection.last_error
    )
    assert Connection.objects.filter(pk=connection.pk).exists()
    # Connecting again restores it.
    url = connections.start_authorisation(connection, None, REDIRECT_URI)
    connections.complete_authorisation(consent(sandbox, url), REDIRECT_URI)
    connection.refresh_from_db()
    assert connection.is_connected
    with fast_client(connection) as client:
        assert client.get("/Organisation")["Organisations"]


def test_callback_with_wrong_or_replayed_state_changes_nothing(xero_settings, sandbox):
    connection = connections.create_connection("Books")
    url = connections.start_authorisation(connection, None, REDIRECT_URI)
    params = consent(sandbox, url)
    with pytest.raises(AuthorisationFailed, match="does not match"):
        connections.complete_authorisation({**params, "state": "forged"}, REDIRECT_URI)
    connections.complete_authorisation(params, REDIRECT_URI)
    before = Connection.objects.values().get(pk=connection.pk)
    with pytest.raises(AuthorisationFailed, match="already used"):
        connections.complete_authorisation(params, REDIRECT_URI)
    assert Connection.objects.values().get(pk=connection.pk) == before
    assert TokenSet.objects.count() == 1


def test_cancel_on_xero_consent_page_is_explained_and_changes_nothing(xero_settings, sandbox):
    connection = connections.create_connection("Books")
    url = connections.start_authorisation(connection, None, REDIRECT_URI)
    params = consent(sandbox, url, cancel=True)
    assert params["error"] == "access_denied"
    with pytest.raises(AuthorisationFailed, match="cancelled on Xero's consent page"):
        connections.complete_authorisation(params, REDIRECT_URI)
    connection.refresh_from_db()
    assert not connection.tenant_id and not TokenSet.objects.exists()


def test_a_code_already_used_is_refused(xero_settings, sandbox):
    first = connections.create_connection("First")
    url = connections.start_authorisation(first, None, REDIRECT_URI)
    params = consent(sandbox, url)
    connections.complete_authorisation(params, REDIRECT_URI)
    second = connections.create_connection("Second")
    url2 = connections.start_authorisation(second, None, REDIRECT_URI)
    state2 = dict(httpx.URL(url2).params)["state"]
    with pytest.raises(AuthorisationFailed, match="refused the authorisation code"):
        connections.complete_authorisation({"code": params["code"], "state": state2}, REDIRECT_URI)
    second.refresh_from_db()
    assert not second.tenant_id


def test_a_connection_needing_reauthorisation_says_xero_was_not_told_on_disconnect(
    xero_settings, sandbox
):
    connection = connect(sandbox, "Books")
    connections.mark_needs_reauth(connection.token_set_id, "revoked")
    connections.disconnect(Connection.objects.get(pk=connection.pk))
    connection.refresh_from_db()
    assert "Connected apps in Xero" in connection.last_error


def test_the_callback_belongs_to_whoever_pressed_connect_now(xero_settings, sandbox, admin):
    from ledgerbridge.accounts.models import Role, User

    other = User.objects.create_user("other-admin", password="x-Long-Pass-9", role=Role.ADMIN)
    connection = connections.create_connection("Books")
    url = connections.start_authorisation(connection, admin, REDIRECT_URI)
    params = consent(sandbox, url)
    with pytest.raises(AuthorisationFailed, match="started by another user"):
        connections.complete_authorisation(params, REDIRECT_URI, user=other)
    [linked] = connections.complete_authorisation(params, REDIRECT_URI, user=admin)
    assert linked.pk == connection.pk


def test_conn_2_one_login_granting_several_organisations_makes_a_connection_each(xero_settings):
    """Real Xero lets one consent grant several organisations (the sandbox grants one at a time),
    so the linking step is given Xero's /connections answer for two."""
    from django.utils import timezone

    from ledgerbridge.xero.connections import _link_tenants

    books = connections.create_connection("Books")
    tenants = [
        {"id": "c-1", "tenantId": "t-nz", "tenantName": "Kiwi Ltd", "tenantType": "ORGANISATION"},
        {"id": "c-2", "tenantId": "t-au", "tenantName": "Roo Pty", "tenantType": "ORGANISATION"},
    ]
    token = {"access_token": "a", "refresh_token": "r", "expires_in": 1800, "scope": "openid"}
    linked = _link_tenants(books, token, {"xero_userid": "u-1"}, "event-1", tenants)
    assert [c.tenant_name for c in linked] == ["Kiwi Ltd", "Roo Pty"]
    assert linked[0].pk == books.pk and linked[1].name == "Roo Pty"
    assert {c.token_set_id for c in linked} == {TokenSet.objects.get().pk}  # one token set
    assert all(c.awaiting_save for c in linked)
    assert TokenSet.objects.get().expires_at > timezone.now()
