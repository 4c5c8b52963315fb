"""The same invoice made on the screen and through the REST API is the same record, field by
field: the billing service alone fills a line's blanks from its product and writes its tracking
options (TRK-4), whichever door the input came through."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.billing.models import Invoice, InvoiceLine
from ledgerbridge.billing.tracking import resolved_tracking
from ledgerbridge.catalog.models import Product, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.sync.services import organisation_for
from ledgerbridge.tracking.models import TrackingCategory, TrackingOption, TrackingSettings

from .conftest import ApiClient, fields_of

pytestmark = pytest.mark.django_db

TENANT = "org-screens-and-api"
OTHER_TENANT = "org-elsewhere"


def _category(tenant: str, name: str, slot: int, options: list[str]) -> list[TrackingOption]:
    category = TrackingCategory.objects.create(
        organisation=organisation_for("xero", tenant),
        remote_id=f"{tenant}-{name}",
        name=name,
        placeholder=slot,
    )
    return [
        TrackingOption.objects.create(
            category=category, remote_id=f"{category.remote_id}-{n}", name=n
        )
        for n in options
    ]


@pytest.fixture
def tracking(customer: Customer, product: Product) -> dict[str, TrackingOption]:
    """Tracking on, two placeholders with a category each in the customer's organisation, and
    one in another organisation; the product's group carries a Department option."""
    row = TrackingSettings.get()
    row.enabled, row.placeholder_1, row.placeholder_2 = True, "Area", "Team"
    row.save()
    north, south = _category(TENANT, "Region", 1, ["North", "South"])
    support, projects = _category(TENANT, "Department", 2, ["Support", "Projects"])
    (elsewhere,) = _category(OTHER_TENANT, "Region", 1, ["North"])
    customer.organisation = organisation_for("xero", TENANT)
    customer.save()
    product.group.tracking_options.set([projects])
    return {
        "north": north,
        "south": south,
        "support": support,
        "projects": projects,
        "elsewhere": elsewhere,
    }


def _lines(product: Product, gst: TaxRate, options: dict[str, TrackingOption]) -> list[dict]:
    """Three lines as a person means them: a product alone (everything else from it), a line
    with no product, a product with its description and price overridden."""
    return [
        {"product": product.pk, "quantity": "2", "tracking": [options["north"]]},
        {
            "description": "Onsite visit",
            "quantity": "1.5",
            "unit_price": "95.0050",
            "tax_rate": gst.pk,
            "item_code": "VISIT",
            "tracking": [options["south"], options["support"]],
        },
        {
            "product": product.pk,
            "description": "Firewall, discounted",
            "quantity": "1",
            "unit_price": "40",
            "tracking": [],
        },
    ]


def screen_post(customer: Customer, lines: list[dict], **header: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customer": customer.pk,
        "date": "2026-11-02",
        "due_date": "",
        "status": "DRAFT",
        "reference": "Same either way",
        "amount_type": "Exclusive",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        **header,
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            if key == "tracking":
                for option in value:
                    data[f"lines-{i}-tracking_{option.category.placeholder}"] = option.pk
            else:
                data[f"lines-{i}-{key}"] = value
    return data


def api_body(customer: Customer, lines: list[dict], **header: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": customer.pk,
        "date": "2026-11-02",
        "status": "DRAFT",
        "reference": "Same either way",
        "amount_type": "Exclusive",
        **header,
    }
    body["lines"] = [
        {
            **{k: v for k, v in line.items() if k != "tracking"},
            "tracking_options": [option.pk for option in line["tracking"]],
        }
        for line in lines
    ]
    return body


HEADER = (
    "customer_id",
    "kind",
    "status",
    "date",
    "due_date",
    "reference",
    "amount_type",
    "subtotal",
    "total_tax",
    "total",
    "recurring_id",
    "recurring_date",
)
LINE = (
    "position",
    "product_id",
    "description",
    "quantity",
    "unit_price",
    "tax_rate_id",
    "item_code",
    "charge_rate_id",
    "line_amount",
    "tax_amount",
)


def record(invoice: Invoice) -> dict[str, Any]:
    """Everything stored about an invoice but its identity (id, number, timestamps)."""
    invoice = Invoice.objects.get(pk=invoice.pk)
    lines: list[dict[str, Any]] = []
    for line in InvoiceLine.objects.filter(invoice=invoice).order_by("position"):
        stored = {name: getattr(line, name) for name in LINE}
        stored["tracking_options"] = sorted(o.pk for o in line.tracking_options.all())
        stored["resolved_tracking"] = [(n, o.pk) for n, o in resolved_tracking(line)]
        stored["time_entries"] = list(line.time_entries.values_list("pk", flat=True))
        lines.append(stored)
    return {**{name: getattr(invoice, name) for name in HEADER}, "lines": lines}


def test_the_same_invoice_on_the_screen_and_through_the_api_is_the_same_record(
    admin: Any,
    admin_api: ApiClient,
    customer: Customer,
    product: Product,
    gst: TaxRate,
    tracking: dict[str, TrackingOption],
) -> None:
    screen = Client()
    screen.force_login(admin)
    lines = _lines(product, gst, tracking)

    answer = screen.post(reverse("billing:invoice_create"), screen_post(customer, lines))
    assert answer.status_code == 302, answer.content.decode()[:3000]
    by_screen = Invoice.objects.get(reference="Same either way")
    answer = admin_api.post("/invoices/", api_body(customer, lines))
    assert answer.status_code == 201, answer.content
    by_api = Invoice.objects.get(pk=answer.json()["id"])

    made_on_screen, made_by_api = record(by_screen), record(by_api)
    for name in HEADER:
        assert made_on_screen[name] == made_by_api[name], name
    assert len(made_on_screen["lines"]) == len(made_by_api["lines"]) == 3
    for number, (left, right) in enumerate(
        zip(made_on_screen["lines"], made_by_api["lines"], strict=True), start=1
    ):
        for name, value in left.items():
            assert value == right[name], f"line {number}: {name}"

    # And what they agree on is what was meant: the product's blanks filled from it, the
    # line's own options stored, the group's option applying where the line has none.
    first, second, third = made_by_api["lines"]
    assert (first["description"], first["unit_price"], first["tax_rate_id"]) == (
        product.name,
        product.unit_price,
        gst.pk,
    )
    assert first["item_code"] == third["item_code"] == product.code
    assert (third["description"], third["unit_price"]) == ("Firewall, discounted", Decimal(40))
    assert first["tracking_options"] == [tracking["north"].pk]
    assert first["resolved_tracking"] == [
        ("Area", tracking["north"].pk),
        ("Team", tracking["projects"].pk),
    ]
    assert second["tracking_options"] == sorted([tracking["south"].pk, tracking["support"].pk])
    assert third["resolved_tracking"] == [("Team", tracking["projects"].pk)]
    assert (made_by_api["due_date"] - made_by_api["date"]).days == customer.payment_terms_days
    body = admin_api.get(f"/invoices/{by_api.pk}").json()
    assert body["lines"][0]["tracking_options"] == [tracking["north"].pk]
    assert body["lines"][0]["resolved_tracking"][1]["option_name"] == "Projects"

    # A change made both ways agrees too: the first line's option moves to South, the second
    # line goes.
    changed = [{**lines[0], "tracking": [tracking["south"]]}, lines[2]]
    edit = screen_post(customer, changed)
    del edit["customer"]
    answer = screen.post(reverse("billing:invoice_edit", args=[by_screen.pk]), edit)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    put = api_body(customer, changed)
    del put["customer"]
    answer = admin_api.put(f"/invoices/{by_api.pk}", put)
    assert answer.status_code == 200, answer.content
    assert record(by_screen) == record(by_api)
    assert record(by_api)["lines"][0]["tracking_options"] == [tracking["south"].pk]


def test_a_put_that_leaves_tracking_out_keeps_each_lines_options(
    admin_api: ApiClient, customer: Customer, product: Product, gst: TaxRate, tracking: Any
) -> None:
    lines = _lines(product, gst, tracking)
    made = admin_api.post("/invoices/", api_body(customer, lines)).json()
    put = api_body(customer, lines)
    del put["customer"]
    for line, stored in zip(put["lines"], made["lines"], strict=True):
        del line["tracking_options"]
        line["id"] = stored["id"]
    answer = admin_api.put(f"/invoices/{made['id']}", put)
    assert answer.status_code == 200, answer.content
    assert [ln["tracking_options"] for ln in answer.json()["lines"]] == [
        ln["tracking_options"] for ln in made["lines"]
    ]


@pytest.mark.parametrize(
    ("options", "field", "says"),
    [
        (["elsewhere"], "lines[0].tracking_options[0]", "another organisation"),
        (["north", "south"], "lines[0].tracking_options[1]", "Pick one option of Region"),
        ([999_999], "lines[0].tracking_options[0]", "does not exist"),
    ],
)
def test_api_tracking_options_are_checked_and_refusals_name_the_option(
    admin_api: ApiClient,
    customer: Customer,
    product: Product,
    gst: TaxRate,
    tracking: dict[str, TrackingOption],
    options: list[Any],
    field: str,
    says: str,
) -> None:
    body = api_body(customer, _lines(product, gst, tracking))
    body["lines"][0]["tracking_options"] = [
        tracking[o].pk if isinstance(o, str) else o for o in options
    ]
    answer = admin_api.post("/invoices/", body)
    assert answer.status_code == 422, answer.content
    assert field in fields_of(answer)
    assert says in answer.content.decode()
    assert not Invoice.objects.exists()


def test_tracking_options_on_a_purchase_order_line_are_refused(
    admin_api: ApiClient, supplier: Any, gst: TaxRate
) -> None:
    line = {"description": "Cable", "quantity": "1", "unit_price": "3", "tax_rate": gst.pk}
    answer = admin_api.post(
        "/purchase-orders/",
        {
            "supplier": supplier.pk,
            "date": "2026-11-02",
            "lines": [{**line, "tracking_options": [1]}],
        },
    )
    assert answer.status_code == 422
    assert fields_of(answer) == {"lines[0].tracking_options"}
