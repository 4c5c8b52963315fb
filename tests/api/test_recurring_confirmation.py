"""Issue 9: through the API, a recurring schedule far behind says it waits and what confirming
will raise, and is confirmed with the number of invoices and the last date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ledgerbridge.billing.models import Invoice

from .conftest import ApiClient, fields_of

pytestmark = pytest.mark.django_db


def test_a_schedule_far_behind_waits_and_is_confirmed(
    billing_api: ApiClient, customer, gst
) -> None:
    today = timezone.localdate()
    start = today - dt.timedelta(weeks=9)
    line = {"description": "Monitoring", "quantity": "1", "unit_price": "50", "tax_rate": gst.pk}
    created = billing_api.post(
        "/recurring-invoices/",
        {
            "customer": customer.pk,
            "start_date": start.isoformat(),
            "interval_unit": "week",
            "lines": [line],
        },
    )
    assert created.status_code == 201, created.content
    schedule = created.json()
    assert schedule["state"] == "awaiting_confirmation"
    waiting = {"invoices": 10, "first_date": start.isoformat(), "last_date": today.isoformat()}
    assert schedule["awaiting_confirmation"] == waiting
    assert billing_api.post("/recurring-invoices/raise-due").json() == {"raised": []}

    url = f"/recurring-invoices/{schedule['id']}/confirm"
    wrong = billing_api.post(url, {"invoices": 9, "through": today.isoformat()})
    assert wrong.status_code == 422 and fields_of(wrong) == {"invoices"}
    assert "10 invoices" in wrong.json()["errors"][0]["message"]

    confirmed = billing_api.post(url, {"invoices": 10, "through": today.isoformat()})
    assert confirmed.status_code == 200, confirmed.content
    body = confirmed.json()
    assert body["state"] == "active" and body["awaiting_confirmation"] is None
    assert (body["catch_up_approved_count"], body["catch_up_approved_through"]) == (
        10,
        today.isoformat(),
    )
    assert len(billing_api.post("/recurring-invoices/raise-due").json()["raised"]) == 10
    assert Invoice.objects.count() == 10
    again = billing_api.post(url, {"invoices": 10, "through": today.isoformat()})
    assert again.status_code == 422  # nothing waits any more


def test_a_schedule_that_could_not_raise_says_why(billing_api: ApiClient, customer, gst) -> None:
    line = {"description": "Monitoring", "quantity": "1", "unit_price": "50", "tax_rate": gst.pk}
    created = billing_api.post(
        "/recurring-invoices/",
        {"customer": customer.pk, "start_date": timezone.localdate().isoformat(), "lines": [line]},
    ).json()
    customer.active = False
    customer.save()
    billing_api.post("/recurring-invoices/raise-due")
    got = billing_api.get(f"/recurring-invoices/{created['id']}").json()
    assert "inactive" in got["last_error"] and got["last_error_at"]
