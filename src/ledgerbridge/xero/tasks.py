"""Background entry points of the Xero integration (Django Tasks)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from ledgerbridge.xero.imports import STALE_AFTER, run_import
from ledgerbridge.xero.models import ImportStatus


@task()
def run_import_task(run_id: int) -> str:
    """Carry out or resume an import run; safe to run twice (a live run is left alone).

    A run another process still holds (its heartbeat is fresh) is looked at again once that
    heartbeat would be stale: if the holder died meanwhile (e.g. a worker killed mid-import,
    whose task the dead-worker recovery queued again), this task then takes the run over."""
    run = run_import(run_id)
    if run.status == ImportStatus.RUNNING:
        beat = run.heartbeat_at or timezone.now()
        run_import_task.using(run_after=beat + STALE_AFTER + dt.timedelta(seconds=1)).enqueue(
            run_id
        )
    return str(run.status)
