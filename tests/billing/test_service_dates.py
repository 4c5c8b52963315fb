"""Issue 9: the services refuse a date outside the accepted range, keyed by its field, whoever
calls them (screens, API, CLI, tasks); a due date from payment terms never overflows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.recurring import create_recurring
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.purchasing.services import raise_purchase_order
from ledgerbridge.work.services import log_time

pytestmark = pytest.mark.django_db

D = dt.date
TOO_EARLY, TOO_LATE = D(1999, 12, 31), D(2100, 1, 1)
RANGE = "between 2000-01-01 and 2099-12-31"


def lines(gst) -> list[LineData]:
    return [LineData("Consulting", Decimal(1), Decimal(100), gst.pk)]


def refused_fields(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


@pytest.mark.parametrize("bad", [TOO_EARLY, TOO_LATE, D(1, 1, 1), D(9999, 12, 31)])
def test_every_service_refuses_dates_outside_the_range(
    customer, supplier, gst, ticket, charge_rate, admin, bad
) -> None:
    ok = D(2026, 11, 24)
    errors = refused_fields(lambda: issue_invoice(customer, lines(gst), date=bad))
    assert RANGE in errors["date"][0]
    errors = refused_fields(lambda: issue_invoice(customer, lines(gst), date=ok, due_date=bad))
    if bad > ok:
        assert RANGE in errors["due_date"][0]
    errors = refused_fields(lambda: raise_purchase_order(supplier, lines(gst), date=bad))
    assert RANGE in errors["date"][0]
    errors = refused_fields(
        lambda: raise_purchase_order(supplier, lines(gst), date=ok, delivery_date=bad)
    )
    assert "delivery_date" in errors
    errors = refused_fields(
        lambda: log_time(
            ticket, admin, date=bad, hours=Decimal(1), charge_rate=charge_rate, summary="x"
        )
    )
    assert RANGE in errors["date"][0]
    errors = refused_fields(
        lambda: create_recurring(
            customer.pk, lines(gst), start_date=bad, interval_unit="month", interval_count=1
        )
    )
    assert RANGE in errors["start_date"][0]


def test_a_due_date_from_terms_past_the_range_is_refused_on_due_date(customer, gst) -> None:
    customer.payment_terms_days = 3650
    customer.save()
    errors = refused_fields(lambda: issue_invoice(customer, lines(gst), date=D(2095, 1, 1)))
    assert "2099-12-31" in errors["due_date"][0] and "3650" in errors["due_date"][0]
    # An explicit due date inside the range is the way out.
    invoice = issue_invoice(customer, lines(gst), date=D(2095, 1, 1), due_date=D(2099, 12, 31))
    assert invoice.due_date == D(2099, 12, 31)


def test_terms_that_would_overflow_a_date_never_raise_an_overflow(customer, gst) -> None:
    # Stored before the rule (or written around it): the service still answers a field error.
    type(customer).objects.filter(pk=customer.pk).update(payment_terms_days=32767)
    customer.refresh_from_db()
    errors = refused_fields(lambda: issue_invoice(customer, lines(gst), date=D(2026, 11, 24)))
    assert "due_date" in errors
