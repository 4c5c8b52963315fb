"""The calls the product makes when a record changes, and the calls an integration makes when
the remote side tells it what it holds.

Contracts:
- `mark_changed` and `mark_deleted` must run inside the transaction that changes the record
  (they refuse to run outside one): the change and its sync version commit together or not at
  all, so no change is ever lost between the database and a queue.
- `record_remote` stores what the remote holds for records that are now in step with it (an
  import or a successful push): remote id, snapshot, remote time; `synced_version = version`.
  Idempotent.
- Nothing here speaks to a remote system; integrations read and write these rows.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from ledgerbridge.sync.models import Link, Organisation, RecordKind, SyncSettings, SyncState

__all__ = [
    "Link",
    "Organisation",
    "RecordKind",
    "RemoteState",
    "SyncState",
    "keep_organisation",
    "link_of",
    "linked_ids",
    "links_of",
    "local_ids_for",
    "mark_changed",
    "mark_deleted",
    "next_code",
    "on_change",
    "organisation_for",
    "reconsider",
    "record_remote",
    "remote_ids",
    "send_again",
    "send_failed_again",
    "unlink",
    "wake",
    "with_default_organisation",
]

# Called after commit with (organisation id) for every organisation that has new work: the
# integration enqueues its per-organisation task here (a lost call costs nothing: a sweep finds
# pending rows anyway).
_listeners: list[Callable[[int], None]] = []


def on_change(listener: Callable[[int], None]) -> None:
    """Register `listener(organisation_id)`, called after commit of a change (see module doc)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _notify(organisation_id: int) -> None:
    for listener in list(_listeners):
        transaction.on_commit(functools.partial(listener, organisation_id))


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("Mark a change inside the transaction that makes it.")


def organisation_for(integration: str, remote_id: str, name: str = "") -> Organisation:
    """The organisation with this remote id (created if new; its name kept fresh)."""
    org, made = Organisation.objects.get_or_create(
        integration=integration, remote_id=remote_id, defaults={"name": name or remote_id}
    )
    if not made and name and org.name != name:
        Organisation.objects.filter(pk=org.pk).update(name=name)
        org.name = name
    return org


def mark_changed(kind: str, local_id: int, organisation_id: int | None) -> None:
    """Record that `kind` `local_id` changed in a way its organisation would see: bump its
    version and make it pending. A record with no organisation has nothing to sync."""
    _require_transaction()
    if organisation_id is None:
        return
    updated = Link.objects.filter(
        kind=kind, local_id=local_id, organisation_id=organisation_id
    ).update(
        version=F("version") + 1,
        # One in flight stays in flight: its last answer may have been lost, and it must be
        # looked up in the remote before it is sent again (its newer version goes then).
        state=Case(
            When(state=SyncState.IN_FLIGHT, then=Value(SyncState.IN_FLIGHT)),
            default=Value(SyncState.PENDING),
        ),
        attempts=0,
        not_before=None,
        deleted_at=None,
        updated_at=timezone.now(),
    )
    if not updated:
        Link.objects.create(
            kind=kind, local_id=local_id, organisation_id=organisation_id, version=1
        )
    _notify(organisation_id)


def mark_deleted(kind: str, local_id: int) -> None:
    """Record that the record is gone here. A link the remote knows becomes a tombstone that the
    integration settles (deletes or voids remotely); one it never knew is simply removed."""
    _require_transaction()
    links = Link.objects.filter(kind=kind, local_id=local_id)
    links.filter(remote_id="").delete()
    for org_id in links.values_list("organisation_id", flat=True):
        _notify(org_id)
    links.update(
        deleted_at=timezone.now(),
        version=F("version") + 1,
        state=SyncState.PENDING,
        attempts=0,
        not_before=None,
    )


def unlink(kind: str, local_id: int) -> None:
    """Forget the record's links (the remote records stay as they are)."""
    Link.objects.filter(kind=kind, local_id=local_id).delete()


def link_of(kind: str, local_id: int | None) -> Link | None:
    """The record's link (a record belongs to one organisation, so it has one at most)."""
    if local_id is None:
        return None
    return (
        Link.objects.filter(kind=kind, local_id=local_id, deleted_at__isnull=True)
        .select_related("organisation")
        .first()
    )


def links_of(kind: str, local_ids: Iterable[int]) -> dict[int, Link]:
    """local id -> link, for the records that have one."""
    found = Link.objects.filter(kind=kind, local_id__in=list(local_ids), deleted_at__isnull=True)
    return {link.local_id: link for link in found}


def remote_ids(kind: str, local_ids: Iterable[int]) -> dict[int, str]:
    """local id -> remote id, for the records the remote knows."""
    found = Link.objects.filter(
        kind=kind, local_id__in=list(local_ids), deleted_at__isnull=True
    ).exclude(remote_id="")
    return dict(found.values_list("local_id", "remote_id"))


def linked_ids(kind: str) -> Any:
    """A subquery of the local ids of `kind` that the remote knows (for `pk__in=`)."""
    return (
        Link.objects.filter(kind=kind, deleted_at__isnull=True)
        .exclude(remote_id="")
        .values("local_id")
    )


def local_ids_for(kind: str, organisation_id: int, remote: Iterable[str]) -> dict[str, int]:
    """remote id -> local id, within one organisation."""
    found = Link.objects.filter(
        kind=kind,
        organisation_id=organisation_id,
        remote_id__in=list(remote),
        deleted_at__isnull=True,
    )
    return dict(found.values_list("remote_id", "local_id"))


@dataclass
class RemoteState:
    """What the remote holds for one local record."""

    local_id: int
    remote_id: str
    snapshot: dict[str, Any] = field(default_factory=dict)
    remote_updated_at: dt.datetime | None = None


def record_remote(kind: str, organisation_id: int, states: Iterable[RemoteState]) -> None:
    """Store what the remote holds for these records, now in step with it (bulk, idempotent)."""
    wanted = {s.local_id: s for s in states}
    if not wanted:
        return
    existing = {
        link.local_id: link
        for link in Link.objects.filter(
            kind=kind, organisation_id=organisation_id, local_id__in=list(wanted)
        )
    }
    # A record deleted here but brought back by the remote (an import) replaces its tombstone.
    Link.objects.filter(
        kind=kind,
        organisation_id=organisation_id,
        remote_id__in=[s.remote_id for s in wanted.values()],
        deleted_at__isnull=False,
    ).delete()
    now = timezone.now()
    creates: list[Link] = []
    for local_id, state in wanted.items():
        link = existing.get(local_id) or Link(
            kind=kind, local_id=local_id, organisation_id=organisation_id
        )
        link.remote_id = state.remote_id
        link.snapshot = state.snapshot
        link.remote_updated_at = state.remote_updated_at
        link.synced_version = link.version
        link.state = SyncState.SYNCED
        link.reason = ""
        link.attempts = 0
        link.not_before = None
        link.updated_at = now
        if link.pk is None:
            creates.append(link)
    Link.objects.bulk_update(
        list(existing.values()),
        [
            "remote_id",
            "snapshot",
            "remote_updated_at",
            "synced_version",
            "state",
            "reason",
            "attempts",
            "not_before",
            "updated_at",
        ],
        batch_size=500,
    )
    Link.objects.bulk_create(creates, batch_size=500)


def remember_remote(
    link_id: int, snapshot: dict[str, Any], remote_updated_at: dt.datetime | None
) -> None:
    """Keep what the remote now holds of a linked record (a change made there, brought back),
    leaving its sync state as it is: nothing is sent back because of it."""
    Link.objects.filter(pk=link_id).update(
        snapshot=snapshot, remote_updated_at=remote_updated_at, updated_at=timezone.now()
    )


def send_again(kind: str, local_id: int, *, deleted: bool = False) -> Link | None:
    """ "Sync now": put the record's link back in its organisation's queue as it is (no new
    version), ahead of any back-off. None when the record has no link (no organisation).
    `deleted`: the record's tombstone instead (its removal is tried again)."""
    with transaction.atomic():
        links = Link.objects.filter(kind=kind, local_id=local_id, deleted_at__isnull=not deleted)
        links.exclude(state=SyncState.IN_FLIGHT).update(
            state=SyncState.PENDING, not_before=None, attempts=0, updated_at=timezone.now()
        )
        links.filter(state=SyncState.IN_FLIGHT).update(not_before=None)
        for org_id in links.values_list("organisation_id", flat=True):
            _notify(org_id)
    return link_of(kind, local_id)


def wake(kind: str, local_id: int) -> int:
    """A record kept out (not eligible) because of what the remote held is looked at again,
    now the remote says otherwise; one in any other state is left as it is."""
    with transaction.atomic():
        links = Link.objects.filter(
            kind=kind, local_id=local_id, state=SyncState.NOT_ELIGIBLE, deleted_at__isnull=True
        )
        orgs = set(links.values_list("organisation_id", flat=True))
        count = links.update(state=SyncState.PENDING, updated_at=timezone.now())
        for org_id in orgs:
            _notify(org_id)
    return count


def send_failed_again(organisation_id: int) -> int:
    """ "Re-sync all failed": every failed record of the organisation back in its queue."""
    with transaction.atomic():
        count = Link.objects.filter(
            organisation_id=organisation_id, state=SyncState.FAILED, deleted_at__isnull=True
        ).update(state=SyncState.PENDING, not_before=None, attempts=0, updated_at=timezone.now())
        if count:
            _notify(organisation_id)
    return count


def reconsider(organisation_id: int | None = None) -> int:
    """After the settings change, records kept out of sync are looked at again (the engine
    decides afresh whether each may go); with `organisation_id`, that organisation's only (its
    currencies changed, say)."""
    with transaction.atomic():
        found = Link.objects.filter(state=SyncState.NOT_ELIGIBLE, deleted_at__isnull=True)
        if organisation_id is not None:
            found = found.filter(organisation_id=organisation_id)
        orgs = set(found.values_list("organisation_id", flat=True))
        count = found.update(state=SyncState.PENDING, updated_at=timezone.now())
        for org_id in orgs:
            _notify(org_id)
    return count


def with_default_organisation(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A new record's fields, with the default organisation when none was given (GEN-1)."""
    given = dict(fields)
    if "organisation" not in given and "organisation_id" not in given:
        given["organisation"] = SyncSettings.get().default_organisation
    return given


def keep_organisation(record: Any, fields: Mapping[str, Any], noun: str) -> None:
    """Refuse to move a record to another organisation once it has one (CUST-5)."""
    if record.pk is None or ("organisation" not in fields and "organisation_id" not in fields):
        return
    stored = (
        type(record)
        ._default_manager.filter(pk=record.pk)
        .values_list("organisation_id", flat=True)
        .first()
    )
    wanted = fields.get("organisation_id", getattr(fields.get("organisation"), "pk", None))
    if stored is not None and wanted != stored:
        raise ValidationError(
            {"organisation": [f"A {noun}'s organisation cannot change once it is set."]}
        )


def next_code(model: Any, field: str, prefix: str, organisation_id: int | None) -> str:
    """The next free code `prefix` + 5 digits in the organisation (GEN-4): one past the
    highest such code there, so codes are never reused."""
    taken = model._default_manager.filter(
        organisation_id=organisation_id, **{f"{field}__startswith": prefix}
    ).values_list(field, flat=True)
    numbers = [int(code[len(prefix) :]) for code in taken if code[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:05d}"
