"""Real `ledgerbridge worker` processes pushing to the sandbox over HTTP: a worker killed with
SIGKILL while it holds an organisation's lease mid-batch is taken over by another, and nothing
reaches Xero twice; several workers draining one organisation never send a record twice
(SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from ledgerbridge.customers.models import Customer
from ledgerbridge.sync.models import Link, SyncSettings, SyncState
from ledgerbridge.sync.services import mark_changed, organisation_for
from ledgerbridge.xero.tasks import sync_organisation_task

from .helpers import admin_call, connect, database_url, fast_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

COUNT = 120  # three batches of at most 50


@pytest.fixture
def world(xero_settings, sandbox, tmp_path: Path) -> dict[str, Any]:
    nz = connect(sandbox, "NZ books", "Demo Company (NZ)")
    org = organisation_for("xero", nz.tenant_id, nz.name)
    settings = SyncSettings.get()
    settings.sync_customers = True
    settings.save()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path),
        "LEDGERBRIDGE_FERNET_KEYS": ",".join(xero_settings.FERNET_KEYS),
        "XERO_CLIENT_ID": xero_settings.XERO_CLIENT_ID,
        "XERO_CLIENT_SECRET": xero_settings.XERO_CLIENT_SECRET,
        "XERO_SANDBOX_URL": sandbox.url,
        "WORKER_HEARTBEAT_SECONDS": "0.5",
        "WORKER_DEAD_AFTER_SECONDS": "3",
        "WORKER_RECOVERY_INTERVAL_SECONDS": "0.5",
        "PERIODIC_INTERVAL_SECONDS": "2",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return {"nz": nz, "org": org, "env": env, "sandbox": sandbox, "log": tmp_path / "w.log"}


def customers(world: dict[str, Any], prefix: str) -> list[Customer]:
    org = world["org"]
    made = []
    with transaction.atomic():  # committed: the workers see it; queues the organisation's sync
        for n in range(COUNT):
            customer = Customer.objects.create(
                organisation=org,
                name=f"{prefix} customer {n:03}",
                account_number=f"{prefix}-{n:03}",
            )
            mark_changed("customer", customer.pk, org.pk)
            made.append(customer)
    return made


def start_worker(world: dict[str, Any]) -> subprocess.Popen[bytes]:
    with world["log"].open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ledgerbridge.cli", "worker", "--interval", "0.2"],
            env=world["env"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def wait_for(condition: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {seconds}s; worker log:\n{log.read_text()}")


def in_xero(world: dict[str, Any], prefix: str) -> Counter[str]:
    """How many Xero contacts carry each of our account numbers (read from Xero itself)."""
    with fast_client(world["nz"]) as client:
        found = [
            c
            for page in client.pages("/Contacts", "Contacts", params={"includeArchived": "true"})
            for c in page
        ]
    return Counter(
        c["AccountNumber"] for c in found if str(c.get("AccountNumber", "")).startswith(prefix)
    )


def all_synced(made: list[Customer]) -> bool:
    links = Link.objects.filter(kind="customer", local_id__in=[c.pk for c in made])
    return links.filter(state=SyncState.SYNCED).count() == len(made)


def test_a_worker_killed_holding_the_lease_is_taken_over_and_nothing_is_sent_twice(world):
    admin_call(world["sandbox"], "POST", "settings", latency_ms=1500)  # batches take a while
    made = customers(world, "KILL")
    first = start_worker(world)
    try:
        wait_for(
            lambda: Link.objects.filter(state=SyncState.IN_FLIGHT).exists(),
            90,
            "the first worker sending a batch",
            world["log"],
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert not all_synced(made)
    second = start_worker(world)
    try:
        wait_for(lambda: all_synced(made), 240, "the second worker finishing", world["log"])
    finally:
        stop(second)
    counts = in_xero(world, "KILL-")
    assert len(counts) == COUNT and set(counts.values()) == {1}  # each exactly once
    for customer in made:
        link = Link.objects.get(kind="customer", local_id=customer.pk)
        assert link.remote_id and link.synced_version == link.version


def test_several_workers_never_send_one_record_twice(world):
    admin_call(world["sandbox"], "POST", "settings", latency_ms=300)
    made = customers(world, "PAIR")
    for _ in range(4):  # every worker gets the organisation's task at once
        sync_organisation_task.enqueue(world["org"].pk)
    workers = [start_worker(world) for _ in range(3)]
    try:
        wait_for(lambda: all_synced(made), 240, "the workers finishing", world["log"])
    finally:
        for worker in workers:
            stop(worker)
    counts = in_xero(world, "PAIR-")
    assert len(counts) == COUNT and set(counts.values()) == {1}
    limits = admin_call(world["sandbox"], "GET", f"organisations/{world['nz'].tenant_id}/limits")
    assert limits["max_in_flight"] <= 5
