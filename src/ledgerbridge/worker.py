"""The background worker: runs queued tasks and enqueues the periodic ones on schedule.

Any number of workers may run, on any machines sharing the database: tasks are claimed with
row locks by django-tasks-db, and periodic work is idempotent, so a periodic task enqueued by
two workers at once costs a little time and never doubles an effect.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections
from django_tasks.base import Task
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from ledgerbridge.billing.tasks import raise_recurring_invoices
from ledgerbridge.xero.tasks import prune_request_log

log = logging.getLogger("ledgerbridge.worker")

# The tasks enqueued every PERIODIC_INTERVAL_SECONDS.
PERIODIC: list[Task[[], int]] = [raise_recurring_invoices, prune_request_log]


def enqueue_periodic(tasks: list[Task[[], int]] | None = None) -> int:
    """Enqueue each periodic task unless one is already waiting; returns how many were queued."""
    queued = 0
    for periodic in tasks or PERIODIC:
        waiting = DBTaskResult.objects.ready().filter(task_path=periodic.module_path).exists()
        if not waiting:
            periodic.enqueue()
            queued += 1
    return queued


def _scheduler(stop: threading.Event, interval: float, tick: Callable[[], int]) -> None:
    while not stop.is_set():
        try:
            close_old_connections()
            tick()
        except Exception:  # keep scheduling through a transient database error
            log.exception("could not enqueue periodic tasks")
        finally:
            close_old_connections()
        stop.wait(interval)


def run_worker(*, batch: bool = False, interval: float = 1.0) -> None:
    """Run tasks until stopped (Ctrl-C, SIGTERM) or, with `batch`, until the queue is empty."""
    worker_id = f"{socket.gethostname()}-{os.getpid()}"
    stop = threading.Event()
    if batch:
        enqueue_periodic()
    else:
        threading.Thread(
            target=_scheduler,
            args=(stop, settings.PERIODIC_INTERVAL_SECONDS, enqueue_periodic),
            name="periodic",
            daemon=True,
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
        if batch:
            worker.run()
        else:
            worker.configure_signals()
            worker.run()
    finally:
        stop.set()
        log.info("worker %s stopped after %.0fs", worker_id, time.monotonic() - started)
