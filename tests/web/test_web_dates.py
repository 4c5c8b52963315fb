"""Issue 9: one accepted range of dates on every screen (invoice, due, purchase order, delivery,
time entry, recurring start, billing date), refused with a message naming the range, and
offered as the date picker's min and max."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.billing.models import Invoice, RecurringInvoice
from ledgerbridge.catalog.models import ChargeRate, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.purchasing.models import PurchaseOrder
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.work.models import Ticket, TimeEntry

pytestmark = pytest.mark.django_db

RANGE = "between 2000-01-01 and 2099-12-31"
OUTSIDE = ["0001-01-01", "1999-12-31", "2100-01-01", "9999-12-31"]


def document(party_field: str, party: Any, gst: TaxRate, **header: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        party_field: party.pk,
        "status": "DRAFT",
        "amount_type": "Exclusive",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
        "lines-0-description": "Consulting",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "100",
        "lines-0-tax_rate": gst.pk,
        **header,
    }
    return data


def _cases(
    customer: Customer, supplier: Supplier, gst: TaxRate, ticket: Ticket, rate: ChargeRate
) -> dict[str, tuple[str, dict[str, Any], type]]:
    """(url, valid data, model) per screen, keyed "screen.field"."""
    invoice = (
        reverse("billing:invoice_create"),
        document("customer", customer, gst, date="2026-11-24"),
        Invoice,
    )
    recurring = (
        reverse("billing:recurring_create"),
        document(
            "customer",
            customer,
            gst,
            start_date="2026-11-24",
            interval_count="1",
            interval_unit="month",
            active="on",
        ),
        RecurringInvoice,
    )
    order = (
        reverse("purchasing:create"),
        document("supplier", supplier, gst, date="2026-11-24"),
        PurchaseOrder,
    )
    time = (
        reverse("work:ticket_detail", args=[ticket.pk]),
        {
            "date": "2026-11-24",
            "hours": "1",
            "charge_rate": rate.pk,
            "summary": "Fixed",
            "billable": "on",
        },
        TimeEntry,
    )
    return {
        "invoice.date": invoice,
        "invoice.due_date": invoice,
        "recurring.start_date": recurring,
        "recurring.end_date": recurring,
        "purchase_order.date": order,
        "purchase_order.delivery_date": order,
        "time.date": time,
    }


FIELDS = [
    "invoice.date",
    "invoice.due_date",
    "recurring.start_date",
    "recurring.end_date",
    "purchase_order.date",
    "purchase_order.delivery_date",
    "time.date",
]


@pytest.mark.parametrize("value", OUTSIDE)
@pytest.mark.parametrize("where", FIELDS)
def test_every_date_field_refuses_a_date_outside_the_range(
    admin_client: Client, customer, supplier, gst, ticket, charge_rate, admin, where, value
) -> None:
    url, data, model = _cases(customer, supplier, gst, ticket, charge_rate)[where]
    field = where.split(".")[1]
    if model is TimeEntry:
        data["agent"] = admin.pk
    response = admin_client.post(url, {**data, field: value})
    page = response.content.decode()
    assert response.status_code == 400, page[:1500]
    assert f"Enter a date {RANGE}." in page
    assert not model.objects.exists()


@pytest.mark.parametrize("where", FIELDS)
def test_every_date_field_accepts_both_ends_of_the_range(
    admin_client: Client, customer, supplier, gst, ticket, charge_rate, admin, where
) -> None:
    url, data, model = _cases(customer, supplier, gst, ticket, charge_rate)[where]
    field = where.split(".")[1]
    if model is TimeEntry:
        data["agent"] = admin.pk
    # The earliest date everywhere but where a later date must follow an earlier one.
    value = "2099-12-31" if field in {"due_date", "end_date", "delivery_date"} else "2000-01-01"
    response = admin_client.post(url, {**data, field: value})
    assert response.status_code == 302, response.content.decode()[:1500]
    assert model.objects.count() == 1


def test_the_date_pickers_offer_only_the_range(
    admin_client: Client, ticket, charge_rate, admin
) -> None:
    TimeEntry.objects.create(
        ticket=ticket, agent=admin, date="2026-11-20", hours=1, charge_rate=charge_rate, summary="x"
    )
    pages = [
        reverse("billing:invoice_create"),
        reverse("billing:recurring_create"),
        reverse("billing:ready"),
        reverse("purchasing:create"),
        reverse("work:ticket_detail", args=[ticket.pk]),
    ]
    for url in pages:
        page = admin_client.get(url).content.decode()
        pickers = page.count('type="date"')
        assert pickers, url
        assert page.count('min="2000-01-01"') == pickers, url
        assert page.count('max="2099-12-31"') == pickers, url


def test_billing_time_refuses_a_date_outside_the_range(
    admin_client: Client, ticket, charge_rate, admin
) -> None:
    entry = TimeEntry.objects.create(
        ticket=ticket, agent=admin, date="2026-11-20", hours=1, charge_rate=charge_rate, summary="x"
    )
    response = admin_client.post(
        reverse("billing:ready"), {"entries": [entry.pk], "date": "9999-12-31"}
    )
    assert response.status_code == 400
    assert RANGE in response.content.decode()
    assert not Invoice.objects.exists()


def test_a_due_date_from_payment_terms_past_the_range_is_a_field_error(
    admin_client: Client, customer, gst
) -> None:
    Customer.objects.filter(pk=customer.pk).update(payment_terms_days=30)
    data = document("customer", customer, gst, date="2099-12-20")
    response = admin_client.post(reverse("billing:invoice_create"), data)
    page = response.content.decode()
    assert response.status_code == 400, page[:1500]
    assert "2099-12-31" in page and "Due date" in page
    assert not Invoice.objects.exists()
