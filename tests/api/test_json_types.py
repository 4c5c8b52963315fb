"""Issue 9, "the OpenAPI document tells the truth": a JSON boolean is true or false (not 0, 1
or "true"), a JSON integer is not `false` or "5", and an email field holds an email address."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerbridge.catalog.models import TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.suppliers.models import Supplier

from .conftest import ApiClient, fields_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", [0, 1, "true", "false", "yes", 1.0])
def test_a_boolean_is_only_true_or_false(billing_api: ApiClient, value: Any) -> None:
    response = billing_api.post("/suppliers/", {"name": "Strict Co", "active": value})
    assert response.status_code == 422, response.content
    assert fields_of(response) == {"active"}
    assert not Supplier.objects.exists()


@pytest.mark.parametrize("value", [False, True, "5", 5.5])
def test_an_integer_is_not_a_boolean_or_text(
    billing_api: ApiClient, gst: TaxRate, value: Any
) -> None:
    response = billing_api.post(
        "/customers/", {"name": "Strict Co", "payment_terms_days": value, "sales_tax_rate": gst.pk}
    )
    assert response.status_code == 422, response.content
    assert fields_of(response) == {"payment_terms_days"}


def test_ids_in_a_list_are_integers_too(billing_api: ApiClient) -> None:
    response = billing_api.post(
        "/ready-for-invoicing/bill", {"date": "2026-11-24", "time_entries": [True]}
    )
    assert response.status_code == 422, response.content
    assert fields_of(response) == {"time_entries"}


def test_true_false_and_whole_numbers_are_accepted(billing_api: ApiClient, gst: TaxRate) -> None:
    response = billing_api.post(
        "/customers/",
        {"name": "Fine Co", "active": False, "payment_terms_days": 30, "sales_tax_rate": gst.pk},
    )
    assert response.status_code == 201, response.content
    assert response.json()["active"] is False and response.json()["payment_terms_days"] == 30


@pytest.mark.parametrize("field", ["email", "invoice_email"])
@pytest.mark.parametrize("value", ["not an email", "a@b", "@example.com", "x@example.com\nBcc: y"])
def test_email_fields_hold_email_addresses(
    billing_api: ApiClient, gst: TaxRate, field: str, value: str
) -> None:
    response = billing_api.post(
        "/customers/", {"name": "Mail Co", field: value, "sales_tax_rate": gst.pk}
    )
    assert response.status_code == 422, response.content
    assert fields_of(response) == {field}
    assert not Customer.objects.exists()


def test_email_fields_are_documented_as_emails_and_may_be_empty(
    billing_api: ApiClient, gst: TaxRate
) -> None:
    body = {"name": "Mail Co", "email": "", "invoice_email": "ap@mail.example"}
    assert billing_api.post("/customers/", {**body, "sales_tax_rate": gst.pk}).status_code == 201
    document = billing_api.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    party = next(
        s
        for name, s in schemas.items()
        if name.endswith("In") and "email" in s.get("properties", {})
    )
    assert party["properties"]["email"].get("format") == "email" or any(
        option.get("format") == "email" for option in party["properties"]["email"].get("anyOf", [])
    )


@pytest.mark.parametrize("value", [0, 1700000000, True])
def test_a_date_is_text_not_a_number(billing_api: ApiClient, value: Any) -> None:
    response = billing_api.post("/ready-for-invoicing/bill", {"date": value, "time_entries": [1]})
    assert response.status_code == 422, response.content
    assert "date" in fields_of(response)
