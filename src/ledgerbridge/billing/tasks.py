"""Background entry points for billing (Django Tasks)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from ledgerbridge.billing.recurring import raise_due_invoices


@task()
def raise_recurring_invoices() -> int:
    """Raise every recurring invoice due today or earlier; safe to run any number of times."""
    return len(raise_due_invoices(timezone.localdate()))
