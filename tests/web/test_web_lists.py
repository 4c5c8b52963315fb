"""Lists search and page: 25 a page, search across the listed fields, odd page numbers tolerated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.customers.models import Customer
from ledgerbridge.work.models import Ticket

pytestmark = pytest.mark.django_db


def test_customer_list_searches_and_pages(billing_client: Client) -> None:
    Customer.objects.bulk_create(
        [Customer(name=f"Client {i:02d}", account_number=f"AC{i:02d}") for i in range(30)]
        + [Customer(name="Harbour Dental", email="desk@harbour.example")]
    )
    url = reverse("customers:list")
    first = billing_client.get(url).content.decode()
    assert "Page 1 of 2" in first and "Client 00" in first and "Harbour Dental" not in first
    second = billing_client.get(url, {"page": 2}).content.decode()
    assert "Harbour Dental" in second and "Client 00" not in second
    # Out-of-range and non-numeric pages show a real page instead of failing.
    assert billing_client.get(url, {"page": "999"}).status_code == 200
    assert billing_client.get(url, {"page": "abc"}).status_code == 200
    # Search by name, account number or email; several words must all match.
    found = billing_client.get(url, {"q": "harbour.example"}).content.decode()
    assert "Harbour Dental" in found and "Client 01" not in found
    found = billing_client.get(url, {"q": "AC07"}).content.decode()
    assert "Client 07" in found and "Client 08" not in found
    assert "No customers match" in billing_client.get(url, {"q": "client dental"}).content.decode()
    # The page links keep the search.
    paged = billing_client.get(url, {"q": "client"}).content.decode()
    assert "?q=client&amp;page=2" in paged


def test_invoice_list_searches_by_number_and_customer_and_filters_status(
    billing_client: Client, customer: Customer, gst
) -> None:
    other = Customer.objects.create(name="Northwind Clinic")
    lines = [LineData("Support", Decimal(1), Decimal(10), gst.pk)]
    day = dt.date(2026, 11, 1)
    made = [issue_invoice(customer, lines, date=day) for _ in range(26)]
    authorised = issue_invoice(other, lines, date=day, status="AUTHORISED")
    url = reverse("billing:invoice_list")
    page = billing_client.get(url).content.decode()
    assert "Page 1 of 2" in page
    found = billing_client.get(url, {"q": made[3].number}).content.decode()
    assert made[3].number in found and made[4].number not in found
    found = billing_client.get(url, {"q": "northwind"}).content.decode()
    assert authorised.number in found and made[0].number not in found
    found = billing_client.get(url, {"status": "AUTHORISED"}).content.decode()
    assert authorised.number in found and made[0].number not in found
    assert billing_client.get(url, {"status": "NONSENSE", "q": "x" * 5000}).status_code == 200


def test_ticket_list_search(tech_client: Client, customer: Customer) -> None:
    printer = Ticket.objects.create(customer=customer, title="Printer jammed")
    Ticket.objects.create(customer=customer, title="New laptop")
    url = reverse("work:ticket_list")
    found = tech_client.get(url, {"q": "printer"}).content.decode()
    assert "Printer jammed" in found and "New laptop" not in found
    found = tech_client.get(url, {"q": printer.reference}).content.decode()
    assert "Printer jammed" in found and "New laptop" not in found


def test_product_and_supplier_lists_search(billing_client: Client, product, supplier) -> None:
    found = billing_client.get(reverse("catalog:product_list"), {"q": "FW-100"}).content.decode()
    assert "Managed firewall" in found
    missing = billing_client.get(reverse("catalog:product_list"), {"q": "nothing"}).content.decode()
    assert "No products match" in missing
    found = billing_client.get(reverse("suppliers:list"), {"q": "ingram"}).content.decode()
    assert "Ingram Micro" in found


def test_the_invoice_lists_total_is_exact_decimal_money(billing_client: Client, customer, no_tax):
    # 0.1 + 0.2 is 0.30000000000000004 in binary floating point; summed as Decimal it is 0.30.
    # Many such totals once showed as 93045.3400000001.
    for price in ("0.10", "0.20", "93045.04"):
        issue_invoice(
            customer,
            [LineData("Work", Decimal(1), Decimal(price), no_tax.pk)],
            date=dt.date(2026, 11, 2),
        )
    page = billing_client.get(reverse("billing:invoice_list")).content.decode()
    assert '<td class="num">93045.34</td>' in page
    assert "93045.340" not in page
