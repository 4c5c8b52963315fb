"""Every screen renders for an admin, with records in place."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.recurring import create_recurring
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.purchasing.services import raise_purchase_order
from ledgerbridge.work.services import log_time

pytestmark = pytest.mark.django_db

PAGES = [
    "home",
    "configuration",
    "customers:list",
    "customers:create",
    "suppliers:list",
    "suppliers:create",
    "catalog:product_list",
    "catalog:product_create",
    "catalog:group_list",
    "catalog:group_create",
    "catalog:taxrate_list",
    "catalog:taxrate_create",
    "catalog:chargerate_list",
    "catalog:chargerate_create",
    "work:ticket_list",
    "work:ticket_create",
    "billing:ready",
    "billing:billed",
    "billing:invoice_list",
    "billing:invoice_create",
    "billing:recurring_list",
    "billing:recurring_create",
    "purchasing:list",
    "purchasing:create",
    "accounts:user_list",
    "accounts:user_create",
    "accounts:token_list",
]


@pytest.mark.parametrize("name", PAGES)
def test_smoke(admin_client, name, customer, supplier, product, ticket, charge_rate):
    response = admin_client.get(reverse(name))
    assert response.status_code == 200, response.content[:3000]


def test_every_record_page_renders(
    admin_client, customer, supplier, product, ticket, charge_rate, gst, admin
):
    day = dt.date(2026, 11, 24)
    lines = [LineData("Support", Decimal(1), Decimal(10), gst.pk)]
    invoice = issue_invoice(customer, lines, date=day)
    schedule = create_recurring(
        customer.pk, lines, start_date=day, interval_unit="month", interval_count=1
    )
    order = raise_purchase_order(supplier, lines, date=day)
    entry = log_time(
        ticket, admin, date=day, hours=Decimal(1), charge_rate=charge_rate, summary="Look"
    )
    pages = [
        ("customers:edit", customer.pk),
        ("customers:settings", customer.pk),
        ("customers:delete", customer.pk),
        ("suppliers:edit", supplier.pk),
        ("suppliers:delete", supplier.pk),
        ("catalog:product_edit", product.pk),
        ("catalog:product_delete", product.pk),
        ("catalog:group_edit", product.group_id),
        ("catalog:taxrate_edit", gst.pk),
        ("catalog:chargerate_edit", charge_rate.pk),
        ("work:ticket_detail", ticket.pk),
        ("work:ticket_edit", ticket.pk),
        ("work:time_edit", entry.pk),
        ("work:time_delete", entry.pk),
        ("billing:invoice_detail", invoice.pk),
        ("billing:invoice_edit", invoice.pk),
        ("billing:invoice_delete", invoice.pk),
        ("billing:recurring_edit", schedule.pk),
        ("billing:recurring_delete", schedule.pk),
        ("purchasing:detail", order.pk),
        ("purchasing:edit", order.pk),
        ("purchasing:delete", order.pk),
        ("accounts:user_edit", admin.pk),
    ]
    for name, pk in pages:
        response = admin_client.get(reverse(name, args=[pk]))
        assert response.status_code == 200, name
