"""The worker raises due recurring invoices, periodic work is never queued twice, and the work
of a worker that died is queued again (issue 9)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ledgerbridge.background import recovery
from ledgerbridge.background.models import WorkerBeat
from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import Invoice
from ledgerbridge.billing.recurring import create_recurring
from ledgerbridge.billing.tasks import raise_recurring_invoices
from ledgerbridge.worker import PERIODIC, enqueue_periodic, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_raises_due_recurring_invoices(customer, gst):
    start = timezone.localdate() - dt.timedelta(days=1)
    create_recurring(
        customer.pk,
        [LineData("Monthly", Decimal(1), Decimal(100), gst.pk)],
        start_date=start,
        interval_unit="month",
        interval_count=1,
    )
    run_worker(batch=True, interval=0)
    assert Invoice.objects.filter(recurring__isnull=False, date=start).count() == 1
    run_worker(batch=True, interval=0)
    assert Invoice.objects.count() == 1


def test_periodic_task_is_not_queued_twice_while_one_waits():
    periodic = len(PERIODIC)  # raising recurring invoices, sweeping the sync queue
    assert periodic >= 2
    assert enqueue_periodic() == periodic
    assert enqueue_periodic() == 0
    assert DBTaskResult.objects.ready().count() == periodic


def test_a_task_left_running_by_a_dead_worker_is_queued_again_once(settings):
    """Issue 9: recovery requeues the work of a silent worker, leaves a live worker's alone,
    and two recoveries (two live workers) never requeue the same task twice."""
    settings.WORKER_DEAD_AFTER_SECONDS = 60
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    recovery.register("alive")
    recovery.register("dead")
    WorkerBeat.objects.filter(worker_id="dead").update(beat_at=long_ago)
    for worker in ("alive", "dead", "never-registered"):
        result = DBTaskResult.objects.get(pk=raise_recurring_invoices.enqueue().id)
        result.claim(worker)
        DBTaskResult.objects.filter(pk=result.pk).update(started_at=long_ago)

    again = recovery.recover_abandoned()
    assert len(again) == 2
    assert recovery.recover_abandoned() == []
    assert DBTaskResult.objects.ready().count() == 2
    died = DBTaskResult.objects.filter(status="FAILED")
    assert died.count() == 2 and {r.worker_ids[-1] for r in died} == {"dead", "never-registered"}
    assert all(r.exception_class_path == recovery.DIED for r in died)
    assert DBTaskResult.objects.running().get().worker_ids == ["alive"]
    assert list(WorkerBeat.objects.values_list("worker_id", flat=True)) == ["alive"]


def test_a_task_just_claimed_is_not_taken_for_abandoned(settings):
    settings.WORKER_DEAD_AFTER_SECONDS = 60
    result = DBTaskResult.objects.get(pk=raise_recurring_invoices.enqueue().id)
    result.claim("starting-up")
    assert recovery.recover_abandoned() == []
    assert DBTaskResult.objects.running().count() == 1
