"""Fixtures for the Xero integration: a real sandbox over HTTP with Ledgerbridge pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from cryptography.fernet import Fernet

from ledgerbridge import crypto
from ledgerbridge.xero.transport import install_transport_wrapper
from xero_sandbox.server import SandboxHandle, start

from .spec import SpecCheckingTransport


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
def spec_checked() -> Iterator[list[str]]:
    """Whatever sends it (the client, connections.py, an import run, a screen), every request to
    the Accounting API or to /connections in these tests must pass the official spec first.

    The checker is plugged into the one transport (`transport.install_transport_wrapper`),
    between the client and the network; it checks and then sends for real, so it is an oracle,
    not a mock. The fixture's value lists what it checked ("GET /connections", ...)."""
    checked: list[str] = []
    with install_transport_wrapper(partial(SpecCheckingTransport, checked=checked)):
        yield checked


@pytest.fixture(autouse=True)
def _fresh_budgets() -> Iterator[None]:
    """Each test starts with the budgets of a fresh process: a day limit one test ran into must
    not pause an organisation in the next."""
    from ledgerbridge.xero.client import reset_budgets

    reset_budgets()
    yield
    reset_budgets()
