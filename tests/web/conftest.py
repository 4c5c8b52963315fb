"""Fixtures for the screen tests: a signed-in test client per role."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ledgerbridge.accounts.models import User


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    # Users are created for almost every test; a fast hasher keeps the run short.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin: User) -> Client:
    """Replaces pytest-django's admin_client: our admin is a role, not a superuser."""
    return signed_in(admin)


@pytest.fixture
def billing_client(billing_user: User) -> Client:
    return signed_in(billing_user)


@pytest.fixture
def tech_client(technician: User) -> Client:
    return signed_in(technician)
