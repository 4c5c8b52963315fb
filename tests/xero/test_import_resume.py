"""Issue 5, resumable imports: `ledgerbridge xero import customers` killed with SIGKILL in the
middle of an import, then run again, ends with exactly one customer per Xero contact (no
duplicate, no gap), having read each page once (plus at most the page in flight when killed).
Issue 9: a worker killed mid-import is recovered by another worker, with no one touching it."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from django_tasks_db.models import DBTaskResult

from ledgerbridge.background.models import WorkerBeat
from ledgerbridge.background.recovery import DIED
from ledgerbridge.customers.models import Customer
from ledgerbridge.xero import mapping
from ledgerbridge.xero.imports import start_import
from ledgerbridge.xero.imports.common import PAGE_SIZE, STALE_AFTER
from ledgerbridge.xero.models import ImportKind, ImportRun, ImportStatus, ImportWatermark
from ledgerbridge.xero.tasks import run_import_task

from .helpers import admin_call, connect, database_url, fast_client
from .links import in_tenant, pairs_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CONTACTS = 3500
PAGES = -(-CONTACTS // PAGE_SIZE)


@pytest.fixture
def big(xero_settings, sandbox, tmp_path: Path):
    """An organisation of CONTACTS contacts, connected; Xero's customers; the command's env."""
    org = admin_call(
        sandbox, "POST", "organisations", name="Big Books Ltd", region="NZ", contacts=CONTACTS
    )
    connection = connect(sandbox, "Big books", "Big Books Ltd")
    assert connection.tenant_id == org["tenantId"]
    with fast_client(connection) as client:  # Xero's side of the story, read before the import
        contacts = [
            c
            for page in range(1, PAGES + 1)
            for c in client.get("/Contacts", params={"page": page, "pageSize": PAGE_SIZE})[
                "Contacts"
            ]
        ]
    assert len(contacts) >= CONTACTS
    records = [mapping.contact_data(c) for c in contacts]
    assert all(not r.problems for r in records)
    admin_call(sandbox, "POST", "settings", latency_ms=1000)  # about a second a page
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path),
        "LEDGERBRIDGE_FERNET_KEYS": ",".join(xero_settings.FERNET_KEYS),
        "XERO_CLIENT_ID": xero_settings.XERO_CLIENT_ID,
        "XERO_CLIENT_SECRET": xero_settings.XERO_CLIENT_SECRET,
        "XERO_SANDBOX_URL": sandbox.url,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return SimpleNamespace(
        connection=connection,
        tenant_id=org["tenantId"],
        expected={r.xero_id for r in records if r.is_customer or not r.is_supplier},
        env=env,
    )


COMMAND = [
    sys.executable,
    "-m",
    "ledgerbridge.cli",
    "xero",
    "import",
    "customers",
    "--connection",
    "Big books",
]


def ledgerbridge(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(COMMAND, env=env, capture_output=True, text=True, timeout=60, check=False)


def stopped_after_a_page(big: SimpleNamespace, how: signal.Signals) -> ImportRun:
    """Start the command, stop it with `how` once its first page is saved; the run."""
    process = subprocess.Popen(COMMAND, env=big.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    run = None
    while time.monotonic() < deadline:
        run = ImportRun.objects.filter(connection=big.connection).first()
        if run is not None and run.pages_done >= 1:
            break
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    assert run is not None and run.pages_done >= 1, "the import never finished a page"
    process.send_signal(how)
    process.communicate(timeout=10)
    assert process.returncode in (-how, 130)
    run.refresh_from_db()
    return run


def assert_complete(big: SimpleNamespace, run: ImportRun) -> None:
    """No duplicate, no gap, every page read once, the watermark set."""
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE, run.message
    assert ImportRun.objects.count() == 1  # the rerun resumed the run; it made no new one
    ids = list(pairs_in(Customer, big.tenant_id))
    # No duplicate: one customer per contact, each linked once.
    assert len(ids) == len(set(ids)) == len(big.expected)
    assert in_tenant(Customer, big.tenant_id).count() == len(big.expected)
    assert set(ids) == big.expected  # no gap
    assert run.created == len(big.expected) and run.updated == 0
    assert run.pages_done == run.api_calls == PAGES
    watermark = ImportWatermark.objects.get(xero_tenant_id=big.tenant_id, kind="customers")
    assert run.xero_started_at is not None and watermark.since < run.xero_started_at


def test_an_import_killed_mid_way_resumes_without_duplicate_or_gap(big, sandbox):
    calls_before = admin_call(sandbox, "GET", f"organisations/{big.tenant_id}/limits")
    run = stopped_after_a_page(big, signal.SIGKILL)
    saved = in_tenant(Customer, big.tenant_id).count()
    assert run.status == ImportStatus.RUNNING and not run.finished
    assert run.pages_done < PAGES and run.next_page == run.pages_done + 1
    assert 0 < saved < len(big.expected) and saved == run.created
    assert not ImportWatermark.objects.exists()

    # A killed process cannot say it stopped: until its run has been silent for STALE_AFTER,
    # a second process refuses to take it over (it may be alive), and says when it may.
    refused = ledgerbridge(big.env)
    assert refused.returncode == 1 and "another process" in refused.stderr, refused.stderr
    ImportRun.objects.filter(pk=run.pk).update(
        heartbeat_at=run.heartbeat_at - STALE_AFTER - dt.timedelta(seconds=1)
    )

    second = ledgerbridge(big.env)
    assert second.returncode == 0, second.stderr
    assert f"Resuming import {run.pk} from page {run.next_page}" in second.stdout
    assert "done:" in second.stdout
    assert_complete(big, run)
    # Each page was read once, plus at most the one in flight when the process was killed.
    calls_after = admin_call(sandbox, "GET", f"organisations/{big.tenant_id}/limits")
    calls = calls_after["day_count"] - calls_before["day_count"]
    assert PAGES <= calls <= PAGES + 1


def test_an_import_stopped_with_sigterm_is_resumable_at_once(big):
    run = stopped_after_a_page(big, signal.SIGTERM)
    assert run.status == ImportStatus.QUEUED and "run the same command again" in run.message
    assert 0 < run.created < len(big.expected)
    again = ledgerbridge(big.env)
    assert again.returncode == 0, again.stderr
    assert f"Resuming import {run.pk} from page {run.next_page}" in again.stdout
    assert_complete(big, run)


# --- issue 9: a worker killed mid-import; another worker finishes it with nobody touching it


def start_worker(big: SimpleNamespace, log: Path) -> subprocess.Popen[bytes]:
    """A real `ledgerbridge worker`, with recovery intervals of seconds instead of minutes."""
    env = {
        **big.env,
        "WORKER_HEARTBEAT_SECONDS": "0.5",
        "WORKER_DEAD_AFTER_SECONDS": "3",
        "WORKER_RECOVERY_INTERVAL_SECONDS": "0.5",
        "IMPORT_STALE_AFTER_SECONDS": "5",
        "PERIODIC_INTERVAL_SECONDS": "3600",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ledgerbridge.cli", "worker", "--interval", "0.2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(condition: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {seconds}s; worker log:\n{log.read_text()}")


def test_a_worker_killed_mid_import_is_recovered_by_another_worker(big, tmp_path: Path):
    log = tmp_path / "workers.log"
    run = start_import(big.connection, ImportKind.CUSTOMERS)  # queued for a worker
    first = start_worker(big, log)
    try:
        wait_for(
            lambda: ImportRun.objects.get(pk=run.pk).pages_done >= 1,
            60,
            "the first worker importing a page",
            log,
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    run.refresh_from_db()
    assert run.status == ImportStatus.RUNNING and run.pages_done < PAGES
    imports = DBTaskResult.objects.filter(task_path=run_import_task.module_path)
    abandoned = imports.get()
    assert abandoned.status == "RUNNING"

    second = start_worker(big, log)
    try:
        wait_for(
            lambda: ImportRun.objects.get(pk=run.pk).status == ImportStatus.DONE,
            180,
            "the second worker finishing the import",
            log,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    assert_complete(big, run)
    abandoned.refresh_from_db()
    assert abandoned.status == "FAILED" and abandoned.exception_class_path == DIED
    assert "died" in abandoned.traceback
    assert imports.filter(status="SUCCESSFUL").exists()
    assert not DBTaskResult.objects.filter(status="RUNNING").exists()
    assert not WorkerBeat.objects.exists()  # the dead one's record cleared, the live one's removed
