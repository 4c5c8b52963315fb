"""Recurring invoices: schedules, catching up missed runs, never raising a date twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import Invoice, InvoiceKind, RecurringInvoice
from ledgerbridge.billing.recurring import (
    confirm_catch_up,
    create_recurring,
    next_after,
    occurrence,
    raise_due_invoices,
    update_recurring,
)

D = dt.date


def monthly(customer, gst, start: dt.date, **kw) -> RecurringInvoice:
    lines = [LineData("Managed services", Decimal(1), Decimal("499.00"), gst.pk, item_code="MSP")]
    return create_recurring(
        customer.pk,
        lines,
        start_date=start,
        interval_unit="month",
        interval_count=1,
        reference="Monthly MSP",
        **kw,
    )


def test_occurrences_clamp_to_month_end_without_drifting():
    start = D(2026, 1, 31)
    assert [occurrence(start, "month", 1, n) for n in range(4)] == [
        D(2026, 1, 31),
        D(2026, 2, 28),
        D(2026, 3, 31),
        D(2026, 4, 30),
    ]
    assert occurrence(D(2024, 2, 29), "year", 1, 1) == D(2025, 2, 28)
    assert occurrence(D(2026, 11, 24), "week", 2, 3) == D(2027, 1, 5)


@given(
    st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 1, 1)),
    st.sampled_from(["week", "month", "year"]),
    st.integers(min_value=1, max_value=12),
)
def test_occurrences_strictly_increase(start, unit, count):
    dates = [occurrence(start, unit, count, n) for n in range(24)]
    assert dates == sorted(set(dates))


@pytest.mark.django_db
def test_due_invoice_is_raised_once_with_lines_and_totals(customer, gst):
    schedule = monthly(customer, gst, D(2026, 11, 1))
    [invoice] = raise_due_invoices(D(2026, 11, 24))
    assert invoice.kind == InvoiceKind.RECURRING and invoice.date == D(2026, 11, 1)
    assert invoice.total == Decimal("573.85") and invoice.lines.get().item_code == "MSP"
    schedule.refresh_from_db()
    assert schedule.next_date == D(2026, 12, 1)
    assert raise_due_invoices(D(2026, 11, 24)) == []  # running twice raises nothing twice
    assert Invoice.objects.count() == 1


@pytest.mark.django_db
def test_missed_runs_catch_up_one_invoice_per_missed_date(customer, gst):
    schedule = monthly(customer, gst, D(2026, 8, 31))
    # Four dates due at once: more than a few, so they wait for a person's confirmation.
    assert raise_due_invoices(D(2026, 11, 30)) == []
    confirm_catch_up(schedule, invoices=4, through=D(2026, 11, 30), today=D(2026, 11, 30))
    raised = raise_due_invoices(D(2026, 11, 30))
    assert [i.date for i in raised] == [
        D(2026, 8, 31),
        D(2026, 9, 30),
        D(2026, 10, 31),
        D(2026, 11, 30),
    ]
    assert raise_due_invoices(D(2026, 11, 30)) == []


@pytest.mark.django_db
def test_a_date_already_raised_is_never_raised_again_even_if_next_date_is_stale(customer, gst):
    schedule = monthly(customer, gst, D(2026, 10, 1))
    raise_due_invoices(D(2026, 10, 2))
    # Simulate a crash between raising and advancing: next_date still points at the raised date.
    RecurringInvoice.objects.filter(pk=schedule.pk).update(next_date=D(2026, 10, 1))
    raised = raise_due_invoices(D(2026, 11, 2))
    assert [i.date for i in raised] == [D(2026, 11, 1)]
    assert sorted(Invoice.objects.values_list("date", flat=True)) == [
        D(2026, 10, 1),
        D(2026, 11, 1),
    ]


@pytest.mark.django_db
def test_end_date_stops_the_schedule(customer, gst):
    schedule = monthly(customer, gst, D(2026, 9, 15), end_date=D(2026, 10, 20))
    assert len(raise_due_invoices(D(2027, 1, 1))) == 2
    schedule.refresh_from_db()
    assert not schedule.active


@pytest.mark.django_db
def test_status_override_and_rebased_schedule(customer, gst):
    schedule = monthly(customer, gst, D(2026, 11, 1), status="AUTHORISED")
    [invoice] = raise_due_invoices(D(2026, 11, 1))
    assert invoice.status == "AUTHORISED"
    update_recurring(
        schedule,
        [LineData("Support", Decimal(2), Decimal(10), gst.pk)],
        interval_unit="week",
        interval_count=1,
    )
    schedule.refresh_from_db()
    assert schedule.next_date == next_after(schedule, D(2026, 11, 1)) == D(2026, 11, 8)


@pytest.mark.django_db
def test_bad_schedule_is_refused_and_nothing_saved(customer, gst):
    with pytest.raises(ValidationError) as caught:
        monthly(customer, gst, D(2026, 11, 1), end_date=D(2026, 10, 1))
    assert "end_date" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        create_recurring(
            customer.pk, [], start_date=D(2026, 1, 1), interval_unit="fortnight", interval_count=0
        )
    assert {"interval_unit", "interval_count"} <= set(caught.value.message_dict)
    assert not RecurringInvoice.objects.exists()


@pytest.mark.django_db
def test_deleted_invoices_are_never_raised_again_after_an_edit(customer, gst):
    from ledgerbridge.billing.services import delete_invoice

    schedule = monthly(customer, gst, D(2026, 9, 1))
    for invoice in raise_due_invoices(D(2026, 11, 2)):
        delete_invoice(invoice)
    update_recurring(
        schedule, [LineData("Managed", Decimal(1), Decimal(10), gst.pk)], reference="Renamed"
    )
    schedule.refresh_from_db()
    assert schedule.next_date == D(2026, 12, 1) and schedule.last_raised_date == D(2026, 11, 1)
    assert raise_due_invoices(D(2026, 11, 30)) == []


@pytest.mark.django_db
def test_a_schedule_that_cannot_raise_says_why(customer, gst):
    schedule = monthly(customer, gst, D(2026, 11, 1))
    customer.active = False
    customer.save()
    assert raise_due_invoices(D(2026, 11, 2)) == []
    schedule.refresh_from_db()
    assert "was not raised" in schedule.last_error and "inactive" in schedule.last_error
    customer.active = True
    customer.save()
    assert len(raise_due_invoices(D(2026, 11, 2))) == 1
    schedule.refresh_from_db()
    assert schedule.last_error == ""


@pytest.mark.django_db
def test_the_recurring_list_shows_why_a_schedule_did_not_raise(customer, gst, admin, client):
    monthly(customer, gst, D(2026, 11, 1))
    customer.active = False
    customer.save()
    raise_due_invoices(D(2026, 11, 2))
    client.force_login(admin)
    page = client.get("/billing/recurring/").content.decode()
    assert "not raised" in page and "inactive" in page
