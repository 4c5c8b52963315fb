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
