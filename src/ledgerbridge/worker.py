"""The background worker: runs queued tasks, enqueues the periodic ones on schedule, and
queues again the work of workers that died (see `background.recovery`).

Any number of workers may run, on any machines sharing the database: tasks are claimed with
row locks by django-tasks-db, and periodic work is idempotent, so a periodic task enqueued by
two workers at once costs a little time and never doubles an effect.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections
from django_tasks.base import Task
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from ledgerbridge.background import recovery
from ledgerbridge.billing.tasks import raise_recurring_invoices
from ledgerbridge.xero.tasks import (
    apply_webhook_events,
    poll_xero_changes,
    prune_request_log,
    sweep_sync,
)

log = logging.getLogger("ledgerbridge.worker")

# The tasks enqueued every PERIODIC_INTERVAL_SECONDS.
PERIODIC: list[Task[[], int]] = [
    raise_recurring_invoices,
    sweep_sync,
    prune_request_log,
    apply_webhook_events,  # whatever a killed worker or a lost queue left in the inbox
    poll_xero_changes,  # what webhooks missed (each organisation every XERO_POLL_MINUTES)
]


def enqueue_periodic(tasks: list[Task[[], int]] | None = None) -> int:
    """Enqueue each periodic task unless one is already waiting; returns how many were queued."""
    queued = 0
    for periodic in tasks or PERIODIC:
        waiting = DBTaskResult.objects.ready().filter(task_path=periodic.module_path).exists()
        if not waiting:
            periodic.enqueue()
            queued += 1
    return queued


def _housekeeping(stop: threading.Event, jobs: list[tuple[float, Callable[[], object]]]) -> None:
    """Run each job every `interval` seconds (the first at once) until `stop` is set."""
    due = [0.0] * len(jobs)
    while not stop.is_set():
        for i, (interval, job) in enumerate(jobs):
            if time.monotonic() < due[i]:
                continue
            due[i] = time.monotonic() + interval
            try:
                close_old_connections()
                job()
            except Exception:  # keep going through a transient database error
                log.exception("background housekeeping (%s) failed", getattr(job, "__name__", job))
            finally:
                close_old_connections()
        stop.wait(max(0.1, min(due) - time.monotonic()))


def run_worker(*, batch: bool = False, interval: float = 1.0) -> None:
    """Run tasks until stopped (Ctrl-C, SIGTERM) or, with `batch`, until the queue is empty."""
    # The random part keeps a restarted worker that reuses a pid from passing for a dead one.
    worker_id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
    stop = threading.Event()
    recovery.register(worker_id)
    if batch:
        recovery.recover_abandoned()
        enqueue_periodic()
    else:
        jobs: list[tuple[float, Callable[[], object]]] = [
            (settings.WORKER_HEARTBEAT_SECONDS, lambda: recovery.beat(worker_id)),
            (settings.WORKER_RECOVERY_INTERVAL_SECONDS, recovery.recover_abandoned),
            (settings.PERIODIC_INTERVAL_SECONDS, enqueue_periodic),
        ]
        threading.Thread(
            target=_housekeeping, args=(stop, jobs), name="housekeeping", daemon=True
        ).start()
    worker = Worker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    log.info("worker %s started", worker_id)
    started = time.monotonic()
    try:
        if not batch:
            worker.configure_signals()
        worker.run()
    finally:
        stop.set()
        try:
            recovery.unregister(worker_id)
        except Exception:  # the database is gone; its record goes stale and is cleared later
            log.exception("worker %s could not remove its record", worker_id)
        log.info("worker %s stopped after %.0fs", worker_id, time.monotonic() - started)
