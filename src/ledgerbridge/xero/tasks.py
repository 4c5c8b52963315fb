"""Background entry points of the Xero integration (Django Tasks)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from ledgerbridge.xero import imports


@task()
def run_import_task(run_id: int) -> str:
    """Carry out or resume an import run; safe to run twice (a live run is left alone)."""
    return str(imports.run_import(run_id).status)


def queue_import(run_id: int, not_before: dt.datetime | None = None) -> None:
    """Hand an import run to the worker (at `not_before`, when given)."""
    if not_before is None:
        run_import_task.enqueue(run_id)
    else:
        run_import_task.using(run_after=not_before).enqueue(run_id)
