"""Every customer, supplier and product has its organisation on its form and in the API, the
same rules on both: defaulted for new records (GEN-1), fixed once set (CUST-5), generated
account numbers and product codes (GEN-4, suppliers have none), default accounts codes
(GEN-5), and lists and pickers that tell two same-named records of two organisations apart."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.accounts.models import ApiToken
from ledgerbridge.catalog.models import Product
from ledgerbridge.customers.models import Customer
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.models import Link, SyncSettings
from ledgerbridge.sync.services import organisation_for

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def orgs(db):
    return organisation_for("xero", "tenant-nz", "NZ books"), organisation_for(
        "xero", "tenant-au", "AU books"
    )


@pytest.fixture
def web(billing_user) -> Client:
    client = Client()
    client.force_login(billing_user)
    return client


@pytest.fixture
def api(billing_user) -> Client:
    return Client(headers={"Authorization": f"Bearer {ApiToken.issue(billing_user, 't')[1]}"})


def settings(**values: Any) -> SyncSettings:
    row = SyncSettings.get()
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def test_gen_1_a_new_customer_gets_the_default_organisation_on_screen_and_in_the_api(
    web, api, orgs
):
    nz, _ = orgs
    settings(default_organisation=nz)
    form = web.get(reverse("customers:create")).content.decode()
    assert re.search(rf'<option value="{nz.pk}" selected>NZ books</option>', form)
    answer = web.post(
        reverse("customers:create"),
        {"name": "Screen Ltd", "organisation": nz.pk, "payment_terms_days": 30},
    )
    assert answer.status_code == 302
    assert Customer.objects.get(name="Screen Ltd").organisation == nz
    made = api.post("/api/v1/customers/", {"name": "Api Ltd"}, content_type="application/json")
    assert made.status_code == 201 and made.json()["organisation"] == nz.pk
    none = api.post(
        "/api/v1/customers/",
        {"name": "Internal", "organisation": None},
        content_type="application/json",
    )
    assert none.json()["organisation"] is None  # chosen "none": it is not synced
    # The change is recorded for sync in the same transaction: a link waits for the engine.
    assert Link.objects.filter(kind="customer", local_id=made.json()["id"]).exists()
    assert not Link.objects.filter(kind="customer", local_id=none.json()["id"]).exists()


def test_cust_5_an_organisation_once_set_never_changes(web, api, orgs):
    nz, au = orgs
    customer = Customer.objects.create(name="Fixed Ltd", organisation=nz)
    page = web.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert re.search(r'<select name="organisation"[^>]*disabled', page)
    # A tampered form cannot move it: the disabled field keeps the stored value.
    web.post(
        reverse("customers:edit", args=[customer.pk]),
        {"name": "Fixed Ltd", "organisation": au.pk, "active": "on"},
    )
    customer.refresh_from_db()
    assert customer.organisation == nz
    moved = api.put(
        f"/api/v1/customers/{customer.pk}",
        {"name": "Fixed Ltd", "organisation": au.pk},
        content_type="application/json",
    )
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["field"] == "organisation"
    kept = api.put(
        f"/api/v1/customers/{customer.pk}", {"name": "Fixed Ltd"}, content_type="application/json"
    )
    assert kept.status_code == 200 and kept.json()["organisation"] == nz.pk
    unknown = api.post(
        "/api/v1/customers/", {"name": "X", "organisation": 999999}, content_type="application/json"
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "organisation"


def test_gen_4_generate_fills_the_next_account_number_and_suppliers_have_none(web, api, orgs):
    nz, _ = orgs
    Customer.objects.create(name="Old", account_number="C00007", organisation=nz)
    shown = web.post(
        reverse("customers:create"),
        {"name": "Typed Ltd", "organisation": nz.pk, "generate": "account_number"},
    )
    assert shown.status_code == 200
    page = shown.content.decode()
    assert 'value="C00008"' in page and 'value="Typed Ltd"' in page  # what was typed is kept
    assert not Customer.objects.filter(name="Typed Ltd").exists()  # nothing saved
    settings(generate_account_numbers=True, default_organisation=nz)
    made = api.post("/api/v1/customers/", {"name": "Auto Ltd"}, content_type="application/json")
    assert made.json()["account_number"] == "C00008"
    assert ">Generate<" not in web.get(reverse("suppliers:create")).content.decode()


def test_gen_4_gen_5_a_new_product_gets_a_code_and_the_default_accounts_codes(
    api, orgs, product_group
):
    nz, _ = orgs
    settings(
        generate_product_codes=True,
        default_organisation=nz,
        default_sales_account_code="200",
        default_purchase_account_code="300",
    )
    made = api.post(
        "/api/v1/products/",
        {"name": "Router", "group": product_group.pk},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["code"] == "P00001" and body["organisation"] == nz.pk
    assert (body["sales_account_code"], body["purchase_account_code"]) == ("200", "300")
    own = api.post(
        "/api/v1/products/",
        {"name": "Switch", "group": product_group.pk, "code": "SW-1", "sales_account_code": "260"},
        content_type="application/json",
    ).json()
    assert (own["code"], own["sales_account_code"]) == ("SW-1", "260")


def test_lists_and_pickers_tell_two_same_named_records_of_two_organisations_apart(web, orgs):
    nz, au = orgs
    Customer.objects.create(name="Acme Dental", organisation=nz, account_number="A1")
    Customer.objects.create(name="Acme Dental", organisation=au, account_number="A1")
    Supplier.objects.create(name="Ingram", organisation=au)
    listing = text(web.get(reverse("customers:list")))
    assert "Acme Dental NZ books A1" in listing and "Acme Dental AU books A1" in listing
    assert "Ingram AU books" in text(web.get(reverse("suppliers:list")))
    picker = web.get(reverse("billing:invoice_create")).content.decode()
    assert "Acme Dental (NZ books)" in picker and "Acme Dental (AU books)" in picker


def test_a_product_list_shows_its_organisation(web, orgs, product_group):
    nz, _ = orgs
    Product.objects.create(name="Firewall", code="FW", group=product_group, organisation=nz)
    assert "Firewall NZ books" in text(web.get(reverse("catalog:product_list")))
