"""Dead-worker recovery: work whose worker died is queued again, by any live worker.

Every worker records itself (`WorkerBeat`: host, pid, a heartbeat every
WORKER_HEARTBEAT_SECONDS) and, every WORKER_RECOVERY_INTERVAL_SECONDS, looks for tasks left
RUNNING by a worker that has been silent for WORKER_DEAD_AFTER_SECONDS (or has no record at
all). Such a task is marked failed ("its worker died") and the same task, with the same
arguments, is queued again. This covers every kind of background work, so every task must be
safe to run twice: imports resume from their next page; the sync engine holds a lease per
organisation. Two live workers recovering at once cannot both requeue: the FAILED mark is one
conditional UPDATE and only the worker whose UPDATE changed the row enqueues.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ledgerbridge.background.models import WorkerBeat

log = logging.getLogger("ledgerbridge.worker")

DIED = "ledgerbridge.background.recovery.WorkerDied"


def dead_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.WORKER_DEAD_AFTER_SECONDS)


def register(worker_id: str) -> None:
    """Record a starting worker (its first heartbeat)."""
    now = timezone.now()
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": now,
            "beat_at": now,
        },
    )


def beat(worker_id: str) -> None:
    """Say this worker is alive (re-creating its record if a peer took it for dead)."""
    if not WorkerBeat.objects.filter(worker_id=worker_id).update(beat_at=timezone.now()):
        register(worker_id)


def unregister(worker_id: str) -> None:
    """A worker stopping cleanly leaves no task running and no record behind."""
    WorkerBeat.objects.filter(worker_id=worker_id).delete()


def recover_abandoned() -> list[str]:
    """Queue again every task whose worker died; returns the ids of the new tasks."""
    now = timezone.now()
    silent_since = now - dead_after()
    live = set(
        WorkerBeat.objects.filter(beat_at__gt=silent_since).values_list("worker_id", flat=True)
    )
    requeued: list[str] = []
    # A task just claimed by a worker still registering gets the same grace as a silent one.
    for row in DBTaskResult.objects.running().filter(started_at__lte=silent_since):
        worker = row.worker_ids[-1] if row.worker_ids else ""
        if worker in live:
            continue
        seen = WorkerBeat.objects.filter(worker_id=worker).values_list("beat_at", flat=True)
        last = f"last heard of at {seen[0]:%Y-%m-%d %H:%M:%S}" if seen else "no heartbeat"
        reason = f"Its worker {worker or '(unknown)'} died ({last}); the task was queued again."
        with transaction.atomic():
            taken = DBTaskResult.objects.filter(
                pk=row.pk, status=row.status, started_at=row.started_at
            ).update(
                status="FAILED",
                finished_at=now,
                exception_class_path=DIED,
                traceback=reason,
                return_value=None,
            )
            if not taken:
                continue  # another worker recovered it first, or it finished after all
            try:
                task = row.task
            except Exception:  # the task's code is gone; nothing to queue
                log.exception("task %s of dead worker %s cannot be queued again", row.pk, worker)
                continue
            args = row.args_kwargs
            again = task.using(run_after=now).enqueue(*args["args"], **args["kwargs"])
        log.warning(
            "task %s (%s) was left running by worker %s, which died; queued again as %s",
            row.pk,
            row.task_path,
            worker,
            again.id,
        )
        requeued.append(str(again.id))
    # Records of dead workers are no longer needed once their tasks are queued again.
    WorkerBeat.objects.filter(beat_at__lte=silent_since).delete()
    return requeued
