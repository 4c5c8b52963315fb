"""The errors tab's records (ERR-1..3): a failed sync kept against its organisation, counted
rather than listed again when it fails the same way, resolved when the record later syncs."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db.models import F
from django.utils import timezone

from ledgerbridge.sync.models import SyncIssue

MAX_SENT = 20_000  # characters of the payload kept with an issue


def _fingerprint(kind: str, message: str) -> str:
    return hashlib.sha256(f"{kind}|{message}".encode()).hexdigest()


def _excerpt(sent: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(sent, default=str)
    return sent if len(text) <= MAX_SENT else {"excerpt": text[:MAX_SENT]}


def record(
    organisation_id: int,
    kind: str,
    local_id: int,
    *,
    label: str,
    message: str,
    sent: dict[str, Any],
    answer: str,
) -> SyncIssue:
    """File a failure (call inside the transaction that marks the record failed)."""
    now = timezone.now()
    fingerprint = _fingerprint(kind, message)
    same = SyncIssue.objects.filter(
        organisation_id=organisation_id,
        kind=kind,
        local_id=local_id,
        fingerprint=fingerprint,
        resolved_at__isnull=True,
    )
    if same.update(count=F("count") + 1, last_at=now, sent=_excerpt(sent), answer=answer):
        return same.get()
    return SyncIssue.objects.create(
        organisation_id=organisation_id,
        kind=kind,
        local_id=local_id,
        label=label[:300],
        message=message,
        sent=_excerpt(sent),
        answer=answer,
        fingerprint=fingerprint,
        first_at=now,
        last_at=now,
    )


def resolve(organisation_id: int, kind: str, local_ids: int | list[int]) -> int:
    """Mark the records' open issues resolved (they synced); returns how many."""
    ids = [local_ids] if isinstance(local_ids, int) else local_ids
    return SyncIssue.objects.filter(
        organisation_id=organisation_id, kind=kind, local_id__in=ids, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())
