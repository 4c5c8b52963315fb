"""Token authentication: every endpoint needs a valid bearer token of an active user."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from ledgerbridge.accounts.models import ApiToken, hash_token

from .conftest import ApiClient


def test_missing_token_is_401_with_how_to_sign_in(db: None) -> None:
    response = ApiClient(None).get("/customers/")
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_wrong_token_is_401(admin_api: ApiClient) -> None:
    assert ApiClient("lb_not-a-real-token").get("/customers/").status_code == 401
    wrong_scheme = Client().get("/api/v1/customers/", headers={"Authorization": "Basic abc"})
    assert wrong_scheme.status_code == 401


def test_valid_token_is_accepted_and_names_its_user(admin, admin_api: ApiClient) -> None:
    response = admin_api.get("/accounts/me")
    assert response.status_code == 200
    assert response.json()["username"] == admin.username
    assert response.json()["role"] == "admin"


def test_inactive_user_is_refused(admin, admin_api: ApiClient) -> None:
    admin.is_active = False
    admin.save()
    assert admin_api.get("/accounts/me").status_code == 401


def test_only_the_hash_of_the_token_is_stored(admin) -> None:
    token, raw = ApiToken.issue(admin, "laptop")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hash_token(raw)
    assert raw not in (stored.key_hash, stored.prefix, stored.name)
    assert ApiClient(raw).get("/accounts/me").status_code == 200
    # The stored hash itself is not a token.
    assert ApiClient(stored.key_hash).get("/accounts/me").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(admin) -> None:
    token, raw = ApiToken.issue(admin, "laptop")
    client = ApiClient(raw)
    client.get("/accounts/me")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    client.get("/accounts/me")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    earlier = timezone.now() - dt.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    client.get("/accounts/me")
    assert ApiToken.objects.get(pk=token.pk).last_used_at > earlier


def test_openapi_document_needs_a_login(admin_api: ApiClient, admin) -> None:
    assert Client().get("/api/v1/openapi.json").status_code == 401
    response = Client().get("/api/v1/openapi.json", headers=admin_api.headers)
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/invoices/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    session = Client()
    session.force_login(admin)
    assert session.get("/api/v1/openapi.json").status_code == 200
