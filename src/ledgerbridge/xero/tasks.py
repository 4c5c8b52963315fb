"""Background entry points of the Xero integration (Django Tasks)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from ledgerbridge.xero import comparisons, imports, outbound, webhooks
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.connections import connection_ready
from ledgerbridge.xero.imports.common import STALE_AFTER
from ledgerbridge.xero.imports.common import organisation as organisation_of
from ledgerbridge.xero.imports.currencies import refresh_connection, refresh_due
from ledgerbridge.xero.models import (
    ComparisonStatus,
    Connection,
    ImportRun,
    ImportStatus,
    RequestLog,
)


@task()
def run_import_task(run_id: int) -> str:
    """Carry out or resume an import run; safe to run twice (a live run is left alone).

    A run another process still holds (its heartbeat is fresh) is looked at again once that
    heartbeat would be stale: if the holder died meanwhile (e.g. a worker killed mid-import,
    whose task the dead-worker recovery queued again), this task then takes the run over."""
    run = imports.run_import(run_id)
    if run.status == ImportStatus.RUNNING:
        beat = run.heartbeat_at or timezone.now()
        run_import_task.using(run_after=beat + STALE_AFTER + dt.timedelta(seconds=1)).enqueue(
            run_id
        )
    return str(run.status)


def queue_import(run_id: int, not_before: dt.datetime | None = None) -> None:
    """Hand an import run to the worker (at `not_before`, when given)."""
    if not_before is None:
        run_import_task.enqueue(run_id)
    else:
        run_import_task.using(run_after=not_before).enqueue(run_id)


@task()
def run_comparison_task(run_id: int) -> str:
    """Carry out a "Compare with Xero" run; one another live process holds is looked at
    again once its heartbeat would be stale (its holder may have died: then this takes over)."""
    run = comparisons.run(run_id)
    if run.status == ComparisonStatus.RUNNING:
        beat = run.heartbeat_at or timezone.now()
        run_comparison_task.using(
            run_after=beat + comparisons.STALE_AFTER + dt.timedelta(seconds=1)
        ).enqueue(run_id)
    return str(run.status)


def queue_comparison(run_id: int) -> None:
    run_comparison_task.enqueue(run_id)


@task()
def apply_webhook_events() -> int:
    """Apply the webhook events that wait in the inbox; returns how many were settled. Safe to
    run twice at once: an event is settled once (the second finds it settled)."""
    return webhooks.apply_pending()


def queue_webhook_events() -> None:
    apply_webhook_events.enqueue()


@task()
def poll_xero_changes() -> int:
    """Periodic: the catch-up poll of organisations whose last poll is old enough (returns how
    many were read), and the currencies of those not refreshed for
    XERO_CURRENCIES_REFRESH_HOURS."""
    try:
        return webhooks.poll_due()
    finally:
        refresh_due()


@task()
def refresh_currencies_task(connection_id: int) -> bool:
    """Bring a connection's organisation's currencies across now (queued when it is saved or
    reconnected); False when it is gone, not connected, or Xero did not answer (the periodic
    poll tries again). Idempotent."""
    connection = Connection.objects.filter(pk=connection_id).first()
    return connection is not None and refresh_connection(connection)


@task()
def catch_up_task(connection_id: int, since: str) -> int:
    """An admin's "Catch up since…": read what Xero changed since then into the inbox."""
    connection = Connection.objects.get(pk=connection_id)
    with XeroClient(connection) as client:
        return webhooks.catch_up(connection, dt.datetime.fromisoformat(since), client)


@task()
def sync_organisation_task(organisation_id: int) -> str:
    """Send what the organisation has waiting (`outbound.sync_organisation`); when a limit
    stops it, queue itself again for when the organisation may call Xero again, and when its
    turn ends (many organisations waiting), at once, behind the others."""
    outcome = outbound.sync_organisation(organisation_id)
    if outcome.resume_at is not None:
        queue_sync(organisation_id, at=outcome.resume_at)
    elif outcome.turn_over:
        queue_sync(organisation_id)  # behind the organisations already queued
    return (
        f"sent {outcome.sent}, synced {outcome.synced}, failed {outcome.failed}, "
        f"not eligible {outcome.not_eligible}, calls {outcome.calls}"
        + (f"; held: {outcome.held}" if outcome.held else "")
    )


def queue_sync(organisation_id: int, at: dt.datetime | None = None) -> None:
    """Queue the organisation's sync, now or `at`, unless one is queued already that starts no
    later (after commit of a change; losing this costs nothing, the periodic sweep finds the
    work). With no `at`, a sync queued for later counts too: it waits for a limit to pass,
    before which nothing could be sent anyway, so the sweep adds no runs that would only find
    the limit."""
    queued = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=sync_organisation_task.module_path,
        args_kwargs__args__0=organisation_id,
    )
    if at is not None:
        queued = queued.filter(Q(run_after__lte=at) | Q(run_after=get_date_max()))
    if queued.exists():
        return
    if at is None:
        sync_organisation_task.enqueue(organisation_id)
    else:
        sync_organisation_task.using(run_after=at).enqueue(organisation_id)


@task()
def sweep_sync() -> int:
    """Periodic: queue every organisation with changes waiting; returns how many."""
    found = outbound.organisations_waiting()
    for organisation_id in found:
        queue_sync(organisation_id)
    return len(found)


@task()
def prune_request_log() -> int:
    """Delete request-log rows older than XERO_REQUEST_LOG_DAYS; returns how many. Idempotent
    (periodic: see `worker.PERIODIC`)."""
    return prune_request_log_before(
        timezone.now() - dt.timedelta(days=settings.XERO_REQUEST_LOG_DAYS)
    )


def prune_request_log_before(cutoff: dt.datetime) -> int:
    deleted, _ = RequestLog.objects.filter(at__lt=cutoff).delete()
    return deleted


def resume_waiting_work(connection: Connection) -> int:
    """Queue again what waits for this organisation's connection (CONN-6): its imports and its
    sync, after the caller's transaction commits; returns how many imports."""
    waiting = list(
        ImportRun.objects.filter(
            xero_tenant_id=connection.tenant_id,
            status=ImportStatus.WAITING,
            resume_after__isnull=True,  # a day-limit wait resumes by itself at its time
        ).values_list("pk", flat=True)
    )
    for run_id in waiting:
        transaction.on_commit(partial(run_import_task.enqueue, run_id))
    if connection.tenant_id:
        transaction.on_commit(partial(queue_sync, organisation_of(connection.tenant_id).pk))
    return len(waiting)


@receiver(connection_ready, dispatch_uid="xero.tasks.resume_waiting_work")
def _on_connection_ready(sender: Any, connection: Connection, **kwargs: Any) -> None:
    resume_waiting_work(connection)


@receiver(connection_ready, dispatch_uid="xero.tasks.refresh_currencies")
def _refresh_currencies_when_ready(sender: Any, connection: Connection, **kwargs: Any) -> None:
    """A connection saved or reconnected brings its organisation's currencies across."""
    transaction.on_commit(partial(refresh_currencies_task.enqueue, connection.pk))
