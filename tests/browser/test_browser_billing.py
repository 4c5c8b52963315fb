"""In Chromium: log time on a ticket, bill it, check the invoice's totals, delete it, and see
the time ready for invoicing again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from browsing import sign_in  # tests/, on the path
from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import CreditNote, DocumentStatus, Invoice
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.work.models import TimeEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-Test-Pass-7"
SCREENSHOT = "/tmp/ledgerbridge-invoice.png"


def test_log_time_bill_it_check_totals_delete_and_time_is_ready_again(
    live_server, page, billing_user, ticket, charge_rate
):
    # Sign in (the password is set here: conftest modules are not importable by name).
    sign_in(page, live_server, billing_user)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")

    nav = page.get_by_role("navigation", name="Main")

    # Log 1.5 hours on the ticket (120.00 an hour; the customer is taxed at 15%).
    nav.get_by_role("link", name="Tickets").click()
    page.get_by_role("link", name=ticket.title).click()
    page.get_by_label("Hours").fill("1.5")
    page.get_by_label("Charge rate").select_option(label=charge_rate.name)
    page.get_by_label("Summary").fill("Replaced the toner and cleared the queue")
    page.get_by_role("button", name="Log time").click()
    expect(page.locator(".message")).to_contain_text("Logged 1.5 h")
    expect(page.locator("#time-entries")).to_contain_text("ready for invoicing")

    # Bill it from Ready for invoicing: select all of the customer's time, bill.
    nav.get_by_role("link", name="Ready for invoicing").click()
    expect(page.locator(".customer-group h2")).to_have_text(ticket.customer.name)
    page.get_by_label(f"Select all time of {ticket.customer.name}").check()
    expect(page.locator('input[name="entries"]')).to_be_checked()
    page.get_by_role("button", name="Bill selected").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoices created")
    invoice = Invoice.objects.get()
    page.get_by_role("link", name=invoice.number).click()

    # The invoice shows the totals the services stored: 180.00 + 27.00 tax = 207.00.
    assert (invoice.subtotal, invoice.total_tax, invoice.total) == (
        Decimal("180.00"),
        Decimal("27.00"),
        Decimal("207.00"),
    )
    expect(page.locator("#subtotal")).to_have_text("180.00")
    expect(page.locator("#total-tax")).to_have_text("27.00")
    expect(page.locator("#total")).to_have_text("207.00")
    expect(page.locator("#invoice-lines")).to_contain_text(charge_rate.accounts_code)
    expect(page.locator("#invoice-lines")).to_contain_text("Billed 1 time entry")
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Delete it (after the confirmation page) and the time is ready for invoicing again.
    page.get_by_role("link", name="Delete…").click()
    expect(page.locator(".panel")).to_contain_text("1 time entries it billed will be ready")
    page.get_by_role("button", name="Delete invoice").click()
    expect(page.locator(".message")).to_contain_text("1 time entry is ready for invoicing again")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ready for invoicing")
    expect(page.locator("#bill-form")).to_contain_text("Replaced the toner and cleared the queue")
    assert not Invoice.objects.exists()
    assert TimeEntry.objects.get().invoice_line_id is None


def test_manual_invoice_with_an_added_line_row(live_server, page, billing_user, customer, gst):
    """The line editor's own script adds a row; a refused line keeps what was typed."""
    billing_user.set_password(PASSWORD)
    billing_user.save()
    page.goto(f"{live_server.url}/login/?next=/billing/invoices/new/")
    page.get_by_label("Username").fill(billing_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New invoice")

    page.get_by_label("Customer").select_option(label=customer.name)
    page.locator("#id_lines-0-description").fill("Monthly monitoring")
    page.locator("#id_lines-0-quantity").fill("3")
    page.locator("#id_lines-0-unit_price").fill("19.9950")
    page.locator("#id_lines-0-tax_rate").select_option(label=str(gst))
    page.get_by_role("button", name="+ Add a line").click()
    page.locator("#id_lines-1-description").fill("Setup")
    page.locator("#id_lines-1-quantity").fill("-1")
    page.locator("#id_lines-1-unit_price").fill("50")
    page.locator("#id_lines-1-tax_rate").select_option(label=str(gst))
    page.get_by_role("button", name="Create invoice").click()

    expect(page.locator(".error-summary")).to_contain_text("Line 2: Quantity")
    expect(page.locator("#id_lines-0-description")).to_have_value("Monthly monitoring")
    assert not Invoice.objects.exists()
    page.locator("#id_lines-1-quantity").fill("1")
    page.get_by_role("button", name="Create invoice").click()

    # 3 x 19.995 = 59.985 -> 59.99 (tax 9.00); 50.00 (tax 7.50): 109.99 + 16.50 = 126.49.
    expect(page.locator("#subtotal")).to_have_text("109.99")
    expect(page.locator("#total-tax")).to_have_text("16.50")
    expect(page.locator("#total")).to_have_text("126.49")


def test_credit_an_invoice_from_its_page_and_see_the_customers_balance(
    live_server, page, billing_user, customer, gst
):
    """ "Credit this invoice" fills in its lines; removing one credits the rest, and the
    customer's tab shows what is left to pay."""
    invoice = issue_invoice(
        customer,
        [
            LineData("Managed firewall", Decimal(2), Decimal(100), gst.pk),
            LineData("Onsite visit", Decimal(1), Decimal(50), gst.pk),
        ],
        date=dt.date(2026, 11, 20),
        status=DocumentStatus.AUTHORISED,
    )
    sign_in(page, live_server, billing_user)
    page.goto(f"{live_server.url}/billing/invoices/{invoice.pk}/")
    page.get_by_role("link", name="Credit this invoice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Credit invoice {invoice.number}")
    expect(page.locator("#id_lines-1-description")).to_have_value("Onsite visit")
    page.locator("#id_lines-0-DELETE").check()
    page.get_by_label("Reason").fill("Visit not needed")
    page.get_by_label("Status").select_option("AUTHORISED")
    page.get_by_role("button", name="Create credit note").click()
    expect(page.locator("#total")).to_have_text("57.50")
    note = CreditNote.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Credit note {note.number}")
    page.get_by_role("link", name=customer.name).click()
    page.get_by_role("link", name="Invoices and credit").click()
    expect(page.locator("#customer-balance .balance")).to_contain_text("230.00")
    expect(page.locator("#customer-credit-notes")).to_contain_text(note.number)
