"""A request that would only record an API token's `last_used_at` does not fail when that write
cannot be made (issue 9): the database is read-only or another process holds the write lock."""

from __future__ import annotations

import logging
import sqlite3
import time

import pytest
from django.db import connection

from ledgerbridge.accounts.models import ApiToken, User

from .conftest import ApiClient

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="read-only and locked SQLite files"
)


def test_a_read_succeeds_on_a_read_only_database(
    db: None, admin: User, caplog: pytest.LogCaptureFixture
) -> None:
    token, raw = ApiToken.issue(admin, "rmm")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = ON")  # every write now fails: "readonly database"
    try:
        with caplog.at_level(logging.WARNING, logger="ledgerbridge.api_support"):
            answer = ApiClient(raw).get("/customers/")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = OFF")
    assert answer.status_code == 200, answer.content
    token.refresh_from_db()
    assert token.last_used_at is None
    assert "last use of API token" in caplog.text and token.prefix in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_read_succeeds_at_once_while_another_process_holds_the_write_lock(
    admin: User, caplog: pytest.LogCaptureFixture
) -> None:
    token, raw = ApiToken.issue(admin, "rmm")
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the write lock, held as a long import would hold it
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="ledgerbridge.api_support"):
            answer = ApiClient(raw).get("/customers/")
        took = time.monotonic() - started
    finally:
        other.rollback()
        other.close()
    assert answer.status_code == 200, answer.content
    assert took < 10  # no waiting out the 30 s busy timeout for a bookkeeping write
    token.refresh_from_db()
    assert token.last_used_at is None
    assert "last use of API token" in caplog.text

    # Once the lock is gone, the next request records the use.
    assert ApiClient(raw).get("/customers/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
