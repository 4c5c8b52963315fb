"""Credit notes (ACCRECCREDIT, ACCPAYCREDIT): statuses, totals, allocation to invoices, reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import wire
from ..core import Ctx
from ..http import Response
from ..money import round2
from .common import (
    NOT_AN_OBJECT,
    Record,
    bad_request,
    batch_write,
    elements_of,
    filter_list,
    not_found,
    ok,
    page_of,
    render_dates,
)
from .currencies import document_currency
from .documents import (
    NO_LINES,
    build_lines,
    contact_summary,
    preview,
    render_lines,
    resolve_contact,
    totals_into,
)
from .invoices import BAD_STATUS, TRANSITIONS

CREDITED = "This document cannot be edited as it has a payment or credit note allocated to it."
TYPES = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}


def find(ctx: Ctx, element: Record) -> Record | None:
    if element.get("CreditNoteID"):
        return ctx.org.credit_notes.get(str(element["CreditNoteID"]).lower())
    return None


def lookup(ctx: Ctx, key: str) -> Record | None:
    return ctx.org.credit_notes.get(key.lower()) or next(
        (c for c in ctx.org.credit_notes.values() if c.get("CreditNoteNumber") == key), None
    )


def upsert(
    ctx: Ctx, element: Record, existing: Record | None, is_put: bool
) -> tuple[Record | None, list[str]]:
    errors: list[str] = []
    if element.get("CreditNoteID") and existing is None:
        return None, ["Credit note could not be found"]  # [U]
    base = existing or {}
    status = str(element.get("Status") or base.get("Status") or "DRAFT")
    if existing is not None:
        if existing.get("Allocations") and set(element) - {"CreditNoteID", "Status"}:
            return None, [CREDITED]
        if status not in TRANSITIONS.get(existing["Status"], set()):
            return None, [BAD_STATUS]
        if status in ("VOIDED", "DELETED") and existing.get("Allocations"):
            return None, [CREDITED]  # [S] allocations must be removed before a void
    elif status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
        return None, [BAD_STATUS]
    kind = element.get("Type", base.get("Type"))
    if kind not in TYPES:
        errors.append("Credit note Type must be ACCRECCREDIT or ACCPAYCREDIT.")  # [U]
    contact = base.get("Contact")
    if "Contact" in element or existing is None:
        found = resolve_contact(ctx, element.get("Contact"), errors)
        contact = contact_summary(found) if found else None
    amount_types = str(element.get("LineAmountTypes", base.get("LineAmountTypes", "Exclusive")))
    lines = base.get("LineItems", [])
    if "LineItems" in element or existing is None:
        sales = kind == "ACCRECCREDIT"
        lines = build_lines(
            ctx, element.get("LineItems"), amount_types, sales, sales, errors, base.get("LineItems")
        )
    if not lines:
        errors.append(NO_LINES)
    number = element.get("CreditNoteNumber", base.get("CreditNoteNumber"))
    if (
        kind == "ACCRECCREDIT"
        and number
        and any(
            c.get("CreditNoteNumber") == number and c["CreditNoteID"] != base.get("CreditNoteID")
            for c in ctx.org.credit_notes.values()
        )
    ):
        errors.append("Credit Note number must be unique.")  # [U]
    try:
        day = wire.parse_date(element.get("Date")) if "Date" in element else None
    except ValueError:
        errors.append("The date is not valid.")
        day = None
    currency, rate = document_currency(ctx, element, base, errors)
    if errors:
        return preview(ctx, element, contact, lines, "CreditNoteID"), errors
    created = existing is None
    record: Record = (
        existing
        if existing is not None
        else {
            "CreditNoteID": wire.new_id(),
            "CurrencyCode": ctx.org.base_currency,
            "CurrencyRate": 1,
            "Date": ctx.today().isoformat(),
            "Allocations": [],
            "Payments": [],
            "HasAttachments": False,
            "SentToContact": False,
            "AppliedAmount": Decimal(0),
        }
    )
    record.update(
        {"Type": kind, "Contact": contact, "LineAmountTypes": amount_types, "LineItems": lines}
    )
    if kind == "ACCRECCREDIT" and not number:
        number = f"CN-{ctx.org.next_number('creditnote'):04d}"
    if number:
        record["CreditNoteNumber"] = str(number)
    for field in ("Reference", "BrandingThemeID", "SentToContact"):
        if field in element:
            record[field] = element[field]
    if day:
        record["Date"] = day.isoformat()
    record["CurrencyCode"], record["CurrencyRate"] = currency, rate
    totals_into(record)
    record["RemainingCredit"] = round2(record["Total"] - Decimal(str(record["AppliedAmount"])))
    record["Status"] = status
    record["UpdatedDateUTC"] = ctx.now_ms()
    ctx.org.credit_notes[record["CreditNoteID"]] = record
    _emit(ctx, record, "CREATE" if created else "UPDATE")
    return record, []


def _emit(ctx: Ctx, record: Record, event_type: str) -> None:
    ctx.emit(
        "CREDITNOTE",
        event_type,
        record["CreditNoteID"],
        {"Type": record["Type"], "Status": record["Status"]},
    )


def render(ctx: Ctx, record: Record) -> Record:
    out = {k: v for k, v in render_dates(record).items() if not k.startswith("_")}
    out["UpdatedDateUTCString"] = wire.iso_utc_z(record["UpdatedDateUTC"])
    out["LineItems"] = render_lines(ctx, record["LineItems"])
    out["Allocations"] = [render_dates(a) for a in record.get("Allocations", [])]
    return out


def write(ctx: Ctx, is_put: bool) -> Response:
    elements = elements_of(ctx, "CreditNotes")
    if isinstance(elements, Response):
        return elements
    return batch_write(
        ctx,
        "CreditNotes",
        "CreditNoteID",
        elements,
        lambda e: find(ctx, e),
        upsert,
        render,
        is_put,
    )


def put(ctx: Ctx) -> Response:
    return write(ctx, True)


def post(ctx: Ctx) -> Response:
    return write(ctx, False)


def post_one(ctx: Ctx, key: str) -> Response:
    existing = lookup(ctx, key)
    if existing is None:
        return not_found()
    elements = elements_of(ctx, "CreditNotes")
    if isinstance(elements, Response):
        return elements
    return batch_write(
        ctx, "CreditNotes", "CreditNoteID", elements, lambda e: existing, upsert, render, False
    )


def allocate(ctx: Ctx, key: str) -> Response:
    """PUT /CreditNotes/{id}/Allocations: apply credit to an AUTHORISED invoice of the contact."""
    note = lookup(ctx, key)
    if note is None:
        return not_found()
    elements = elements_of(ctx, "Allocations")
    if isinstance(elements, Response):
        return elements
    made = []
    for element in elements:
        if not isinstance(element, dict):
            return bad_request(NOT_AN_OBJECT)
        ref: Any = element.get("Invoice") or {}
        invoice = ctx.org.invoices.get(str(ref.get("InvoiceID", "")).lower())
        try:
            amount = round2(wire.to_decimal(element.get("Amount"), Decimal(0)) or Decimal(0))
            day = wire.parse_date(element.get("Date")) or ctx.today()
        except ValueError:
            return bad_request("Allocation amount or date is not valid.")
        if note["Status"] != "AUTHORISED" or invoice is None or invoice["Status"] != "AUTHORISED":
            return bad_request("Credit can only be allocated between authorised documents.")
        if TYPES.get(note["Type"]) != invoice["Type"]:
            return bad_request("The credit note and the invoice must be of the same kind.")
        if amount <= 0 or amount > note["RemainingCredit"] or amount > invoice["AmountDue"]:
            return bad_request("The allocation amount is more than the amount outstanding.")
        allocation = {
            "AllocationID": wire.new_id(),
            "Amount": amount,
            "Date": day.isoformat(),
            "Invoice": {
                "InvoiceID": invoice["InvoiceID"],
                "InvoiceNumber": invoice.get("InvoiceNumber", ""),
            },
        }
        note["Allocations"].append(allocation)
        note["AppliedAmount"] = round2(Decimal(str(note["AppliedAmount"])) + amount)
        note["RemainingCredit"] = round2(note["Total"] - note["AppliedAmount"])
        if note["RemainingCredit"] == 0:
            note["Status"] = "PAID"
        note["UpdatedDateUTC"] = ctx.now_ms()
        _emit(ctx, note, "UPDATE")
        invoice["AmountCredited"] = round2(Decimal(str(invoice["AmountCredited"])) + amount)
        invoice["AmountDue"] = round2(invoice["AmountDue"] - amount)
        invoice.setdefault("CreditNotes", []).append(
            {
                "CreditNoteID": note["CreditNoteID"],
                "CreditNoteNumber": note.get("CreditNoteNumber", ""),
                "AppliedAmount": amount,
                "Total": note["Total"],
            }
        )
        if invoice["AmountDue"] <= 0:
            invoice["Status"] = "PAID"
            invoice["FullyPaidOnDate"] = day.isoformat()
        invoice["UpdatedDateUTC"] = ctx.now_ms()
        ctx.emit("INVOICE", "UPDATE", invoice["InvoiceID"])
        made.append(render_dates(allocation))
    return ok(ctx, "Allocations", made)


def get_list(ctx: Ctx) -> Response:
    rows = filter_list(ctx, ctx.org.credit_notes.values(), "CreditNoteID")
    if isinstance(rows, Response):
        return rows
    paged = page_of(ctx, rows)
    if isinstance(paged, Response):
        return paged
    page, block = paged
    extra: dict[str, Any] = {"pagination": block} if block else {}
    return ok(ctx, "CreditNotes", [render(ctx, r) for r in page], extra)


def get_one(ctx: Ctx, key: str) -> Response:
    record = lookup(ctx, key)
    return not_found() if record is None else ok(ctx, "CreditNotes", [render(ctx, record)])
