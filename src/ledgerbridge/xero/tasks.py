"""Background entry points of the Xero integration (Django Tasks)."""

from __future__ import annotations

from django_tasks import task

from ledgerbridge.xero.imports import run_import


@task()
def run_import_task(run_id: int) -> str:
    """Carry out or resume an import run; safe to run twice (a live run is left alone)."""
    return str(run_import(run_id).status)
