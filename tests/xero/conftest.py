"""Fixtures for the Xero integration: a real sandbox over HTTP with Ledgerbridge pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet

from ledgerbridge import crypto
from xero_sandbox.server import SandboxHandle, start


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    handle = start(seed=7)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def xero_settings(settings: Any, sandbox: SandboxHandle) -> Any:
    """Point Ledgerbridge at the sandbox, with its app's credentials and a fresh Fernet key."""
    settings.XERO_CLIENT_ID = sandbox.info["client_id"]
    settings.XERO_CLIENT_SECRET = sandbox.info["client_secret"]
    settings.XERO_LOGIN_URL = settings.XERO_IDENTITY_URL = settings.XERO_API_URL = sandbox.url
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    crypto.reset_keys()
    yield settings
    crypto.reset_keys()


@pytest.fixture(autouse=True)
def _every_request_to_xero_checked_against_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever sends it (the client, connections.py, an import run, a screen), every request to
    the Accounting API or to /connections in these tests must pass the official spec first.

    This wraps httpx's own send (third-party code, the one seam where requests leave); it checks
    and then sends for real, so it is an oracle, not a mock.
    """
    import httpx

    from .spec import check_request

    send = httpx.Client.send

    def checked_send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        check_request(request)
        return send(self, request, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", checked_send)


@pytest.fixture(autouse=True)
def _fresh_budgets() -> Iterator[None]:
    """Each test starts with the budgets of a fresh process: a day limit one test ran into must
    not pause an organisation in the next."""
    from ledgerbridge.xero.client import reset_budgets

    reset_budgets()
    yield
    reset_budgets()
