"""In Chromium: connect a sandbox organisation through Xero's (the sandbox's) real login page
and organisation picker, save, disconnect and reconnect (CONN-3, CONN-4, CONN-5)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import expect

from browsing import sign_in  # tests/, on the path
from ledgerbridge import crypto
from ledgerbridge.xero.models import Connection, ConnectionState
from xero_sandbox.server import SandboxHandle, start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/ledgerbridge-xero-connection.png"


@pytest.fixture
def sandbox(settings, live_server) -> Iterator[SandboxHandle]:
    handle = start(seed=11)
    settings.XERO_CLIENT_ID = handle.info["client_id"]
    settings.XERO_CLIENT_SECRET = handle.info["client_secret"]
    settings.XERO_LOGIN_URL = settings.XERO_IDENTITY_URL = settings.XERO_API_URL = handle.url
    settings.XERO_REDIRECT_URI = f"{live_server.url}/configuration/integrations/xero/callback/"
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    crypto.reset_keys()
    yield handle
    handle.stop()
    crypto.reset_keys()


def consent_on_xero(page, sandbox: SandboxHandle, organisation: str) -> None:
    expect(page.get_by_role("heading", name="Log in to Xero")).to_be_visible()
    page.get_by_label("Email").fill(sandbox.info["login"]["email"])
    page.get_by_label("Password").fill(sandbox.info["login"]["password"])
    page.get_by_label(organisation).check()
    page.get_by_role("button", name="Allow access").click()


def test_connect_save_disconnect_and_reconnect_a_sandbox_organisation(
    live_server, page, admin, sandbox
):
    sign_in(page, live_server, admin)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Configuration").click()
    page.get_by_role("link", name="Integrations: Xero connections").click()
    page.get_by_role("link", name="Xero").click()
    page.get_by_label("Enable the Xero integration").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message")).to_contain_text("Xero integration enabled")

    page.get_by_label("Display name").fill("NZ books")
    page.get_by_role("button", name="Create connection").click()
    page.get_by_role("button", name="Connect now").click()
    consent_on_xero(page, sandbox, "Demo Company (NZ)")

    # Back on the same connection's screen: connected to Xero, but not saved (CONN-4).
    expect(page.get_by_role("heading", level=1)).to_contain_text("NZ books")
    expect(page.get_by_role("alert")).to_contain_text("Not saved, so still disconnected")
    page.get_by_role("button", name="Save connection").click()
    expect(page.locator(".message")).to_contain_text("connected to Demo Company (NZ)")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Connected")
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.get_by_role("button", name="Disconnect").click()
    expect(page.locator(".message")).to_contain_text("nothing linked to it was removed")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Disconnected")

    page.get_by_role("button", name="Reconnect").click()
    consent_on_xero(page, sandbox, "Demo Company (NZ)")
    page.get_by_role("button", name="Save connection").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Connected")
    connection = Connection.objects.get()
    assert connection.state == ConnectionState.CONNECTED and connection.saved
    assert connection.tenant_name == "Demo Company (NZ)"
