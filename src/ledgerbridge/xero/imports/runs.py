"""Starting, claiming, running and finishing import runs; the handlers per kind."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Model, Q
from django.utils import timezone

from ledgerbridge.accounts.models import User
from ledgerbridge.catalog.models import Product, ProductGroup
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.errors import DailyLimitReached, ReauthorisationNeeded, XeroError
from ledgerbridge.xero.imports.common import (
    OUR_CLOCK_MARGIN,
    STALE_AFTER,
    XERO_CLOCK_MARGIN,
)
from ledgerbridge.xero.imports.contacts import PARTY_MODELS, import_contacts
from ledgerbridge.xero.imports.currencies import import_currencies
from ledgerbridge.xero.imports.items import import_products
from ledgerbridge.xero.imports.tax_rates import import_tax_rates
from ledgerbridge.xero.imports.tracking import import_branding, import_tracking
from ledgerbridge.xero.models import (
    Connection,
    ImportKind,
    ImportRun,
    ImportStatus,
    ImportWatermark,
)

log = logging.getLogger(__name__)

# How a run is queued for the worker: `tasks.py` registers it (imports know nothing of tasks).
Queue = Callable[[int, dt.datetime | None], None]
_queue: list[Queue] = []


def set_queue(queue: Queue) -> None:
    """Register how runs are handed to the worker: queue(run_id, not_before)."""
    _queue[:] = [queue]


def _enqueue(run_id: int, when: dt.datetime | None = None) -> None:
    for queue in _queue:
        queue(run_id, when)


def open_run(connection: Connection, kind: str) -> ImportRun | None:
    """An unfinished run of this kind for this organisation, if one exists (to resume it)."""
    return (
        ImportRun.objects.filter(xero_tenant_id=connection.tenant_id, kind=kind)
        .exclude(status__in=[ImportStatus.DONE, ImportStatus.FAILED])
        .first()
    )


@transaction.atomic
def start_import(
    connection: Connection,
    kind: str,
    *,
    params: dict[str, Any] | None = None,
    user: User | None = None,
    background: bool = True,
) -> ImportRun:
    """Create an import run (or return the unfinished one for the same kind and parameters,
    which then resumes) and, with `background`, queue it for the worker after commit."""
    params = dict(params or {})
    if kind not in ImportKind.values:
        raise ValidationError({"kind": [f"Choose one of {', '.join(ImportKind.values)}."]})
    if not connection.is_connected:
        raise ValidationError(f"{connection} is not connected; connect and save it first.")
    if kind == ImportKind.PRODUCTS:
        group_id = params.get("product_group")
        if not group_id or not ProductGroup.objects.filter(pk=group_id).exists():
            raise ValidationError(
                {"product_group": ["Choose the product group imported products join."]}
            )
    existing = open_run(connection, kind)
    if existing is not None and existing.params == params:
        run = existing
    else:
        since = None
        watermark = ImportWatermark.objects.filter(
            xero_tenant_id=connection.tenant_id, kind=kind
        ).first()
        if watermark and not params.get("ids") and not params.get("full"):
            since = watermark.since
        run = ImportRun.objects.create(
            xero_tenant_id=connection.tenant_id,
            connection=connection,
            kind=kind,
            params=params,
            since=since,
            started_by=user,
        )
    if background:
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _claim(run_id: int) -> bool:
    """Take the run for this process, unless another live process has it (one UPDATE, so two
    workers handed the same run cannot both take it)."""
    now = timezone.now()
    claimable = (
        Q(status__in=[ImportStatus.QUEUED, ImportStatus.WAITING])
        | Q(status=ImportStatus.RUNNING, heartbeat_at__lte=now - STALE_AFTER)
        | Q(status=ImportStatus.RUNNING, heartbeat_at__isnull=True)
    )
    taken = ImportRun.objects.filter(claimable, pk=run_id).update(
        status=ImportStatus.RUNNING, heartbeat_at=now, resume_after=None
    )
    return bool(taken)


def run_import(
    run_id: int,
    *,
    client: XeroClient | None = None,
    progress: Callable[[ImportRun], None] | None = None,
) -> ImportRun:
    """Carry out (or resume) an import run; see the module docstring for the contract."""
    if not _claim(run_id):
        return ImportRun.objects.get(pk=run_id)
    run = ImportRun.objects.get(pk=run_id)
    if run.started_at is None:
        ImportRun.objects.filter(pk=run.pk).update(started_at=timezone.now())
        run.refresh_from_db()
    connection = Connection.objects.filter(tenant_id=run.xero_tenant_id).first()
    try:
        if connection is None or not connection.is_connected:
            raise ReauthorisationNeeded("The organisation is not connected; connect it again.")
        own = client is None
        xero = client or XeroClient(connection)
        try:
            HANDLERS[run.kind](run, xero, progress or (lambda r: None))
        finally:
            if own:
                xero.close()
    except DailyLimitReached as exc:
        return _wait(run, exc.retry_after, exc.message)
    except ReauthorisationNeeded as exc:
        # CONN-6: nothing is lost; the run waits and resumes when reconnected and restarted.
        return _finish(run, ImportStatus.WAITING, f"Waiting for the connection: {exc.message}")
    except XeroError as exc:
        return _finish(run, ImportStatus.FAILED, exc.message)
    except Exception as exc:
        log.exception("import %s failed", run.pk)
        return _finish(run, ImportStatus.FAILED, f"The import stopped unexpectedly: {exc}")
    run.refresh_from_db()
    # A run that left records behind (skipped, or without their tax rates) keeps the old
    # watermark, so importing again after fixing the cause brings those records.
    if not run.params.get("ids") and not run.problems:
        if run.xero_started_at is not None:
            since = run.xero_started_at - XERO_CLOCK_MARGIN
        else:
            since = (run.started_at or timezone.now()) - OUR_CLOCK_MARGIN
        ImportWatermark.objects.update_or_create(
            xero_tenant_id=run.xero_tenant_id, kind=run.kind, defaults={"since": since}
        )
    # What it looked at, whatever Xero's count included (e.g. supplier-only contacts).
    ImportRun.objects.filter(pk=run.pk).update(total=F("processed"))
    return _finish(run, ImportStatus.DONE, _summary(run))


def _summary(run: ImportRun) -> str:
    run.refresh_from_db()
    return (
        f"{run.get_kind_display()}: {run.created} created, {run.updated} updated, "
        f"{run.skipped} skipped."
    )


def _finish(run: ImportRun, status: str, message: str) -> ImportRun:
    ImportRun.objects.filter(pk=run.pk).update(
        status=status,
        message=message,
        heartbeat_at=timezone.now(),
        finished_at=timezone.now() if status in (ImportStatus.DONE, ImportStatus.FAILED) else None,
    )
    run.refresh_from_db()
    return run


def _wait(run: ImportRun, seconds: float, message: str) -> ImportRun:
    when = timezone.now() + dt.timedelta(seconds=seconds)
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.WAITING,
        resume_after=when,
        heartbeat_at=timezone.now(),
        message=f"{message} It resumes by itself at {when:%Y-%m-%d %H:%M} UTC.",
    )
    _enqueue(run.pk, when)
    run.refresh_from_db()
    return run


HANDLERS: dict[str, Callable[[ImportRun, XeroClient, Callable[[ImportRun], None]], None]] = {
    ImportKind.TAX_RATES: import_tax_rates,
    ImportKind.CUSTOMERS: import_contacts,
    ImportKind.SUPPLIERS: import_contacts,
    ImportKind.PRODUCTS: import_products,
    ImportKind.TRACKING: import_tracking,
    ImportKind.BRANDING: import_branding,
    ImportKind.CURRENCIES: import_currencies,
}


def linked_model(kind: str) -> type[Model]:
    """The product model an import kind fills."""
    models: dict[str, type[Model]] = {ImportKind.PRODUCTS: Product, **PARTY_MODELS}
    return models[kind]
