"""Bad input gets a 4xx naming the field and the fix, never a 500, and nothing is half-saved.

Each case starts from a valid body, breaks one thing, and checks the status, the field the
error body names, and that the number of stored records did not change.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Model

from ledgerbridge.billing.models import Invoice, InvoiceLine, RecurringInvoice
from ledgerbridge.catalog.models import ChargeRate, Product, ProductGroup, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.purchasing.models import PurchaseOrder
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.work.models import Ticket, TimeEntry

from .conftest import ApiClient, fields_of

# Database-sensitive (constraints, rollback, odd values): run again on PostgreSQL.
pytestmark = pytest.mark.postgres

UNKNOWN = 424242
DROP = object()


@pytest.fixture
def bodies(
    customer: Customer,
    supplier: Supplier,
    gst: TaxRate,
    product: Product,
    product_group: ProductGroup,
    charge_rate: ChargeRate,
    ticket: Ticket,
) -> dict[str, tuple[str, type[Model], dict[str, Any]]]:
    line = {
        "description": "Firewall",
        "quantity": "1",
        "unit_price": "10",
        "tax_rate": gst.pk,
        "product": product.pk,
    }
    return {
        "customer": ("/customers/", Customer, {"name": "New Co", "sales_tax_rate": gst.pk}),
        "supplier": ("/suppliers/", Supplier, {"name": "New Supplier"}),
        "tax_rate": ("/tax-rates/", TaxRate, {"name": "VAT", "percentage": "20"}),
        "charge_rate": ("/charge-rates/", ChargeRate, {"name": "Onsite", "hourly_price": "150"}),
        "product": (
            "/products/",
            Product,
            {
                "name": "Switch",
                "group": product_group.pk,
                "unit_price": "10",
                "sales_tax_rate": gst.pk,
            },
        ),
        "ticket": ("/tickets/", Ticket, {"customer": customer.pk, "title": "Email down"}),
        "time": (
            f"/tickets/{ticket.pk}/time-entries",
            TimeEntry,
            {"date": "2026-11-20", "hours": "1", "charge_rate": charge_rate.pk, "summary": "Fixed"},
        ),
        "invoice": (
            "/invoices/",
            InvoiceLine,
            # The second line has no product, so nothing fills a blank field from one.
            {
                "customer": customer.pk,
                "date": "2026-11-24",
                "lines": [line, {k: v for k, v in line.items() if k != "product"}],
            },
        ),
        "recurring": (
            "/recurring-invoices/",
            RecurringInvoice,
            {"customer": customer.pk, "start_date": "2026-12-01", "lines": [line]},
        ),
        "purchase_order": (
            "/purchase-orders/",
            PurchaseOrder,
            {"supplier": supplier.pk, "date": "2026-11-24", "lines": [line]},
        ),
        "bill": (
            "/ready-for-invoicing/bill",
            Invoice,
            {"time_entries": [UNKNOWN], "date": "2026-11-24"},
        ),
    }


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `body` with `path` ("lines.0.quantity") set to `value` (or dropped)."""
    changed = copy.deepcopy(body)
    *parents, last = path.split(".")
    target: Any = changed
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    key: Any = int(last) if last.isdigit() else last
    if value is DROP:
        del target[key]
    else:
        target[key] = value
    return changed


LONG = "x" * 5000
# (entity, field path to break, bad value, field the error must name, status)
CASES: list[tuple[str, str, Any, str, int]] = [
    ("customer", "name", DROP, "name", 422),
    ("customer", "name", 123, "name", 422),
    ("customer", "name", "   ", "name", 422),
    ("customer", "name", "x" * 256, "name", 422),
    ("customer", "name", "Nul\x00byte", "name", 422),
    ("customer", "email", "not-an-email", "email", 422),
    ("customer", "account_number", "A" * 51, "account_number", 422),
    ("customer", "sales_tax_rate", UNKNOWN, "sales_tax_rate", 422),
    ("customer", "sales_tax_rate", "abc", "sales_tax_rate", 422),
    ("customer", "sales_tax_rate", -1, "sales_tax_rate", 422),
    ("customer", "sales_tax_rate", 10**30, "sales_tax_rate", 422),
    ("customer", "payment_terms_days", -1, "payment_terms_days", 422),
    ("customer", "billing_notes", LONG, "billing_notes", 422),
    ("customer", "colour", "blue", "colour", 422),
    ("supplier", "postal_line1", "x" * 501, "postal_line1", 422),
    ("supplier", "purchase_tax_rate", UNKNOWN, "purchase_tax_rate", 422),
    ("tax_rate", "percentage", "101", "percentage", 422),
    ("tax_rate", "percentage", "-1", "percentage", 422),
    ("tax_rate", "percentage", "1.00001", "percentage", 422),
    ("tax_rate", "percentage", "NaN", "percentage", 422),
    ("tax_rate", "percentage", "ten", "percentage", 422),
    ("tax_rate", "name", "No tax", "name", 409),
    ("charge_rate", "hourly_price", "-5", "hourly_price", 422),
    ("charge_rate", "hourly_price", "Infinity", "hourly_price", 422),
    ("charge_rate", "accounts_code", "x" * 31, "accounts_code", 422),
    ("product", "group", UNKNOWN, "group", 422),
    ("product", "group", DROP, "group", 422),
    ("product", "parent", UNKNOWN, "parent", 422),
    ("product", "unit_price", "1.23456", "unit_price", 422),
    ("product", "unit_price", "1e20", "unit_price", 422),
    ("product", "unit_cost", -0.01, "unit_cost", 422),
    ("product", "code", "FW-100", "code", 409),
    ("product", "name", "x" * 51, "name", 422),
    ("product", "sales_account_code", "12345678901", "sales_account_code", 422),
    ("ticket", "customer", UNKNOWN, "customer", 422),
    ("ticket", "status", "pending", "status", 422),
    ("ticket", "title", "", "title", 422),
    ("time", "hours", "0", "hours", 422),
    ("time", "hours", "24.5", "hours", 422),
    ("time", "hours", "1.234", "hours", 422),
    ("time", "hours", -1, "hours", 422),
    ("time", "charge_rate", UNKNOWN, "charge_rate", 422),
    ("time", "agent", UNKNOWN, "agent", 422),
    ("time", "date", "2026-02-30", "date", 422),
    ("time", "date", "0001-01-01", "date", 422),
    ("time", "date", DROP, "date", 422),
    ("time", "summary", "x" * 501, "summary", 422),
    ("invoice", "customer", UNKNOWN, "customer", 422),
    ("invoice", "customer", "Acme", "customer", 422),
    ("invoice", "date", "24/11/2026", "date", 422),
    ("invoice", "due_date", "2026-11-01", "due_date", 422),
    ("invoice", "status", "PAID", "status", 422),
    ("invoice", "amount_type", "Gross", "amount_type", 422),
    ("invoice", "reference", "x" * 256, "reference", 422),
    ("invoice", "lines", [], "lines", 422),
    ("invoice", "lines", "two", "lines", 422),
    ("invoice", "lines.1.quantity", "-2", "lines[1].quantity", 422),
    ("invoice", "lines.1.quantity", 0, "lines[1].quantity", 422),
    ("invoice", "lines.1.quantity", "1.00001", "lines[1].quantity", 422),
    ("invoice", "lines.1.quantity", "lots", "lines[1].quantity", 422),
    ("invoice", "lines.1.quantity", "1000000001", "lines[1].quantity", 422),
    ("invoice", "lines.1.unit_price", "12.34567", "lines[1].unit_price", 422),
    ("invoice", "lines.1.unit_price", "-Infinity", "lines[1].unit_price", 422),
    (
        "invoice",
        "lines.1",
        {
            "description": "Huge",
            "quantity": "1000000000",
            "unit_price": "1000000000",
            "tax_rate": 1,
        },
        "lines[1]",
        422,
    ),
    ("invoice", "lines.1.tax_rate", UNKNOWN, "lines[1].tax_rate", 422),
    ("invoice", "lines.1.tax_rate", DROP, "lines[1].tax_rate", 422),
    ("invoice", "lines.1.product", UNKNOWN, "lines[1].product", 422),
    ("invoice", "lines.1.description", LONG, "lines[1].description", 422),
    ("invoice", "lines.1.description", "", "lines[1].description", 422),
    ("invoice", "lines.1.item_code", "x" * 31, "lines[1].item_code", 422),
    ("recurring", "interval_count", 0, "interval_count", 422),
    ("recurring", "interval_unit", "fortnight", "interval_unit", 422),
    ("recurring", "end_date", "2026-11-01", "end_date", 422),
    ("recurring", "customer", UNKNOWN, "customer", 422),
    ("recurring", "lines.0.quantity", "-1", "lines[0].quantity", 422),
    ("purchase_order", "supplier", UNKNOWN, "supplier", 422),
    ("purchase_order", "delivery_date", "2026-11-01", "delivery_date", 422),
    ("purchase_order", "lines.0.unit_price", "abc", "lines[0].unit_price", 422),
    ("bill", "time_entries", [UNKNOWN], "time_entries", 422),
    ("bill", "time_entries", [], "time_entries", 422),
    ("bill", "time_entries", ["x"], "time_entries[0]", 422),
]


@pytest.mark.parametrize(("entity", "path", "value", "field", "status"), CASES)
def test_bad_input_names_the_field_and_saves_nothing(
    admin_api: ApiClient,
    bodies: dict[str, tuple[str, type[Model], dict[str, Any]]],
    entity: str,
    path: str,
    value: Any,
    field: str,
    status: int,
) -> None:
    url, model, body = bodies[entity]
    if entity == "invoice" and path == "lines.1":
        value = {**value, "tax_rate": body["lines"][0]["tax_rate"]}
    before = model.objects.count()
    response = admin_api.post(url, _set(body, path, value))
    assert response.status_code == status, response.content
    assert field in fields_of(response), response.json()
    error = next(e for e in response.json()["errors"] if e["field"] == field)
    assert error["message"]
    assert field in response.json()["detail"]
    assert model.objects.count() == before


@pytest.mark.parametrize("entity", ["customer", "product", "invoice", "time"])
def test_each_valid_body_is_accepted(
    admin_api: ApiClient, bodies: dict[str, tuple[str, type[Model], dict[str, Any]]], entity: str
) -> None:
    """The cases above fail only because of what they break."""
    url, _model, body = bodies[entity]
    assert admin_api.post(url, body).status_code == 201


def test_a_failing_invoice_update_leaves_it_as_it_was(
    admin_api: ApiClient, bodies: dict[str, tuple[str, type[Model], dict[str, Any]]]
) -> None:
    _url, _model, body = bodies["invoice"]
    invoice = admin_api.post("/invoices/", body).json()
    update = {k: v for k, v in body.items() if k != "customer"}
    update = _set(_set(update, "reference", "changed"), "lines.1.tax_rate", UNKNOWN)
    response = admin_api.put(f"/invoices/{invoice['id']}", update)
    assert response.status_code == 422
    assert admin_api.get(f"/invoices/{invoice['id']}").json() == invoice


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/customers/?limit=0", "limit"),
        ("/customers/?limit=abc", "limit"),
        ("/customers/?limit=100000", "limit"),
        ("/customers/?offset=-1", "offset"),
        ("/customers/?offset=99999999999999999999", "offset"),
        ("/customers/?q=" + "x" * 101, "q"),
        ("/customers/abc", "customer_id"),
        ("/customers/0", "customer_id"),
        ("/customers/99999999999999999999", "customer_id"),
        ("/invoices/?status=LOST", "status"),
        ("/time-entries/?billed=maybe", "billed"),
    ],
)
def test_bad_query_and_path_values_name_the_parameter(
    admin_api: ApiClient, url: str, field: str
) -> None:
    path, _, query = url.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&")) if query else {}
    response = admin_api.get(path, **params)
    assert response.status_code == 422, response.content
    assert field in fields_of(response)


def test_unknown_record_in_the_path_is_404_naming_it(admin_api: ApiClient) -> None:
    response = admin_api.get(f"/invoices/{UNKNOWN}")
    assert response.status_code == 404
    assert response.json()["detail"] == f"Invoice {UNKNOWN} does not exist."


@pytest.mark.parametrize(
    ("raw", "status"),
    [("not json", 400), ("[1, 2]", 422), ('"text"', 422), ("null", 422), ("{", 400)],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    admin_api: ApiClient, raw: str, status: int
) -> None:
    response = admin_api.client.post(
        "/api/v1/customers/", data=raw, content_type="application/json", headers=admin_api.headers
    )
    assert response.status_code == status, response.content
    assert response.json()["detail"]
    assert Customer.objects.count() == 0


def test_error_body_shape_is_the_same_for_every_4xx(admin_api: ApiClient, db: None) -> None:
    answers = [
        admin_api.get("/customers/1"),
        admin_api.post("/customers/", {}),
        ApiClient(None).get("/customers/"),
    ]
    for response in answers:
        body: dict[str, Any] = response.json()
        assert set(body) == {"detail", "errors"}
        assert isinstance(body["detail"], str)
        check: Callable[[dict[str, Any]], bool] = lambda e: set(e) == {"field", "message"}  # noqa: E731
        assert all(check(e) for e in body["errors"])
