"""Background entry points of the Xero integration (Django Tasks)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from ledgerbridge.xero import imports, outbound
from ledgerbridge.xero.imports.common import STALE_AFTER
from ledgerbridge.xero.models import ImportStatus


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
def sync_organisation_task(organisation_id: int) -> str:
    """Send what the organisation has waiting (`outbound.sync_organisation`); when a limit
    stops it, queue itself again for when the organisation may call Xero again."""
    outcome = outbound.sync_organisation(organisation_id)
    if outcome.resume_at is not None:
        sync_organisation_task.using(run_after=outcome.resume_at).enqueue(organisation_id)
    return (
        f"sent {outcome.sent}, synced {outcome.synced}, failed {outcome.failed}, "
        f"not eligible {outcome.not_eligible}, calls {outcome.calls}"
        + (f"; held: {outcome.held}" if outcome.held else "")
    )


def queue_sync(organisation_id: int) -> None:
    """Queue the organisation's sync unless one is already waiting to start (after commit of a
    change; losing this costs nothing, the periodic sweep finds the work)."""
    waiting = DBTaskResult.objects.ready().filter(
        task_path=sync_organisation_task.module_path, args_kwargs__args__0=organisation_id
    )
    if not waiting.exists():
        sync_organisation_task.enqueue(organisation_id)


@task()
def sweep_sync() -> int:
    """Periodic: queue every organisation with changes waiting; returns how many."""
    found = outbound.organisations_waiting()
    for organisation_id in found:
        queue_sync(organisation_id)
    return len(found)
