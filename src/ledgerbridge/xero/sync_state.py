"""What a person is told about sync: a record's state in words (SYNC-2, REQ-1, REQ-2, GEN-1),
its place in its organisation's queue with an estimate from the remaining quota, and an
organisation's waiting work by kind. Reads only; the engine (`outbound`) writes the rows."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from ledgerbridge.sync.models import (
    Link,
    Organisation,
    RecordKind,
    SyncIssue,
    SyncSettings,
    SyncState,
)
from ledgerbridge.sync.services import link_of
from ledgerbridge.xero.models import Connection
from ledgerbridge.xero.outbound import ORDER, waiting

MINUTE_LIMIT = 60
DAY_LIMIT = 5000
# Where a synced record opens in Xero (Xero's own web app), by kind.
WEB_PATHS: dict[str, str] = {
    RecordKind.CUSTOMER: "/Contacts/View/{id}",
    RecordKind.SUPPLIER: "/Contacts/View/{id}",
    RecordKind.PRODUCT: "/Accounts/Inventory/{id}",
    RecordKind.INVOICE: "/AccountsReceivable/View.aspx?InvoiceID={id}",
    RecordKind.CREDIT_NOTE: "/AccountsReceivable/ViewCreditNote.aspx?creditNoteID={id}",
    RecordKind.PURCHASE_ORDER: "/Accounts/Payable/PurchaseOrders/View/{id}",
}
NOUNS: dict[str, str] = {
    RecordKind.CUSTOMER: "customers",
    RecordKind.SUPPLIER: "suppliers",
    RecordKind.PRODUCT: "products",
    RecordKind.INVOICE: "invoices",
    RecordKind.CREDIT_NOTE: "credit notes",
    RecordKind.ALLOCATION: "credit allocations",
    RecordKind.PURCHASE_ORDER: "purchase orders",
}


@dataclass
class RecordState:
    """One record's sync state, as the record's page and the API show it."""

    state: str  # not_synced, not_eligible, pending, in_flight, synced, failed
    label: str
    words: str
    remote_id: str = ""
    xero_url: str = ""
    position: int | None = None
    estimate_minutes: int | None = None
    version: int = 0
    synced_version: int = 0
    updated_at: dt.datetime | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["updated_at"] = self.updated_at.isoformat() if self.updated_at else None
        return data


def xero_url(kind: str, remote_id: str) -> str:
    path = WEB_PATHS.get(kind)
    return f"{settings.XERO_WEB_URL}{path.format(id=remote_id)}" if remote_id and path else ""


def minutes_to_send(calls: int, connection: Connection | None) -> int:
    """How long `calls` requests take under Xero's limits, from what the organisation has left
    today (a day used up waits for it to reset)."""
    if calls <= 0:
        return 0
    minutes = math.ceil(calls / MINUTE_LIMIT)
    day_left = connection.day_remaining if connection is not None else None
    if day_left is not None and calls > day_left:
        minutes += 24 * 60 * math.ceil((calls - day_left) / DAY_LIMIT)
    if (
        connection is not None
        and connection.paused_until
        and connection.paused_until > timezone.now()
    ):
        minutes += math.ceil((connection.paused_until - timezone.now()).total_seconds() / 60)
    return minutes


def organisation_of(record: Any) -> Organisation | None:
    """A record's organisation: its own, or its customer's or supplier's for a document."""
    for owner in (record, getattr(record, "customer", None), getattr(record, "supplier", None)):
        if owner is not None and getattr(owner, "organisation_id", None) is not None:
            return owner.organisation  # type: ignore[no-any-return]
    return None


def record_state(kind: str, record: Any) -> RecordState:
    """The state of `record` (of `kind`) in words that point at what to do."""
    organisation = organisation_of(record)
    if organisation is None:
        default = SyncSettings.get().default_organisation
        hint = f" (new records get {default} by default)" if default else ""
        return RecordState(
            "not_synced",
            "Not synced",
            f"It belongs to no organisation, so it is not synced to Xero{hint}.",
        )
    link = link_of(kind, record.pk)
    if link is None:
        return RecordState(
            "not_synced", "Not synced", f"It has not been sent to {organisation} yet."
        )
    found = RecordState(
        str(link.state),
        SyncState(link.state).label,
        "",
        remote_id=link.remote_id,
        xero_url=xero_url(kind, link.remote_id),
        version=link.version,
        synced_version=link.synced_version,
        updated_at=link.updated_at,
    )
    if link.state == SyncState.SYNCED:
        found.words = f"In step with {organisation} in Xero."
    elif link.state in (SyncState.NOT_ELIGIBLE, SyncState.FAILED):
        found.words = link.reason
    else:
        found.position = queue_position(link)
        connection = Connection.objects.filter(tenant_id=organisation.remote_id).first()
        found.estimate_minutes = minutes_to_send(
            math.ceil(found.position / settings.XERO_BATCH_SIZE), connection
        )
        found.words = _waiting_words(link, found, connection)
    return found


def _waiting_words(link: Link, found: RecordState, connection: Connection | None) -> str:
    if connection is None or not connection.is_connected:
        return (
            "Waiting: its organisation is not connected to Xero. It goes once the connection "
            "is connected again; nothing is lost meanwhile."
        )
    if link.reason and link.state == SyncState.IN_FLIGHT:
        return link.reason
    place = f"number {found.position} in its organisation's queue"
    when = (
        "within a minute"
        if not found.estimate_minutes or found.estimate_minutes <= 1
        else f"in about {found.estimate_minutes} minutes"
    )
    return f"Waiting to be sent to Xero: {place}, expected {when}."


def queue_position(link: Link) -> int:
    """1 for the next record its organisation sends; kinds go in dependency order."""
    ahead = waiting(link.organisation_id)
    order = [str(kind) for kind in ORDER]
    if link.kind in order:
        earlier = order[: order.index(link.kind)]
        same = int(ahead.filter(kind=link.kind, id__lt=link.pk).count())
        return int(ahead.filter(kind__in=earlier).count()) + same + 1
    return int(ahead.filter(id__lt=link.pk).count()) + 1


def waiting_by_kind(organisation: Organisation) -> list[tuple[str, int]]:
    """(kind in words, how many) of what the organisation has waiting."""
    counts = (
        Link.objects.filter(
            organisation=organisation,
            deleted_at__isnull=True,
            state__in=[SyncState.PENDING, SyncState.IN_FLIGHT],
        )
        .values("kind")
        .annotate(n=Count("id"))
    )
    by_kind = {row["kind"]: row["n"] for row in counts}
    return [(NOUNS[kind], by_kind[kind]) for kind in NOUNS if by_kind.get(kind)]


def summary(connection: Connection) -> dict[str, Any]:
    """A connection's sync at a glance: what waits by kind, how long it takes to drain under
    Xero's limits, how many records failed, and when a paused organisation resumes."""
    found: dict[str, Any] = {
        "waiting": [],
        "total": 0,
        "estimate_minutes": 0,
        "failed": 0,
        "open_errors": 0,
        "paused_until": None,
        "held": "",
    }
    if not connection.tenant_id:
        return found
    organisation = Organisation.objects.filter(
        integration="xero", remote_id=connection.tenant_id
    ).first()
    if organisation is None:
        return found
    waiting = waiting_by_kind(organisation)
    total = sum(n for _, n in waiting)
    calls = sum(math.ceil(n / settings.XERO_BATCH_SIZE) for _, n in waiting)
    paused = connection.paused_until
    found.update(
        waiting=[{"kind": kind, "count": n} for kind, n in waiting],
        total=total,
        estimate_minutes=minutes_to_send(calls, connection),
        failed=Link.objects.filter(organisation=organisation, state=SyncState.FAILED).count(),
        open_errors=SyncIssue.objects.filter(
            organisation=organisation, resolved_at__isnull=True
        ).count(),
        paused_until=paused.isoformat() if paused and paused > timezone.now() else None,
    )
    if total and not connection.is_connected:
        found["held"] = "Held until the connection is connected again; nothing is lost."
    elif total and found["paused_until"]:
        found["held"] = f"Paused by Xero's daily limit until {paused:%Y-%m-%d %H:%M} UTC."
    return found


def xero_number(link: Any) -> str:
    """The number Xero gave a synced document; "" until a sync succeeds."""
    if link is None or not link.remote_id:
        return ""
    held = link.snapshot or {}
    number = held.get("InvoiceNumber") or held.get("CreditNoteNumber")
    return str(number or held.get("PurchaseOrderNumber") or "")
