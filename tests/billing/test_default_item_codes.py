"""SYNC-4 and INV-5: a line saved without an item code gets the default code for its kind of
document (invoice lines, purchase-order lines); a code given, or a product's, wins."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.purchasing.services import raise_purchase_order
from ledgerbridge.sync.models import SyncSettings

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
