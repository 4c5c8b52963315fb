"""Create, read, change, list and delete each entity through the API, as a user would."""

from __future__ import annotations

import pytest

from ledgerbridge.catalog.models import ChargeRate, Product, ProductGroup, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.work.models import Ticket

from .conftest import ApiClient, fields_of


def test_customer_crud_with_addresses_tax_defaults_and_billing_settings(
    admin_api: ApiClient, gst: TaxRate, no_tax: TaxRate
) -> None:
    body = {
        "name": "Bright Dental",
        "account_number": "BRI01",
        "email": "accounts@bright.example",
        "phone": "+64 9 555 0100",
        "postal_line1": "PO Box 12",
        "postal_city": "Auckland",
        "street_line1": "1 Queen St",
        "street_country": "NZ",
        "sales_tax_rate": gst.pk,
        "purchase_tax_rate": no_tax.pk,
        "payment_terms_days": 14,
        "invoice_email": "ap@bright.example",
        "billing_notes": "PO number on every invoice",
    }
    created = admin_api.post("/customers/", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert {k: data[k] for k in body} == body
    customer_id = data["id"]

    changed = admin_api.put(f"/customers/{customer_id}", {**body, "active": False, "phone": ""})
    assert changed.status_code == 200
    stored = Customer.objects.get(pk=customer_id)
    assert (stored.active, stored.phone, stored.payment_terms_days) == (False, "", 14)

    assert admin_api.get(f"/customers/{customer_id}").json()["name"] == "Bright Dental"
    listed = admin_api.get("/customers/", q="bright")
    assert listed.json()["count"] == 1
    assert admin_api.get("/customers/", q="nobody").json() == {"count": 0, "items": []}

    assert admin_api.delete(f"/customers/{customer_id}").status_code == 204
    assert not Customer.objects.filter(pk=customer_id).exists()
    assert admin_api.get(f"/customers/{customer_id}").status_code == 404


def test_list_is_paged_with_a_count(billing_api: ApiClient) -> None:
    for i in range(7):
        Customer.objects.create(name=f"Customer {i}")
    page = billing_api.get("/customers/", limit=3, offset=3).json()
    assert page["count"] == 7
    assert [c["name"] for c in page["items"]] == ["Customer 3", "Customer 4", "Customer 5"]


def test_duplicate_account_number_is_409_naming_the_field(
    billing_api: ApiClient, customer: Customer
) -> None:
    response = billing_api.post("/customers/", {"name": "Copy", "account_number": "ACME01"})
    assert response.status_code == 409
    assert fields_of(response) == {"account_number"}
    assert Customer.objects.count() == 1


def test_blank_account_numbers_may_repeat(billing_api: ApiClient) -> None:
    for name in ("One", "Two"):
        response = billing_api.post("/customers/", {"name": name, "account_number": ""})
        assert response.status_code == 201
        assert response.json()["account_number"] is None


def test_customer_in_use_cannot_be_deleted(billing_api: ApiClient, ticket: Ticket) -> None:
    response = billing_api.delete(f"/customers/{ticket.customer_id}")
    assert response.status_code == 409
    assert "inactive" in response.json()["detail"]
    assert Customer.objects.filter(pk=ticket.customer_id).exists()


def test_supplier_crud(billing_api: ApiClient, gst: TaxRate) -> None:
    body = {
        "name": "Dicker Data",
        "account_number": "DD01",
        "postal_line1": "5 Wharf Rd",
        "purchase_tax_rate": gst.pk,
    }
    created = billing_api.post("/suppliers/", body)
    assert created.status_code == 201, created.content
    supplier_id = created.json()["id"]
    assert created.json()["postal_line1"] == "5 Wharf Rd"
    changed = billing_api.put(f"/suppliers/{supplier_id}", {**body, "name": "Dicker Data Ltd"})
    assert changed.json()["name"] == "Dicker Data Ltd"
    assert billing_api.get("/suppliers/", q="dicker").json()["count"] == 1
    assert billing_api.delete(f"/suppliers/{supplier_id}").status_code == 204
    assert not Supplier.objects.filter(pk=supplier_id).exists()


def test_tax_rate_crud_and_the_zero_rate_stays(admin_api: ApiClient, no_tax: TaxRate) -> None:
    created = admin_api.post("/tax-rates/", {"name": "VAT", "percentage": "20.125"})
    assert created.status_code == 201
    assert created.json()["percentage"] == "20.1250"
    rate_id = created.json()["id"]
    assert (
        admin_api.put(f"/tax-rates/{rate_id}", {"name": "VAT", "percentage": 21}).json()[
            "percentage"
        ]
        == "21.0000"
    )
    assert admin_api.delete(f"/tax-rates/{rate_id}").status_code == 204

    refused = admin_api.delete(f"/tax-rates/{no_tax.pk}")
    assert refused.status_code == 409
    assert "cannot be deleted" in refused.json()["detail"]
    assert TaxRate.objects.filter(pk=no_tax.pk).exists()
    changed = admin_api.put(f"/tax-rates/{no_tax.pk}", {"name": "No tax", "percentage": 5})
    assert changed.status_code == 422
    assert fields_of(changed) == {"percentage"}


def test_tax_rate_in_use_cannot_be_deleted(admin_api: ApiClient, customer: Customer) -> None:
    response = admin_api.delete(f"/tax-rates/{customer.sales_tax_rate_id}")
    assert response.status_code == 409
    assert TaxRate.objects.filter(pk=customer.sales_tax_rate_id).exists()


def test_charge_rate_crud(admin_api: ApiClient, tech_api: ApiClient) -> None:
    body = {"name": "Onsite", "hourly_price": "150.5", "accounts_code": "LAB-ONSITE"}
    created = admin_api.post("/charge-rates/", body)
    assert created.status_code == 201
    assert created.json()["hourly_price"] == "150.5000"
    rate_id = created.json()["id"]
    assert tech_api.get(f"/charge-rates/{rate_id}").json()["accounts_code"] == "LAB-ONSITE"
    changed = admin_api.put(f"/charge-rates/{rate_id}", {**body, "active": False})
    assert changed.json()["active"] is False
    assert admin_api.delete(f"/charge-rates/{rate_id}").status_code == 204
    assert not ChargeRate.objects.filter(pk=rate_id).exists()


def test_product_group_and_product_crud_with_parent(
    admin_api: ApiClient, billing_api: ApiClient, gst: TaxRate
) -> None:
    group = admin_api.post("/product-groups/", {"name": "Licences"})
    assert group.status_code == 201
    group_id = group.json()["id"]
    assert billing_api.get(f"/product-groups/{group_id}").json()["name"] == "Licences"

    body = {
        "name": "M365 Business",
        "code": "M365-BP",
        "group": group_id,
        "sales_account_code": "200",
        "purchase_account_code": "310",
        "sales_tax_rate": gst.pk,
        "purchase_tax_rate": gst.pk,
        "unit_price": "33.1234",
        "unit_cost": 25,
    }
    parent = billing_api.post("/products/", body)
    assert parent.status_code == 201, parent.content
    assert parent.json()["unit_price"] == "33.1234"
    assert parent.json()["unit_cost"] == "25.0000"
    child = billing_api.post(
        "/products/",
        {**body, "name": "M365 add-on", "code": "M365-AO", "parent": parent.json()["id"]},
    )
    assert child.status_code == 201
    assert child.json()["parent"] == parent.json()["id"]
    grandchild = billing_api.post(
        "/products/", {**body, "name": "Too deep", "code": "DEEP", "parent": child.json()["id"]}
    )
    assert grandchild.status_code == 422
    assert fields_of(grandchild) == {"parent"}
    assert billing_api.get("/products/", q="m365").json()["count"] == 2

    in_use = admin_api.delete(f"/product-groups/{group_id}")
    assert in_use.status_code == 409
    assert billing_api.delete(f"/products/{parent.json()['id']}").status_code == 409
    assert billing_api.delete(f"/products/{child.json()['id']}").status_code == 204
    assert Product.objects.count() == 1
    assert ProductGroup.objects.filter(pk=group_id).exists()


@pytest.mark.parametrize("status", ["open", "closed"])
def test_ticket_crud(billing_api: ApiClient, customer: Customer, status: str) -> None:
    created = billing_api.post(
        "/tickets/", {"customer": customer.pk, "title": "VPN down", "status": status}
    )
    assert created.status_code == 201
    ticket_id = created.json()["id"]
    assert created.json()["reference"] == f"T{ticket_id:05d}"
    changed = billing_api.put(
        f"/tickets/{ticket_id}", {"customer": customer.pk, "title": "VPN fixed", "status": "closed"}
    )
    assert changed.json()["status"] == "closed"
    assert billing_api.get("/tickets/", q="vpn", status="closed").json()["count"] == 1
    assert billing_api.delete(f"/tickets/{ticket_id}").status_code == 204
    assert not Ticket.objects.filter(pk=ticket_id).exists()


def test_time_cannot_be_logged_on_a_closed_ticket(
    tech_api: ApiClient, ticket: Ticket, charge_rate: ChargeRate
) -> None:
    ticket.status = "closed"
    ticket.save()
    body = {"date": "2026-11-20", "hours": 1, "charge_rate": charge_rate.pk, "summary": "x"}
    response = tech_api.post(f"/tickets/{ticket.pk}/time-entries", body)
    assert response.status_code == 422
    assert fields_of(response) == {"ticket"}
    assert ticket.time_entries.count() == 0


def test_every_delete_documents_409_for_a_record_in_use(admin_api: ApiClient) -> None:
    """Issue 9: a refused deletion (the record is in use) is a 409, and the document says so."""
    paths = admin_api.get("/openapi.json").json()["paths"]
    deletes = {p: ops["delete"] for p, ops in paths.items() if "delete" in ops}
    assert deletes
    for path, operation in deletes.items():
        assert "409" in operation["responses"], path
