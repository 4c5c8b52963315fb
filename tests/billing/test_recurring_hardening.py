"""Issue 9, runaway and stuck recurring work: payment terms bounded in one place, one failing
schedule never stops the others, and a schedule far behind waits for a person's confirmation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import Invoice, RecurringInvoice
from ledgerbridge.billing.recurring import (
    CONFIRM_ABOVE,
    Backlog,
    confirm_catch_up,
    create_recurring,
    next_after,
    occurrence,
    raise_due_invoices,
    state_of,
    update_recurring,
    waiting,
)
from ledgerbridge.customers.models import MAX_PAYMENT_TERMS_DAYS, Customer

# Savepoints per schedule and stored values the screens no longer take: run on PostgreSQL too.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

D = dt.date


def schedule_for(customer: Customer, gst, start: dt.date, unit: str = "month") -> RecurringInvoice:
    return create_recurring(
        customer.pk,
        [LineData("Managed services", Decimal(1), Decimal("100.00"), gst.pk)],
        start_date=start,
        interval_unit=unit,
        interval_count=1,
    )


def test_payment_terms_are_bounded_on_the_model(customer) -> None:
    assert MAX_PAYMENT_TERMS_DAYS == 3650
    for bad in (-1, 3651, 32767, 2_147_483_647):
        customer.payment_terms_days = bad
        with pytest.raises(ValidationError) as caught:
            customer.full_clean()
        assert set(caught.value.message_dict) == {"payment_terms_days"}
    customer.payment_terms_days = 3650
    customer.full_clean()


def test_one_customer_whose_terms_overflow_stops_no_other_schedule(customer, gst) -> None:
    other = Customer.objects.create(name="Bluebird Law", sales_tax_rate=gst)
    # Terms stored before the rule (the screens took any number SQLite holds; PostgreSQL's
    # column stops at 32767): the due date overflows, or falls past the accepted dates.
    terms = 2_147_483_647 if connection.vendor == "sqlite" else 32767
    Customer.objects.filter(pk=customer.pk).update(payment_terms_days=terms)
    broken = schedule_for(customer, gst, D(2026, 11, 1))
    fine = schedule_for(other, gst, D(2026, 11, 1))

    raised = raise_due_invoices(D(2026, 11, 2))

    assert [(i.customer_id, i.date) for i in raised] == [(other.pk, D(2026, 11, 1))]
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert "was not raised" in broken.last_error and "payment terms" in broken.last_error
    assert broken.next_date == D(2026, 11, 1) and broken.last_error_at is not None
    assert fine.last_error == "" and fine.next_date == D(2026, 12, 1)
    # The next run tries again, and goes on once the terms are fixed.
    assert raise_due_invoices(D(2026, 11, 2)) == []
    Customer.objects.filter(pk=customer.pk).update(payment_terms_days=14)
    [invoice] = raise_due_invoices(D(2026, 11, 2))
    assert invoice.due_date == D(2026, 11, 15)
    broken.refresh_from_db()
    assert broken.last_error == ""


def test_a_schedule_stored_with_a_date_outside_the_range_records_why(customer, gst) -> None:
    other = Customer.objects.create(name="Bluebird Law", sales_tax_rate=gst)
    legacy = schedule_for(customer, gst, D(2026, 11, 1))
    # Written before dates were bounded (the screens took 0001-01-01).
    RecurringInvoice.objects.filter(pk=legacy.pk).update(
        start_date=D(1, 1, 1), next_date=D(1, 1, 1)
    )
    schedule_for(other, gst, D(2026, 11, 1))
    raised = raise_due_invoices(D(2026, 11, 2))
    assert [i.customer_id for i in raised] == [other.pk]
    assert not Invoice.objects.filter(customer=customer).exists()
    legacy.refresh_from_db()
    # Centuries of missed dates: it waits for a person rather than raising any of them.
    assert waiting(legacy, D(2026, 11, 2)) is not None


def test_a_schedule_that_fails_unexpectedly_stops_only_itself(customer, gst) -> None:
    other = Customer.objects.create(name="Bluebird Law", sales_tax_rate=gst)
    corrupt = schedule_for(customer, gst, D(2026, 11, 1))
    # Written around the model's validators: no interval at all, so no next date exists.
    RecurringInvoice.objects.filter(pk=corrupt.pk).update(interval_count=0)
    schedule_for(other, gst, D(2026, 11, 1))
    raised = raise_due_invoices(D(2026, 11, 2))
    assert [i.customer_id for i in raised] == [other.pk]
    corrupt.refresh_from_db()
    assert "unexpected error (error id" in corrupt.last_error
    assert corrupt.last_error_at is not None


# A schedule far behind waits for a person ------------------------------------------------------


def test_a_schedule_more_than_a_few_dates_behind_raises_nothing_until_confirmed(
    customer, gst
) -> None:
    assert CONFIRM_ABOVE == 3
    schedule = schedule_for(customer, gst, D(2026, 1, 15))
    today = D(2026, 11, 24)
    # Eleven dates (15 Jan .. 15 Nov) are due: run after run raises none of them.
    for _ in range(3):
        assert raise_due_invoices(today) == []
    assert not Invoice.objects.exists()
    backlog = waiting(schedule, today)
    assert backlog == Backlog(invoices=11, first=D(2026, 1, 15), last=D(2026, 11, 15))
    assert state_of(schedule, today) == "awaiting_confirmation"

    confirm_catch_up(schedule, invoices=11, through=D(2026, 11, 15), today=today)
    schedule.refresh_from_db()
    assert schedule.catch_up_approved_count == 11
    assert schedule.catch_up_approved_through == D(2026, 11, 15)
    assert schedule.catch_up_approved_at is not None
    assert waiting(schedule, today) is None and state_of(schedule, today) == "active"

    raised = raise_due_invoices(today)
    assert len(raised) == 11 and raised[-1].date == D(2026, 11, 15)
    assert raise_due_invoices(today) == []
    # Once caught up, the next dates are raised as they fall due, without asking again.
    assert [i.date for i in raise_due_invoices(D(2026, 12, 15))] == [D(2026, 12, 15)]


def test_a_few_missed_dates_are_caught_up_without_asking(customer, gst) -> None:
    schedule_for(customer, gst, D(2026, 9, 1))
    assert len(raise_due_invoices(D(2026, 11, 30))) == 3


def test_a_confirmation_must_name_what_waits(customer, gst) -> None:
    schedule = schedule_for(customer, gst, D(2026, 1, 15))
    today = D(2026, 11, 24)
    for invoices, through in [(10, D(2026, 11, 15)), (11, D(2026, 10, 15))]:
        with pytest.raises(ValidationError) as caught:
            confirm_catch_up(schedule, invoices=invoices, through=through, today=today)
        assert "11 invoices" in " ".join(caught.value.messages)
    fresh = schedule_for(customer, gst, D(2026, 11, 1))
    with pytest.raises(ValidationError):
        confirm_catch_up(fresh, invoices=1, through=D(2026, 11, 1), today=today)
    assert raise_due_invoices(today) == [Invoice.objects.get()]  # only the fresh schedule's


def test_dates_after_the_confirmed_ones_wait_again_if_there_are_many(customer, gst) -> None:
    schedule = schedule_for(customer, gst, D(2026, 1, 5), unit="week")
    today = D(2026, 2, 9)  # 6 dates: 5 Jan .. 9 Feb
    confirm_catch_up(schedule, invoices=6, through=D(2026, 2, 9), today=today)
    # The worker was down for five weeks more: those wait; the confirmed six are raised.
    later = D(2026, 3, 16)
    assert len(raise_due_invoices(later)) == 6
    schedule.refresh_from_db()
    assert waiting(schedule, later) == Backlog(invoices=5, first=D(2026, 2, 16), last=later)


def test_editing_the_schedule_withdraws_the_confirmation(customer, gst) -> None:
    schedule = schedule_for(customer, gst, D(2026, 6, 1))
    today = D(2026, 11, 24)
    confirm_catch_up(schedule, invoices=6, through=D(2026, 11, 1), today=today)
    lines = [LineData("Managed services", Decimal(1), Decimal("100.00"), gst.pk)]
    schedule = update_recurring(schedule, lines, start_date=D(2026, 1, 1))
    assert schedule.catch_up_approved_through is None
    assert raise_due_invoices(today) == []
    assert waiting(schedule, today) == Backlog(
        invoices=11, first=D(2026, 1, 1), last=D(2026, 11, 1)
    )


@given(
    st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31)),
    st.sampled_from(["week", "month", "year"]),
    st.integers(min_value=1, max_value=120),
    st.integers(min_value=-400, max_value=4000),
)
def test_next_dates_and_backlogs_match_counting_one_by_one(start, unit, count, offset) -> None:
    schedule = RecurringInvoice(
        start_date=start, next_date=start, interval_unit=unit, interval_count=count
    )
    after = start + dt.timedelta(days=offset)
    n = 0
    while occurrence(start, unit, count, n) <= after:
        n += 1
    assert next_after(schedule, after) == occurrence(start, unit, count, n)
    due = [occurrence(start, unit, count, i) for i in range(n)]
    backlog = waiting(schedule, after)
    if len(due) > CONFIRM_ABOVE:
        assert backlog == Backlog(invoices=len(due), first=due[0], last=due[-1])
    else:
        assert backlog is None
