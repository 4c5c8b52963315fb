"""Deleting a record that others still use: refused, with one message naming what uses it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, ProtectedError

SAMPLE = 5


def users_of(error: ProtectedError) -> str:
    """'invoice lines (INV-000001 …), customers (Acme)': what still uses the record."""
    kinds = sorted({str(obj._meta.verbose_name_plural) for obj in error.protected_objects})
    sample = sorted(str(obj) for obj in list(error.protected_objects)[:SAMPLE])
    more = "…" if len(error.protected_objects) > SAMPLE else ""
    return f"{', '.join(kinds)} ({', '.join(sample)}{more})"


def delete_unless_used(record: Model, label: str, advice: str) -> None:
    """Delete `record` in its own transaction, or raise ValidationError saying what uses it,
    e.g. "Tax rate GST is still used by customers (Acme); change those first."."""
    try:
        with transaction.atomic():
            record.delete()
    except ProtectedError as exc:
        raise ValidationError(f"{label} is still used by {users_of(exc)}; {advice}") from exc
