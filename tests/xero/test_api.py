"""The Xero connections over the REST API: everything but the browser's trip to Xero."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ledgerbridge.accounts.models import ApiToken
from ledgerbridge.xero import connections
from ledgerbridge.xero.models import Connection, XeroModule

from .helpers import REDIRECT_URI, consent

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, user: Any) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {ApiToken.issue(user, 't')[1]}"}

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        send = getattr(self.client, method)
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return send(f"/api/v1/xero{path}", **kwargs)


def test_only_admins_use_the_xero_api(billing_user, technician):
    for user in (billing_user, technician):
        answer = Api(user)("get", "/connections")
        assert answer.status_code == 403 and "configuration" in answer.json()["detail"]
    assert Client().get("/api/v1/xero/connections").status_code == 401


def test_conn_1_to_5_over_the_api(xero_settings, sandbox, admin):
    xero_settings.XERO_REDIRECT_URI = REDIRECT_URI
    api = Api(admin)
    refused = api("post", "/connections", {"name": "Books"})
    assert refused.status_code == 422 and "Enable the Xero integration" in refused.json()["detail"]
    assert api("put", "/module", {"enabled": True}).json() == {
        "enabled": True,
        "general_settings_unlocked": False,
    }
    created = api("post", "/connections", {"name": "Books"})
    assert created.status_code == 201
    connection_id = created.json()["id"]
    url = api("post", f"/connections/{connection_id}/authorise").json()["authorisation_url"]
    assert url.startswith(sandbox.url) and "code_challenge" in url
    connections.complete_authorisation(consent(sandbox, url), REDIRECT_URI)  # the person's part
    shown = api("get", f"/connections/{connection_id}").json()
    assert shown["awaiting_save"] and shown["state"] == "disconnected"
    assert shown["tenant_name"] == "Demo Company (NZ)"
    saved = api("post", f"/connections/{connection_id}/save").json()
    assert saved["state"] == "connected" and saved["saved"]
    assert api("get", "/module").json()["general_settings_unlocked"]
    assert api("post", f"/connections/{connection_id}/disconnect").json()["state"] == "disconnected"
    assert api("delete", f"/connections/{connection_id}").status_code == 204
    assert not Connection.objects.exists()


def test_bad_input_names_the_field_and_saves_nothing(xero_settings, admin):
    api = Api(admin)
    XeroModule.objects.update_or_create(pk=1, defaults={"enabled": True})
    for body, field in [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": 5}, "name"),
        ({"name": "ok", "extra": 1}, "extra"),
    ]:
        answer = api("post", "/connections", body)
        assert answer.status_code == 422, body
        assert field in {e["field"] for e in answer.json()["errors"]}
    api("post", "/connections", {"name": "Books"})
    duplicate = api("post", "/connections", {"name": "BOOKS"})
    assert duplicate.status_code == 422 and duplicate.json()["errors"][0]["field"] == "name"
    assert Connection.objects.count() == 1
    connection_id = Connection.objects.get().pk
    assert api("post", f"/connections/{connection_id}/save").status_code == 422
    assert api("get", "/connections/999999").status_code == 404
    assert api("put", "/module", {"enabled": "maybe"}).status_code == 422
