"""Tokens are encrypted at rest, and keys rotate."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.utils import timezone

from ledgerbridge import crypto
from ledgerbridge.xero.models import TokenSet


@pytest.fixture
def keys(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FERNET_KEYS = [old]
    crypto.reset_keys()
    yield old, new
    crypto.reset_keys()


@pytest.mark.django_db
def test_raw_database_holds_no_token_in_clear(keys):
    token_set = TokenSet()
    token_set.store(
        {"access_token": "ACCESS-abc123", "refresh_token": "REFRESH-xyz789", "expires_in": 1800},
        timezone.now(),
    )
    token_set.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM xero_tokenset")
        raw = repr(cursor.fetchall())
    assert "ACCESS-abc123" not in raw and "REFRESH-xyz789" not in raw
    fresh = TokenSet.objects.get(pk=token_set.pk)
    assert (fresh.access_token, fresh.refresh_token) == ("ACCESS-abc123", "REFRESH-xyz789")
    assert fresh.expires_within(1801) and not fresh.expires_within(1700)
    assert fresh.expires_at > timezone.now() + dt.timedelta(seconds=1700)


def test_rotation_keeps_old_secrets_readable_and_rewrites_them(keys, settings):
    old, new = keys
    stored = crypto.encrypt("secret")
    settings.FERNET_KEYS = [new, old]
    crypto.reset_keys()
    assert crypto.decrypt(stored) == "secret"
    rotated = crypto.rotate(stored)
    settings.FERNET_KEYS = [new]
    crypto.reset_keys()
    assert crypto.decrypt(rotated) == "secret"
    with pytest.raises(crypto.SecretUnreadable, match="restore the old key"):
        crypto.decrypt(stored)


def test_generated_key_file_is_private(settings, tmp_path):
    settings.FERNET_KEYS = []
    settings.DATA_DIR = tmp_path
    crypto.reset_keys()
    try:
        assert crypto.decrypt(crypto.encrypt("x")) == "x"
        assert (tmp_path / "fernet.key").stat().st_mode & 0o777 == 0o600
    finally:
        crypto.reset_keys()


@pytest.mark.django_db
def test_rotate_secrets_rewrites_every_stored_token(keys, settings):
    from ledgerbridge.xero.connections import rotate_secrets

    old, new = keys
    token_set = TokenSet()
    token_set.store({"access_token": "A", "refresh_token": "R"}, timezone.now())
    token_set.save()
    settings.FERNET_KEYS = [new, old]
    crypto.reset_keys()
    assert rotate_secrets() == 1
    settings.FERNET_KEYS = [new]
    crypto.reset_keys()
    fresh = TokenSet.objects.get(pk=token_set.pk)
    assert (fresh.access_token, fresh.refresh_token) == ("A", "R")
