"""Comparison runs: "Compare with Xero" started from a connection's page, the API or the CLI,
carried out by the worker (or in the foreground by the CLI), with its progress and outcome kept
on a `Comparison` row. A run is read-only unless it was started with "fix".

A run holds itself with a heartbeat; one whose holder died (a killed worker) is taken over by
the next attempt once the heartbeat is stale, and read again from the start (reading writes
nothing, so nothing is half-done).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ledgerbridge.xero import compare
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.errors import XeroError
from ledgerbridge.xero.models import Comparison, ComparisonStatus, Connection

STALE_AFTER = dt.timedelta(seconds=60)
BEAT_EVERY = 1.0  # seconds between progress writes
Queue = Callable[[int], None]
_queue: Queue | None = None


def set_queue(queue: Queue) -> None:
    """How runs reach the worker (set by the app's `ready()`)."""
    global _queue
    _queue = queue


def start(connection: Connection, *, fix: bool = False, background: bool = True) -> Comparison:
    """Start a comparison of the connection's organisation (one at a time per connection: a
    run already waiting or running is returned as it is). Refuses a connection that is not
    connected (ValidationError on `connection`)."""
    if not connection.is_connected or not connection.tenant_id:
        raise ValidationError(
            {
                "connection": [
                    f"{connection.name} is not connected to Xero: connect it before comparing."
                ]
            }
        )
    with transaction.atomic():
        Connection.objects.select_for_update().filter(pk=connection.pk).first()
        open_run = Comparison.objects.filter(
            connection=connection,
            status__in=[ComparisonStatus.QUEUED, ComparisonStatus.RUNNING],
        ).first()
        if open_run is not None:
            if fix and not open_run.fix_requested:
                Comparison.objects.filter(pk=open_run.pk).update(fix_requested=True)
                open_run.fix_requested = True
            return open_run
        run = Comparison.objects.create(connection=connection, fix_requested=fix)
        if background and _queue is not None:
            transaction.on_commit(lambda: _queue(run.pk))
    return run


def _claim(run_id: int) -> bool:
    now = timezone.now()
    return bool(
        Comparison.objects.filter(pk=run_id)
        .filter(
            Q(status=ComparisonStatus.QUEUED)
            | Q(status=ComparisonStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
            | Q(status=ComparisonStatus.RUNNING, heartbeat_at__isnull=True)
        )
        .update(
            status=ComparisonStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            phase="Starting",
            done=0,
            total=None,
        )
    )


def run(
    run_id: int,
    *,
    client: XeroClient | None = None,
    progress: Callable[[Comparison], None] | None = None,
) -> Comparison:
    """Carry the run out (a run another live process holds is left alone and returned)."""
    if not _claim(run_id):
        return Comparison.objects.get(pk=run_id)
    found = Comparison.objects.select_related("connection").get(pk=run_id)
    connection = found.connection
    last = [0.0]

    def step(phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - last[0] < BEAT_EVERY and (total is None or done < total):
            return
        last[0] = now
        Comparison.objects.filter(pk=run_id).update(
            phase=phase, done=done, total=total, heartbeat_at=timezone.now()
        )
        if progress is not None:
            progress(Comparison.objects.get(pk=run_id))

    own = client is None
    xero = client or XeroClient(connection)
    try:
        result = compare.compare(connection, xero, step)
    except XeroError as exc:
        return _finish(run_id, ComparisonStatus.FAILED, exc.message)
    finally:
        if own:
            xero.close()
    fixed: dict[str, int] = {}
    fix_requested = Comparison.objects.filter(pk=run_id, fix_requested=True).exists()
    if fix_requested and result.differences:
        done = compare.fix(result)
        fixed = {"sent": done.sent, "linked": done.linked, "left": done.left}
    Comparison.objects.filter(pk=run_id).update(
        read=dict(result.read),
        checked=dict(result.checked),
        waiting=dict(result.waiting),
        differences=[d.as_json() for d in result.differences[: compare.MAX_KEPT]],
        difference_count=len(result.differences),
        calls=result.calls,
        fixed=fixed,
    )
    return _finish(run_id, ComparisonStatus.DONE, summary_words(result, fixed))


def summary_words(result: compare.Result, fixed: dict[str, int]) -> str:
    checked = sum(result.checked.values())
    if result.clean:
        words = f"No difference: {checked} records in step with Xero."
    else:
        words = f"{len(result.differences)} differences among {checked} records."
    waiting = sum(result.waiting.values())
    if waiting:
        words += f" {waiting} records wait to be sent and were not compared."
    if fixed:
        words += f" Fixed: {fixed['sent']} sent again, {fixed['linked']} linked" + (
            f"; {fixed['left']} need a person." if fixed["left"] else "."
        )
    return words


def _finish(run_id: int, status: str, message: str) -> Comparison:
    Comparison.objects.filter(pk=run_id).update(
        status=status, message=message, finished_at=timezone.now(), heartbeat_at=None
    )
    return Comparison.objects.get(pk=run_id)


def progress_json(run: Comparison) -> dict[str, Any]:
    percent = None
    if run.total:
        percent = min(100, round(100 * run.done / run.total))
    return {
        "id": run.pk,
        "connection": run.connection_id,
        "status": run.status,
        "status_label": run.get_status_display(),
        "fix": run.fix_requested,
        "phase": run.phase,
        "done": run.done,
        "total": run.total,
        "percent": percent,
        "finished": run.status in (ComparisonStatus.DONE, ComparisonStatus.FAILED),
        "message": run.message,
        "read": run.read,
        "checked": run.checked,
        "waiting": run.waiting,
        "difference_count": run.difference_count,
        "differences": run.differences,
        "fixed": run.fixed,
        "calls": run.calls,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
