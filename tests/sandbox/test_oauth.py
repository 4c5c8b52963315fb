"""OAuth2 and tenancy: login, consent, PKCE, tokens, refresh rotation, revocation, connections."""

from __future__ import annotations

import httpx

from xero_sandbox.server import SandboxHandle

from .conftest import Api, recording_client
from .flow import REDIRECT, connect, consent, exchange


def test_authorisation_code_flow_with_a_plain_http_client(sandbox: SandboxHandle) -> None:
    info = sandbox.info
    with recording_client(sandbox.url) as http:
        query, verifier = consent(http, info, tenant_index=1)
        assert query["code"] and "accounting.contacts" in query["scope"]
        answer = exchange(http, info, query["code"], verifier)
        assert answer.status_code == 200
        tokens = answer.json()
        assert tokens["expires_in"] == 1800 and tokens["token_type"] == "Bearer"
        assert tokens["refresh_token"] and tokens["id_token"].count(".") == 2
        auth = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
        connections = http.get("/connections", headers=auth).json()
        assert [c["tenantId"] for c in connections] == [info["tenants"][1]["tenantId"]]
        assert connections[0]["tenantType"] == "ORGANISATION"
        org = http.get(
            "/api.xro/2.0/Organisation",
            headers={**auth, "xero-tenant-id": info["tenants"][1]["tenantId"]},
        )
        assert org.status_code == 200
        assert org.json()["Organisations"][0]["Name"] == "Demo Company (AU)"
        # Consent covers one organisation: the other one is forbidden.
        other = http.get(
            "/api.xro/2.0/Organisation",
            headers={**auth, "xero-tenant-id": info["tenants"][0]["tenantId"]},
        )
        assert other.status_code == 403
        assert other.json()["Detail"] == "AuthenticationUnsuccessful"
        # A code works once.
        assert exchange(http, info, query["code"], verifier).json() == {"error": "invalid_grant"}


def test_pkce_verifier_must_match(sandbox: SandboxHandle) -> None:
    with recording_client(sandbox.url) as http:
        query, _ = consent(http, sandbox.info)
        answer = exchange(http, sandbox.info, query["code"], "wrong-verifier" * 4)
        assert answer.status_code == 400 and answer.json() == {"error": "invalid_grant"}


def test_cancel_redirects_with_access_denied_and_bad_password_stays(sandbox: SandboxHandle) -> None:
    info = sandbox.info
    with recording_client(sandbox.url) as http:
        query, _ = consent(http, info, password="nope")
        assert "incorrect" in query["page"]
        params = {
            "response_type": "code",
            "client_id": info["client_id"],
            "redirect_uri": REDIRECT,
            "scope": "accounting.contacts",
            "state": "s1",
            "action": "cancel",
        }
        answer = http.post("/identity/connect/authorize", data=params)
        assert answer.status_code == 302
        assert answer.headers["location"] == f"{REDIRECT}?error=access_denied&state=s1"
        bad_scope = http.get("/identity/connect/authorize", params={**params, "scope": "nonsense"})
        assert "error=invalid_scope" in bad_scope.headers["location"]


def test_refresh_rotates_and_the_old_token_has_a_grace_period(sandbox: SandboxHandle) -> None:
    info = sandbox.info
    with recording_client(sandbox.url) as http:
        first = connect(http, info)

        def refresh(token: str) -> httpx.Response:
            return http.post(
                "/connect/token",
                data={"grant_type": "refresh_token", "refresh_token": token},
                auth=(info["client_id"], info["client_secret"]),
            )

        second = refresh(first["refresh_token"])
        assert second.status_code == 200
        assert second.json()["refresh_token"] != first["refresh_token"]
        # The answer was "lost": the old token still works within 30 minutes.
        third = refresh(first["refresh_token"])
        assert third.status_code == 200
        # ...and the lost successor is now dead.
        assert refresh(second.json()["refresh_token"]).json() == {"error": "invalid_grant"}
        sandbox.sandbox.clock.advance(31 * 60)
        assert refresh(first["refresh_token"]).json() == {"error": "invalid_grant"}
        fourth = refresh(third.json()["refresh_token"])
        assert fourth.status_code == 200
        # 60 days unused: expired.
        sandbox.sandbox.clock.advance(61 * 86_400)
        assert refresh(fourth.json()["refresh_token"]).json() == {"error": "invalid_grant"}


def test_token_errors(sandbox: SandboxHandle) -> None:
    info = sandbox.info
    with recording_client(sandbox.url) as http:
        wrong = http.post(
            "/connect/token",
            data={"grant_type": "client_credentials"},
            auth=(info["client_id"], "not-the-secret"),
        )
        assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_client"}
        odd = http.post(
            "/connect/token",
            data={"grant_type": "password"},
            auth=(info["client_id"], info["client_secret"]),
        )
        assert odd.json() == {"error": "unsupported_grant_type"}
        standard = http.post(
            "/connect/token",
            data={"grant_type": "client_credentials"},
            auth=(info["client_id"], info["client_secret"]),
        )
        assert standard.json() == {"error": "unauthorized_client"}


def test_access_tokens_expire_after_30_minutes(api: Api) -> None:
    assert api.get("Organisation").status_code == 200
    api.handle.sandbox.clock.advance(1801)
    answer = api.get("Organisation")
    assert answer.status_code == 401
    body = answer.json()
    assert body["Title"] == "Unauthorized" and body["Detail"].startswith("TokenExpired: ")


def test_missing_tenant_header_is_403_and_missing_token_401(api: Api) -> None:
    """XERO-FACTS 1: an app connected by a user must name the organisation (403 otherwise)."""
    tokens = connect(api.http, api.handle.info)
    answer = api.http.get(
        "/api.xro/2.0/Contacts", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert answer.status_code == 403
    assert answer.json()["Title"] == "Forbidden" and answer.json()["Status"] == 403
    assert api.http.get("/api.xro/2.0/Contacts").status_code == 401


def test_custom_connection_needs_no_tenant_header(api: Api) -> None:
    """XERO-FACTS (added 2026-12-01) [P] developer.xero.com/faq/custom-integration: a custom
    connection's token is bound to one organisation, so xero-tenant-id may be left out; a
    header naming another organisation is still 403."""
    bare = {"Authorization": f"Bearer {api.token}", "Accept": "application/json"}
    answer = api.http.get("/api.xro/2.0/Organisation", headers=bare)
    assert answer.status_code == 200
    assert answer.json()["Organisations"][0]["OrganisationID"] == api.tenant_id
    other = api.handle.info["tenants"][1]["tenantId"]
    assert (
        api.http.get(
            "/api.xro/2.0/Organisation", headers={**bare, "xero-tenant-id": other}
        ).status_code
        == 403
    )


def test_organisations_plural_answers_like_organisation(api: Api) -> None:
    """XERO-FACTS (added 2026-12-01) [S]: community clients call GET /Organisations."""
    plural = api.get("Organisations").json()["Organisations"]
    assert plural == api.get("Organisation").json()["Organisations"]


def test_scopes_are_checked_per_endpoint_in_both_families(sandbox: SandboxHandle) -> None:
    info = sandbox.info
    with recording_client(sandbox.url) as http:
        query, verifier = consent(
            http, info, scope="offline_access accounting.contacts.read accounting.invoices"
        )
        tokens = exchange(http, info, query["code"], verifier).json()
        headers = {
            "Authorization": f"Bearer {tokens['access_token']}",
            "xero-tenant-id": info["tenants"][0]["tenantId"],
            "Accept": "application/json",
        }
        assert http.get("/api.xro/2.0/Contacts", headers=headers).status_code == 200
        assert http.get("/api.xro/2.0/Invoices", headers=headers).status_code == 200  # granular
        denied = http.put("/api.xro/2.0/Contacts", headers=headers, json={"Name": "X"})
        assert denied.status_code == 401
        assert denied.json()["Detail"] == "AuthorizationUnsuccessful"
        assert "insufficient_scope" in denied.headers["www-authenticate"]
        assert http.get("/api.xro/2.0/TaxRates", headers=headers).status_code == 401


def test_revocation_removes_connections_and_delete_connection(sandbox: SandboxHandle) -> None:
    info = sandbox.info
    with recording_client(sandbox.url) as http:
        tokens = connect(http, info, 0)
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        conn = http.get("/connections", headers=auth).json()[0]
        assert http.delete(f"/connections/{conn['id']}", headers=auth).status_code == 204
        assert http.delete(f"/connections/{conn['id']}", headers=auth).status_code == 404
        tokens = connect(http, info, 0)
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert len(http.get("/connections", headers=auth).json()) == 1
        revoked = http.post(
            "/connect/revocation",
            data={"token": tokens["refresh_token"]},
            auth=(info["client_id"], info["client_secret"]),
        )
        assert revoked.status_code == 200
        assert http.get("/connections", headers=auth).json() == []
        again = http.post(
            "/connect/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=(info["client_id"], info["client_secret"]),
        )
        assert again.json() == {"error": "invalid_grant"}
