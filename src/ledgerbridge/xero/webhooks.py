"""The way back from Xero: webhook deliveries verified and stored (the inbox), then applied.

`receive(body, signature)` is all the endpoint does, well inside Xero's 5 seconds: it checks
`x-xero-signature` (base64 HMAC-SHA256 of the raw body with the app's signing key) in constant
time, answers 401 to a bad one, and stores each event of a good one (an event delivered twice
is stored once) before the endpoint answers 200. Xero's intent-to-receive probes are deliveries
with no events: a good one is answered 200 and noted, a bad one 401.

`apply_pending(client_for)` (the worker's task) applies what waits, organisation by
organisation: it reads the resources named, 50 at a time with `IDs=`, and

- a contact (WH-2) creates or updates the customer or supplier under the import's matching rules
  (contacts created and updated are switched separately per organisation, WH-1);
- an invoice (WH-3) brings Xero's status, amounts and payments to its PSA invoice: paid in Xero
  it shows paid and can no longer be deleted; voided (or deleted) in Xero it is voided here and
  its billing rolled back, as a deletion would; what is paid and credited on it comes too;
- a credit note brings Xero's status and the credit it has used (allocated) to its PSA credit
  note; approved in Xero, its allocation to the invoice it credits may go; voided there, it is
  voided here. One made in Xero for a linked customer appears here, marked as made in Xero
  (credit notes follow the invoices' switches).

A resource we already hold at that version or newer (`UpdatedDateUTC` against the link's) is
ignored, with the reason: that is our own write coming back, or an event older than one already
applied, so nothing bounces back and forth and the newest state stands. Nothing applied here is
sent back to Xero (it is recorded as in step with Xero, not changed).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from ledgerbridge import crypto
from ledgerbridge.billing.credit_notes import issue_credit_note, record_credit_note_state
from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import CreditNote, CreditNoteKind, Invoice, InvoiceKind
from ledgerbridge.billing.services import (
    issue_invoice,
    record_accounting_amounts,
    record_accounting_status,
)
from ledgerbridge.customers.models import Customer
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.models import Link, RecordKind
from ledgerbridge.sync.services import RemoteState, record_remote, remember_remote, wake
from ledgerbridge.xero import leases, mapping
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.errors import XeroError
from ledgerbridge.xero.imports.common import organisation
from ledgerbridge.xero.imports.contacts import apply_contacts
from ledgerbridge.xero.imports.tax_rates import tax_rate_map
from ledgerbridge.xero.models import Connection, EventStatus, WebhookEvent, WebhookKey
from ledgerbridge.xero.outbound import keep_of

log = logging.getLogger("ledgerbridge.xero.webhooks")
MAX_BODY = 1_000_000  # bytes; Xero's deliveries are a few KB
READ_BATCH = 50
PATHS = {
    "CONTACT": ("/Contacts", "Contacts", "ContactID"),
    "INVOICE": ("/Invoices", "Invoices", "InvoiceID"),
    "CREDITNOTE": ("/CreditNotes", "CreditNotes", "CreditNoteID"),
}
# Credit notes follow the invoices' switches.
NOUN_OF = {"CONTACT": "contacts", "INVOICE": "invoices", "CREDITNOTE": "invoices"}
ClientFor = Callable[[Connection], XeroClient]
# WH-1: the connection's switches, one per kind of event.
SWITCHES = (
    "wh_contacts_created",
    "wh_contacts_updated",
    "wh_invoices_created",
    "wh_invoices_updated",
)


def sign(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def save_key(key: str) -> None:
    """Store the signing key, encrypted; it is never shown again."""
    row = WebhookKey.get()
    row.signing_key = crypto.encrypt(key.strip())
    row.saved_at = timezone.now()
    row.intent_passed_at = None  # Xero checks the endpoint again with the new key
    row.save()


def receive(body: bytes, signature: str) -> int:
    """Verify and store a delivery; the HTTP status to answer (200, or 401 when the signature
    is not the key's). Deliveries that are signed but not Xero's shape are kept as a failed
    inbox entry and answered 200 (Xero would only send them again)."""
    row = WebhookKey.get()
    now = timezone.now()
    key = crypto.decrypt(row.signing_key) if row.signing_key else ""
    if not key or not hmac.compare_digest(sign(key, body), signature or ""):
        WebhookKey.objects.filter(pk=row.pk).update(refused_at=now)
        return 401
    try:
        payload = json.loads(body)
        events = list(payload.get("events") or [])
        sequence = payload.get("firstEventSequence")
    except (ValueError, AttributeError):
        _malformed("The delivery was signed but is not JSON Xero sends.")
        return 200
    if not events:  # intent to receive (or an empty delivery)
        WebhookKey.objects.filter(pk=row.pk).update(intent_passed_at=now, last_delivery_at=now)
        return 200
    with transaction.atomic():
        for event in events:
            _store(event, sequence if isinstance(sequence, int) else None)
        WebhookKey.objects.filter(pk=row.pk).update(last_delivery_at=now)
        transaction.on_commit(_queue_apply)
    return 200


def _store(event: Any, sequence: int | None) -> None:
    if not isinstance(event, dict):
        _malformed(f"An event that is not an object: {str(event)[:200]}")
        return
    fields = {
        "tenant_id": str(event.get("tenantId") or "")[:64],
        "category": str(event.get("eventCategory") or "").upper()[:20],
        "event_type": str(event.get("eventType") or "").upper()[:20],
        "resource_id": str(event.get("resourceId") or "")[:64],
        "event_date": str(event.get("eventDateUtc") or "")[:40],
    }
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(sequence=sequence, **fields)
    except IntegrityError:
        pass  # delivered before: stored once


def _malformed(reason: str) -> None:
    WebhookEvent.objects.create(
        tenant_id="",
        category="",
        event_type="",
        resource_id="",
        event_date=timezone.now().isoformat(),
        status=EventStatus.FAILED,
        reason=reason,
    )


_queue: Callable[[], None] | None = None


def set_queue(queue: Callable[[], None]) -> None:
    global _queue
    _queue = queue


def _queue_apply() -> None:
    if _queue is not None:
        _queue()


def replay(event: WebhookEvent) -> None:
    """Apply an event again (an admin's Replay): it waits in the inbox as received."""
    WebhookEvent.objects.filter(pk=event.pk).update(status=EventStatus.RECEIVED, reason="")
    transaction.on_commit(_queue_apply)


# --- applying ---------------------------------------------------------------------------------


def apply_pending(client_for: ClientFor | None = None, limit: int = 500) -> int:
    """Apply the events that wait, oldest first; returns how many were settled."""
    waiting = list(WebhookEvent.objects.filter(status=EventStatus.RECEIVED).order_by("id")[:limit])
    groups: dict[tuple[str, str], list[WebhookEvent]] = defaultdict(list)
    for event in waiting:
        groups[(event.tenant_id, event.category)].append(event)
    for (tenant_id, category), events in groups.items():
        _apply_group(tenant_id, category, events, client_for or XeroClient)
    return len(waiting)


def _settle(events: Iterable[WebhookEvent], status: str, reason: str = "") -> None:
    WebhookEvent.objects.filter(pk__in=[e.pk for e in events]).update(
        status=status, reason=reason, applied_at=timezone.now()
    )


def _apply_group(
    tenant_id: str, category: str, events: list[WebhookEvent], client_for: ClientFor
) -> None:
    connection = Connection.objects.filter(tenant_id=tenant_id).first()
    if connection is None:
        _settle(events, EventStatus.IGNORED, "No connection here is to this Xero organisation.")
        return
    if category not in PATHS:
        _settle(events, EventStatus.IGNORED, f"{category or 'This'} events are not applied here.")
        return
    wanted: list[WebhookEvent] = []
    switched_off: list[WebhookEvent] = []
    noun = NOUN_OF[category]
    for event in events:
        verbs = {"CREATE": ["created"], "UPDATE": ["updated"]}.get(
            event.event_type,
            ["created", "updated"],  # a poll's find may be either
        )
        on = any(getattr(connection, f"wh_{noun}_{verb}") for verb in verbs)
        (wanted if on else switched_off).append(event)
    _settle(
        switched_off,
        EventStatus.IGNORED,
        f"{connection.name} does not apply this kind of event (its webhooks tab switches it).",
    )
    if not wanted:
        return
    if not connection.is_connected:
        WebhookEvent.objects.filter(pk__in=[e.pk for e in wanted]).update(
            reason=f"{connection.name} is not connected: applied once it is connected again."
        )
        return
    org = organisation(tenant_id)
    # One process at a time works on an organisation, inbound and outbound alike (the sync's
    # lease), so a change from Xero never races our own send of the same record.
    lease = leases.acquire(org.pk)
    if lease is None:
        WebhookEvent.objects.filter(pk__in=[e.pk for e in wanted]).update(
            reason="Waiting while this organisation's changes are sent to Xero."
        )
        return
    try:
        # Only what still waits: another process may have applied some before we got here.
        still = set(
            WebhookEvent.objects.filter(
                pk__in=[e.pk for e in wanted], status=EventStatus.RECEIVED
            ).values_list("pk", flat=True)
        )
        wanted = [e for e in wanted if e.pk in still]
        if wanted:
            _apply_resources(connection, org, category, wanted, client_for)
    finally:
        leases.release(org.pk, lease)


def _apply_resources(
    connection: Connection,
    org: Any,
    category: str,
    wanted: list[WebhookEvent],
    client_for: ClientFor,
) -> None:
    path, collection, id_field = PATHS[category]
    ids = sorted({e.resource_id.lower() for e in wanted})
    try:
        with client_for(connection) as client:
            found: dict[str, dict[str, Any]] = {}
            for start in range(0, len(ids), READ_BATCH):
                params = {"IDs": ",".join(ids[start : start + READ_BATCH])}
                if category != "CONTACT":  # a paged read carries the lines (unpaged does not)
                    params.update(unitdp="4", page="1")
                for element in client.get(path, params=params).get(collection) or []:
                    found[str(element.get(id_field) or "").lower()] = element
    except XeroError as exc:
        WebhookEvent.objects.filter(pk__in=[e.pk for e in wanted]).update(
            attempts=F("attempts") + 1, reason=exc.message
        )
        return
    by_resource: dict[str, list[WebhookEvent]] = defaultdict(list)
    for event in wanted:
        by_resource[event.resource_id.lower()].append(event)
    for resource_id, resource_events in by_resource.items():
        element = found.get(resource_id)
        if element is None:
            _settle(resource_events, EventStatus.IGNORED, "Xero no longer has this record.")
            continue
        try:
            with transaction.atomic():
                if category == "CONTACT":
                    may_create = connection.wh_contacts_created
                    status, reason = _apply_contact(org, element, may_create)
                elif category == "CREDITNOTE":
                    may_create = connection.wh_invoices_created
                    status, reason = _apply_credit_note(org, element, may_create)
                else:
                    may_create = connection.wh_invoices_created
                    status, reason = _apply_invoice(org, element, may_create)
                _settle(resource_events, status, reason)
        except Exception as exc:  # one record's failure stops no other; it is in the inbox
            _settle(resource_events, EventStatus.FAILED, f"{type(exc).__name__}: {exc}")


def _newer(link: Link | None, updated: dt.datetime | None) -> bool:
    """Whether Xero's version is newer than the one we hold (ours written, or applied)."""
    if link is None or link.remote_updated_at is None or updated is None:
        return True
    return updated > link.remote_updated_at


OWN = "We already hold this version (our own change coming back, or a newer event applied)."


CREATES_OFF = "Not here yet, and records created in Xero are not brought across (switched off)."


def _apply_contact(org: Any, contact: dict[str, Any], may_create: bool) -> tuple[str, str]:
    data = mapping.contact_data(contact)
    links = Link.objects.filter(
        organisation=org,
        kind__in=[RecordKind.CUSTOMER, RecordKind.SUPPLIER],
        remote_id__iexact=data.xero_id,
        deleted_at__isnull=True,
    )
    found = list(links)
    if any(not _newer(link, data.updated_at) for link in found):
        return EventStatus.IGNORED, OWN
    if not found and not may_create:
        return EventStatus.IGNORED, CREATES_OFF
    kinds = [link.kind for link in found] or [
        RecordKind.SUPPLIER if data.is_supplier and not data.is_customer else RecordKind.CUSTOMER
    ]
    done = []
    for kind in kinds:
        model = Supplier if kind == RecordKind.SUPPLIER else Customer
        counts, problems = apply_contacts(model, org, [data], tax_rate_map(org.pk))
        if problems:
            said = "; ".join(p.get("reason", "") for p in problems)
            if not counts["created"] and not counts["updated"]:
                return EventStatus.FAILED, said
        noun = "supplier" if kind == RecordKind.SUPPLIER else "customer"
        done.append(f"{'created' if counts['created'] else 'updated'} the {noun} {data.name}")
    return EventStatus.APPLIED, "Xero's change " + " and ".join(done) + "."


ON_ITS_WAY = (
    "Our own {} on its way to Xero (its answer has not come back yet): the sync links it, so "
    "it is not brought across twice."
)


def _ours_on_its_way(org: Any, kind: str, model: Any, number: str) -> bool:
    """Whether a document of ours with this number is being sent and not linked yet: Xero's
    event about it may come before the answer (or the answer was lost)."""
    if not number:
        return False
    ours = model.objects.filter(Q(number=number) | Q(external_number=number)).values("pk")
    return Link.objects.filter(
        organisation=org, kind=kind, remote_id="", local_id__in=ours, deleted_at__isnull=True
    ).exists()


def _apply_invoice(org: Any, element: dict[str, Any], may_create: bool) -> tuple[str, str]:
    remote_id = str(element.get("InvoiceID") or "")
    link = Link.objects.filter(
        organisation=org, kind=RecordKind.INVOICE, remote_id__iexact=remote_id
    ).first()
    if link is None:
        number = str(element.get("InvoiceNumber") or "")
        if _ours_on_its_way(org, RecordKind.INVOICE, Invoice, number):
            return EventStatus.IGNORED, ON_ITS_WAY.format(f"invoice {number}")
        if not may_create:
            return EventStatus.IGNORED, CREATES_OFF
        return _invoice_made_in_xero(org, element)
    updated = mapping.parse_date(element.get("UpdatedDateUTC"))
    if not _newer(link, updated):
        return EventStatus.IGNORED, OWN
    status = str(element.get("Status") or "")
    remember_remote(link.pk, keep_of(element), updated)
    invoice = Invoice.objects.filter(pk=link.local_id).first()
    if link.deleted_at is not None or invoice is None:
        return EventStatus.APPLIED, "Noted; the invoice was deleted here."
    said = f"Xero holds it as {status.lower()}"
    paid = mapping.to_decimal(element.get("AmountPaid"))
    if paid:
        said += f", {paid:.2f} paid"
    credited = mapping.to_decimal(element.get("AmountCredited"))
    if credited:
        said += f", {credited:.2f} credited"
    record_accounting_amounts(invoice, paid, credited)
    local = LOCAL_STATUS
    if status in local and invoice.status != local[status]:
        released = record_accounting_status(invoice, local[status])
        said += f"; the invoice is now {local[status].lower()} here"
        if released:
            said += f" and {released} time entries are ready for invoicing again"
    return EventStatus.APPLIED, said + "."


LOCAL_STATUS = {"PAID": "PAID", "VOIDED": "VOIDED", "DELETED": "VOIDED", "AUTHORISED": "AUTHORISED"}


def _apply_credit_note(org: Any, element: dict[str, Any], may_create: bool) -> tuple[str, str]:
    """A credit note approved, allocated or voided in Xero: its status and the credit it has
    used are brought back; one made there, for a linked customer, appears here."""
    if element.get("Type") != "ACCRECCREDIT":
        return (
            EventStatus.IGNORED,
            "Not a sales credit note: suppliers' credit is not brought across.",
        )
    remote_id = str(element.get("CreditNoteID") or "")
    link = Link.objects.filter(
        organisation=org, kind=RecordKind.CREDIT_NOTE, remote_id__iexact=remote_id
    ).first()
    if link is None:
        number = str(element.get("CreditNoteNumber") or "")
        if _ours_on_its_way(org, RecordKind.CREDIT_NOTE, CreditNote, number):
            return EventStatus.IGNORED, ON_ITS_WAY.format(f"credit note {number}")
        if not may_create:
            return EventStatus.IGNORED, CREATES_OFF
        return _credit_note_made_in_xero(org, element)
    updated = mapping.parse_date(element.get("UpdatedDateUTC"))
    if not _newer(link, updated):
        return EventStatus.IGNORED, OWN
    remember_remote(link.pk, keep_of(element), updated)
    note = CreditNote.objects.filter(pk=link.local_id).first()
    if link.deleted_at is not None or note is None:
        return EventStatus.APPLIED, "Noted; the credit note was deleted here."
    status = str(element.get("Status") or "")
    allocated = _allocated(element)
    said = f"Xero holds it as {status.lower()}, {allocated:.2f} of it allocated"
    was = note.status
    record_credit_note_state(note, LOCAL_STATUS.get(status, note.status), allocated)
    if was != LOCAL_STATUS.get(status, was):
        said += f"; the credit note is now {LOCAL_STATUS[status].lower()} here"
    if status == "AUTHORISED" and note.invoice_id is not None:
        wake(RecordKind.ALLOCATION, note.pk)  # approved in Xero: its credit may go now
    return EventStatus.APPLIED, said + "."


def _allocated(element: dict[str, Any]) -> Decimal:
    if element.get("AppliedAmount") not in (None, ""):
        return mapping.to_decimal(element.get("AppliedAmount"))
    return sum(
        (mapping.to_decimal(a.get("Amount")) for a in element.get("Allocations") or []),
        Decimal(0),
    )


def _lines_from_xero(org: Any, element: dict[str, Any], what: str) -> tuple[list[LineData], str]:
    """A document's lines as Xero holds them, with our tax rates; or why not ("": fine)."""
    taxes = tax_rate_map(org.pk)
    lines = []
    for index, line in enumerate(element.get("LineItems") or []):
        tax_type = str(line.get("TaxType") or "")
        if tax_type not in taxes:
            return [], (
                f"Line {index + 1} of {what} uses Xero's tax type {tax_type or '(none)'}, which "
                "no tax rate here is linked to: link one, then replay this event."
            )
        lines.append(
            LineData(
                description=str(line.get("Description") or line.get("ItemCode") or "—"),
                quantity=mapping.to_decimal(line.get("Quantity"), Decimal(1)),
                unit_price=mapping.to_decimal(line.get("UnitAmount")),
                tax_rate_id=taxes[tax_type],
                item_code=str(line.get("ItemCode") or "")[:30],
            )
        )
    return lines, ""


def _customer_of(org: Any, element: dict[str, Any]) -> Customer | None:
    contact_id = str((element.get("Contact") or {}).get("ContactID") or "")
    party = Link.objects.filter(
        organisation=org,
        kind=RecordKind.CUSTOMER,
        remote_id__iexact=contact_id,
        deleted_at__isnull=True,
    ).first()
    return None if party is None else Customer.objects.get(pk=party.local_id)


def _credit_note_made_in_xero(org: Any, element: dict[str, Any]) -> tuple[str, str]:
    """A sales credit note made in Xero for a linked customer appears here, marked as made in
    Xero, with Xero's number, lines, status and the credit it has used; linked, so it is not
    sent back. Its allocations stay Xero's (the invoices' amounts due come back with them)."""
    number = str(element.get("CreditNoteNumber") or "")
    status = str(element.get("Status") or "DRAFT")
    if status in ("DELETED", "VOIDED"):
        return EventStatus.IGNORED, f"Credit note {number} is deleted or voided in Xero."
    customer = _customer_of(org, element)
    if customer is None:
        return EventStatus.IGNORED, (
            f"Credit note {number} is for a Xero contact that is not one of our customers: "
            "import the customer, then replay this event."
        )
    lines, problem = _lines_from_xero(org, element, f"credit note {number}")
    if problem:
        return EventStatus.FAILED, problem
    day = mapping.parse_date(element.get("DateString") or element.get("Date"))
    note = issue_credit_note(
        customer,
        lines,
        date=day.date() if day else timezone.localdate(),
        kind=CreditNoteKind.ACCOUNTS,
        status=status if status in ("DRAFT", "SUBMITTED", "AUTHORISED") else "AUTHORISED",
        reference=str(element.get("Reference") or "")[:255],
        amount_type=str(element.get("LineAmountTypes") or "Exclusive"),
        external_number=number,
    )
    record_credit_note_state(note, LOCAL_STATUS.get(status, note.status), _allocated(element))
    _linked(RecordKind.CREDIT_NOTE, org, note.pk, element, "CreditNoteID")
    return EventStatus.APPLIED, (
        f"Credit note {number} made in Xero is here as {note.number}, for {customer.name}."
    )


def _linked(kind: str, org: Any, local_id: int, element: dict[str, Any], id_field: str) -> None:
    """A document made in Xero and brought here is in step with Xero (never sent back)."""
    updated = mapping.parse_date(element.get("UpdatedDateUTC"))
    state = RemoteState(local_id, str(element.get(id_field)), keep_of(element), updated)
    record_remote(kind, org.pk, [state])


def _invoice_made_in_xero(org: Any, element: dict[str, Any]) -> tuple[str, str]:
    """WH-3: a sales invoice made in Xero for a linked customer appears here, marked as made in
    Xero, with Xero's number, lines, tax and status; linked, so it is not sent back."""
    number = str(element.get("InvoiceNumber") or "")
    if element.get("Type") != "ACCREC":
        return EventStatus.IGNORED, "Not a sales invoice: bills are not brought across."
    if str(element.get("Status") or "") in ("DELETED", "VOIDED"):
        return EventStatus.IGNORED, f"Invoice {number} is deleted or voided in Xero."
    customer = _customer_of(org, element)
    if customer is None:
        return EventStatus.IGNORED, (
            f"Invoice {number} is for a Xero contact that is not one of our customers: import "
            "the customer, then replay this event."
        )
    lines, problem = _lines_from_xero(org, element, f"invoice {number}")
    if problem:
        return EventStatus.FAILED, problem
    day = mapping.parse_date(element.get("DateString") or element.get("Date"))
    due = mapping.parse_date(element.get("DueDateString") or element.get("DueDate"))
    status = str(element.get("Status") or "DRAFT")
    invoice = issue_invoice(
        customer,
        lines,
        date=day.date() if day else timezone.localdate(),
        due_date=due.date() if due else None,
        kind=InvoiceKind.ACCOUNTS,
        status=status if status in ("DRAFT", "SUBMITTED", "AUTHORISED") else "AUTHORISED",
        reference=str(element.get("Reference") or "")[:255],
        amount_type=str(element.get("LineAmountTypes") or "Exclusive"),
        external_number=number,
        allow_external_number=True,
        currency=str(element.get("CurrencyCode") or ""),  # Xero's, not the customer's
    )
    if status == "PAID":
        record_accounting_status(invoice, "PAID")
    _linked(RecordKind.INVOICE, org, invoice.pk, element, "InvoiceID")
    return EventStatus.APPLIED, (
        f"Invoice {number} made in Xero is here as {invoice.number}, for {customer.name}."
    )


# --- the catch-up: polling what webhooks missed ---------------------------------------------

POLL = "POLL"


def catch_up(connection: Connection, since: dt.datetime, client: XeroClient) -> int:
    """Put in the inbox every contact and sales invoice Xero changed since `since` (read with
    If-Modified-Since, page by page, within the quota), once per version; the worker applies
    them like webhook events (a version already held is ignored). Returns how many were new."""
    began = timezone.now()
    new = 0
    reads = {
        "CONTACT": {"includeArchived": "true"},
        "INVOICE": {"where": 'Type=="ACCREC"', "unitdp": "4"},
        "CREDITNOTE": {"where": 'Type=="ACCRECCREDIT"', "unitdp": "4"},
    }
    for category, params in reads.items():
        path, collection, id_field = PATHS[category]
        for page in client.pages(path, collection, params=params, if_modified_since=since):
            for element in page:
                fields = {
                    "tenant_id": connection.tenant_id,
                    "category": category,
                    "event_type": POLL,
                    "resource_id": str(element.get(id_field) or "")[:64],
                    "event_date": str(element.get("UpdatedDateUTC") or "")[:40],
                }
                try:
                    with transaction.atomic():
                        WebhookEvent.objects.create(**fields)
                    new += 1
                except IntegrityError:
                    pass  # that version was found before
    Connection.objects.filter(pk=connection.pk).update(polled_at=began)
    if new:
        transaction.on_commit(_queue_apply)
    return new


def poll_due(client_for: ClientFor | None = None, every: dt.timedelta | None = None) -> int:
    """The scheduled catch-up: each connected organisation with webhooks switched on is read
    for changes since its last poll, at most every XERO_POLL_MINUTES. Returns how many
    organisations were read."""
    if every is None:
        every = dt.timedelta(minutes=settings.XERO_POLL_MINUTES)
    now = timezone.now()
    read = 0
    for connection in Connection.objects.exclude(tenant_id=""):
        switched = any(getattr(connection, name) for name in SWITCHES)
        if not switched or not connection.is_connected:
            continue
        if connection.polled_at is not None and connection.polled_at > now - every:
            continue
        since = connection.polled_at or now - dt.timedelta(days=1)
        try:
            with (client_for or XeroClient.background)(connection) as client:
                catch_up(connection, since, client)
        except XeroError as exc:
            log.warning("the catch-up poll of %s failed: %s", connection.name, exc.message)
            continue  # the connection's page shows the error; the next poll tries again
        read += 1
    return read
