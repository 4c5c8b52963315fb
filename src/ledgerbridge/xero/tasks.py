"""Background entry points of the Xero integration (Django Tasks), and what answers
`connections.connection_ready` (registered when the app is ready, see `apps`)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task

from ledgerbridge.xero.connections import connection_ready
from ledgerbridge.xero.imports import run_import
from ledgerbridge.xero.models import Connection, ImportRun, ImportStatus, RequestLog


@task()
def run_import_task(run_id: int) -> str:
    """Carry out or resume an import run; safe to run twice (a live run is left alone)."""
    return str(run_import(run_id).status)


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
    """Queue again the imports of this organisation that wait for its connection (CONN-6),
    after the caller's transaction commits; returns how many."""
    waiting = list(
        ImportRun.objects.filter(
            xero_tenant_id=connection.tenant_id,
            status=ImportStatus.WAITING,
            resume_after__isnull=True,  # a day-limit wait resumes by itself at its time
        ).values_list("pk", flat=True)
    )
    for run_id in waiting:
        transaction.on_commit(partial(run_import_task.enqueue, run_id))
    return len(waiting)


@receiver(connection_ready, dispatch_uid="xero.tasks.resume_waiting_work")
def _on_connection_ready(sender: Any, connection: Connection, **kwargs: Any) -> None:
    resume_waiting_work(connection)
