"""Helpers for the Xero tests: the sandbox's admin API, and a person consenting on Xero's page."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from ledgerbridge.xero import connections
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.limits import Budgets, Limits
from ledgerbridge.xero.models import Connection
from xero_sandbox.server import SandboxHandle

REDIRECT_URI = "http://127.0.0.1:8000/configuration/integrations/xero/callback/"


def admin_call(sandbox: SandboxHandle, method: str, path: str, **body: Any) -> Any:
    """The sandbox's own admin API (not Xero's): faults, clock, "a Xero user does this"."""
    # Generous: seeding a large organisation takes seconds on a busy machine.
    response = httpx.request(
        method, f"{sandbox.url}/_sandbox/{path}", json=body or None, timeout=120
    )
    response.raise_for_status()
    return response.json()


def consent(
    sandbox: SandboxHandle,
    authorize_url: str,
    tenant_name: str | None = None,
    *,
    cancel: bool = False,
    password: str | None = None,
) -> dict[str, str]:
    """Do what a person does on Xero's login page; return the callback's query parameters."""
    with httpx.Client() as http:
        page = http.get(authorize_url)
        assert page.status_code == 200, page.text
        form = {
            unescape(n): unescape(v)
            for n, v in re.findall(
                r"<input type='hidden' name='([^']*)' value='([^']*)'>", page.text
            )
        }
        tenants = {
            unescape(name).strip(): value
            for value, name in re.findall(
                r"name='tenant_id' value='([^']*)'[^>]*>([^<]*)</label>", page.text
            )
        }
        login = sandbox.info["login"]
        form.update(
            email=login["email"],
            password=password or login["password"],
            tenant_id=tenants[tenant_name] if tenant_name else next(iter(tenants.values())),
            action="cancel" if cancel else "allow",
        )
        answer = http.post(f"{sandbox.url}/identity/connect/authorize", data=form)
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return dict(parse_qsl(urlsplit(location).query))


def connect(
    sandbox: SandboxHandle, name: str, tenant_name: str | None = None, *, save: bool = True
) -> Connection:
    connection = connections.create_connection(name)
    url = connections.start_authorisation(connection, None, REDIRECT_URI)
    params = consent(sandbox, url, tenant_name)
    linked = connections.complete_authorisation(params, REDIRECT_URI)
    assert linked[0].pk == connection.pk
    connection.refresh_from_db()
    if save:
        connections.save_connection(connection)
    return connection


class FakeClock:
    """Monotonic time that moves only when the code under test sleeps (waits cost nothing)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def fast_client(connection: Connection, clock: FakeClock | None = None, **kw: Any) -> XeroClient:
    """A client on a fake clock (back-off and waits are instant), with its own budgets (every
    request is validated against the official OpenAPI spec: the `spec_checked` fixture)."""
    clock = clock or FakeClock()
    kw.setdefault("sleep", clock.sleep)
    kw.setdefault("budget_pool", Budgets(Limits(), clock, clock.sleep))
    kw.setdefault("timeout", 10)
    return XeroClient(connection, **kw)


def database_url() -> str:
    """The test database as a DATABASE_URL, for the real processes a test starts."""
    from django.db import connection as db

    s = db.settings_dict
    if db.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
