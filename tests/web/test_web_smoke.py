from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = [
    "home",
    "configuration",
    "customers:list",
    "customers:create",
    "suppliers:list",
    "suppliers:create",
    "catalog:product_list",
    "catalog:product_create",
    "catalog:group_list",
    "catalog:group_create",
    "catalog:taxrate_list",
    "catalog:taxrate_create",
    "catalog:chargerate_list",
    "catalog:chargerate_create",
    "work:ticket_list",
    "work:ticket_create",
    "billing:ready",
    "billing:billed",
    "billing:invoice_list",
    "billing:invoice_create",
    "billing:recurring_list",
    "billing:recurring_create",
    "purchasing:list",
    "purchasing:create",
    "accounts:user_list",
    "accounts:user_create",
    "accounts:token_list",
]


@pytest.mark.parametrize("name", PAGES)
def test_smoke(admin_client, name, customer, supplier, product, ticket, charge_rate):
    response = admin_client.get(reverse(name))
    assert response.status_code == 200, response.content[:3000]
