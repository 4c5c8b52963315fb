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
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ledgerbridge.catalog.models import Product
from ledgerbridge.customers.models import Customer
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.models import Link, Organisation, RecordKind, SyncSettings, SyncState
from ledgerbridge.xero import issues, leases, mapping
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

log = logging.getLogger(__name__)

BATCH = 50
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)


class NotEligible(Exception):
    """Why a record does not sync, in words that point at the fix."""


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


@dataclass
class Context:
    settings: SyncSettings
    organisation: Organisation
    tax_types: dict[int, str] = field(default_factory=dict)


def _party(kind: str) -> Callable[[Any, Link, Context], dict[str, Any]]:
    def build(party: Any, link: Link, ctx: Context) -> dict[str, Any]:
        noun = "Customers" if kind == RecordKind.CUSTOMER else "Suppliers"
        if not ctx.settings.syncs(kind):
            raise NotEligible(
                f"{noun} are not chosen for sync (Configuration > Integrations > Xero > Sync)."
            )
        if not party.account_number:
            raise NotEligible("It has no account number: give it one to sync it to Xero.")
        return mapping.contact_payload(
            party,
            remote_id=link.remote_id,
            tax_types=ctx.tax_types,
            archive=ctx.settings.archive_inactive,
        )

    return build


def _product(product: Product, link: Link, ctx: Context) -> dict[str, Any]:
    if not ctx.settings.sync_products:
        raise NotEligible(
            "Products are not chosen for sync (Configuration > Integrations > Xero > Sync)."
        )
    if ctx.settings.product_linking and product.parent_id:
        raise NotEligible("It is a child product: invoice lines use its parent's codes.")
    if not product.code:
        raise NotEligible("It has no product code: give it one to sync it to Xero.")
    if not product.sales_account_code:
        raise NotEligible("It has no sales accounts code: give it one to sync it to Xero.")
    return mapping.item_payload(product, remote_id=link.remote_id, tax_types=ctx.tax_types)


def _loader(model: Any) -> Callable[[Sequence[int]], dict[int, Any]]:
    return lambda ids: model._default_manager.in_bulk(list(ids))


ENDPOINTS: dict[str, Endpoint] = {
    RecordKind.CUSTOMER: Endpoint(
        RecordKind.CUSTOMER,
        "/Contacts",
        {},
        "Contacts",
        "ContactID",
        "AccountNumber",
        _party(RecordKind.CUSTOMER),
        _loader(Customer),
        lambda c: f"Customer {c.name}",
    ),
    RecordKind.SUPPLIER: Endpoint(
        RecordKind.SUPPLIER,
        "/Contacts",
        {},
        "Contacts",
        "ContactID",
        "AccountNumber",
        _party(RecordKind.SUPPLIER),
        _loader(Supplier),
        lambda s: f"Supplier {s.name}",
    ),
    RecordKind.PRODUCT: Endpoint(
        RecordKind.PRODUCT,
        "/Items",
        {"unitdp": "4"},  # unit prices to 4 decimals, as the product holds them
        "Items",
        "ItemID",
        "Code",
        _product,
        _loader(Product),
        lambda p: f"Product {p}",
    ),
}
ORDER = (RecordKind.CUSTOMER, RecordKind.SUPPLIER, RecordKind.PRODUCT)


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
    ready: list[Claimed] = []
    for claimed in batch:
        claimed.record = records.get(claimed.link.local_id)
        if claimed.record is None:  # deleted meanwhile: the tombstone's business, not ours
            _settle(claimed, SyncState.NOT_ELIGIBLE, "The record no longer exists here.")
            continue
        try:
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
    for index, claimed in enumerate(ready):
        element = elements[index] if index < len(elements) else {}
        if index in refused or not element.get(endpoint.id_field):
            messages = refused[index].messages if index in refused else ("Xero gave no answer.",)
            _fail(ctx, endpoint, claimed, messages, outcome)
            continue
        _succeed(ctx, endpoint, claimed, element)
        outcome.synced += 1


def _succeed(ctx: Context, endpoint: Endpoint, claimed: Claimed, element: dict[str, Any]) -> None:
    with transaction.atomic():
        Link.objects.filter(pk=claimed.link.pk).update(
            remote_id=str(element[endpoint.id_field]),
            snapshot=_snapshot(element),
            remote_updated_at=mapping.parse_date(element.get("UpdatedDateUTC")),
            synced_version=claimed.version,
            reason="",
            not_before=None,
            updated_at=timezone.now(),
        )
        # A record changed while it travelled stays pending for its newer version.
        Link.objects.filter(pk=claimed.link.pk, version=claimed.version).update(
            state=SyncState.SYNCED, attempts=0
        )
        Link.objects.filter(pk=claimed.link.pk).exclude(version=claimed.version).update(
            state=SyncState.PENDING
        )
        issues.resolve(ctx.organisation.pk, endpoint.kind, claimed.link.local_id)


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
    a back-off with jitter and a cap."""
    for claimed in claims:
        if not uncertain:
            Link.objects.filter(pk=claimed.link.pk).update(
                state=SyncState.PENDING, attempts=F("attempts") - 1
            )
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
    contacts = [
        t
        for t in tombstones
        if t.remote_id and t.kind != RecordKind.PRODUCT and ctx.settings.syncs(t.kind)
    ]
    items = [
        t
        for t in tombstones
        if t.remote_id and t.kind == RecordKind.PRODUCT and ctx.settings.syncs(t.kind)
    ]
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


def _tombstone_failed(
    ctx: Context, tombstone: Link, messages: Sequence[str], outcome: Outcome
) -> None:
    noun = RecordKind(tombstone.kind).label
    label = f"Deleted {noun.lower()} ({tombstone.snapshot.get('Name') or tombstone.remote_id})"
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


def _snapshot(element: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "ContactID", "ItemID", "Name", "Code", "AccountNumber", "ContactStatus", "EmailAddress",
        "AccountsReceivableTaxType", "AccountsPayableTaxType", "Description", "SalesDetails",
        "PurchaseDetails",
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
