"""Configuration > Integrations > Xero, as an admin uses it (CONN-1..5 on screen)."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.xero.models import Connection, XeroModule

from .helpers import REDIRECT_URI, consent

pytestmark = pytest.mark.django_db

XERO_URLS = ["xero:integrations", "xero:home"]


@pytest.fixture
def screens(xero_settings, admin) -> Client:
    xero_settings.XERO_REDIRECT_URI = REDIRECT_URI
    client = Client()
    client.force_login(admin)
    return client


@pytest.mark.parametrize("name", XERO_URLS)
def test_only_admins_reach_the_xero_screens(client, billing_user, technician, admin, name):
    url = reverse(name)
    assert client.get(url).status_code == 302  # to the login page
    for user, status in [(billing_user, 403), (technician, 403), (admin, 200)]:
        client.force_login(user)
        assert client.get(url).status_code == status


def test_conn_1_connections_need_the_module_enabled(screens):
    refused = screens.post(reverse("xero:home"), {"action": "create", "name": "Books"})
    assert refused.status_code == 400 and "Enable the Xero integration first" in refused.text
    assert not Connection.objects.exists()
    screens.post(reverse("xero:home"), {"action": "module", "enabled": "on"})
    assert XeroModule.get().enabled
    page = screens.get(reverse("xero:home"))
    assert "Locked until at least one organisation is connected" in page.text


def test_new_connection_bad_names_are_named_and_nothing_saved(screens):
    screens.post(reverse("xero:home"), {"action": "module", "enabled": "on"})
    empty = screens.post(reverse("xero:home"), {"action": "create", "name": "  "})
    assert empty.status_code == 400 and "This field is required" in empty.text
    long = screens.post(reverse("xero:home"), {"action": "create", "name": "x" * 101})
    assert long.status_code == 400 and "at most 100 characters" in long.text
    assert not Connection.objects.exists()
    screens.post(reverse("xero:home"), {"action": "create", "name": "Books"})
    duplicate = screens.post(reverse("xero:home"), {"action": "create", "name": "books"})
    assert duplicate.status_code == 400 and "pick another name" in duplicate.text
    assert Connection.objects.count() == 1


def test_conn_3_4_5_connect_save_disconnect_and_delete_on_screen(screens, sandbox):
    screens.post(reverse("xero:home"), {"action": "module", "enabled": "on"})
    created = screens.post(reverse("xero:home"), {"action": "create", "name": "NZ books"})
    connection = Connection.objects.get(name="NZ books")
    assert created["location"] == reverse("xero:connection", args=[connection.pk])

    to_xero = screens.post(reverse("xero:connect", args=[connection.pk]))
    assert to_xero.status_code == 302 and to_xero["location"].startswith(sandbox.url)
    params = consent(sandbox, to_xero["location"], "Demo Company (NZ)")
    back = screens.get(reverse("xero:callback"), params)
    assert back["location"] == reverse("xero:connection", args=[connection.pk])  # same screen

    page = screens.get(back["location"])
    assert "Connected to Demo Company (NZ). Save the connection" in page.text
    assert "Not saved, so still disconnected" in page.text  # CONN-4, said plainly

    screens.post(reverse("xero:save", args=[connection.pk]))
    page = screens.get(reverse("xero:connection", args=[connection.pk]))
    assert ">Connected<" in page.text and "Demo Company (NZ)" in page.text
    assert "Calls left today" in page.text
    assert "Locked until" not in screens.get(reverse("xero:home")).text  # CONN-1 unlocked

    screens.post(reverse("xero:disconnect", args=[connection.pk]))
    page = screens.get(reverse("xero:connection", args=[connection.pk]))
    assert "disconnected; nothing linked to it was removed" in page.text
    assert ">Disconnected<" in page.text

    confirm = screens.get(reverse("xero:delete", args=[connection.pk]))
    assert "keep their data" in confirm.text
    screens.post(reverse("xero:delete", args=[connection.pk]))
    assert not Connection.objects.exists()


def test_a_forged_callback_is_explained_and_changes_nothing(screens, sandbox):
    screens.post(reverse("xero:home"), {"action": "module", "enabled": "on"})
    screens.post(reverse("xero:home"), {"action": "create", "name": "Books"})
    connection = Connection.objects.get()
    to_xero = screens.post(reverse("xero:connect", args=[connection.pk]))
    params = consent(sandbox, to_xero["location"])
    forged = screens.get(reverse("xero:callback"), {**params, "state": "nope"}, follow=True)
    assert "does not match any Connect now" in unescape(forged.text)
    cancelled = consent(
        sandbox,
        screens.post(reverse("xero:connect", args=[connection.pk]))["location"],
        cancel=True,
    )
    page = screens.get(reverse("xero:callback"), cancelled, follow=True)
    assert "cancelled on Xero's consent page" in unescape(page.text)
    connection.refresh_from_db()
    assert not connection.tenant_id


def test_conn_6_needs_reauthorisation_is_said_on_screen(screens, sandbox):
    from ledgerbridge.xero.connections import mark_needs_reauth

    from .helpers import connect

    screens.post(reverse("xero:home"), {"action": "module", "enabled": "on"})
    connection = connect(sandbox, "Books")
    mark_needs_reauth(connection.token_set_id, "Xero refused the refresh (invalid_grant).")
    page = " ".join(
        unescape(screens.get(reverse("xero:connection", args=[connection.pk])).text).split()
    )
    assert "Needs re-authorisation" in page and "invalid_grant" in page
    assert "Work waiting for it is kept" in page and ">Reconnect<" in page
