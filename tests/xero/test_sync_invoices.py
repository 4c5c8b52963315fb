"""Invoices and purchase orders reach Xero through the sync engine, against the sandbox over
HTTP: labour, recurring and manual invoices with the right contact, item codes, tax types,
tracking and totals (INV-1, TRK-5); errors in words naming the line (INV-6); changes (INV-8);
deletions as Xero allows (INV-9); purchase orders (PO-1); default item codes (SYNC-4)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.accounts.models import ApiToken, Role, User
from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.labour import bill_time
from ledgerbridge.billing.models import BrandingTheme, DocumentStatus, Invoice
from ledgerbridge.billing.recurring import create_recurring, raise_due_invoices
from ledgerbridge.billing.services import delete_invoice, issue_invoice, update_invoice
from ledgerbridge.catalog.models import ChargeRate, Product, ProductGroup, TaxRate
from ledgerbridge.customers.services import create_customer, update_customer
from ledgerbridge.purchasing.services import raise_purchase_order
from ledgerbridge.suppliers.services import create_supplier
from ledgerbridge.sync.models import Link, SyncIssue, SyncSettings, SyncState
from ledgerbridge.sync.services import RemoteState, organisation_for, record_remote, send_again
from ledgerbridge.work.models import Ticket
from ledgerbridge.work.services import log_time
from ledgerbridge.xero.imports import run_import, start_import

from .documents import DAY, in_xero, lines, link, make_world, push
from .helpers import admin_call, connect, fast_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def nz(xero_settings, sandbox):
    return connect(sandbox, "NZ books", "Demo Company (NZ)")


@pytest.fixture
def world(nz) -> dict[str, Any]:
    return make_world(nz)


def test_inv_1_a_manual_invoice_reaches_xero_with_contact_codes_tax_and_totals(nz, world):
    invoice = issue_invoice(
        world["customer"],
        lines(world, ("Firewall", "2", "49.995"), ("Setup", "1.5", "120")),
        date=DAY,
        status=DocumentStatus.AUTHORISED,
    )
    outcome = push(nz, world["org"])
    assert outcome.synced == 1 and outcome.failed == 0
    found = link(invoice)
    assert found.state == SyncState.SYNCED
    xero = in_xero(nz, f"/Invoices/{found.remote_id}")
    assert xero["Contact"]["ContactID"] == link(world["customer"], "customer").remote_id
    assert xero["InvoiceNumber"] == invoice.number and xero["Status"] == "AUTHORISED"
    assert [(li["ItemCode"], li["TaxType"]) for li in xero["LineItems"]] == [
        (world["codes"][0], "OUTPUT2")
    ] * 2
    # Totals exactly as Xero computes them: ours agree to the cent, so nothing is filed.
    assert Decimal(str(xero["Total"])) == invoice.total
    assert not SyncIssue.objects.exists()


def test_inv_1_chg_1_labour_and_recurring_invoices_sync_like_manual_ones(nz, world, ticket_agent):
    rate = ChargeRate.objects.create(
        name="Remote", hourly_price=Decimal(150), accounts_code=world["codes"][1]
    )
    ticket = Ticket.objects.create(customer=world["customer"], title="Printer")
    entry = log_time(
        ticket, ticket_agent, date=DAY, hours=Decimal("1.5"), charge_rate=rate, summary="Fix"
    )
    (labour,) = bill_time([entry.pk], date=DAY)
    create_recurring(
        world["customer"].pk,
        lines(world, ("Monthly support", "1", "300")),
        start_date=DAY,
        interval_unit="month",
        interval_count=1,
    )
    (raised,) = raise_due_invoices(DAY)
    outcome = push(nz, world["org"])
    assert outcome.synced == 2, [link(i).reason for i in (labour, raised)]
    for invoice in (labour, raised):
        assert link(invoice).state == SyncState.SYNCED
    xero = in_xero(nz, f"/Invoices/{link(labour).remote_id}")
    assert xero["LineItems"][0]["ItemCode"] == world["codes"][1]  # the charge rate's code


def test_inv_6_an_unlinked_tax_rate_is_named_and_the_next_edit_syncs(nz, world):
    loose = TaxRate.objects.create(name="Loose levy", percentage=Decimal(5))
    invoice = issue_invoice(
        world["customer"],
        [LineData("Cable", Decimal(1), Decimal(10), loose.pk, item_code=world["codes"][0])],
        date=DAY,
    )
    push(nz, world["org"])
    reason = link(invoice).reason
    assert link(invoice).state == SyncState.NOT_ELIGIBLE
    assert "Line 1 (Cable)" in reason and "Loose levy" in reason and "Tax rates" in reason
    update_invoice(
        invoice,
        lines(world, ("Cable", "1", "10")),
        date=DAY,
        due_date=invoice.due_date,
        status=invoice.status,
        reference="",
        amount_type=invoice.amount_type,
    )
    assert push(nz, world["org"]).synced == 1


def test_sync_4_a_line_without_a_code_takes_the_default_or_says_so(nz, world):
    invoice = issue_invoice(
        world["customer"],
        [LineData("Odd job", Decimal(1), Decimal(10), world["gst"].pk)],
        date=DAY,
    )
    push(nz, world["org"])
    assert "no Xero item code" in link(invoice).reason
    settings = SyncSettings.get()
    settings.default_invoice_item_code = world["codes"][1]
    settings.save()
    send_again("invoice", invoice.pk)
    assert push(nz, world["org"]).synced == 1
    xero = in_xero(nz, f"/Invoices/{link(invoice).remote_id}")
    assert xero["LineItems"][0]["ItemCode"] == world["codes"][1]


def test_inv_8_a_change_to_a_synced_invoice_is_synced(nz, world):
    invoice = issue_invoice(world["customer"], lines(world, ("Hours", "1", "100")), date=DAY)
    push(nz, world["org"])
    first = in_xero(nz, f"/Invoices/{link(invoice).remote_id}")
    line_id = first["LineItems"][0]["LineItemID"]
    update_invoice(
        invoice,
        [*lines(world, ("Hours", "3", "100")), *lines(world, ("Travel", "1", "40"))],
        date=DAY,
        due_date=invoice.due_date,
        status=DocumentStatus.SUBMITTED,
        reference="PO 77",
        amount_type=invoice.amount_type,
    )
    assert push(nz, world["org"]).synced == 1
    second = in_xero(nz, f"/Invoices/{link(invoice).remote_id}")
    assert second["Status"] == "SUBMITTED" and second["Reference"] == "PO 77"
    assert [li["Quantity"] for li in second["LineItems"]] == [3, 1]
    assert second["LineItems"][0]["LineItemID"] == line_id  # kept, not deleted and re-made
    invoice.refresh_from_db()
    assert Decimal(str(second["Total"])) == invoice.total


@pytest.mark.parametrize(
    ("status", "becomes"),
    [(DocumentStatus.DRAFT, "DELETED"), (DocumentStatus.AUTHORISED, "VOIDED")],
)
def test_inv_9_a_deleted_invoice_is_deleted_or_voided_in_xero(nz, world, status, becomes):
    invoice = issue_invoice(
        world["customer"], lines(world, ("Work", "1", "10")), date=DAY, status=status
    )
    push(nz, world["org"])
    remote = link(invoice).remote_id
    delete_invoice(invoice)
    assert Link.objects.get(remote_id=remote).deleted_at is not None  # the tombstone
    outcome = push(nz, world["org"])
    assert outcome.failed == 0
    assert in_xero(nz, f"/Invoices/{remote}")["Status"] == becomes
    assert not Link.objects.filter(remote_id=remote).exists()


def test_inv_9_an_invoice_paid_in_xero_cannot_be_voided_and_says_so(nz, world, sandbox):
    invoice = issue_invoice(
        world["customer"],
        lines(world, ("Work", "1", "10")),
        date=DAY,
        status=DocumentStatus.AUTHORISED,
    )
    push(nz, world["org"])
    remote = link(invoice).remote_id
    admin_call(sandbox, "POST", f"organisations/{nz.tenant_id}/invoices/{remote}/pay")
    delete_invoice(invoice)
    outcome = push(nz, world["org"])
    assert outcome.failed == 1
    tombstone = Link.objects.get(remote_id=remote)
    assert tombstone.state == SyncState.FAILED and "Xero said" in tombstone.reason
    assert SyncIssue.objects.filter(kind="invoice", resolved_at__isnull=True).exists()


def test_po_1_a_purchase_order_for_a_linked_supplier_reaches_xero(nz, world):
    order = raise_purchase_order(
        world["supplier"],
        lines(world, ("Firewalls", "4", "30")),
        date=DAY,
        delivery_date=DAY + dt.timedelta(days=7),
        delivery_instructions="Back door",
    )
    assert push(nz, world["org"]).synced == 1
    found = link(order, "purchase_order")
    xero = in_xero(nz, f"/PurchaseOrders/{found.remote_id}")
    assert xero["Contact"]["ContactID"] == link(world["supplier"], "supplier").remote_id
    assert xero["PurchaseOrderNumber"] == order.number
    assert xero["LineItems"][0]["ItemCode"] == world["codes"][0]


def test_cust_1_an_invoice_of_an_unlinked_customer_waits_and_says_why(nz, world):
    internal = create_customer({"name": "Internal IT"})  # no account number: never synced
    invoice = issue_invoice(internal, lines(world, ("Work", "1", "10")), date=DAY)
    push(nz, world["org"])
    assert "not linked to a Xero contact" in link(invoice).reason


@pytest.fixture
def ticket_agent(db) -> User:
    return User.objects.create_user(
        username="agent", password="x-Agent-Pass-1", role=Role.TECHNICIAN
    )


def test_no_document_is_sent_twice(nz, world):
    for n in range(3):
        issue_invoice(world["customer"], lines(world, (f"Work {n}", "1", "10")), date=DAY)
    assert push(nz, world["org"]).calls == 1  # one batch for all three
    assert push(nz, world["org"]).calls == 0
    assert Invoice.objects.count() == 3


def test_inv_7_the_xero_number_is_not_set_until_a_sync_succeeds_and_says_why_not(nz, world, admin):
    web = Client()
    web.force_login(admin)
    invoice = issue_invoice(world["customer"], lines(world, ("Work", "1", "10")), date=DAY)
    url = reverse("billing:invoice_detail", args=[invoice.pk])
    page = web.get(url).content.decode()
    assert (
        "Xero number</dt><dd data-xero-number>not set" in page
        and "Waiting to be sent to Xero" in page
    )
    push(nz, world["org"])
    page = web.get(url).content.decode()
    assert (
        f"Xero number</dt><dd data-xero-number>{invoice.number}" in page
        and "In step with NZ books" in page
    )
    order = raise_purchase_order(
        create_supplier({"name": "Unlinked Ltd"}), lines(world, ("Thing", "1", "5")), date=DAY
    )
    push(nz, world["org"])
    page = web.get(reverse("purchasing:detail", args=[order.pk])).content.decode()
    assert "not set" in page and "not linked to a Xero contact" in page


def test_chg_2_charge_rates_no_item_matches_are_flagged(nz, world, admin):
    group = ProductGroup.objects.create(name="Imported")
    run = start_import(nz, "products", params={"product_group": group.pk}, background=False)
    with fast_client(nz) as client:
        run_import(run.pk, client=client)
    good = Product.objects.filter(organisation=world["org"]).exclude(code="").first()
    ChargeRate.objects.create(name="Linked", hourly_price=Decimal(1), accounts_code=good.code)
    ChargeRate.objects.create(name="Typo", hourly_price=Decimal(1), accounts_code="NO-SUCH")
    ChargeRate.objects.create(name="Blank", hourly_price=Decimal(1))
    web = Client()
    web.force_login(admin)
    page = re.sub(r"\s+", " ", web.get(reverse("catalog:chargerate_list")).content.decode())
    assert f"An item in {nz.name}" in page
    assert "No imported Xero item has code NO-SUCH" in page
    assert "No code: labour billed at this rate cannot sync" in page


def test_invoices_sync_only_in_the_statuses_the_setting_lists(nz, world):
    settings = SyncSettings.get()
    settings.sync_invoice_statuses = ["AUTHORISED"]
    settings.save()
    draft = issue_invoice(world["customer"], lines(world, ("Work", "1", "10")), date=DAY)
    approved = issue_invoice(
        world["customer"],
        lines(world, ("Work", "1", "10")),
        date=DAY,
        status=DocumentStatus.AUTHORISED,
    )
    assert push(nz, world["org"]).synced == 1
    assert link(approved).state == SyncState.SYNCED
    assert "synced once they are authorised" in link(draft).reason


@pytest.mark.parametrize("choice", ["description", "item", "ticket"])
def test_inv_10_a_synced_line_says_what_the_setting_chooses(nz, world, ticket_agent, choice):
    settings = SyncSettings.get()
    settings.invoice_line_text = choice
    settings.save()
    rate = ChargeRate.objects.create(
        name="Onsite support", hourly_price=Decimal(150), accounts_code=world["codes"][1]
    )
    ticket = Ticket.objects.create(customer=world["customer"], title="Server down")
    entry = log_time(
        ticket, ticket_agent, date=DAY, hours=Decimal(2), charge_rate=rate, summary="Rebooted"
    )
    (labour,) = bill_time([entry.pk], date=DAY)
    push(nz, world["org"])
    said = in_xero(nz, f"/Invoices/{link(labour).remote_id}")["LineItems"][0]["Description"]
    expected = {
        "description": labour.lines.get().description,
        "item": "Onsite support",
        "ticket": f"{ticket.reference} Server down ({DAY.isoformat()})",
    }[choice]
    assert said == expected


def test_cust_1_an_invoice_kept_out_for_its_customer_goes_once_the_customer_is_in_xero(nz, world):
    late = create_customer({"name": "Late Ltd", "sales_tax_rate": world["gst"]})
    invoice = issue_invoice(late, lines(world, ("Work", "1", "10")), date=DAY)
    push(nz, world["org"])
    assert link(invoice).state == SyncState.NOT_ELIGIBLE  # its customer has no account number
    update_customer(late, {"account_number": "LATE-1"})  # fixed: the customer can go now
    outcome = push(nz, world["org"])
    assert outcome.synced == 2  # the customer, then its waiting invoice, in one run
    assert link(invoice).state == SyncState.SYNCED


def api_client(user: User) -> Client:
    token = ApiToken.issue(user, "tests")[1]
    return Client(headers={"Authorization": f"Bearer {token}"})


def invoice_body(world, **extra: Any) -> dict[str, Any]:
    return {
        "customer": world["customer"].pk,
        "date": DAY.isoformat(),
        "lines": [
            {
                "description": "Work",
                "quantity": "1",
                "unit_price": "10",
                "tax_rate": world["gst"].pk,
                "item_code": world["codes"][0],
            }
        ],
        **extra,
    }


def test_inv_2_an_invoice_carries_its_own_xero_number_only_when_the_setting_allows(
    nz, world, admin
):
    api = api_client(admin)
    web = Client()
    web.force_login(admin)
    body = invoice_body(world, external_number="XN-77")
    refused = api.post("/api/v1/invoices/", body, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "external_number"
    assert "allow it in the sync settings" in refused.json()["errors"][0]["message"]
    assert not Invoice.objects.exists()  # nothing half-saved
    assert "Xero invoice number" not in web.get(reverse("billing:invoice_create")).content.decode()

    settings = SyncSettings.get()
    settings.allow_number_override = True
    settings.save()
    assert "Xero invoice number" in web.get(reverse("billing:invoice_create")).content.decode()
    made = api.post("/api/v1/invoices/", body, content_type="application/json")
    assert made.status_code == 201, made.content
    invoice = Invoice.objects.get(pk=made.json()["id"])
    assert made.json()["external_number"] == "XN-77" and invoice.number != "XN-77"
    push(nz, world["org"])
    assert in_xero(nz, f"/Invoices/{link(invoice).remote_id}")["InvoiceNumber"] == "XN-77"
    page = web.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Xero number</dt><dd data-xero-number>XN-77" in page
    # A change that leaves the number out keeps it (the screen may not offer it).
    again = {k: v for k, v in body.items() if k not in ("customer", "external_number")}
    assert (
        api.put(f"/api/v1/invoices/{invoice.pk}", again, content_type="application/json").json()[
            "external_number"
        ]
        == "XN-77"
    )


def test_inv_3_a_branding_theme_goes_with_the_invoice_and_with_recurring_ones(nz, world, admin):
    run = start_import(nz, "branding", background=False)
    with fast_client(nz) as client:
        run_import(run.pk, client=client)
    theme = BrandingTheme.objects.get(organisation=world["org"], sort_order=0)
    elsewhere = BrandingTheme.objects.create(
        organisation=organisation_for("xero", "another-tenant", "AU books"),
        remote_id="other-theme",
        name="Other books' theme",
    )
    api = api_client(admin)
    listed = api.get(f"/api/v1/branding-themes/?organisation={world['org'].pk}").json()
    assert [(t["id"], t["default"]) for t in listed] == [(theme.pk, True)]
    refused = api.post(
        "/api/v1/invoices/",
        invoice_body(world, branding_theme=elsewhere.pk),
        content_type="application/json",
    )
    assert refused.status_code == 422, refused.json()
    assert refused.json()["errors"][0]["field"] == "branding_theme"
    assert "not of the customer's organisation" in refused.json()["errors"][0]["message"]

    chosen = api.post(
        "/api/v1/invoices/",
        invoice_body(world, branding_theme=theme.pk),
        content_type="application/json",
    ).json()
    plain = api.post("/api/v1/invoices/", invoice_body(world), content_type="application/json")
    schedule = api.post(
        "/api/v1/recurring-invoices/",
        {
            **{k: v for k, v in invoice_body(world).items() if k != "date"},
            "start_date": DAY.isoformat(),
            "branding_theme": theme.pk,
        },
        content_type="application/json",
    ).json()
    assert schedule["branding_theme"] == theme.pk
    (raised,) = raise_due_invoices(DAY)
    assert raised.branding_theme == theme
    assert push(nz, world["org"]).synced == 3
    for made in (Invoice.objects.get(pk=chosen["id"]), raised):
        assert in_xero(nz, f"/Invoices/{link(made).remote_id}")["BrandingThemeID"] == (
            theme.remote_id
        )
    # Without a choice, nothing is sent: Xero applies the customer's default theme.
    xero = in_xero(nz, f"/Invoices/{link(Invoice.objects.get(pk=plain.json()['id'])).remote_id}")
    assert "BrandingThemeID" not in xero
    # The invoice's page says which theme it takes; the edit form offers its organisation's.
    web = Client()
    web.force_login(admin)
    page = web.get(reverse("billing:invoice_detail", args=[chosen["id"]])).content.decode()
    assert f"Branding theme</dt><dd>{theme.name}" in page
    form = web.get(reverse("billing:invoice_edit", args=[chosen["id"]])).content.decode()
    assert theme.name in form and elsewhere.name not in form


def test_inv_9_an_invoice_xero_holds_payments_of_is_refused_deletion_with_the_reason(
    nz, world, sandbox, admin, ticket_agent
):
    rate = ChargeRate.objects.create(
        name="Remote", hourly_price=Decimal(100), accounts_code=world["codes"][1]
    )
    ticket = Ticket.objects.create(customer=world["customer"], title="Backup")
    entry = log_time(
        ticket, ticket_agent, date=DAY, hours=Decimal(1), charge_rate=rate, summary="Checked"
    )
    (invoice,) = bill_time([entry.pk], date=DAY)
    update_invoice(
        invoice,
        [
            LineData(
                "Backup",
                Decimal(1),
                Decimal(100),
                world["gst"].pk,
                line_id=invoice.lines.get().pk,
                item_code=world["codes"][1],
                charge_rate_id=rate.pk,
            )
        ],
        date=DAY,
        due_date=None,
        status=DocumentStatus.AUTHORISED,
        reference="",
        amount_type=invoice.amount_type,
    )
    push(nz, world["org"])
    remote = link(invoice).remote_id
    admin_call(sandbox, "POST", f"organisations/{nz.tenant_id}/invoices/{remote}/pay", amount="40")
    # What Xero holds comes back (as the webhooks and the poll bring it).
    record_remote(
        "invoice",
        world["org"].pk,
        [RemoteState(invoice.pk, remote, snapshot=in_xero(nz, f"/Invoices/{remote}"))],
    )
    web = Client()
    web.force_login(admin)
    detail = web.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Paid in Xero</dt><dd>40.00" in detail
    answer = web.post(reverse("billing:invoice_delete", args=[invoice.pk]))
    assert answer.status_code == 409
    assert "has payments of 40.00 in Xero" in answer.content.decode()
    assert "remove its payments in Xero first" in answer.content.decode()
    api = api_client(admin)
    refused = api.delete(f"/api/v1/invoices/{invoice.pk}")
    assert refused.status_code == 409 and "payments" in refused.json()["detail"]
    # Nothing happened: the invoice, its billed time and its link are as they were.
    assert Invoice.objects.filter(pk=invoice.pk).exists()
    entry.refresh_from_db()
    assert entry.invoice_line_id is not None
    assert link(invoice).deleted_at is None
    assert in_xero(nz, f"/Invoices/{remote}")["Status"] == "AUTHORISED"


def test_totals_that_differ_from_xeros_show_on_the_invoice_and_in_the_errors_tab(nz, world, admin):
    # Our GST says 12.5% while the Xero tax rate it is linked to takes 15%: Xero's totals
    # differ from ours, and the sync says so rather than pass it over.
    TaxRate.objects.filter(pk=world["gst"].pk).update(percentage=Decimal("12.5"))
    invoice = issue_invoice(world["customer"], lines(world, ("Work", "2", "50")), date=DAY)
    assert invoice.total == Decimal("112.50")
    assert push(nz, world["org"]).synced == 1
    issue = SyncIssue.objects.get(kind="invoice", local_id=invoice.pk, resolved_at__isnull=True)
    assert "Total 112.50 here, 115.00 in Xero" in issue.message
    web = Client()
    web.force_login(admin)
    page = web.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert "totals differ" in page and "Total 112.50 here, 115.00 in Xero" in page
    errors = web.get(reverse("xero:sync_errors", args=[nz.pk])).content.decode()
    assert f"Invoice {invoice.number}" in errors
