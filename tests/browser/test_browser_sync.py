"""In Chromium, with a real worker and the sandbox: a customer created on its screen reaches
Xero and its page turns to "Synced" by itself; made invalid in Xero's eyes, its page and the
errors tab say why in words; fixed and retried, it syncs and the error is resolved (SYNC-2,
ERR-1..3). An invoice raised on its screen syncs and shows its Xero number; with its tax rate's
link lost it says so in words; linked again and edited, it syncs (INV-1, INV-4, INV-6, INV-7).
An invoice paid in Xero turns paid on its open page, through a real webhook (WH-3)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse
from playwright.sync_api import expect

from browsing import sign_in  # tests/, on the path
from ledgerbridge import crypto
from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import DocumentStatus, Invoice
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.catalog.models import TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.customers.services import create_customer
from ledgerbridge.sync.models import Link, Organisation, SyncIssue, SyncSettings
from ledgerbridge.sync.services import organisation_for
from ledgerbridge.xero import webhooks
from ledgerbridge.xero.imports import run_import, start_import
from xero.documents import DAY
from xero.helpers import (  # tests/xero, on the path as `xero`
    admin_call,
    connect,
    database_url,
    fast_client,
)
from xero.links import by_xero_id
from xero_sandbox.server import SandboxHandle, start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLOW = 60_000  # ms: the worker and Xero take their time on a busy machine


@pytest.fixture
def sandbox(settings) -> Iterator[SandboxHandle]:
    handle = start(seed=13)
    settings.XERO_CLIENT_ID = handle.info["client_id"]
    settings.XERO_CLIENT_SECRET = handle.info["client_secret"]
    settings.XERO_LOGIN_URL = settings.XERO_IDENTITY_URL = settings.XERO_API_URL = handle.url
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    crypto.reset_keys()
    yield handle
    handle.stop()
    crypto.reset_keys()


@pytest.fixture
def worker(settings, sandbox, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path),
        "LEDGERBRIDGE_FERNET_KEYS": ",".join(settings.FERNET_KEYS),
        "XERO_CLIENT_ID": settings.XERO_CLIENT_ID,
        "XERO_CLIENT_SECRET": settings.XERO_CLIENT_SECRET,
        "XERO_SANDBOX_URL": sandbox.url,
        "PERIODIC_INTERVAL_SECONDS": "2",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "ledgerbridge.cli", "worker", "--interval", "0.2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    log.close()


def test_a_customer_syncs_fails_in_words_and_is_fixed_and_retried(
    live_server, page, admin, sandbox, worker
):
    nz = connect(sandbox, "NZ books", "Demo Company (NZ)")
    org = organisation_for("xero", nz.tenant_id, nz.name)
    settings = SyncSettings.get()
    settings.sync_customers = settings.success_message = True
    settings.default_organisation = org
    settings.save()
    with fast_client(nz) as client:
        taken = client.get("/Contacts", params={"page": 1})["Contacts"][0]["Name"]
    sign_in(page, live_server, admin)

    # Create a customer on its screen: its organisation is the default one.
    page.goto(f"{live_server.url}/customers/new/")
    expect(page.get_by_label("Organisation")).to_have_value(str(org.pk))
    page.get_by_label("Name").fill("Browser Sync Ltd")
    page.get_by_label("Account number").fill("BRS-1")
    page.get_by_role("button", name="Create customer").click()
    panel = page.locator("#sync-state")
    expect(panel.locator(".badge")).to_have_text("Synced", timeout=SLOW)
    expect(panel.locator("[data-sync-message]")).to_be_visible()
    expect(panel.get_by_role("link", name="Open in Xero")).to_be_visible()

    # A name another Xero contact has: Xero refuses it, and the page says why in words.
    page.get_by_label("Name").fill(taken)
    page.get_by_role("button", name="Save").click()
    expect(panel.locator(".badge")).to_have_text("Failed", timeout=SLOW)
    expect(panel).to_contain_text("rename this record")

    page.goto(f"{live_server.url}/configuration/integrations/xero/{nz.pk}/errors/")
    errors = page.locator("#sync-errors")
    expect(errors).to_contain_text(f"Customer {taken}")
    expect(errors).to_contain_text("rename this record")

    # Fix the record, then retry from the errors tab: it syncs, and the error is resolved.
    Customer.objects.filter(account_number="BRS-1").update(name="Browser Sync Fixed Ltd")
    errors.get_by_role("button", name="Retry").click()
    expect(page.locator(".message")).to_contain_text("will be sent to Xero again")
    issue = SyncIssue.objects.get()
    for _ in range(60):  # the worker takes it from here
        issue.refresh_from_db()
        if issue.resolved_at is not None:
            break
        page.wait_for_timeout(1000)
    page.reload()
    expect(page.locator("#sync-errors")).to_contain_text("No sync errors")
    customer = Customer.objects.get(account_number="BRS-1")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    expect(page.locator("#sync-state .badge")).to_have_text("Synced", timeout=SLOW)


def invoices_ready(sandbox: SandboxHandle) -> tuple[Any, Any, str, TaxRate]:
    """NZ connected, its tax rates imported, customers and invoices chosen for sync; its
    organisation, one of its item codes and its GST rate."""
    nz = connect(sandbox, "NZ books", "Demo Company (NZ)")
    org = organisation_for("xero", nz.tenant_id, nz.name)
    run = start_import(nz, "tax-rates", background=False)
    with fast_client(nz) as client:
        run_import(run.pk, client=client)
        code = next(i["Code"] for i in client.get("/Items")["Items"] if i.get("Code"))
    settings = SyncSettings.get()
    settings.sync_customers = settings.sync_invoices = settings.success_message = True
    settings.default_organisation = org
    settings.save()
    return nz, org, code, by_xero_id(TaxRate, "OUTPUT2")


def test_an_invoice_raised_on_screen_syncs_fails_in_words_and_syncs_once_fixed(
    live_server, page, admin, sandbox, worker
):
    nz, _, code, gst = invoices_ready(sandbox)
    customer = create_customer(
        {"name": "Browser Invoice Ltd", "account_number": "BIN-1", "sales_tax_rate": gst}
    )
    elsewhere = Organisation.objects.create(integration="xero", remote_id="au", name="AU books")
    TaxRate.objects.create(name="AU GST", percentage=Decimal(10), organisation=elsewhere)
    sign_in(page, live_server, admin)

    # A new invoice: once its customer is picked, another organisation's tax rate is not
    # offered (INV-4), and the branding theme picker appears (INV-3).
    page.goto(f"{live_server.url}{reverse('billing:invoice_create')}")
    other_rate = page.locator("#id_lines-0-tax_rate option", has_text="AU GST")
    expect(other_rate).to_be_enabled()
    expect(page.get_by_label("Branding theme")).to_be_hidden()
    page.get_by_label("Customer").select_option(str(customer.pk))
    expect(other_rate).to_be_disabled()
    expect(page.get_by_label("Branding theme")).to_be_visible()
    page.locator("#id_lines-0-description").fill("Firewall setup")
    page.locator("#id_lines-0-item_code").fill(code)
    page.locator("#id_lines-0-quantity").fill("2")
    page.locator("#id_lines-0-unit_price").fill("120")
    page.locator("#id_lines-0-tax_rate").select_option(str(gst.pk))
    page.get_by_role("button", name="Create invoice").click()
    invoice = Invoice.objects.get()
    panel = page.locator("#sync-state")
    expect(panel.locator(".badge")).to_have_text("Synced", timeout=SLOW)
    expect(page.locator("[data-xero-number]")).to_have_text(invoice.number)  # no reload

    # The tax rate's link to Xero is lost: the next edit says so, naming the rate and line.
    Link.objects.filter(kind="tax_rate", local_id=gst.pk).delete()
    edit = f"{live_server.url}{reverse('billing:invoice_edit', args=[invoice.pk])}"
    page.goto(edit)
    page.locator("#id_lines-0-quantity").fill("3")
    page.get_by_role("button", name="Save invoice").click()
    expect(panel).to_contain_text("Line 1 (Firewall setup)", timeout=SLOW)
    expect(panel).to_contain_text("which is not linked to a Xero tax rate")

    # Linked again on the tax rate's screen; then a line edited: the invoice syncs.
    page.goto(f"{live_server.url}{reverse('xero:taxrate_link', args=[gst.pk])}")
    page.get_by_label("Organisation").select_option(str(nz.pk))
    page.get_by_role("button", name="Next: pick the Xero tax rate").click()
    page.get_by_label("Xero tax rate").select_option("OUTPUT2")
    page.get_by_role("button", name="Link").click()
    expect(page.locator(".message")).to_be_visible()
    page.goto(edit)
    page.locator("#id_lines-0-quantity").fill("4")
    page.get_by_role("button", name="Save invoice").click()
    expect(panel.locator(".badge")).to_have_text("Synced", timeout=SLOW)
    remote = Link.objects.get(kind="invoice", local_id=invoice.pk).remote_id
    with fast_client(nz) as client:
        held = client.get(f"/Invoices/{remote}")["Invoices"][0]
    assert Decimal(str(held["LineItems"][0]["Quantity"])) == 4
    assert Decimal(str(held["Total"])) == Invoice.objects.get().total


def test_an_invoice_paid_in_xero_turns_paid_on_its_page_without_a_reload(
    live_server, page, admin, sandbox, worker
):
    nz, _, code, gst = invoices_ready(sandbox)
    customer = create_customer(
        {"name": "Pays In Xero Ltd", "account_number": "PIX-1", "sales_tax_rate": gst}
    )
    webhooks.save_key("browser-webhook-key")
    subscribed = admin_call(
        sandbox,
        "POST",
        "webhook",
        url=live_server.url + reverse("xero:webhook_endpoint"),
        key="browser-webhook-key",
    )
    assert subscribed["status"] == "ACTIVE"
    nz.wh_invoices_updated = True
    nz.save()
    invoice = issue_invoice(
        customer,
        [LineData("Support", Decimal(1), Decimal(200), gst.pk, item_code=code)],
        date=DAY,
        status=DocumentStatus.AUTHORISED,
    )
    sign_in(page, live_server, admin)
    page.goto(f"{live_server.url}{reverse('billing:invoice_detail', args=[invoice.pk])}")
    expect(page.locator("#sync-state .badge")).to_have_text("Synced", timeout=SLOW)
    status = page.locator("[data-document-status]")
    expect(status).to_have_text("Authorised")

    # "A user does this in Xero": the invoice is paid there.
    remote = Link.objects.get(kind="invoice", local_id=invoice.pk).remote_id
    admin_call(sandbox, "POST", f"organisations/{nz.tenant_id}/invoices/{remote}/pay")
    expect(status).to_have_text("Paid", timeout=SLOW)  # the webhook, applied by the worker
    page.reload()
    expect(page.locator("#xero-number")).to_contain_text("Paid in Xero")
