"""Xero's minute limits kept for every process at once (`call_windows`): real processes sharing
one database never take more than the app's or an organisation's minute allows, and a sync run
that meets a full minute ends, to come back when there is room, instead of idling the worker
(SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from ledgerbridge.customers.models import Customer
from ledgerbridge.sync.models import Link, Organisation, SyncSettings, SyncState
from ledgerbridge.sync.services import mark_changed, organisation_for
from ledgerbridge.xero import outbound, webhooks
from ledgerbridge.xero.call_windows import SLOTS, DatabaseWindows, wait_for_room
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.errors import XeroBusy
from ledgerbridge.xero.imports.currencies import refresh_connection
from ledgerbridge.xero.limits import Budgets, Limits
from ledgerbridge.xero.models import CallWindow, Connection
from ledgerbridge.xero.outbound import fair_share, sync_organisation
from ledgerbridge.xero.tasks import queue_sync, sync_organisation_task

from .helpers import connect, database_url

pytestmark = pytest.mark.postgres


def test_a_full_window_has_room_once_enough_of_its_oldest_slots_have_left_the_minute():
    second = 1.0  # one slot per second; a call stays counted for SLOTS slots
    now = 1000.4
    slots = {940: 2, 970: 1, 1000: 1}  # 4 calls in the window
    assert wait_for_room(slots, 5, 1000, second, now) == 0
    # Full at 4: the two calls of slot 940 leave when slot 940 + SLOTS begins.
    assert wait_for_room(slots, 4, 1000, second, now) == pytest.approx(940 + SLOTS - now)
    # Full at 2 (4 held): three must leave, so slot 970's call too.
    assert wait_for_room(slots, 2, 1000, second, now) == pytest.approx(970 + SLOTS - now)


def _pool(limits: Limits, app: str) -> Budgets:
    return Budgets(limits, shared=DatabaseWindows(limits, app))


@pytest.mark.django_db
def test_two_processes_budgets_share_the_organisations_and_the_apps_minute():
    """Each `Budgets` is one process's view; what they share is the database alone."""
    limits = Limits(per_minute=3, app_per_minute=5, minute=600)
    app = uuid.uuid4().hex
    first, second = _pool(limits, app), _pool(limits, app)
    for pool in (first, second, first):
        pool.for_tenant("org-a").acquire(max_wait=0)
        pool.for_tenant("org-a").release()
    # Each process made at most two calls itself; together they used the organisation's 3.
    with pytest.raises(XeroBusy) as full:
        second.for_tenant("org-a").acquire(max_wait=0)
    assert full.value.problem == "minute"
    assert 590 < (full.value.retry_after or 0) <= 610
    assert "this organisation's calls for the minute are used up" in full.value.message
    second.for_tenant("org-b").acquire(max_wait=0)
    second.for_tenant("org-b").release()
    first.for_tenant("org-c").acquire(max_wait=0)
    first.for_tenant("org-c").release()
    # 5 calls made: the app's minute is full for every organisation, in every process.
    with pytest.raises(XeroBusy) as app_full:
        first.for_tenant("org-d").acquire(max_wait=0)
    assert app_full.value.problem == "appminute"
    assert "all organisations together" in app_full.value.message
    # A refused call counted nothing: org-d has made no call in the shared window.
    other_app = _pool(limits, uuid.uuid4().hex)
    for _ in range(3):
        other_app.for_tenant("org-d").acquire(max_wait=0)
        other_app.for_tenant("org-d").release()


TAKER = """
import json, os, sys, time, django
django.setup()
from ledgerbridge.xero.call_windows import DatabaseWindows
from ledgerbridge.xero.limits import Limits
windows = DatabaseWindows(Limits(per_minute=25, app_per_minute=40, minute=600), sys.argv[1])
windows.take("warm-up")  # connected, so the three start together
print("ready", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.01)
taken = {"org-1": 0, "org-2": 0}
for n in range(30):
    tenant = "org-1" if n % 2 == 0 else "org-2"
    wait, problem = windows.take(tenant)
    taken[tenant] += wait == 0
print(json.dumps(taken))
"""


@pytest.mark.django_db(transaction=True)
def test_real_processes_taking_at_once_never_take_more_than_the_minute_allows(tmp_path: Path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ledgerbridge.settings",
        "DATABASE_URL": database_url(),
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path),
    }
    app, go = uuid.uuid4().hex, tmp_path / "go"
    takers = [
        subprocess.Popen(
            [sys.executable, "-c", TAKER, app, str(go)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for taker in takers:
        assert taker.stdout is not None and taker.stdout.readline().strip() == "ready"
    go.touch()
    results = [json.loads(taker.communicate(timeout=300)[0]) for taker in takers]
    assert all(taker.returncode == 0 for taker in takers)
    # 90 attempts on two organisations, 1 warm-up each: 37 of the app's 40 left, all taken,
    # and neither organisation over its 25.
    per_org = {org: sum(r[org] for r in results) for org in ("org-1", "org-2")}
    assert sum(per_org.values()) == 37
    assert max(per_org.values()) <= 25


@pytest.fixture
def limited_org(xero_settings, sandbox, settings):
    settings.XERO_BATCH_SIZE = 1
    nz = connect(sandbox, "NZ books", "Demo Company (NZ)")
    org = organisation_for("xero", nz.tenant_id, nz.name)
    sync = SyncSettings.get()
    sync.sync_customers = True
    sync.save()
    with transaction.atomic():
        for n in range(5):
            customer = Customer.objects.create(
                organisation=org, name=f"Limited {n}", account_number=f"LIM-{n}"
            )
            mark_changed("customer", customer.pk, org.pk)
    return nz, org


@pytest.mark.django_db(transaction=True)
def test_a_sync_run_that_meets_a_full_minute_ends_and_comes_back_when_there_is_room(
    limited_org, sandbox
):
    nz, org = limited_org
    limits = Limits(per_minute=2, minute=600)
    pool = _pool(limits, uuid.uuid4().hex)
    started = timezone.now()
    with XeroClient(nz, budget_pool=pool, patience=1.0) as client:
        outcome = sync_organisation(org.pk, client=client)
    # Two customers went (one per request), then the run ended rather than wait 10 minutes.
    assert outcome.calls == 2 and outcome.synced == 2
    assert outcome.held.startswith("Waiting for Xero's limit: this organisation's calls")
    assert outcome.resume_at is not None
    assert dt.timedelta(seconds=590) < outcome.resume_at - started < dt.timedelta(seconds=620)
    states = Counter(Link.objects.filter(kind="customer").values_list("state", flat=True))
    assert states == {SyncState.SYNCED: 2, SyncState.PENDING: 3}  # not left in flight
    assert sandbox.sandbox.limiter.stats(nz.tenant_id)["rejected"] == 0  # never refused


@pytest.mark.django_db(transaction=True)
def test_a_sync_waiting_for_a_limit_is_queued_once_for_when_there_is_room(limited_org):
    _, org = limited_org
    DBTaskResult.objects.all().delete()
    later = timezone.now() + dt.timedelta(minutes=5)
    queue_sync(org.pk, at=later)
    queue_sync(org.pk, at=later + dt.timedelta(seconds=30))  # later than one queued: no
    queue_sync(org.pk)  # the sweep or a change: the limit holds it anyway, no run now
    queued = DBTaskResult.objects.filter(task_path=sync_organisation_task.module_path)
    assert list(queued.values_list("run_after", flat=True)) == [later]
    queue_sync(org.pk, at=later - dt.timedelta(seconds=30))  # sooner than the one queued
    assert queued.count() == 2


def _minute_used_elsewhere(tenant_id: str) -> None:
    """Another process (a worker on another machine) has used the organisation's minute."""
    second = django_settings.XERO_MINUTE_SECONDS / 60
    slot = int(time.time() // second)
    CallWindow.objects.update_or_create(
        scope=f"org:{django_settings.XERO_CLIENT_ID}:{tenant_id}",
        defaults={"slots": json.dumps({str(slot): 60})},
    )


@pytest.mark.django_db(transaction=True)
def test_background_work_meeting_a_minute_used_by_another_process_comes_back_later(
    limited_org, sandbox
):
    """The sync engine, the currency refresh and the catch-up poll each hand the wait back
    (and say why) instead of sitting out the minute; none of them reaches Xero meanwhile."""
    nz, org = limited_org
    Connection.objects.filter(pk=nz.pk).update(wh_contacts_created=True, polled_at=None)
    nz.refresh_from_db()
    _minute_used_elsewhere(nz.tenant_id)
    calls = sandbox.sandbox.limiter.stats(nz.tenant_id)["day_count"]

    outcome = sync_organisation(org.pk)
    assert outcome.calls == 0 and outcome.resume_at is not None
    assert "this organisation's calls for the minute are used up" in outcome.held
    assert set(Link.objects.filter(kind="customer").values_list("state", flat=True)) == {
        SyncState.PENDING
    }
    # Waited out, each would have made its calls after the minute and answered True / 1.
    assert refresh_connection(nz) is False
    assert webhooks.poll_due() == 0
    nz.refresh_from_db()
    assert nz.polled_at is None
    assert sandbox.sandbox.limiter.stats(nz.tenant_id)["day_count"] == calls


@pytest.mark.django_db
def test_many_organisations_waiting_each_get_an_equal_share_of_the_apps_minute():
    """Past 166 organisations with work waiting, Xero's 10,000 a minute per app cannot give each
    its own 60: each sync then uses an equal share, so all drain side by side."""

    def waiting(count: int, start: int) -> None:
        orgs = Organisation.objects.bulk_create(
            Organisation(integration="xero", remote_id=f"t-{n}", name=f"Org {n}")
            for n in range(start, start + count)
        )
        Link.objects.bulk_create(Link(kind="invoice", local_id=1, organisation=o) for o in orgs)

    waiting(166, 0)
    assert fair_share() is None  # 166 x 60 = 9,960: each its own limit
    waiting(34, 166)
    assert fair_share() == 50  # 200 organisations: 10,000 / 200
    Link.objects.filter(organisation__remote_id="t-0").update(state=SyncState.SYNCED)
    assert fair_share() == 50  # 10,000 // 199
    assert fair_share(Limits(app_per_minute=1000)) == 5

    limits = Limits(per_minute=60, minute=600)
    budget = _pool(limits, uuid.uuid4().hex).for_tenant("org-a")
    for _ in range(2):
        budget.acquire(max_wait=0, share=2)
        budget.release()
    with pytest.raises(XeroBusy) as shared_out:
        budget.acquire(max_wait=0, share=2)
    assert shared_out.value.problem == "share"
    assert (
        "this organisation's share of the minute's calls (many organisations are sending)"
        in shared_out.value.message
    )
    budget.acquire(max_wait=0)  # its own 60 still has room: only the share was used up
    budget.release()


@pytest.mark.django_db(transaction=True)
def test_with_many_organisations_waiting_each_sync_takes_turns(limited_org, monkeypatch):
    """A turn is a fifth of the share: with 200 other organisations waiting (share 49 of the
    minute), a run sends 9 records one by one, then its task is queued again behind them."""
    _, org = limited_org
    with transaction.atomic():
        for n in range(5, 12):
            customer = Customer.objects.create(
                organisation=org, name=f"Limited {n}", account_number=f"LIM-{n}"
            )
            mark_changed("customer", customer.pk, org.pk)
    others = Organisation.objects.bulk_create(
        Organisation(integration="xero", remote_id=f"other-{n}", name=f"Other {n}")
        for n in range(200)
    )
    Link.objects.bulk_create(Link(kind="invoice", local_id=1, organisation=o) for o in others)
    monkeypatch.setattr(outbound, "_share", (0.0, None))  # counted afresh
    DBTaskResult.objects.all().delete()

    result = sync_organisation_task.call(org.pk)

    assert result.startswith("sent 9, synced 9")
    states = Counter(Link.objects.filter(organisation=org).values_list("state", flat=True))
    assert states == {SyncState.SYNCED: 9, SyncState.PENDING: 3}
    queued = DBTaskResult.objects.filter(task_path=sync_organisation_task.module_path)
    assert queued.count() == 1  # its next turn, at once (not for later)
    assert queued.get().run_after == get_date_max()
