"""Deleting a record that others still use: refused, with one message naming what uses it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, ProtectedError

SAMPLE = 5
# The code of every refused deletion (the record is in use, or its state forbids it): the API
# answers it 409 Conflict, as it answers duplicates; the screens show the message.
IN_USE = "in_use"


def refuse_deletion(message: str) -> ValidationError:
    """The error to raise when a record may not be deleted as things stand."""
    return ValidationError(message, code=IN_USE)


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
        raise refuse_deletion(f"{label} is still used by {users_of(exc)}; {advice}") from exc
