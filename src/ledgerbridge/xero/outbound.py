"""The sync engine: what an organisation has waiting goes to Xero, and Xero's answers come back
onto the sync table (DESIGN, "How a change reaches Xero").

Contract of `sync_organisation(organisation_id)`:
- holds the organisation's lease (`leases`) for the whole run, so one worker at a time drains
  an organisation; returns at once when another live worker holds it;
- drains it in dependency order (contacts, items), in batches of at most XERO_BATCH_SIZE (50)
  per request, sent with `summarizeErrors=false`, and applies each element's answer on its
  own: success stores the remote id and `synced_version` = the version sent (a record changed
  meanwhile stays pending); Xero's refusal marks the record failed, in words, and files a
  `SyncIssue`; records that cannot sync (no account number, entity not chosen...) become not
  eligible, with why;
- every request carries an Idempotency-Key derived from the (record, version) pairs it sends;
- a write whose answer was lost is uncertain: its records stay in flight, and the next attempt
  looks each one up in Xero (by remote id, else by account number or item code) before
  sending, so a retry never creates a duplicate, even past Xero's idempotency window;
- limits: the client waits out a minute limit only briefly (`patience`); a longer wait, a day
  limit, a lost connection or a re-authorisation ends the run with the work pending (nothing is
  lost), saying when it resumes, so the worker drains other organisations meanwhile.
Idempotent: running it twice, or two workers at once, sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, PositiveIntegerField, Q, Value, When
from django.utils import timezone

from ledgerbridge.billing.credit_notes import record_credit_note_state
from ledgerbridge.billing.models import (
    CreditNote,
    CreditNoteLine,
    DocumentStatus,
    Invoice,
    InvoiceLine,
)
from ledgerbridge.billing.services import record_accounting_amounts, record_accounting_status
from ledgerbridge.catalog.models import Product
from ledgerbridge.customers.models import Customer
from ledgerbridge.purchasing.models import PurchaseOrder, PurchaseOrderLine
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.models import Link, Organisation, RecordKind, SyncSettings, SyncState
from ledgerbridge.sync.services import links_of, remember_remote
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
from ledgerbridge.xero.limits import Limits
from ledgerbridge.xero.models import Connection
from ledgerbridge.xero.payloads import Context, NotEligible

log = logging.getLogger(__name__)

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
    kind = KIND_OF[type(document)]
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
    RecordKind.CREDIT_NOTE: Endpoint(
        RecordKind.CREDIT_NOTE,
        "/CreditNotes",
        {"unitdp": "4"},
        "CreditNotes",
        "CreditNoteID",
        "CreditNoteNumber",
        payloads.credit_note,
        payloads.loader(
            CreditNote,
            "customer",
            "branding_theme",
            prefetch=[
                payloads.document_lines(
                    CreditNoteLine, "product__parent", "tax_rate", "charge_rate"
                )
            ],
        ),
        lambda c: f"Credit note {c.number}",
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
KIND_OF: dict[type, str] = {
    Invoice: RecordKind.INVOICE,
    CreditNote: RecordKind.CREDIT_NOTE,
    PurchaseOrder: RecordKind.PURCHASE_ORDER,
}
# Dependency order: contacts and items before the documents that name them; a credit note's
# allocation after the credit note and the invoice it credits.
ORDER = (
    RecordKind.CUSTOMER,
    RecordKind.SUPPLIER,
    RecordKind.PRODUCT,
    RecordKind.INVOICE,
    RecordKind.CREDIT_NOTE,
    RecordKind.ALLOCATION,
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
    # Its turn ended (many organisations waiting: `fair_share`) with work perhaps left: the
    # task queues it again, behind the others.
    turn_over: bool = False


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
            waiting(organisation_id)
            .filter(kind=kind)
            .order_by("id")
            .select_for_update()[: settings.XERO_BATCH_SIZE]
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
    # A full minute is not sat out: the run ends, and the task comes back when there is room
    # (`tasks.sync_organisation_task`). With many organisations waiting, each has a share of
    # the app's minute and takes turns of a fifth of it, so all start (and so all finish)
    # side by side.
    share = _current_share() if own else None
    turn = None if share is None else max(1, share // 5)
    xero = client or XeroClient.background(connection, share=share)

    def more() -> bool:
        outcome.turn_over = turn is not None and outcome.calls >= turn
        return not outcome.turn_over

    try:
        ctx = Context(SyncSettings.get(), organisation, tax_type_of(organisation.pk))
        for kind in ORDER:
            push = _push_allocations if kind == RecordKind.ALLOCATION else _push_next
            while more() and push(xero, ctx, kind, outcome):
                pass
        while more() and _settle_deletions(xero, ctx, outcome):
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
        outcome.calls -= 1
        outcome.sent -= len(ready)
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


# Records kept out because what they name was not in Xero yet go again once it is: documents
# once their party is, a credit note's allocation once the credit note and its invoice are.
DEPENDANTS: dict[str, list[tuple[str, Any, str]]] = {
    RecordKind.CUSTOMER: [
        (RecordKind.INVOICE, Invoice, "customer_id"),
        (RecordKind.CREDIT_NOTE, CreditNote, "customer_id"),
    ],
    RecordKind.SUPPLIER: [(RecordKind.PURCHASE_ORDER, PurchaseOrder, "supplier_id")],
    RecordKind.INVOICE: [(RecordKind.ALLOCATION, CreditNote, "invoice_id")],
    RecordKind.CREDIT_NOTE: [(RecordKind.ALLOCATION, CreditNote, "pk")],
}


def _wake_dependants(kind: str, local_ids: list[int]) -> None:
    """A customer (supplier) now in Xero: its invoices and credit notes (purchase orders) that
    were kept out waiting for it are pending again, and go later in this same run (dependency
    order); so do the allocations of credit notes whose credit note or invoice just went."""
    for document_kind, model, field in DEPENDANTS.get(kind, []):
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


# --- Allocations: a credit note's credit applied to the invoice it was raised against ------

ALLOCATION = Endpoint(
    RecordKind.ALLOCATION,
    "/CreditNotes/{id}/Allocations",
    {},
    "Allocations",
    "AllocationID",
    "",
    lambda *_: {},
    payloads.loader(CreditNote, "invoice", "customer"),
    lambda c: (
        f"Credit note {c.number}'s allocation to invoice "
        f"{c.invoice.number if c.invoice else '(deleted)'}"
    ),
)


@dataclass(frozen=True)
class Allocation:
    note_id: str  # the credit note's and the invoice's ids in Xero
    invoice_id: str
    amount: Decimal


def _allocation_to(held: dict[str, Any], invoice_id: str) -> dict[str, Any] | None:
    """The allocation a Xero credit note holds to `invoice_id`, if any."""
    for allocation in held.get("Allocations") or []:
        if str((allocation.get("Invoice") or {}).get("InvoiceID") or "").lower() == (
            invoice_id.lower()
        ):
            return dict(allocation)
    return None


def _allocation_of(
    note: CreditNote, note_link: Link | None, invoice_link: Link | None
) -> Allocation:
    """What allocating `note` takes, from what Xero last said of both documents; NotEligible
    (with why) while either is not there as authorised, or when there is nothing to allocate:
    the amount is the credit Xero holds as left on the credit note, up to what Xero holds as
    due on the invoice."""
    invoice = note.invoice
    if invoice is None:
        raise NotEligible("It is raised against no invoice: its credit stays with the customer.")
    if note.status != DocumentStatus.AUTHORISED:
        raise NotEligible(
            f"Credit note {note.number} is {note.get_status_display().lower()}: its credit is "
            "allocated once it is authorised."
        )
    held = note_link.snapshot if note_link and note_link.remote_id else None
    if not held or not note_link:
        raise NotEligible(f"Waiting for credit note {note.number} to reach Xero.")
    theirs = invoice_link.snapshot if invoice_link and invoice_link.remote_id else None
    if not theirs or not invoice_link:
        raise NotEligible(f"Waiting for invoice {invoice.number} to reach Xero.")
    if held.get("Status") != "AUTHORISED":
        raise NotEligible(
            f"Credit note {note.number} is {str(held.get('Status') or 'unknown').lower()} in "
            "Xero: its credit is allocated once Xero holds it as authorised."
        )
    left = mapping.to_decimal(held.get("RemainingCredit"), note.total)
    due = mapping.to_decimal(theirs.get("AmountDue"), invoice.total)
    amount = min(left, due)
    if theirs.get("Status") != "AUTHORISED" or amount <= 0:
        raise NotEligible(
            f"Xero holds invoice {invoice.number} as {str(theirs.get('Status') or '').lower()} "
            f"with {due:.2f} due, and {left:.2f} of the credit left, so there is nothing to "
            "allocate: refund the credit in Xero, or allocate it to another invoice there."
        )
    return Allocation(note_link.remote_id, invoice_link.remote_id, amount)


def _push_allocations(xero: XeroClient, ctx: Context, kind: str, outcome: Outcome) -> bool:
    """Allocate the credit of credit notes raised against invoices, one request each (Xero
    allocates per credit note). One whose earlier answer was lost is looked up on the credit
    note first, so credit is never allocated twice; after each, both documents are read back
    from Xero and kept as Xero holds them. False when nothing was left."""
    batch = _claim(ctx.organisation.pk, RecordKind.ALLOCATION)
    if not batch:
        return False
    notes = ALLOCATION.load([c.link.local_id for c in batch])
    note_links = links_of(RecordKind.CREDIT_NOTE, notes)
    invoice_links = links_of(
        RecordKind.INVOICE, [n.invoice_id for n in notes.values() if n.invoice_id]
    )
    for index, claimed in enumerate(batch):
        note = claimed.record = notes.get(claimed.link.local_id)
        if note is None:
            _settle(claimed, SyncState.NOT_ELIGIBLE, "The credit note no longer exists here.")
            continue
        note_link = note_links.get(note.pk)
        invoice_link = invoice_links.get(note.invoice_id or 0)
        try:
            if claimed.uncertain and _settle_lost_allocation(
                xero, ctx, claimed, note_link, invoice_link, outcome
            ):
                continue
            try:
                plan = _allocation_of(note, note_link, invoice_link)
            except NotEligible as why:
                _settle(claimed, SyncState.NOT_ELIGIBLE, str(why))
                outcome.not_eligible += 1
                continue
            _allocate(xero, ctx, claimed, plan, outcome)
        except (DailyLimitReached, RateLimited):
            _release(batch[index:], uncertain=False)
            raise
        except TransientError as exc:
            _release([claimed], uncertain=True, reason=exc.message)
            _release(batch[index + 1 :], uncertain=False)
            outcome.held = exc.message
            return False
        except ValidationFailed as exc:
            messages = [m for e in exc.elements for m in e.messages] or [exc.message]
            _fail(ctx, ALLOCATION, claimed, messages, outcome)
        except XeroError:
            _release(batch[index:], uncertain=False)
            raise
    return True


def _settle_lost_allocation(
    xero: XeroClient,
    ctx: Context,
    claimed: Claimed,
    note_link: Link | None,
    invoice_link: Link | None,
    outcome: Outcome,
) -> bool:
    """An allocation whose answer was lost: did Xero make it? Found on the credit note, it is
    settled as made (True); not found, it is planned afresh (False)."""
    if not (note_link and note_link.remote_id and invoice_link and invoice_link.remote_id):
        return False
    outcome.calls += 1
    held = (xero.get(f"/CreditNotes/{note_link.remote_id}").get("CreditNotes") or [{}])[0]
    made = _allocation_to(held, invoice_link.remote_id)
    if made is None:
        return False
    _allocated(xero, ctx, claimed, made, note_link.remote_id, invoice_link.remote_id, outcome)
    return True


def _allocate(
    xero: XeroClient, ctx: Context, claimed: Claimed, plan: Allocation, outcome: Outcome
) -> None:
    note = claimed.record
    claimed.payload = {
        "Allocations": [
            {
                "Amount": mapping.json_number(plan.amount),
                "Date": note.date.isoformat(),
                "Invoice": {"InvoiceID": plan.invoice_id},
            }
        ]
    }
    outcome.calls += 1
    outcome.sent += 1
    key = hashlib.sha256(
        "|".join(
            [ctx.organisation.remote_id, "allocate", plan.note_id, plan.invoice_id,
             str(plan.amount), str(claimed.version)]
        ).encode()
    ).hexdigest()  # fmt: skip
    answer = xero.put(ALLOCATION.path.format(id=plan.note_id), claimed.payload, idempotency_key=key)
    made = dict((answer.get("Allocations") or [{}])[0])
    _allocated(xero, ctx, claimed, made, plan.note_id, plan.invoice_id, outcome)


def _allocated(
    xero: XeroClient,
    ctx: Context,
    claimed: Claimed,
    made: dict[str, Any],
    note_id: str,
    invoice_id: str,
    outcome: Outcome,
) -> None:
    """Xero holds the allocation: it is synced, and both documents are read back from Xero
    and kept as Xero holds them (the credit note's credit used, the invoice's amount due and
    status), here and on their links, so nothing is counted twice whatever came first (a lost
    answer, a replay, a webhook). A failed read leaves the allocation uncertain: it is looked
    up again, never sent again."""
    outcome.calls += 2
    held = (xero.get(f"/CreditNotes/{note_id}").get("CreditNotes") or [{}])[0]
    theirs = (xero.get(f"/Invoices/{invoice_id}").get("Invoices") or [{}])[0]
    note: CreditNote = claimed.record
    with transaction.atomic():
        Link.objects.filter(pk=claimed.link.pk).update(
            remote_id=str(made.get("AllocationID") or ""),
            snapshot=keep_of(made),
            synced_version=claimed.version,
            state=Case(
                When(Q(version=claimed.version), then=Value(SyncState.SYNCED)),
                default=Value(SyncState.PENDING),
            ),
            reason="",
            attempts=0,
            not_before=None,
            updated_at=timezone.now(),
        )
        for kind, local_id, element in (
            (RecordKind.CREDIT_NOTE, note.pk, held),
            (RecordKind.INVOICE, note.invoice_id or 0, theirs),
        ):
            link = Link.objects.filter(
                kind=kind, local_id=local_id, organisation=ctx.organisation
            ).first()
            if link is not None and element:
                remember_remote(
                    link.pk, keep_of(element), mapping.parse_date(element.get("UpdatedDateUTC"))
                )
        applied = mapping.to_decimal(held.get("AppliedAmount"), note.amount_allocated)
        status = str(held.get("Status") or "")
        record_credit_note_state(note, status if status == "PAID" else note.status, applied)
        invoice = note.invoice
        if invoice is not None and theirs:
            record_accounting_amounts(
                invoice,
                mapping.to_decimal(theirs.get("AmountPaid"), invoice.amount_paid),
                mapping.to_decimal(theirs.get("AmountCredited"), invoice.amount_credited),
            )
            if theirs.get("Status") == "PAID":
                record_accounting_status(invoice, DocumentStatus.PAID)
        issues.resolve(ctx.organisation.pk, RecordKind.ALLOCATION, [note.pk])
    outcome.synced += 1


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
    tombstones = list(_deletions(ctx.organisation.pk).order_by("id")[: settings.XERO_BATCH_SIZE])
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
    for tombstone in going:
        if tombstone.kind == RecordKind.ALLOCATION:
            # Credit allocated in Xero stays there: a credit note allocated is never deleted
            # here (it is refused), so this allocation's credit note was deleted with it.
            tombstone.delete()
    for kind in (RecordKind.INVOICE, RecordKind.CREDIT_NOTE, RecordKind.PURCHASE_ORDER):
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
    held = tombstone.snapshot or {}
    name = held.get("Name") or held.get("InvoiceNumber") or held.get("CreditNoteNumber")
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
        "CreditNoteID", "CreditNoteNumber", "Allocations", "AppliedAmount", "RemainingCredit",
        "CreditNotes", "AllocationID", "Amount", "Invoice",
        "DefaultCurrency",
    )  # fmt: skip
    return {k: element[k] for k in keep if element.get(k) not in (None, "", [])}


def _ready(now: dt.datetime | None = None) -> Any:
    now = now or timezone.now()
    return Link.objects.filter(
        kind__in=ORDER,
        deleted_at__isnull=True,
        state__in=[SyncState.PENDING, SyncState.IN_FLIGHT],
    ).filter(Q(not_before__isnull=True) | Q(not_before__lte=now))


def organisations_waiting(now: dt.datetime | None = None) -> list[int]:
    """Organisations with something to send now (the periodic sweep enqueues each)."""
    ids = _ready(now).order_by().values_list("organisation_id", flat=True).distinct()
    return sorted(ids)


_share: tuple[float, int | None] = (0.0, None)  # (good until, share): `_current_share`


def _current_share() -> int | None:
    """`fair_share`, counted at most every 5 Xero-seconds in this process (each run asks)."""
    global _share
    now = time.monotonic()
    if now >= _share[0]:
        _share = (now + settings.XERO_MINUTE_SECONDS / 12, fair_share())
    return _share[1]


def fair_share(limits: Limits | None = None) -> int | None:
    """How much of its minute an organisation's sync may use: when more organisations have
    work waiting than Xero's app limit lets each use its own 60 a minute (more than 166), each
    gets an equal share of the app's 10,000, so all drain side by side and none waits a whole
    minute for the app's room behind the others; None (its own limit) otherwise."""
    limits = limits or Limits()
    waiting: int = _ready().order_by().values("organisation_id").distinct().count()
    if waiting * limits.per_minute <= limits.app_per_minute:
        return None
    return max(1, limits.app_per_minute // waiting)
