"""Fixtures for the screen tests: a signed-in test client per role."""

from __future__ import annotations

import pytest
from django.test import Client

from ledgerbridge.accounts.models import User


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin: User) -> Client:
    return signed_in(admin)


@pytest.fixture
def billing_client(billing_user: User) -> Client:
    return signed_in(billing_user)


@pytest.fixture
def tech_client(technician: User) -> Client:
    return signed_in(technician)
