"""Every form answers bad input with a 400, a message naming the field and the fix, and
nothing saved: wrong types, missing fields, negative amounts, absurd decimals, unknown ids,
over-long text, and the services' own refusals (attached to the field they name)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.accounts.models import ApiToken, User
from ledgerbridge.billing.models import Invoice, RecurringInvoice, Sequence
from ledgerbridge.catalog.models import ChargeRate, Product, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.purchasing.models import PurchaseOrder
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.work.models import Ticket, TicketStatus, TimeEntry
from posting import invoice_post, line  # tests/, on the path

pytestmark = pytest.mark.django_db


def refused(response: Any, *named: str) -> str:
    """The page refused the input: 400, 'Nothing was saved', and each field named."""
    page = response.content.decode()
    assert response.status_code == 400, page[:2000]
    assert "Nothing was saved" in page
    for text in named:
        assert text in page, f"{text!r} not on the page"
    return page


# Customers and suppliers ----------------------------------------------------------------------


CUSTOMER_OK = {"name": "Bluebird Law", "payment_terms_days": "14", "active": "on"}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"name": ""}, ["<strong>Name</strong>", "This field is required"]),
        ({"name": "x" * 256}, ["Ensure this value has at most 255 characters"]),
        ({"email": "not-an-email"}, ["<strong>Email</strong>", "valid email"]),
        ({"payment_terms_days": "soon"}, ["Payment terms (days)", "Enter a whole number"]),
        ({"payment_terms_days": "-3"}, ["Payment terms (days)", "greater than or equal to 0"]),
        ({"sales_tax_rate": "999999"}, ["Default sales tax rate", "Select a valid choice"]),
        ({"postal_line1": "y" * 501}, ["Postal address line 1", "at most 500"]),
    ],
)
def test_customer_create_refuses_bad_input(
    admin_client: Client, gst: TaxRate, change: dict[str, str], named: list[str]
) -> None:
    response = admin_client.post(reverse("customers:create"), {**CUSTOMER_OK, **change})
    refused(response, *named)
    assert not Customer.objects.exists()


def test_customer_create_then_duplicate_account_number(admin_client: Client, customer) -> None:
    data = {**CUSTOMER_OK, "account_number": customer.account_number}
    refused(
        admin_client.post(reverse("customers:create"), data), "Account number", "already exists"
    )
    assert Customer.objects.count() == 1
    ok = admin_client.post(reverse("customers:create"), CUSTOMER_OK)
    assert ok.status_code == 302
    assert Customer.objects.get(name="Bluebird Law").payment_terms_days == 14


def test_customer_settings_tab_saves_and_refuses(admin_client: Client, customer, no_tax) -> None:
    url = reverse("customers:settings", args=[customer.pk])
    page = admin_client.get(url).content.decode()
    assert "Billing settings" in page and 'class="active"' in page
    bad = {"payment_terms_days": "-1", "invoice_email": "nope", "billing_notes": "n" * 2001}
    refused(admin_client.post(url, bad), "Payment terms (days)", "Invoice email", "Billing notes")
    customer.refresh_from_db()
    assert customer.payment_terms_days == 30
    good = {
        "payment_terms_days": "7",
        "invoice_email": "ap@acme.example",
        "sales_tax_rate": no_tax.pk,
    }
    assert admin_client.post(url, good).status_code == 302
    customer.refresh_from_db()
    assert (customer.payment_terms_days, customer.sales_tax_rate_id) == (7, no_tax.pk)


def test_supplier_form_refuses_missing_name_and_bad_tax_rate(admin_client: Client) -> None:
    response = admin_client.post(reverse("suppliers:create"), {"purchase_tax_rate": "abc"})
    refused(response, "<strong>Name</strong>", "Default purchase tax rate")
    assert not Supplier.objects.exists()


# Catalog --------------------------------------------------------------------------------------


def product_data(product_group, gst, **change: Any) -> dict[str, Any]:
    data = {
        "name": "Backup seat",
        "code": "BK-1",
        "group": product_group.pk,
        "unit_price": "12.5",
        "unit_cost": "4",
        "sales_tax_rate": gst.pk,
        "active": "on",
    }
    return {**data, **change}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"unit_price": "-1"}, ["Unit price", "greater than or equal to 0"]),
        ({"unit_price": "1.123456"}, ["Unit price", "no more than 4 decimal places"]),
        ({"unit_cost": "lots"}, ["Unit cost", "Enter a number"]),
        ({"unit_price": "1e30"}, ["Unit price", "no more than 14 digits"]),
        ({"group": "424242"}, ["Group", "Select a valid choice"]),
        ({"name": "n" * 51}, ["<strong>Name</strong>", "at most 50 characters"]),
        ({"code": "FW-100"}, ["Product code", "already exists"]),
    ],
)
def test_product_form_refuses_bad_input(
    admin_client: Client, product, product_group, gst, change, named
) -> None:
    response = admin_client.post(
        reverse("catalog:product_create"), product_data(product_group, gst, **change)
    )
    refused(response, *named)
    assert Product.objects.count() == 1


def test_product_parent_rule_from_the_service_lands_on_parent(
    admin_client: Client, product, product_group, gst
) -> None:
    child = Product.objects.create(name="Child", group=product_group, parent=product)
    # A product with children cannot get a parent (catalog.services.check_parent).
    other = Product.objects.create(name="Other", group=product_group)
    url = reverse("catalog:product_edit", args=[product.pk])
    data = product_data(product_group, gst, name=product.name, code=product.code, parent=other.pk)
    page = refused(admin_client.post(url, data), "<strong>Parent</strong>", "has children")
    assert 'id="id_parent_errors"' in page
    product.refresh_from_db()
    assert product.parent_id is None and child.parent_id == product.pk


def test_tax_rate_rules(admin_client: Client, no_tax) -> None:
    create = reverse("catalog:taxrate_create")
    refused(admin_client.post(create, {"name": "Silly", "percentage": "150"}), "Percentage")
    refused(admin_client.post(create, {"name": "Odd", "percentage": "1.123456"}), "Percentage")
    assert TaxRate.objects.count() == 1
    # The zero rate cannot be deleted: the service's reason is shown, with a 4xx.
    response = admin_client.post(reverse("catalog:taxrate_delete", args=[no_tax.pk]))
    assert response.status_code == 409
    assert "The zero tax rate always exists and cannot be deleted." in response.content.decode()
    assert TaxRate.objects.filter(pk=no_tax.pk).exists()


def test_tax_rate_in_use_is_not_deleted(admin_client: Client, customer, gst) -> None:
    response = admin_client.post(reverse("catalog:taxrate_delete", args=[gst.pk]))
    assert response.status_code == 409
    assert "still used by" in response.content.decode()


def test_charge_rate_form(admin_client: Client) -> None:
    url = reverse("catalog:chargerate_create")
    refused(admin_client.post(url, {"name": "On site", "hourly_price": "abc"}), "Hourly price")
    refused(admin_client.post(url, {"name": "On site", "hourly_price": "-5"}), "Hourly price")
    data = {"name": "On site", "hourly_price": "150", "accounts_code": "LAB-ON", "active": "on"}
    assert admin_client.post(url, data).status_code == 302
    assert ChargeRate.objects.get().accounts_code == "LAB-ON"


# Tickets and time -----------------------------------------------------------------------------


def test_ticket_form_refuses_unknown_customer(tech_client: Client) -> None:
    response = tech_client.post(
        reverse("work:ticket_create"), {"customer": "77", "title": "", "status": "open"}
    )
    refused(response, "<strong>Customer</strong>", "<strong>Title</strong>")
    assert not Ticket.objects.exists()


TIME_OK = {"date": "2026-11-24", "hours": "1.25", "summary": "Fixed it", "billable": "on"}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"hours": "-1"}, ["<strong>Hours</strong>", "greater than or equal to 0.01"]),
        ({"hours": "25"}, ["<strong>Hours</strong>", "less than or equal to 24"]),
        ({"hours": "1.234"}, ["<strong>Hours</strong>", "no more than 2 decimal places"]),
        ({"hours": "two"}, ["<strong>Hours</strong>", "Enter a number"]),
        ({"date": "31/31/2026"}, ["<strong>Date</strong>", "Enter a valid date"]),
        ({"date": ""}, ["<strong>Date</strong>", "required"]),
        ({"summary": "s" * 501}, ["<strong>Summary</strong>", "at most 500"]),
        ({"charge_rate": "999"}, ["<strong>Charge rate</strong>", "Select a valid choice"]),
    ],
)
def test_log_time_refuses_bad_input(
    tech_client: Client, ticket, charge_rate, change, named
) -> None:
    data = {**TIME_OK, "charge_rate": charge_rate.pk, **change}
    refused(tech_client.post(reverse("work:ticket_detail", args=[ticket.pk]), data), *named)
    assert not TimeEntry.objects.exists()


def test_log_time_on_a_closed_ticket_shows_the_service_reason(
    admin_client: Client, ticket, charge_rate, admin
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)
    data = {**TIME_OK, "charge_rate": charge_rate.pk, "agent": admin.pk}
    refused(
        admin_client.post(reverse("work:ticket_detail", args=[ticket.pk]), data),
        "is closed; reopen it",
    )
    assert not TimeEntry.objects.exists()


# Invoices and their lines ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"quantity": "-2"}, ["Line 2: Quantity", "greater than or equal to 0.0001"]),
        ({"quantity": "0"}, ["Line 2: Quantity", "greater than or equal to 0.0001"]),
        ({"quantity": "abc"}, ["Line 2: Quantity", "Enter a number"]),
        ({"unit_price": "10.123456"}, ["Line 2: Unit price", "no more than 4 decimal places"]),
        ({"unit_price": "99999999999999999"}, ["Line 2: Unit price"]),
        ({"tax_rate": "31337"}, ["Line 2: Tax rate", "Select a valid choice"]),
        ({"product": "31337"}, ["Line 2: Product", "Select a valid choice"]),
        ({"description": "", "quantity": "1"}, ["Line 2: Description", "Enter a description"]),
        ({"description": "d" * 4001}, ["Line 2: Description", "at most 4000"]),
        ({"item_code": "c" * 31}, ["Line 2: Item code", "at most 30"]),
    ],
)
def test_invoice_lines_refuse_bad_input(
    billing_client: Client, customer, gst, change, named
) -> None:
    data = invoice_post(customer, [line(gst), line(gst, **change)])
    page = refused(billing_client.post(reverse("billing:invoice_create"), data), *named)
    assert "has-error" in page
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ({"customer": "4040"}, ["<strong>Customer</strong>", "Select a valid choice"]),
        ({"date": "yesterday"}, ["<strong>Date</strong>", "Enter a valid date"]),
        ({"status": "PAID"}, ["<strong>Status</strong>", "Select a valid choice"]),
        ({"amount_type": "Sometimes"}, ["Amounts are", "Select a valid choice"]),
        ({"reference": "r" * 256}, ["<strong>Reference</strong>", "at most 255"]),
    ],
)
def test_invoice_header_refuses_bad_input(
    billing_client: Client, customer, gst, header, named
) -> None:
    data = invoice_post(customer, [line(gst)], **header)
    refused(billing_client.post(reverse("billing:invoice_create"), data), *named)
    assert not Invoice.objects.exists()


def test_service_refusals_land_on_their_fields_and_nothing_is_half_saved(
    billing_client: Client, customer, gst
) -> None:
    url = reverse("billing:invoice_create")
    # issue_invoice refuses a due date before the invoice date: shown on the due date field.
    data = invoice_post(customer, [line(gst)], due_date="2026-11-01")
    page = refused(billing_client.post(url, data), "<strong>Due date</strong>", "cannot be before")
    assert 'id="id_due_date_errors"' in page
    # No lines at all: the service's "lines" error is shown as a form error naming Lines.
    refused(billing_client.post(url, invoice_post(customer, [])), "Lines: Add at least one line.")
    assert not Invoice.objects.exists()
    # The number was not consumed: the refused attempts rolled back.
    assert not Sequence.objects.filter(name="invoice", next_value__gt=1).exists()


def test_tampered_formsets_are_400_not_500(billing_client: Client, customer, gst) -> None:
    url = reverse("billing:invoice_create")
    data = invoice_post(customer, [line(gst)])
    del data["lines-TOTAL_FORMS"]
    refused(billing_client.post(url, data), "ManagementForm data is missing")
    data = invoice_post(customer, [line(gst)])
    data["lines-TOTAL_FORMS"] = "100000"
    refused(billing_client.post(url, data), "Please submit at most 100 forms")
    refused(billing_client.post(url, {}), "<strong>Customer</strong>")
    assert not Invoice.objects.exists()


def test_invoice_create_and_edit_with_lines(
    billing_client: Client, customer, gst, no_tax, product
) -> None:
    url = reverse("billing:invoice_create")
    data = invoice_post(
        customer,
        [line(gst, unit_price="10.0050", quantity="3"), {"product": product.pk, "quantity": "1"}],
    )
    response = billing_client.post(url, data)
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    lines = list(invoice.lines.order_by("position"))
    # A picked product fills the blanks from itself (description, price, tax, code).
    assert (lines[1].description, lines[1].unit_price, lines[1].item_code) == (
        product.name,
        product.unit_price,
        product.code,
    )
    # 30.015 -> 30.02 (tax 4.50); 49.995 -> 50.00 (tax 7.50): per line, as money.py rounds.
    assert (invoice.subtotal, invoice.total_tax, invoice.total) == (
        Decimal("80.02"),
        Decimal("12.00"),
        Decimal("92.02"),
    )
    page = billing_client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    for text in ("80.02", "12.00", "92.02", "10.0050", "4.50", "7.50"):
        assert text in page

    # Edit: drop the second line, make it tax inclusive at no tax.
    edit = reverse("billing:invoice_edit", args=[invoice.pk])
    assert billing_client.get(edit).status_code == 200
    data = invoice_post(
        customer,
        [line(no_tax, quantity="1", unit_price="50"), {**line(gst), "DELETE": "on"}],
        amount_type="Inclusive",
    )
    data["lines-INITIAL_FORMS"] = "2"
    assert billing_client.post(edit, data).status_code == 302
    invoice.refresh_from_db()
    assert (invoice.amount_type, invoice.total, invoice.lines.count()) == (
        "Inclusive",
        Decimal("50.00"),
        1,
    )


def test_a_paid_invoice_cannot_be_edited_or_deleted(billing_client: Client, customer, gst) -> None:
    billing_client.post(reverse("billing:invoice_create"), invoice_post(customer, [line(gst)]))
    invoice = Invoice.objects.get()
    Invoice.objects.filter(pk=invoice.pk).update(status="PAID")
    data = invoice_post(customer, [line(gst, quantity="5")])
    refused(
        billing_client.post(reverse("billing:invoice_edit", args=[invoice.pk]), data),
        "can no longer be changed",
    )
    response = billing_client.post(reverse("billing:invoice_delete", args=[invoice.pk]))
    assert response.status_code == 409
    assert "is paid; remove its payment" in response.content.decode()
    assert Invoice.objects.get().total == Decimal("230.00")


# Recurring invoices and purchase orders -------------------------------------------------------


def test_recurring_invoice_form_and_raise_now(billing_client: Client, customer, gst) -> None:
    url = reverse("billing:recurring_create")
    bad = invoice_post(customer, [line(gst)], start_date="2026-11-01", end_date="2026-10-01")
    bad.update(interval_count="0", interval_unit="fortnight")
    refused(billing_client.post(url, bad), "<strong>Every</strong>", "<strong>Unit</strong>")
    bad.update(interval_count="1", interval_unit="month")
    refused(
        billing_client.post(url, bad), "<strong>End date</strong>", "cannot be before the start"
    )
    assert not RecurringInvoice.objects.exists()
    start = dt.date.today() - dt.timedelta(days=1)
    good = invoice_post(
        customer,
        [line(gst)],
        start_date=start.isoformat(),
        interval_count="1",
        interval_unit="month",
        active="on",  # the form's checkbox, ticked by default; honoured on create as on edit
    )
    assert billing_client.post(url, good).status_code == 302
    response = billing_client.post(reverse("billing:recurring_raise"), follow=True)
    assert "Raised 1 invoice(s)" in response.content.decode()
    assert Invoice.objects.get().kind == "recurring"
    again = billing_client.post(reverse("billing:recurring_raise"), follow=True)
    assert "nothing raised" in again.content.decode()


def test_purchase_order_form(billing_client: Client, supplier, gst) -> None:
    url = reverse("purchasing:create")
    data = invoice_post(supplier, [line(gst, quantity="-1")], supplier=supplier.pk)
    data.pop("customer")
    refused(billing_client.post(url, data), "Line 1: Quantity")
    data = invoice_post(supplier, [line(gst)], supplier=supplier.pk, delivery_date="2026-01-01")
    data.pop("customer")
    refused(billing_client.post(url, data), "<strong>Delivery date</strong>", "cannot be before")
    assert not PurchaseOrder.objects.exists()
    data["delivery_date"] = "2026-12-01"
    assert billing_client.post(url, data).status_code == 302
    order = PurchaseOrder.objects.get()
    assert order.total == Decimal("230.00")
    assert billing_client.post(reverse("purchasing:delete", args=[order.pk])).status_code == 302
    assert not PurchaseOrder.objects.exists()


# Users and API tokens -------------------------------------------------------------------------


def test_user_forms(admin_client: Client, admin: User) -> None:
    url = reverse("accounts:user_create")
    data = {
        "username": "newtech",
        "role": "wizard",
        "password1": "Sturdy-Pass-99",
        "password2": "other",
    }
    refused(admin_client.post(url, data), "<strong>Role</strong>", "Password confirmation")
    assert not User.objects.filter(username="newtech").exists()
    data.update(role="technician", password2="Sturdy-Pass-99")
    assert admin_client.post(url, data).status_code == 302
    tech = User.objects.get(username="newtech")
    assert tech.role == "technician" and tech.check_password("Sturdy-Pass-99")
    # Deactivate; an admin cannot deactivate themselves.
    edit = reverse("accounts:user_edit", args=[tech.pk])
    assert admin_client.post(edit, {"username": "newtech", "role": "technician"}).status_code == 302
    tech.refresh_from_db()
    assert not tech.is_active
    own = reverse("accounts:user_edit", args=[admin.pk])
    refused(
        admin_client.post(own, {"username": admin.username, "role": "admin"}),
        "cannot deactivate yourself",
    )


def test_api_token_is_shown_once_listed_by_prefix_and_revocable(
    admin_client: Client, admin: User
) -> None:
    url = reverse("accounts:token_list")
    refused(admin_client.post(url, {"user": admin.pk, "name": ""}), "<strong>Name</strong>")
    refused(admin_client.post(url, {"user": "12345", "name": "RMM"}), "<strong>User</strong>")
    response = admin_client.post(url, {"user": admin.pk, "name": "RMM sync"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    raw = response.context["raw"]
    token = ApiToken.objects.get()
    assert raw in response.content.decode() and raw.startswith(token.prefix)
    listing = admin_client.get(url).content.decode()
    assert token.prefix in listing and raw not in listing
    assert admin_client.get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405
    assert admin_client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 302
    assert not ApiToken.objects.exists()


def test_ids_beyond_any_integer_are_refused_not_500(admin_client: Client, customer, gst) -> None:
    big = "9" * 30
    data = invoice_post(customer, [line(gst, tax_rate=big, product=big)], customer=big)
    refused(admin_client.post(reverse("billing:invoice_create"), data), "Line 1: Tax rate")
    data = {**CUSTOMER_OK, "sales_tax_rate": big}
    refused(admin_client.post(reverse("customers:create"), data), "Default sales tax rate")
    assert Customer.objects.count() == 1 and not Invoice.objects.exists()


def test_an_invoice_with_no_lines_says_so_once(billing_client: Client, customer, gst) -> None:
    page = refused(
        billing_client.post(reverse("billing:invoice_create"), invoice_post(customer, []))
    )
    assert page.count("Add at least one line") == 1, page


@pytest.mark.parametrize(
    ("change", "field"),
    [({"quantity": "99999999999999999"}, "Quantity"), ({"unit_price": "1e30"}, "Unit price")],
)
def test_a_huge_number_gets_one_message(billing_client: Client, customer, gst, change, field):
    page = refused(
        billing_client.post(
            reverse("billing:invoice_create"), invoice_post(customer, [line(gst, **change)])
        ),
        f"Line 1: {field}",
    )
    summary = page[page.index("Nothing was saved") :]
    assert summary.count(f"Line 1: {field}") == 1, summary[:3000]


def test_a_percentage_with_too_many_decimals_says_what_the_hint_says(admin_client: Client):
    answer = admin_client.post(
        reverse("catalog:taxrate_create"), {"name": "Odd", "percentage": "12.123456"}
    )
    page = refused(answer, "<strong>Percentage</strong>")
    assert "up to 4 decimals" in page  # the hint
    assert "no more than 4 decimal places" in page
    assert "digits in total" not in page
