"""In Chromium, with a real worker and the sandbox: a customer created on its screen reaches
Xero and its page turns to "Synced" by itself; made invalid in Xero's eyes, its page and the
errors tab say why in words; fixed and retried, it syncs and the error is resolved (SYNC-2,
ERR-1..3)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import expect

from ledgerbridge import crypto
from ledgerbridge.customers.models import Customer
from ledgerbridge.sync.models import SyncIssue, SyncSettings
from ledgerbridge.sync.services import organisation_for
from xero.helpers import connect, database_url, fast_client  # tests/xero, on the path as `xero`
from xero_sandbox.server import SandboxHandle, start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Browser-Sync-Pass-9"
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
    admin.set_password(PASSWORD)
    admin.save()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

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
