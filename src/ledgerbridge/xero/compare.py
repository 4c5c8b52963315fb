"""Compare with Xero: every difference between an organisation in Xero and the PSA, record by
record and field by field, and (when asked) the fix.

`compare(connection, client, progress)` reads the organisation's contacts, items, sales invoices
and purchase orders page by page (through `XeroClient`, so within the quota), then checks each
PSA record the sync engine holds as in step with Xero against what the engine would send now
(`payloads`), and what Xero holds against it:

- missing: linked to a Xero record that is not there (or deleted or voided in Xero);
- twice: two live Xero records carry its account number, code or document number;
- differs: a field Xero holds differs from ours (contact, lines, item codes, tax types, tracking,
  amounts, status…), each named with both values;
- unlinked: a Xero record carries the number or code of a PSA record with no link to it;
- still there: deleted here, still live in Xero;
- refused: Xero refused our latest version (the errors tab has its words).

Records waiting to be sent or kept out are counted, not compared: the sync screens already say
why. Xero records that match nothing of ours are Xero's own business.

`fix(result)` sends the PSA's version of each record that differs, is missing or is still there
again (through the sync engine), and links an unlinked Xero record to its PSA record when the two
match exactly. Nothing is written unless asked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from ledgerbridge.sync.models import Link, RecordKind, SyncSettings, SyncState
from ledgerbridge.sync.services import RemoteState, mark_changed, record_remote, send_again
from ledgerbridge.xero import mapping
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.imports.common import organisation as organisation_of
from ledgerbridge.xero.imports.tax_rates import tax_type_of
from ledgerbridge.xero.models import Connection
from ledgerbridge.xero.outbound import ENDPOINTS, ORDER
from ledgerbridge.xero.payloads import Context, NotEligible, note_contacts

MISSING, TWICE, DIFFERS, UNLINKED, STILL_THERE, REFUSED = (
    "missing",
    "twice",
    "differs",
    "unlinked",
    "still_there",
    "refused",
)
PROBLEMS = {
    REFUSED: "Refused by Xero",
    MISSING: "Missing in Xero",
    TWICE: "In Xero twice",
    DIFFERS: "Differs",
    UNLINKED: "In Xero, not linked",
    STILL_THERE: "Deleted here, still in Xero",
}
SEND, LINK = "send", "link"
# Where each kind lives in Xero and how it is read (contacts serve customers and suppliers).
SOURCES: dict[str, tuple[str, str, dict[str, Any], bool]] = {
    "contacts": ("/Contacts", "Contacts", {"includeArchived": "true"}, True),
    "items": ("/Items", "Items", {"unitdp": "4"}, False),
    "invoices": ("/Invoices", "Invoices", {"where": 'Type=="ACCREC"', "unitdp": "4"}, True),
    "credit_notes": (
        "/CreditNotes",
        "CreditNotes",
        {"where": 'Type=="ACCRECCREDIT"', "unitdp": "4"},
        True,
    ),
    "purchase_orders": ("/PurchaseOrders", "PurchaseOrders", {"unitdp": "4"}, True),
}
SOURCE_OF = {
    RecordKind.CUSTOMER: "contacts",
    RecordKind.SUPPLIER: "contacts",
    RecordKind.PRODUCT: "items",
    RecordKind.INVOICE: "invoices",
    RecordKind.CREDIT_NOTE: "credit_notes",
    RecordKind.PURCHASE_ORDER: "purchase_orders",
}
# The kinds compared, in the engine's order (an allocation is checked on its credit note).
KINDS = [kind for kind in ORDER if kind in SOURCE_OF]
DOCUMENTS = (RecordKind.INVOICE, RecordKind.CREDIT_NOTE, RecordKind.PURCHASE_ORDER)
# A document Xero holds in one of these is gone (contacts are archived, never gone; a deleted
# item is simply not listed).
GONE = {"DELETED", "VOIDED"}
# A record's own id (compared by lookup, not as a field) and a line's; an invoice's
# Contact.ContactID is compared: it says whose invoice it is.
OWN_IDS = {"ContactID", "ItemID", "InvoiceID", "CreditNoteID", "PurchaseOrderID"}
KEYED_LISTS = {"Addresses": "AddressType", "Phones": "PhoneType"}
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_KEPT = 5000  # differences kept in full; beyond that only counted
CHUNK = 500  # records loaded at a time


@dataclass
class Difference:
    kind: str
    problem: str
    label: str
    local_id: int | None = None
    remote_id: str = ""
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (field, ours, Xero's)
    fix: str = ""  # SEND, LINK, or "" when a person must decide
    note: str = ""

    def words(self) -> str:
        if self.fields:
            said = "; ".join(f"{name}: {ours or '(none)'} here, {theirs or '(none)'} in Xero"
                             for name, ours, theirs in self.fields)  # fmt: skip
            return f"{self.note} {said}".strip()
        return self.note

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = [{"field": f, "ours": o, "xero": x} for f, o, x in self.fields]
        data["problem_label"] = PROBLEMS[self.problem]
        data["words"] = self.words()
        return data


@dataclass
class Result:
    organisation_id: int
    checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    waiting: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    read: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    differences: list[Difference] = field(default_factory=list)
    calls: int = 0

    @property
    def clean(self) -> bool:
        return not self.differences


Progress = Callable[[str, int, int | None], None]  # (phase, done, total)


def _quiet(phase: str, done: int, total: int | None) -> None:
    return None


def compare(connection: Connection, client: XeroClient, progress: Progress = _quiet) -> Result:
    """Read the organisation from Xero and list every difference (read-only)."""
    organisation = organisation_of(connection.tenant_id)
    result = Result(organisation.pk)
    held = {name: _read(client, name, result, progress) for name in SOURCES}
    ctx = Context(SyncSettings.get(), organisation, tax_type_of(organisation.pk))
    links = Link.objects.filter(organisation=organisation, kind__in=KINDS).order_by("kind", "id")
    total = links.count()
    done = 0
    by_kind: dict[str, list[Link]] = defaultdict(list)
    for link in links.iterator(chunk_size=2000):
        by_kind[link.kind].append(link)
    for kind in KINDS:
        kind_links = by_kind.get(kind, [])
        _compare_kind(kind, kind_links, held[SOURCE_OF[kind]], ctx, result)
        done += len(kind_links)
        progress("Comparing", done, total)
    return result


def _read(
    client: XeroClient, name: str, result: Result, progress: Progress
) -> list[dict[str, Any]]:
    path, collection, params, paged = SOURCES[name]
    phase = f"Reading {name.replace('_', ' ')} from Xero"
    found: list[dict[str, Any]] = []
    progress(phase, 0, None)
    for page in client.pages(path, collection, params=params, page_size=1000 if paged else None):
        result.calls += 1
        found.extend(page)
        progress(phase, len(found), None)
    if not found:
        result.calls += 1  # an empty list is still a call
    result.read[name] = len(found)
    return found


def _natural(kind: str) -> str:
    return ENDPOINTS[kind].natural_field


def _live(element: dict[str, Any]) -> bool:
    return str(element.get("Status") or "") not in GONE


def _compare_kind(
    kind: str,
    links: list[Link],
    elements: list[dict[str, Any]],
    ctx: Context,
    result: Result,
) -> None:
    endpoint = ENDPOINTS[kind]
    by_id = {str(e.get(endpoint.id_field) or "").lower(): e for e in elements}
    natural = _natural(kind)
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for each in elements:
        key = str(each.get(natural) or "").strip().lower()
        if key and _live(each):
            by_key[key].append(each)
    linked_ids = {link.remote_id.lower() for link in links if link.remote_id}
    records: dict[int, Any] = {}
    for index, link in enumerate(links):
        if index % CHUNK == 0:  # the records (and lines) of the next chunk, in a few queries
            chunk = [ln.local_id for ln in links[index : index + CHUNK] if ln.deleted_at is None]
            records = endpoint.load(chunk)
            note_contacts(kind, records.values(), ctx)
        if link.deleted_at is not None:
            _compare_tombstone(kind, link, by_id, result)
            continue
        record = records.get(link.local_id)
        if record is None:
            continue
        if link.state == SyncState.FAILED:
            _add(result, Difference(
                kind, REFUSED, endpoint.label(record), link.local_id, link.remote_id, fix=SEND,
                note=link.reason or "Xero refused our latest version.",
            ))  # fmt: skip
            continue
        if link.state != SyncState.SYNCED or not link.remote_id:
            if link.state in (SyncState.PENDING, SyncState.IN_FLIGHT):
                result.waiting[kind] += 1
            if not link.remote_id and link.state != SyncState.NOT_ELIGIBLE:
                _look_for_unlinked(kind, record, link, by_key, linked_ids, ctx, result)
            continue
        result.checked[kind] += 1
        element = by_id.get(link.remote_id.lower())
        label = endpoint.label(record)
        if element is None or not _live(element):
            status = "" if element is None else str(element.get("Status") or "")
            # Not in Xero at all (a deleted item): sent again, it is made afresh. A document
            # Xero holds as deleted or voided keeps its number there, so a person decides.
            _add(result, Difference(
                kind, MISSING, label, link.local_id, link.remote_id, fix="" if status else SEND,
                note=f"Xero holds it as {status.lower()}: delete it here too, or raise it "
                "again as a new one." if status else "Xero has no such record.",
            ))  # fmt: skip
            continue
        try:
            ctx.snapshot = dict(link.snapshot or {})
            expected = endpoint.build(record, link, ctx)
        except NotEligible:
            continue  # the settings keep it out now; its page says why
        fields = differences(expected, element)
        if kind in DOCUMENTS:
            fields.extend(_totals(record, element))
        if fields:
            _add(result, Difference(kind, DIFFERS, label, link.local_id, link.remote_id,
                                    fields=fields, fix=SEND))  # fmt: skip
        key = str(expected.get(natural) or "").strip().lower()
        twins = [e for e in by_key.get(key, []) if str(e.get(endpoint.id_field)).lower()
                 != link.remote_id.lower()] if key else []  # fmt: skip
        if twins:
            others = ", ".join(str(e.get(endpoint.id_field)) for e in twins)
            _add(result, Difference(
                kind, TWICE, label, link.local_id, link.remote_id,
                note=f"Xero also holds {others} with {natural} {expected.get(natural)}: void or "
                "archive the one that is not ours in Xero.",
            ))  # fmt: skip


def _look_for_unlinked(
    kind: str,
    record: Any,
    link: Link,
    by_key: dict[str, list[dict[str, Any]]],
    linked_ids: set[str],
    ctx: Context,
    result: Result,
) -> None:
    """A Xero record with our record's number or code that nothing links to: made by a send
    whose answer was lost, or entered in Xero by hand."""
    endpoint = ENDPOINTS[kind]
    try:
        ctx.snapshot = None
        expected = endpoint.build(record, link, ctx)
    except NotEligible:
        return
    key = str(expected.get(_natural(kind)) or "").strip().lower()
    found = [
        e
        for e in by_key.get(key, [])
        if str(e.get(endpoint.id_field) or "").lower() not in linked_ids
    ] if key else []  # fmt: skip
    if len(found) != 1:
        return
    element = found[0]
    fields = differences(expected, element)
    if kind in DOCUMENTS:
        fields.extend(_totals(record, element))
    exact = not fields
    _add(result, Difference(
        kind, UNLINKED, endpoint.label(record), link.local_id,
        str(element.get(endpoint.id_field) or ""), fields=fields, fix=LINK if exact else "",
        note="It matches ours exactly: linking it sends nothing twice." if exact else
        "It carries our number but differs: check it in Xero before linking by hand.",
    ))  # fmt: skip


def _compare_tombstone(
    kind: str, link: Link, by_id: dict[str, dict[str, Any]], result: Result
) -> None:
    if not link.remote_id:
        return
    element = by_id.get(link.remote_id.lower())
    if element is None or not _live(element):
        return
    if link.state in (SyncState.PENDING, SyncState.IN_FLIGHT):
        result.waiting[kind] += 1
        return
    name = element.get("Name") or element.get(_natural(kind)) or link.remote_id
    _add(result, Difference(
        kind, STILL_THERE, f"Deleted {RecordKind(kind).label.lower()} {name}", link.local_id,
        link.remote_id, fix=SEND, note=link.reason or "Deleted here; Xero still holds it live.",
    ))  # fmt: skip


def _add(result: Result, difference: Difference) -> None:
    result.differences.append(difference)


def _totals(document: Any, element: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = []
    for name, ours in (
        ("SubTotal", document.subtotal),
        ("TotalTax", document.total_tax),
        ("Total", document.total),
    ):
        theirs = _number(element.get(name))
        if theirs is None or theirs != ours:
            found.append((name, f"{ours:.2f}", "" if theirs is None else f"{theirs:.2f}"))
    return found


# --- field by field ---------------------------------------------------------------------


def differences(
    expected: dict[str, Any], element: dict[str, Any], prefix: str = ""
) -> list[tuple[str, str, str]]:
    """Every field of what we would send that Xero holds otherwise, as (path, ours, Xero's)."""
    found: list[tuple[str, str, str]] = []
    for key, ours in expected.items():
        if (key in OWN_IDS and not prefix) or key == "LineItemID":
            continue
        theirs = element.get(key)
        path = f"{prefix}{key}"
        if isinstance(ours, dict):
            found.extend(differences(ours, theirs if isinstance(theirs, dict) else {}, path + "."))
        elif isinstance(ours, list):
            found.extend(_list_differences(key, ours, theirs if isinstance(theirs, list) else [],
                                           path))  # fmt: skip
        elif not _same(ours, theirs, element, key):
            found.append((path, _shown(ours), _shown(theirs, element, key)))
    return found


def _list_differences(
    key: str, ours: list[Any], theirs: list[Any], path: str
) -> list[tuple[str, str, str]]:
    if key == "Tracking":
        mine = sorted((str(t.get("Name")), str(t.get("Option"))) for t in ours)
        held = sorted((str(t.get("Name")), str(t.get("Option"))) for t in theirs)
        if mine != held:
            return [(path, _pairs(mine), _pairs(held))]
        return []
    if key in KEYED_LISTS:
        by = KEYED_LISTS[key]
        held_by = {str(t.get(by)): t for t in theirs if isinstance(t, dict)}
        found: list[tuple[str, str, str]] = []
        for item in ours:
            label = str(item.get(by))
            found.extend(differences(item, held_by.get(label, {}), f"{path}[{label}]."))
        return found
    found = []
    if len(ours) != len(theirs):
        found.append((f"{path} count", str(len(ours)), str(len(theirs))))
    for index, (mine, held) in enumerate(zip(ours, theirs, strict=False)):
        if isinstance(mine, dict) and isinstance(held, dict):
            found.extend(differences(mine, held, f"{path}[{index + 1}]."))
    return found


def _pairs(pairs: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{name}: {option}" for name, option in pairs)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _day(element: dict[str, Any], key: str) -> str:
    raw = element.get(f"{key}String") or element.get(key)
    if isinstance(raw, str) and len(raw) >= 10 and ISO_DAY.match(raw[:10]):
        return raw[:10]
    parsed = mapping.parse_date(raw)
    return parsed.date().isoformat() if isinstance(parsed, dt.datetime) else ""


def _same(ours: Any, theirs: Any, element: dict[str, Any], key: str) -> bool:
    if isinstance(ours, str) and ISO_DAY.match(ours):
        return ours == _day(element, key)
    if isinstance(ours, int | float | Decimal) and not isinstance(ours, bool):
        number = _number(theirs)
        return number is not None and number == Decimal(str(ours))
    if isinstance(ours, bool):
        return bool(theirs) == ours
    return str(ours or "").strip() == str(theirs or "").strip()


def _shown(value: Any, element: dict[str, Any] | None = None, key: str = "") -> str:
    if element is not None and isinstance(value, str) and value.startswith("/Date("):
        return _day(element, key)
    if value is None:
        return ""
    return str(value)


# --- the fix -----------------------------------------------------------------------------


@dataclass
class Fixed:
    sent: int = 0
    linked: int = 0
    left: int = 0  # differences a person must decide


def fix(result: Result) -> Fixed:
    """Send our version of each differing, missing or still-there record again, and link
    each exact unlinked match; the sync engine (worker) does the sending."""
    done = Fixed()
    for difference in result.differences:
        if difference.fix == SEND and difference.local_id is not None:
            _send(difference, result.organisation_id)
            done.sent += 1
        elif difference.fix == LINK and difference.local_id is not None:
            record_remote(
                difference.kind,
                result.organisation_id,
                [RemoteState(difference.local_id, difference.remote_id)],
            )
            done.linked += 1
        else:
            done.left += 1
    return done


def _send(difference: Difference, organisation_id: int) -> None:
    kind, local_id = difference.kind, difference.local_id
    assert local_id is not None
    with transaction.atomic():
        link = (
            Link.objects.select_for_update()
            .filter(kind=kind, local_id=local_id, organisation_id=organisation_id)
            .first()
        )
        if link is None:
            return
        if difference.problem == MISSING:
            # Xero has no live record to update: the next send creates it afresh.
            Link.objects.filter(pk=link.pk).update(remote_id="", snapshot={})
        if difference.problem == MISSING:
            mark_changed(kind, local_id, organisation_id)
            return
    send_again(kind, local_id, deleted=link.deleted_at is not None)
