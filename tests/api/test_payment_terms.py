"""Issue 9: the API's payment terms rule is the model's, and a customer whose stored terms
would overflow a due date gets a JSON field error on its next invoice, never a 500 page."""

from __future__ import annotations

import pytest

from ledgerbridge.customers.models import MAX_PAYMENT_TERMS_DAYS, Customer

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_the_api_takes_the_same_terms_as_the_screens(billing_api: ApiClient, gst) -> None:
    body = {"name": "Bluebird Law", "sales_tax_rate": gst.pk}
    over = billing_api.post(
        "/customers/", {**body, "payment_terms_days": MAX_PAYMENT_TERMS_DAYS + 1}
    )
    assert over.status_code == 422
    assert [e["field"] for e in over.json()["errors"]] == ["payment_terms_days"]
    ok = billing_api.post("/customers/", {**body, "payment_terms_days": MAX_PAYMENT_TERMS_DAYS})
    assert ok.status_code == 201, ok.content


def test_overflowing_stored_terms_are_a_json_field_error(
    billing_api: ApiClient, customer: Customer, gst
) -> None:
    Customer.objects.filter(pk=customer.pk).update(payment_terms_days=2_147_483_647)
    line = {"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": gst.pk}
    response = billing_api.post(
        "/invoices/", {"customer": customer.pk, "date": "2026-11-24", "lines": [line]}
    )
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["field"] == "due_date" and "payment terms" in error["message"]
