"""Invoices, billing time, recurring invoices and purchase orders through the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from ledgerbridge.billing.models import Invoice, RecurringInvoice
from ledgerbridge.catalog.models import ChargeRate, Product, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.purchasing.models import PurchaseOrder
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.work.models import Ticket, TimeEntry

from .conftest import ApiClient, fields_of


def _log(api: ApiClient, ticket: Ticket, rate: ChargeRate, hours: str, **extra: object) -> int:
    body = {"date": "2026-11-20", "hours": hours, "charge_rate": rate.pk, "summary": "work"}
    response = api.post(f"/tickets/{ticket.pk}/time-entries", {**body, **extra})
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def test_bill_time_then_delete_the_invoice_makes_it_ready_again(
    billing_api: ApiClient, tech_api: ApiClient, ticket: Ticket, charge_rate: ChargeRate
) -> None:
    other = Customer.objects.create(name="Zeta Law", sales_tax_rate=ticket.customer.sales_tax_rate)
    other_ticket = Ticket.objects.create(customer=other, title="Backup failed")
    first = _log(tech_api, ticket, charge_rate, "1.5")
    second = _log(tech_api, ticket, charge_rate, "0.25")
    third = _log(tech_api, other_ticket, charge_rate, "2")
    _log(tech_api, ticket, charge_rate, "1", billable=False)

    ready = billing_api.get("/ready-for-invoicing/").json()
    assert ready["count"] == 2
    acme = ready["items"][0]
    assert (acme["customer_name"], acme["hours"]) == ("Acme Dental", "1.75")
    assert sorted(e["id"] for e in acme["time_entries"]) == [first, second]

    billed = billing_api.post(
        "/ready-for-invoicing/bill", {"time_entries": [first, second, third], "date": "2026-11-24"}
    )
    assert billed.status_code == 201, billed.content
    invoices = billed.json()
    assert len(invoices) == 2  # one per customer
    acme_invoice = next(i for i in invoices if i["customer"] == ticket.customer_id)
    # 1.75 h x 120.00 = 210.00, GST 15% = 31.50
    assert (acme_invoice["subtotal"], acme_invoice["total_tax"], acme_invoice["total"]) == (
        "210.00",
        "31.50",
        "241.50",
    )
    assert acme_invoice["kind"] == "labour"
    [line] = acme_invoice["lines"]
    assert line["item_code"] == "LAB-REMOTE"
    assert line["time_entries"] == [first, second]
    assert billing_api.get(f"/time-entries/{first}").json()["invoice"] == acme_invoice["id"]
    assert billing_api.get("/ready-for-invoicing/").json()["count"] == 0

    again = billing_api.post(
        "/ready-for-invoicing/bill", {"time_entries": [first], "date": "2026-11-24"}
    )
    assert again.status_code == 422
    assert fields_of(again) == {"time_entries"}
    # Billed time can no longer be changed.
    body = {"date": "2026-11-20", "hours": "9", "charge_rate": charge_rate.pk, "summary": "x"}
    assert tech_api.put(f"/time-entries/{first}", body).status_code == 422

    deleted = billing_api.delete(f"/invoices/{acme_invoice['id']}")
    assert deleted.status_code == 200
    assert deleted.json() == {"released_time_entries": 2}
    assert not Invoice.objects.filter(pk=acme_invoice["id"]).exists()
    ready = billing_api.get("/ready-for-invoicing/").json()
    assert ready["count"] == 1
    assert sorted(e["id"] for e in ready["items"][0]["time_entries"]) == [first, second]


def test_billing_unknown_time_entries_bills_nothing(
    billing_api: ApiClient, tech_api: ApiClient, ticket: Ticket, charge_rate: ChargeRate
) -> None:
    entry = _log(tech_api, ticket, charge_rate, "1")
    response = billing_api.post(
        "/ready-for-invoicing/bill", {"time_entries": [entry, 424242], "date": "2026-11-24"}
    )
    assert response.status_code == 422
    assert "424242" in response.json()["errors"][0]["message"]
    assert Invoice.objects.count() == 0
    assert TimeEntry.objects.get(pk=entry).invoice_line_id is None


def _lines(gst: TaxRate, no_tax: TaxRate, product: Product) -> list[dict[str, object]]:
    return [
        {
            "product": product.pk,
            "description": "Firewall",
            "quantity": "3",
            "unit_price": "49.995",
            "tax_rate": gst.pk,
            "item_code": "FW-100",
        },
        {"description": "Cabling", "quantity": 2.5, "unit_price": 10, "tax_rate": no_tax.pk},
    ]


def test_manual_invoice_create_update_delete_with_totals(
    billing_api: ApiClient, customer: Customer, gst: TaxRate, no_tax: TaxRate, product: Product
) -> None:
    body = {
        "customer": customer.pk,
        "date": "2026-11-24",
        "reference": "PO 77",
        "lines": _lines(gst, no_tax, product),
    }
    created = billing_api.post("/invoices/", body)
    assert created.status_code == 201, created.content
    invoice = created.json()
    # 3 x 49.995 = 149.985 -> 149.99, tax 22.50; 2.5 x 10 = 25.00, no tax
    assert [ln["line_amount"] for ln in invoice["lines"]] == ["149.99", "25.00"]
    assert (invoice["subtotal"], invoice["total_tax"], invoice["total"]) == (
        "174.99",
        "22.50",
        "197.49",
    )
    assert invoice["number"].startswith("INV-")
    assert invoice["due_date"] == "2026-12-24"  # 30 days' payment terms
    assert invoice["lines"][0]["unit_price"] == "49.9950"

    inclusive = {k: v for k, v in body.items() if k != "customer"}
    changed = billing_api.put(
        f"/invoices/{invoice['id']}",
        {
            **inclusive,
            "amount_type": "Inclusive",
            "status": "AUTHORISED",
            "lines": body["lines"][:1],
        },
    )
    assert changed.status_code == 200, changed.content
    data = changed.json()
    # Inclusive: tax is 15/115 of 149.99 = 19.56
    assert (data["subtotal"], data["total_tax"], data["total"]) == ("130.43", "19.56", "149.99")
    assert (data["status"], len(data["lines"])) == ("AUTHORISED", 1)

    no_tax_doc = billing_api.put(
        f"/invoices/{invoice['id']}", {**inclusive, "amount_type": "NoTax"}
    ).json()
    assert (no_tax_doc["total_tax"], no_tax_doc["total"]) == ("0.00", "174.99")

    assert billing_api.get("/invoices/", q=invoice["number"]).json()["count"] == 1
    assert billing_api.delete(f"/invoices/{invoice['id']}").status_code == 200
    assert Invoice.objects.count() == 0


def test_paid_invoice_is_neither_changed_nor_deleted(
    billing_api: ApiClient, customer: Customer, gst: TaxRate, no_tax: TaxRate, product: Product
) -> None:
    body = {"customer": customer.pk, "date": "2026-11-24", "lines": _lines(gst, no_tax, product)}
    invoice_id = billing_api.post("/invoices/", body).json()["id"]
    Invoice.objects.filter(pk=invoice_id).update(status="PAID")
    del body["customer"]
    assert billing_api.put(f"/invoices/{invoice_id}", body).status_code == 422
    refused = billing_api.delete(f"/invoices/{invoice_id}")
    assert refused.status_code == 409
    assert "paid" in refused.json()["detail"]
    assert Invoice.objects.filter(pk=invoice_id).exists()


def test_recurring_invoice_schedule_and_raise_due_now(
    billing_api: ApiClient, customer: Customer, gst: TaxRate, no_tax: TaxRate, product: Product
) -> None:
    today = timezone.localdate()
    start = today - dt.timedelta(weeks=2)
    body = {
        "customer": customer.pk,
        "start_date": start.isoformat(),
        "interval_unit": "week",
        "interval_count": 1,
        "reference": "Monitoring",
        "lines": _lines(gst, no_tax, product),
    }
    created = billing_api.post("/recurring-invoices/", body)
    assert created.status_code == 201, created.content
    schedule = created.json()
    assert (schedule["next_date"], schedule["total"]) == (start.isoformat(), "197.49")

    raised = billing_api.post("/recurring-invoices/raise-due")
    assert raised.status_code == 200
    assert len(raised.json()["raised"]) == 3  # two weeks ago, last week, today
    assert billing_api.post("/recurring-invoices/raise-due").json() == {"raised": []}
    assert Invoice.objects.filter(kind="recurring").count() == 3

    changed = billing_api.put(
        f"/recurring-invoices/{schedule['id']}", {**body, "interval_count": 2, "active": False}
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["interval_count"], changed.json()["active"]) == (2, False)
    bad_end = billing_api.put(
        f"/recurring-invoices/{schedule['id']}",
        {**body, "end_date": (start - dt.timedelta(days=1)).isoformat()},
    )
    assert bad_end.status_code == 422
    assert fields_of(bad_end) == {"end_date"}
    assert billing_api.delete(f"/recurring-invoices/{schedule['id']}").status_code == 204
    assert not RecurringInvoice.objects.exists()
    assert Invoice.objects.filter(kind="recurring").count() == 3


def test_purchase_order_crud(
    billing_api: ApiClient, supplier: Supplier, gst: TaxRate, no_tax: TaxRate, product: Product
) -> None:
    body = {
        "supplier": supplier.pk,
        "date": "2026-11-24",
        "delivery_date": "2026-11-30",
        "delivery_instructions": "Leave at reception",
        "lines": _lines(gst, no_tax, product),
    }
    created = billing_api.post("/purchase-orders/", body)
    assert created.status_code == 201, created.content
    order = created.json()
    assert order["number"].startswith("PO-")
    assert (order["subtotal"], order["total"]) == ("174.99", "197.49")
    changed = billing_api.put(
        f"/purchase-orders/{order['id']}",
        {**body, "status": "SUBMITTED", "lines": body["lines"][1:]},
    )
    assert (changed.json()["status"], changed.json()["total"]) == ("SUBMITTED", "25.00")
    late = billing_api.put(
        f"/purchase-orders/{order['id']}", {**body, "delivery_date": "2026-11-01"}
    )
    assert late.status_code == 422
    assert fields_of(late) == {"delivery_date"}
    assert PurchaseOrder.objects.get(pk=order["id"]).total == Decimal("25.00")
    assert billing_api.get("/purchase-orders/", q="ingram").json()["count"] == 1
    assert billing_api.delete(f"/purchase-orders/{order['id']}").status_code == 204
    assert not PurchaseOrder.objects.exists()
