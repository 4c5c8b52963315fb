"""The sync engine: what an organisation has waiting goes to Xero, and Xero's answers come back
onto the sync table (DESIGN, "How a change reaches Xero").

Contract of `sync_organisation(organisation_id)`:
- holds the organisation's lease (`leases`) for the whole run, so one worker at a time drains
  an organisation; returns at once when another live worker holds it;
- drains it in dependency order (contacts, items), in batches of at most 50 per request, sent
  with `summarizeErrors=false`, and applies each element's answer on its own: success stores
  the remote id and `synced_version` = the version sent (a record changed meanwhile stays
  pending); Xero's refusal marks the record failed, in words, and files a `SyncIssue`; records
  that cannot sync (no account number, entity not chosen...) become not eligible, with why;
- every request carries an Idempotency-Key derived from the (record, version) pairs it sends;
- a write whose answer was lost is uncertain: its records stay in flight, and the next attempt
  looks each one up in Xero (by remote id, else by account number or item code) before
  sending, so a retry never creates a duplicate, even past Xero's idempotency window;
- limits: the client waits out minute limits; a day limit, a lost connection or a
  re-authorisation leaves the work pending (nothing is lost) and says when it resumes.
Idempotent: running it twice, or two workers at once, sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, F, PositiveIntegerField, Q, Value, When
from django.utils import timezone

from ledgerbridge.billing.models import Invoice, InvoiceLine
from ledgerbridge.catalog.models import Product
from ledgerbridge.customers.models import Customer
from ledgerbridge.purchasing.models import PurchaseOrder, PurchaseOrderLine
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.models import Link, Organisation, RecordKind, SyncSettings, SyncState
from ledgerbridge.xero import issues, leases, mapping, payloads
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.errors import (
    AccessDenied,
    DailyLimitReached,
    NotFound,
    RateLimited,
    ReauthorisationNeeded,
    TransientError,
    ValidationFailed,
    XeroError,
    element_errors,
    in_words,
)
from ledgerbridge.xero.imports.tax_rates import tax_type_of
from ledgerbridge.xero.models import Connection
from ledgerbridge.xero.payloads import Context, NotEligible

log = logging.getLogger(__name__)

BATCH = 50
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Endpoint:
    """How one kind of record travels: where, under which names, and how it is found again."""

    kind: str
    path: str
    params: dict[str, str]
    collection: str
    id_field: str
    natural_field: str  # the unique field an uncertain create is looked up by
    build: Callable[[Any, Link, Context], dict[str, Any]]
    load: Callable[[Sequence[int]], dict[int, Any]]
    label: Callable[[Any], str]
    after: Callable[[Any, dict[str, Any], Context], None] | None = None


def _compare_totals(document: Any, element: dict[str, Any], ctx: Context) -> None:
    """After a document synced: Xero's totals against ours, to the cent; any difference is
    filed against the organisation (and shown with the document), the record stays synced."""
    differs = payloads.totals_differ(document, element)
    kind = RecordKind.INVOICE if isinstance(document, Invoice) else RecordKind.PURCHASE_ORDER
    if differs:
        label = f"{RecordKind(kind).label} {document.number}"
        issues.record(
            ctx.organisation.pk,
            kind,
            document.pk,
            label=label,
            message=f"{label}: Xero's totals differ from ours: {differs}.",
            sent={},
            answer=differs,
        )


ENDPOINTS: dict[str, Endpoint] = {
    RecordKind.CUSTOMER: Endpoint(
        RecordKind.CUSTOMER,
        "/Contacts",
        {},
        "Contacts",
        "ContactID",
        "AccountNumber",
        payloads.party(RecordKind.CUSTOMER),
        payloads.loader(Customer),
        lambda c: f"Customer {c.name}",
    ),
    RecordKind.SUPPLIER: Endpoint(
        RecordKind.SUPPLIER,
        "/Contacts",
        {},
        "Contacts",
        "ContactID",
        "AccountNumber",
        payloads.party(RecordKind.SUPPLIER),
        payloads.loader(Supplier),
        lambda s: f"Supplier {s.name}",
    ),
    RecordKind.PRODUCT: Endpoint(
        RecordKind.PRODUCT,
        "/Items",
        {"unitdp": "4"},  # unit prices to 4 decimals, as the product holds them
        "Items",
        "ItemID",
        "Code",
        payloads.product,
        payloads.loader(Product),
        lambda p: f"Product {p}",
    ),
    RecordKind.INVOICE: Endpoint(
        RecordKind.INVOICE,
        "/Invoices",
        {"unitdp": "4"},
        "Invoices",
        "InvoiceID",
        "InvoiceNumber",
        payloads.invoice,
        payloads.loader(
            Invoice,
            "customer",
            "branding_theme",
            prefetch=[
                payloads.document_lines(InvoiceLine, "product__parent", "tax_rate", "charge_rate")
            ],
        ),
        lambda i: f"Invoice {i.number}",
        after=_compare_totals,
    ),
    RecordKind.PURCHASE_ORDER: Endpoint(
        RecordKind.PURCHASE_ORDER,
        "/PurchaseOrders",
        {"unitdp": "4"},
        "PurchaseOrders",
        "PurchaseOrderID",
        "PurchaseOrderNumber",
        payloads.purchase_order,
        payloads.loader(
            PurchaseOrder,
            "supplier",
            prefetch=[payloads.document_lines(PurchaseOrderLine, "product__parent", "tax_rate")],
        ),
        lambda o: f"Purchase order {o.number}",
        after=_compare_totals,
    ),
}
# Dependency order: contacts and items before the documents that name them.
ORDER = (
    RecordKind.CUSTOMER,
    RecordKind.SUPPLIER,
    RecordKind.PRODUCT,
    RecordKind.INVOICE,
    RecordKind.PURCHASE_ORDER,
)


@dataclass
class Outcome:
    """What one run did, for logs, the CLI and tests."""

    sent: int = 0
    synced: int = 0
    failed: int = 0
    not_eligible: int = 0
    calls: int = 0
    held: str = ""  # why the run stopped early, in words ("" when it drained everything)
    resume_at: dt.datetime | None = None


@dataclass
class Claimed:
    link: Link
    version: int
    uncertain: bool
    record: Any = None
    payload: dict[str, Any] | None = None


def idempotency_key(organisation: Organisation, kind: str, batch: Sequence[Claimed]) -> str:
    """The same records at the same versions, sent the same way, always give the same key
    (DESIGN 4). A body that changed (an uncertain create found in Xero is now sent as an update
    of it) gets a new key: Xero refuses a key reused with a different request."""
    body = json.dumps([c.payload for c in batch], sort_keys=True, default=str)
    parts = [organisation.remote_id, kind, *(f"{c.link.local_id}:{c.version}" for c in batch)]
    parts.append(hashlib.sha256(body.encode()).hexdigest())
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def waiting(organisation_id: int, now: dt.datetime | None = None) -> Any:
    """The organisation's links that want sending now (pending, or in flight and uncertain)."""
    now = now or timezone.now()
    return Link.objects.filter(
        organisation_id=organisation_id,
        kind__in=ORDER,
        deleted_at__isnull=True,
        state__in=[SyncState.PENDING, SyncState.IN_FLIGHT],
    ).filter(Q(not_before__isnull=True) | Q(not_before__lte=now))


def _claim(organisation_id: int, kind: str) -> list[Claimed]:
    """Take the next batch of `kind` (we hold the lease, so nobody else is sending them)."""
    with transaction.atomic():
        links = list(
            waiting(organisation_id).filter(kind=kind).order_by("id").select_for_update()[:BATCH]
        )
        claimed = [Claimed(link, link.version, link.state == SyncState.IN_FLIGHT) for link in links]
        Link.objects.filter(pk__in=[link.pk for link in links]).update(
            state=SyncState.IN_FLIGHT, attempts=F("attempts") + 1, updated_at=timezone.now()
        )
    return claimed


def sync_organisation(
    organisation_id: int,
    *,
    client: XeroClient | None = None,
    holder: str | None = None,
) -> Outcome:
    """Push what the organisation has waiting; see the module docstring for the contract."""
    outcome = Outcome()
    organisation = Organisation.objects.get(pk=organisation_id)
    lease = leases.acquire(organisation_id, holder)
    if lease is None:
        outcome.held = "Another worker is sending this organisation's changes."
        return outcome
    try:
        with leases.Heartbeat(organisation_id, lease):
            _drain(organisation, client, outcome)
    finally:
        leases.release(organisation_id, lease)
    return outcome


def _drain(organisation: Organisation, client: XeroClient | None, outcome: Outcome) -> None:
    connection = Connection.objects.filter(tenant_id=organisation.remote_id).first()
    if connection is None or not connection.is_connected:
        outcome.held = (
            f"{organisation.name} is not connected to Xero: its changes wait, and go once "
            "it is connected again."
        )
        return
    own = client is None
    xero = client or XeroClient(connection)
    try:
        ctx = Context(SyncSettings.get(), organisation, tax_type_of(organisation.pk))
        for kind in ORDER:
            while _push_next(xero, ctx, kind, outcome):
                pass
        while _settle_deletions(xero, ctx, outcome):
            pass
    except (DailyLimitReached, RateLimited) as exc:
        outcome.held = exc.message
        outcome.resume_at = timezone.now() + dt.timedelta(seconds=exc.retry_after)
    except XeroError as exc:  # re-authorisation, access denied: the work waits
        outcome.held = exc.message
    finally:
        if own:
            xero.close()


def _push_next(xero: XeroClient, ctx: Context, kind: str, outcome: Outcome) -> bool:
    """Send one batch of `kind`; False when there was nothing left to send."""
    endpoint = ENDPOINTS[kind]
    batch = _claim(ctx.organisation.pk, kind)
    if not batch:
        return False
    records = endpoint.load([c.link.local_id for c in batch])
    payloads.note_contacts(kind, records.values(), ctx)
    ready: list[Claimed] = []
    for claimed in batch:
        claimed.record = records.get(claimed.link.local_id)
        if claimed.record is None:  # deleted meanwhile: the tombstone's business, not ours
            _settle(claimed, SyncState.NOT_ELIGIBLE, "The record no longer exists here.")
            continue
        try:
            ctx.snapshot = claimed.link.snapshot
            claimed.payload = endpoint.build(claimed.record, claimed.link, ctx)
        except NotEligible as why:
            _settle(claimed, SyncState.NOT_ELIGIBLE, str(why))
            outcome.not_eligible += 1
            continue
        ready.append(claimed)
    try:
        _settle_uncertain(xero, endpoint, ready, outcome)
    except (DailyLimitReached, RateLimited, TransientError):
        _release(ready, uncertain=False)
        raise
    if not ready:
        return True
    body = {endpoint.collection: [c.payload for c in ready]}
    outcome.calls += 1
    outcome.sent += len(ready)
    try:
        answer = xero.post(
            endpoint.path,
            body,
            params={"summarizeErrors": "false", **endpoint.params},
            idempotency_key=idempotency_key(ctx.organisation, kind, ready),
        )
    except (DailyLimitReached, RateLimited) as exc:
        _release(ready, uncertain=False)  # nothing was sent
        raise exc
    except TransientError as exc:
        # Uncertain: Xero may have made the change. Looked up before anything is sent again.
        _release(ready, uncertain=True, reason=exc.message)
        outcome.held = exc.message
        return False
    except ValidationFailed as exc:
        elements = {e.index: e for e in exc.elements}
        for index, claimed in enumerate(ready):
            error = elements.get(index)
            _fail(ctx, endpoint, claimed, error.messages if error else (exc.message,), outcome)
        return True
    except XeroError:
        _release(ready, uncertain=False)
        raise
    _apply(ctx, endpoint, ready, list(answer.get(endpoint.collection) or []), outcome)
    return True


def _apply(
    ctx: Context,
    endpoint: Endpoint,
    ready: list[Claimed],
    elements: list[dict[str, Any]],
    outcome: Outcome,
) -> None:
    refused = {e.index: e for e in element_errors(elements)}
    succeeded: list[tuple[Claimed, dict[str, Any]]] = []
    for index, claimed in enumerate(ready):
        element = elements[index] if index < len(elements) else {}
        if index in refused or not element.get(endpoint.id_field):
            messages = refused[index].messages if index in refused else ("Xero gave no answer.",)
            _fail(ctx, endpoint, claimed, messages, outcome)
            continue
        succeeded.append((claimed, element))
    _succeed(ctx, endpoint, succeeded)
    for claimed, element in succeeded:
        if endpoint.after is not None:
            endpoint.after(claimed.record, element, ctx)
        outcome.synced += 1


def _succeed(
    ctx: Context, endpoint: Endpoint, succeeded: list[tuple[Claimed, dict[str, Any]]]
) -> None:
    """Record what Xero made of each record of a batch, in one transaction."""
    if not succeeded:
        return
    now = timezone.now()
    with transaction.atomic():
        for claimed, element in succeeded:
            # A record changed while it travelled stays pending for its newer version.
            in_step = Q(version=claimed.version)
            Link.objects.filter(pk=claimed.link.pk).update(
                remote_id=str(element[endpoint.id_field]),
                snapshot=keep_of(element),
                remote_updated_at=mapping.parse_date(element.get("UpdatedDateUTC")),
                synced_version=claimed.version,
                reason="",
                not_before=None,
                updated_at=now,
                state=Case(
                    When(in_step, then=Value(SyncState.SYNCED)), default=Value(SyncState.PENDING)
                ),
                attempts=Case(
                    When(in_step, then=Value(0)),
                    default=F("attempts"),
                    output_field=PositiveIntegerField(),
                ),
            )
        local_ids = [claimed.link.local_id for claimed, _ in succeeded]
        issues.resolve(ctx.organisation.pk, endpoint.kind, local_ids)
        _wake_dependants(endpoint.kind, local_ids)


# Documents kept out because their party was not in Xero yet go again once it is.
DEPENDANTS: dict[str, tuple[str, Any, str]] = {
    RecordKind.CUSTOMER: (RecordKind.INVOICE, Invoice, "customer_id"),
    RecordKind.SUPPLIER: (RecordKind.PURCHASE_ORDER, PurchaseOrder, "supplier_id"),
}


def _wake_dependants(kind: str, local_ids: list[int]) -> None:
    """A customer (supplier) now in Xero: its invoices (purchase orders) that were kept out
    waiting for it are pending again, and go later in this same run (dependency order)."""
    if kind not in DEPENDANTS:
        return
    document_kind, model, field = DEPENDANTS[kind]
    Link.objects.filter(
        kind=document_kind,
        state=SyncState.NOT_ELIGIBLE,
        deleted_at__isnull=True,
        local_id__in=model.objects.filter(**{f"{field}__in": local_ids}).values("pk"),
    ).update(state=SyncState.PENDING, reason="", updated_at=timezone.now())


def _fail(
    ctx: Context,
    endpoint: Endpoint,
    claimed: Claimed,
    messages: Sequence[str],
    outcome: Outcome,
) -> None:
    label = endpoint.label(claimed.record)
    words = in_words(messages, label)
    with transaction.atomic():
        _settle(claimed, SyncState.FAILED, words)
        issues.record(
            ctx.organisation.pk,
            endpoint.kind,
            claimed.link.local_id,
            label=label,
            message=words,
            sent=claimed.payload or {},
            answer="; ".join(messages),
        )
    outcome.failed += 1


def _settle(claimed: Claimed, state: str, reason: str) -> None:
    """End a claim in `state`; a record changed meanwhile goes back to pending instead."""
    Link.objects.filter(pk=claimed.link.pk, version=claimed.version).update(
        state=state, reason=reason, updated_at=timezone.now()
    )
    Link.objects.filter(pk=claimed.link.pk).exclude(version=claimed.version).update(
        state=SyncState.PENDING
    )


def _release(claims: Sequence[Claimed], *, uncertain: bool, reason: str = "") -> None:
    """Give claims back: to pending (nothing was sent), or left in flight and uncertain, after
    a back-off with jitter and a cap. A claim that was already uncertain stays uncertain even
    when nothing was sent this time: its earlier answer is still unknown, so it is still looked
    up before it is sent."""
    for claimed in claims:
        if not uncertain and not (claimed.uncertain and not claimed.link.remote_id):
            Link.objects.filter(pk=claimed.link.pk).update(
                state=SyncState.PENDING, attempts=F("attempts") - 1
            )
            continue
        if not uncertain:  # still uncertain from before: back in flight, no new back-off
            Link.objects.filter(pk=claimed.link.pk).update(state=SyncState.IN_FLIGHT)
            continue
        attempts = claimed.link.attempts + 1
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(attempts - 1, 10))
        jittered = delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not security
        Link.objects.filter(pk=claimed.link.pk).update(
            state=SyncState.IN_FLIGHT,
            not_before=timezone.now() + jittered,
            reason=f"Waiting to check with Xero: {reason}",
        )


def _settle_uncertain(
    xero: XeroClient, endpoint: Endpoint, ready: list[Claimed], outcome: Outcome
) -> None:
    """Before sending again a create whose earlier answer was lost, look it up in Xero: found,
    it is linked and the send becomes an update of it, so it is never created twice."""
    for claimed in ready:
        if not claimed.uncertain or claimed.link.remote_id or claimed.payload is None:
            continue
        value = str(claimed.payload.get(endpoint.natural_field) or "")
        if not value:
            continue
        outcome.calls += 1
        quoted = value.replace("\\", "\\\\").replace('"', '\\"')
        params: dict[str, Any] = {"where": f'{endpoint.natural_field}=="{quoted}"'}
        if endpoint.kind != RecordKind.PRODUCT:
            params["includeArchived"] = "true"
        found = list(xero.get(endpoint.path, params=params).get(endpoint.collection) or [])
        if found:
            remote = str(found[0][endpoint.id_field])
            Link.objects.filter(pk=claimed.link.pk).update(remote_id=remote)
            claimed.link.remote_id = remote
            claimed.payload[endpoint.id_field] = remote


def _deletions(organisation_id: int) -> Any:
    now = timezone.now()
    return Link.objects.filter(
        organisation_id=organisation_id,
        kind__in=ORDER,
        deleted_at__isnull=False,
        state__in=[SyncState.PENDING, SyncState.IN_FLIGHT],
    ).filter(Q(not_before__isnull=True) | Q(not_before__lte=now))


def _settle_deletions(xero: XeroClient, ctx: Context, outcome: Outcome) -> bool:
    """Records deleted here, last (after everything that may refer to them): a contact is
    archived in Xero (contacts cannot be deleted), an item deleted. A tombstone Xero never
    knew, or of an entity not chosen for sync, is simply forgotten or kept out."""
    tombstones = list(_deletions(ctx.organisation.pk).order_by("id")[:BATCH])
    if not tombstones:
        return False
    for link in tombstones:
        if not link.remote_id:
            link.delete()
        elif not ctx.settings.syncs(link.kind):
            Link.objects.filter(pk=link.pk).update(
                state=SyncState.NOT_ELIGIBLE,
                reason="Deleted here; not removed from Xero because this kind is not synced.",
            )
    going = [t for t in tombstones if t.remote_id and ctx.settings.syncs(t.kind)]
    contacts = [t for t in going if t.kind in (RecordKind.CUSTOMER, RecordKind.SUPPLIER)]
    items = [t for t in going if t.kind == RecordKind.PRODUCT]
    for kind in (RecordKind.INVOICE, RecordKind.PURCHASE_ORDER):
        _remove_documents(xero, ctx, kind, [t for t in going if t.kind == kind], outcome)
    if contacts:
        outcome.calls += 1
        body = {
            "Contacts": [{"ContactID": t.remote_id, "ContactStatus": "ARCHIVED"} for t in contacts]
        }
        key = hashlib.sha256(
            "|".join(["archive", *(f"{t.pk}:{t.version}" for t in contacts)]).encode()
        ).hexdigest()
        try:
            answer = xero.post(
                "/Contacts", body, params={"summarizeErrors": "false"}, idempotency_key=key
            )
        except ValidationFailed as exc:
            answer = {
                "Contacts": [{"ValidationErrors": [{"Message": exc.message}]}] * len(contacts)
            }
        refused = {e.index: e for e in element_errors(list(answer.get("Contacts") or []))}
        for index, tombstone in enumerate(contacts):
            if index in refused:
                _tombstone_failed(ctx, tombstone, refused[index].messages, outcome)
            else:
                tombstone.delete()
    for tombstone in items:
        outcome.calls += 1
        try:
            xero.request("DELETE", f"/Items/{tombstone.remote_id}")
        except NotFound:
            pass  # already gone in Xero
        except (TransientError, RateLimited, ReauthorisationNeeded, AccessDenied):
            raise  # the work waits (the run stops); it is not the record's fault
        except XeroError as exc:
            _tombstone_failed(ctx, tombstone, (exc.message,), outcome)
            continue
        tombstone.delete()
    return True


def _remove_documents(
    xero: XeroClient, ctx: Context, kind: str, tombstones: list[Link], outcome: Outcome
) -> None:
    """INV-9: a deleted document becomes DELETED (draft, submitted) or VOIDED (authorised
    invoice) in Xero; one Xero holds as paid or billed cannot be removed, and says so."""
    if not tombstones:
        return
    endpoint = ENDPOINTS[kind]
    sendable = []
    for tombstone in tombstones:
        status = str((tombstone.snapshot or {}).get("Status") or "DRAFT")
        target = payloads.DELETED_AS[kind].get(status)
        if target is None:
            _tombstone_failed(
                ctx,
                tombstone,
                (f"It is {status.lower()} in Xero, so it cannot be deleted or voided there.",),
                outcome,
            )
        else:
            sendable.append((tombstone, target))
    if not sendable:
        return
    outcome.calls += 1
    body = {
        endpoint.collection: [
            {endpoint.id_field: t.remote_id, "Status": target} for t, target in sendable
        ]
    }
    key = hashlib.sha256(
        "|".join(["remove", kind, *(f"{t.pk}:{t.version}" for t, _ in sendable)]).encode()
    ).hexdigest()
    try:
        answer = xero.post(
            endpoint.path, body, params={"summarizeErrors": "false"}, idempotency_key=key
        )
    except ValidationFailed as exc:
        answer = {
            endpoint.collection: [{"ValidationErrors": [{"Message": exc.message}]}] * len(sendable)
        }
    refused = {e.index: e for e in element_errors(list(answer.get(endpoint.collection) or []))}
    for index, (tombstone, _) in enumerate(sendable):
        if index in refused:
            _tombstone_failed(ctx, tombstone, refused[index].messages, outcome)
        else:
            tombstone.delete()


def _tombstone_failed(
    ctx: Context, tombstone: Link, messages: Sequence[str], outcome: Outcome
) -> None:
    noun = RecordKind(tombstone.kind).label
    name = (tombstone.snapshot or {}).get("Name") or (tombstone.snapshot or {}).get("InvoiceNumber")
    label = f"Deleted {noun.lower()} ({name or tombstone.remote_id})"
    words = in_words(messages, label)
    with transaction.atomic():
        Link.objects.filter(pk=tombstone.pk).update(state=SyncState.FAILED, reason=words)
        issues.record(
            ctx.organisation.pk,
            tombstone.kind,
            tombstone.local_id,
            label=label,
            message=words,
            sent={"remove": tombstone.remote_id},
            answer="; ".join(messages),
        )
    outcome.failed += 1


def keep_of(element: dict[str, Any]) -> dict[str, Any]:
    """What a link keeps of a Xero record (its snapshot)."""
    keep = (
        "ContactID", "ItemID", "Name", "Code", "AccountNumber", "ContactStatus", "EmailAddress",
        "AccountsReceivableTaxType", "AccountsPayableTaxType", "Description", "SalesDetails",
        "PurchaseDetails", "InvoiceID", "InvoiceNumber", "PurchaseOrderID",
        "PurchaseOrderNumber", "Status", "SubTotal", "TotalTax", "Total", "AmountDue",
        "AmountPaid", "AmountCredited", "Payments", "CurrencyCode", "CurrencyRate", "LineItems",
        "DefaultCurrency",
    )  # fmt: skip
    return {k: element[k] for k in keep if element.get(k) not in (None, "", [])}


def organisations_waiting(now: dt.datetime | None = None) -> list[int]:
    """Organisations with something to send now (the periodic sweep enqueues each)."""
    now = now or timezone.now()
    ready = Link.objects.filter(
        kind__in=ORDER,
        deleted_at__isnull=True,
        state__in=[SyncState.PENDING, SyncState.IN_FLIGHT],
    ).filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
    return sorted(set(ready.values_list("organisation_id", flat=True)))
