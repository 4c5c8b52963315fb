"""Currencies: the organisation's base currency (GET /Organisation) and the currencies it has
enabled (GET /Currencies), stored through `sync.currencies.record_currencies`.

Brought across three ways, all through `refresh_currencies`: as an import run ("Refresh
currencies" on the connection's page, `POST /xero/connections/{id}/imports {"kind":
"currencies"}`, `ledgerbridge xero import currencies`), when a connection is saved or
reconnected (`tasks.refresh_currencies_task`), and by the periodic poll when an
organisation's were last refreshed more than XERO_CURRENCIES_REFRESH_HOURS ago
(`refresh_due`). Two calls each; idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ledgerbridge.sync.currencies import Refreshed, record_currencies
from ledgerbridge.sync.models import Organisation
from ledgerbridge.xero import endpoints
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.errors import XeroError
from ledgerbridge.xero.imports.common import XERO, organisation, problem, record_page
from ledgerbridge.xero.models import Connection, ImportRun

log = logging.getLogger(__name__)
ClientFor = Callable[[Connection], XeroClient]


def read_currencies(client: XeroClient) -> tuple[str, list[tuple[str, str]]]:
    """(base currency, [(code, name)] enabled) as Xero gives them now."""
    body = client.get(endpoints.ORGANISATION)
    found: list[dict[str, Any]] = list(body.get("Organisations") or [])
    base = str((found[0] if found else {}).get("BaseCurrency") or "")
    listed = client.get(endpoints.CURRENCIES).get("Currencies") or []
    return base, [
        (str(c.get("Code") or ""), str(c.get("Description") or ""))
        for c in listed
        if isinstance(c, dict)
    ]


def refresh_currencies(tenant_id: str, client: XeroClient) -> Refreshed:
    """Read the organisation's base and enabled currencies from Xero and store them (see
    `sync.currencies.record_currencies`). Raises XeroError as the client decides."""
    base, listed = read_currencies(client)
    return record_currencies(organisation(tenant_id).pk, base, listed)


def import_currencies(
    run: ImportRun, client: XeroClient, progress: Callable[[ImportRun], None]
) -> None:
    """The import run's handler: refresh, and count codes new (created), known (updated) and
    not codes at all (skipped, each reported)."""
    base, listed = read_currencies(client)
    with transaction.atomic():
        outcome = record_currencies(organisation(run.xero_tenant_id).pk, base, listed)
        problems = [
            problem(code or "(blank)", "Xero listed it as a currency, but it is no currency code")
            for code in outcome.skipped
        ]
        counts = {
            "created": outcome.created,
            "updated": outcome.updated,
            "skipped": len(outcome.skipped),
        }
        record_page(run, page=None, counts=counts, problems=problems, total=len(listed))
    run.refresh_from_db()
    progress(run)


# A refresh that failed is tried again after this, not on every periodic run (per process).
RETRY_AFTER = dt.timedelta(minutes=15)
_failed_at: dict[str, dt.datetime] = {}


def refresh_due(client_for: ClientFor | None = None, every: dt.timedelta | None = None) -> int:
    """The periodic refresh: each connected organisation whose currencies were never brought
    across, or not for `every` (XERO_CURRENCIES_REFRESH_HOURS), is refreshed now. A failure is
    logged and tried again after RETRY_AFTER (the connection's page shows Xero's error).
    Returns how many organisations were refreshed."""
    if every is None:
        every = dt.timedelta(hours=settings.XERO_CURRENCIES_REFRESH_HOURS)
    now = timezone.now()
    done = 0
    seen: set[str] = set()
    for connection in Connection.objects.exclude(tenant_id=""):
        tenant = connection.tenant_id
        if not connection.is_connected or tenant in seen:
            continue  # two connections of one organisation: refreshed once
        seen.add(tenant)
        refreshed = (
            Organisation.objects.filter(integration=XERO, remote_id=tenant)
            .values_list("currencies_refreshed_at", flat=True)
            .first()
        )
        if refreshed is not None and refreshed > now - every:
            continue
        if _failed_at.get(tenant, now - RETRY_AFTER) > now - RETRY_AFTER:
            continue
        if refresh_connection(connection, client_for):
            _failed_at.pop(tenant, None)
            done += 1
        else:
            _failed_at[tenant] = now
    return done


def refresh_connection(connection: Connection, client_for: ClientFor | None = None) -> bool:
    """Refresh one connected organisation's currencies now (on connect, and periodically);
    False, logged, when it is not connected or Xero does not answer."""
    if not connection.is_connected:
        return False
    try:
        with (client_for or XeroClient.background)(connection) as client:
            refresh_currencies(connection.tenant_id, client)
    except XeroError as exc:
        log.warning("the currencies of %s were not refreshed: %s", connection.name, exc.message)
        return False
    return True
