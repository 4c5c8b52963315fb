"""CONN-6: a token due for refresh, needed by 8 threads and 3 processes at the same moment, is
refreshed exactly once, and every one of them goes on with the same fresh token."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection as db
from django.utils import timezone

from ledgerbridge.xero.connections import access_token
from ledgerbridge.xero.models import TokenSet

from .helpers import connect, database_url, fast_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHILD = """
import os, sys, time, django
os.environ["DJANGO_SETTINGS_MODULE"] = "ledgerbridge.settings"
django.setup()
from ledgerbridge.xero.connections import access_token
time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))
print(access_token(int(os.environ["TOKEN_SET"])))
"""


def test_conn_6_single_flight_refresh_across_threads_and_processes(
    xero_settings, sandbox, tmp_path: Path
):
    connection = connect(sandbox, "Books")
    token_set = TokenSet.objects.get()
    old = token_set.access_token
    TokenSet.objects.filter(pk=token_set.pk).update(
        expires_at=timezone.now() + dt.timedelta(seconds=5)
    )
    start_at = time.time() + 4.0  # time for the processes to start Django
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path),
        "LEDGERBRIDGE_FERNET_KEYS": ",".join(xero_settings.FERNET_KEYS),
        "XERO_CLIENT_ID": xero_settings.XERO_CLIENT_ID,
        "XERO_CLIENT_SECRET": xero_settings.XERO_CLIENT_SECRET,
        "XERO_SANDBOX_URL": sandbox.url,
        "START_AT": str(start_at),
        "TOKEN_SET": str(token_set.pk),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    tokens: list[str] = []
    errors: list[BaseException] = []

    def need_token() -> None:
        try:
            time.sleep(max(0.0, start_at - time.time()))
            tokens.append(access_token(token_set.pk))
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=need_token) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for p in processes:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        tokens.append(out.strip().splitlines()[-1])

    assert not errors
    token_set.refresh_from_db()
    assert token_set.refresh_count == 1
    assert len(tokens) == 11 and set(tokens) == {token_set.access_token} and old not in tokens
    with fast_client(connection) as client:  # and the fresh token works
        assert client.get("/Organisation")["Organisations"]
