"""Locking and constraints under real concurrency: nothing billed or raised twice."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.labour import bill_time
from ledgerbridge.billing.models import Invoice, InvoiceLine
from ledgerbridge.billing.recurring import create_recurring, raise_due_invoices
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.work.services import log_time

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(workers: int, action: Callable[[], object]) -> tuple[list[object], list[BaseException]]:
    """Run `action` in `workers` threads released at the same moment."""
    barrier = threading.Barrier(workers)
    results: list[object] = []
    errors: list[BaseException] = []

    def go() -> None:
        try:
            barrier.wait()
            results.append(action())
        except BaseException as exc:  # collected and asserted by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def test_same_time_billed_by_several_people_at_once_is_billed_once(
    ticket, technician, charge_rate, today
):
    entries = [
        log_time(
            ticket,
            technician,
            date=today,
            hours=Decimal(1),
            charge_rate=charge_rate,
            summary=f"w{i}",
        )
        for i in range(3)
    ]
    results, errors = race(4, lambda: bill_time([e.pk for e in entries], date=today))
    assert len(results) == 1, errors
    assert all(isinstance(e, ValidationError) and "already invoiced" in str(e) for e in errors)
    assert Invoice.objects.count() == 1
    assert InvoiceLine.objects.get().time_entries.count() == 3


def test_concurrent_recurring_runs_raise_each_date_once(customer, gst):
    start = dt.date(2026, 9, 1)
    create_recurring(
        customer.pk,
        [LineData("Managed", Decimal(1), Decimal(100), gst.pk)],
        start_date=start,
        interval_unit="month",
        interval_count=1,
    )
    results, errors = race(4, lambda: raise_due_invoices(dt.date(2026, 11, 30)))
    assert not errors
    assert sorted(Invoice.objects.values_list("date", flat=True)) == [
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 1),
        dt.date(2026, 11, 1),
    ]
    assert sum(len(r) for r in results) == 3  # type: ignore[arg-type]


def test_invoice_numbers_are_unique_and_gap_free_under_concurrency(customer, gst, today):
    _, errors = race(
        6,
        lambda: issue_invoice(
            customer, [LineData("x", Decimal(1), Decimal(1), gst.pk)], date=today
        ),
    )
    assert not errors
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-{n:06d}" for n in range(1, 7)]
