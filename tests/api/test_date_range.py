"""Issue 9: the API accepts the same dates as the screens (2000-01-01..2099-12-31), documents
that range, and a screen-made invoice survives a GET then PUT unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from ninja.responses import NinjaJSONEncoder

from ledgerbridge.api import api
from ledgerbridge.billing.models import Invoice

from .conftest import ApiClient

pytestmark = pytest.mark.django_db

RANGE = "between 2000-01-01 and 2099-12-31"


def test_one_range_defined_once() -> None:
    from ledgerbridge import api_support, dates

    assert (dates.EARLIEST_DATE.isoformat(), dates.LATEST_DATE.isoformat()) == (
        "2000-01-01",
        "2099-12-31",
    )
    assert not hasattr(api_support, "EARLIEST_DATE") and not hasattr(api_support, "LATEST_DATE")


@pytest.mark.parametrize("value", ["1900-01-01", "1999-12-31", "2100-01-01", "2999-12-31"])
def test_an_invoice_date_outside_the_range_is_refused_naming_it(
    billing_api: ApiClient, customer, gst, value: str
) -> None:
    line = {"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": gst.pk}
    response = billing_api.post(
        "/invoices/", {"customer": customer.pk, "date": value, "lines": [line]}
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "date" and RANGE in error["message"]


def test_the_document_states_the_range_on_every_date_it_takes() -> None:
    doc = json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))
    assert RANGE in doc["info"]["description"]
    found = 0
    for name, schema in doc["components"]["schemas"].items():
        if not name.endswith(("In", "Query")):
            continue
        for field, prop in schema.get("properties", {}).items():
            options = prop.get("anyOf", [prop])
            for option in options:
                if option.get("format") == "date":
                    found += 1
                    assert option.get("formatMinimum") == "2000-01-01", (name, field)
                    assert option.get("formatMaximum") == "2099-12-31", (name, field)
    assert found >= 7


def test_a_screen_made_invoice_round_trips_through_the_api(
    admin_client: Client, billing_api: ApiClient, customer, gst
) -> None:
    data: dict[str, Any] = {
        "customer": customer.pk,
        "date": "2000-01-01",
        "due_date": "2099-12-31",
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
    }
    assert admin_client.post(reverse("billing:invoice_create"), data).status_code == 302
    invoice = Invoice.objects.get()
    got = billing_api.get(f"/invoices/{invoice.pk}").json()
    body = {
        "date": got["date"],
        "due_date": got["due_date"],
        "status": got["status"],
        "reference": got["reference"],
        "amount_type": got["amount_type"],
        "lines": [
            {k: line[k] for k in ("id", "description", "quantity", "unit_price", "tax_rate")}
            for line in got["lines"]
        ],
    }
    put = billing_api.put(f"/invoices/{invoice.pk}", body)
    assert put.status_code == 200, put.content
    assert (put.json()["date"], put.json()["due_date"]) == ("2000-01-01", "2099-12-31")


def test_payment_terms_past_the_range_are_a_field_error_not_a_500(
    billing_api: ApiClient, customer, gst
) -> None:
    line = {"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": gst.pk}
    response = billing_api.post(
        "/invoices/", {"customer": customer.pk, "date": "2099-12-20", "lines": [line]}
    )
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    assert error["field"] == "due_date" and "2099-12-31" in error["message"]
