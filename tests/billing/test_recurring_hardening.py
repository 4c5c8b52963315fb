"""Issue 9, runaway and stuck recurring work: payment terms bounded in one place, one failing
schedule never stops the others, and a schedule far behind waits for a person's confirmation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import Invoice, RecurringInvoice
from ledgerbridge.billing.recurring import create_recurring, raise_due_invoices
from ledgerbridge.customers.models import MAX_PAYMENT_TERMS_DAYS, Customer

pytestmark = pytest.mark.django_db

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
    # Terms stored before the rule (the screens took any number): a due date overflows.
    Customer.objects.filter(pk=customer.pk).update(payment_terms_days=2_147_483_647)
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
    assert legacy.last_error  # waits (confirmation) or says why, but raises nothing
