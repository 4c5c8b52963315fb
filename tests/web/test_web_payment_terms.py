"""Issue 9: payment terms follow one rule (0 to 3650 days) on the customer screens, as in
the API."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("terms", ["3651", "32767", "2147483647"])
def test_customer_screens_refuse_terms_over_ten_years(
    admin_client: Client, customer: Customer, terms: str
) -> None:
    new = {"name": "Bluebird Law", "payment_terms_days": terms, "active": "on"}
    response = admin_client.post(reverse("customers:create"), new)
    page = response.content.decode()
    assert response.status_code == 400, page[:1500]
    assert "less than or equal to 3650" in page
    assert not Customer.objects.filter(name="Bluebird Law").exists()
    url = reverse("customers:settings", args=[customer.pk])
    response = admin_client.post(url, {"payment_terms_days": terms})
    assert response.status_code == 400
    assert "less than or equal to 3650" in response.content.decode()
    customer.refresh_from_db()
    assert customer.payment_terms_days == 30


def test_customer_screen_accepts_ten_years(admin_client: Client, customer: Customer) -> None:
    url = reverse("customers:settings", args=[customer.pk])
    assert admin_client.post(url, {"payment_terms_days": "3650"}).status_code == 302
    customer.refresh_from_db()
    assert customer.payment_terms_days == 3650
