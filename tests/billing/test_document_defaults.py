"""Defaults new documents take from the sync settings: a line saved without an item code gets
the default code for its kind of document (SYNC-4, INV-5); a new invoice or purchase order
starts in the default status, which manual ones may override (GEN-2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.accounts.models import ApiToken
from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.catalog.models import Product, TaxRate
from ledgerbridge.purchasing.services import raise_purchase_order
from ledgerbridge.sync.models import SyncSettings
from ledgerbridge.sync.services import organisation_for

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 2)


def test_sync_4_inv_5_lines_without_a_code_get_the_default_on_save(
    customer, supplier, gst, product
):
    settings = SyncSettings.get()
    settings.default_invoice_item_code = "SERVICES"
    settings.default_purchase_order_item_code = "PURCHASES"
    settings.save()
    invoice = issue_invoice(
        customer,
        [
            LineData("No code", Decimal(1), Decimal(10), gst.pk),
            LineData("Own code", Decimal(1), Decimal(10), gst.pk, item_code="MINE"),
            LineData("", Decimal(1), None, None, product_id=product.pk),
        ],
        date=DAY,
    )
    codes = list(invoice.lines.order_by("position").values_list("item_code", flat=True))
    assert codes == ["SERVICES", "MINE", product.code]
    order = raise_purchase_order(
        supplier, [LineData("No code", Decimal(1), Decimal(10), gst.pk)], date=DAY
    )
    assert order.lines.get().item_code == "PURCHASES"


def test_without_a_default_a_line_keeps_no_code(customer, gst):
    invoice = issue_invoice(
        customer, [LineData("No code", Decimal(1), Decimal(10), gst.pk)], date=DAY
    )
    assert invoice.lines.get().item_code == ""


def test_gen_2_new_documents_start_in_the_default_status_unless_overridden(
    customer, supplier, gst, billing_user
):
    settings = SyncSettings.get()
    settings.default_invoice_status = "AUTHORISED"
    settings.default_purchase_order_status = "SUBMITTED"
    settings.save()
    line = [LineData("Work", Decimal(1), Decimal(10), gst.pk)]
    assert issue_invoice(customer, line, date=DAY).status == "AUTHORISED"
    assert issue_invoice(customer, line, date=DAY, status="DRAFT").status == "DRAFT"  # override
    assert raise_purchase_order(supplier, line, date=DAY).status == "SUBMITTED"
    api = Client(headers={"Authorization": f"Bearer {ApiToken.issue(billing_user, 't')[1]}"})
    body = {
        "customer": customer.pk,
        "date": DAY.isoformat(),
        "lines": [{"description": "Work", "quantity": "1", "unit_price": "10", "tax_rate": gst.pk}],
    }
    made = api.post("/api/v1/invoices/", body, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["status"] == "AUTHORISED"
    web = Client()
    web.force_login(billing_user)
    form = web.get(reverse("billing:invoice_create")).content.decode()
    assert '<option value="AUTHORISED" selected>' in form


def test_inv_4_another_organisations_product_or_tax_rate_is_refused_and_not_offered(
    customer, gst, product_group, billing_user
):
    nz = organisation_for("xero", "tenant-nz", "NZ books")
    au = organisation_for("xero", "tenant-au", "AU books")
    customer.organisation = nz
    customer.save()
    theirs = Product.objects.create(name="AU only", group=product_group, organisation=au)
    mine = Product.objects.create(name="NZ only", group=product_group, organisation=nz)
    au_gst = TaxRate.objects.create(name="AU GST", percentage=Decimal(10), organisation=au)
    api = Client(headers={"Authorization": f"Bearer {ApiToken.issue(billing_user, 't')[1]}"})
    body = {
        "customer": customer.pk,
        "date": DAY.isoformat(),
        "lines": [
            {
                "product": theirs.pk,
                "description": "x",
                "quantity": "1",
                "unit_price": "1",
                "tax_rate": gst.pk,
            },
            {"description": "y", "quantity": "1", "unit_price": "1", "tax_rate": au_gst.pk},
        ],
    }
    refused = api.post("/api/v1/invoices/", body, content_type="application/json")
    assert refused.status_code == 422
    fields = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert "another organisation" in fields["lines[0].product"]
    assert "AU GST" in fields["lines[1].tax_rate"]
    invoice = issue_invoice(
        customer, [LineData("ok", Decimal(1), Decimal(1), gst.pk, product_id=mine.pk)], date=DAY
    )
    web = Client()
    web.force_login(billing_user)
    page = web.get(reverse("billing:invoice_edit", args=[invoice.pk])).content.decode()
    assert "NZ only" in page and "AU only" not in page and "AU GST" not in page
