"""The worker raises due recurring invoices, and periodic work is never queued twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import Invoice
from ledgerbridge.billing.recurring import create_recurring
from ledgerbridge.worker import enqueue_periodic, run_worker

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
    assert enqueue_periodic() == 1
    assert enqueue_periodic() == 0
    assert DBTaskResult.objects.ready().count() == 1
