"""API test helpers: a token per role and a client that sends it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ledgerbridge.accounts.models import ApiToken, User

BASE = "/api/v1"


class ApiClient:
    """Django's test client speaking JSON to /api/v1 with a bearer token."""

    def __init__(self, raw_token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw_token}"} if raw_token else {}

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        send = getattr(self.client, method)
        url = BASE + path
        if method in {"post", "put", "patch"}:
            return send(url, data=body, content_type="application/json", headers=self.headers)
        return send(url, data=params or None, headers=self.headers)

    def get(self, path: str, **params: Any) -> Any:
        return self._call("get", path, **params)

    def post(self, path: str, body: Any = None) -> Any:
        return self._call("post", path, {} if body is None else body)

    def put(self, path: str, body: Any = None) -> Any:
        return self._call("put", path, {} if body is None else body)

    def delete(self, path: str) -> Any:
        return self._call("delete", path)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Users are made per test here; the hash strength is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def token_for(user: User) -> str:
    return ApiToken.issue(user, "tests")[1]


@pytest.fixture
def as_user() -> Callable[[User], ApiClient]:
    return lambda user: ApiClient(token_for(user))


@pytest.fixture
def admin_api(admin: User) -> ApiClient:
    return ApiClient(token_for(admin))


@pytest.fixture
def billing_api(billing_user: User) -> ApiClient:
    return ApiClient(token_for(billing_user))


@pytest.fixture
def tech_api(technician: User) -> ApiClient:
    return ApiClient(token_for(technician))


def fields_of(response: Any) -> set[str | None]:
    """The fields a 4xx body names."""
    return {error["field"] for error in response.json()["errors"]}
