"""Invoices (ACCREC and ACCPAY): statuses and their allowed changes, numbering, totals, reads."""

from __future__ import annotations

from typing import Any

from .. import wire
from ..core import Ctx
from ..http import Response
from .common import (
    Record,
    batch_write,
    csv,
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

BAD_STATUS = "Invoice not of valid status for modification"
PAID_EDIT = "This document cannot be edited as it has a payment or credit note allocated to it."
TRANSITIONS = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"SUBMITTED", "DRAFT", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
    "PAID": {"PAID"},
    "VOIDED": set(),
    "DELETED": set(),
}
CREATE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED"}
TYPES = {"ACCREC", "ACCPAY"}


def find(ctx: Ctx, element: Record) -> Record | None:
    if element.get("InvoiceID"):
        return ctx.org.invoices.get(str(element["InvoiceID"]).lower())
    return None


def lookup(ctx: Ctx, key: str) -> Record | None:
    return ctx.org.invoices.get(key.lower()) or next(
        (i for i in ctx.org.invoices.values() if i.get("InvoiceNumber") == key), None
    )


def _number_taken(ctx: Ctx, number: str, own: str | None) -> bool:
    return any(
        i["Type"] == "ACCREC" and i.get("InvoiceNumber") == number and i["InvoiceID"] != own
        for i in ctx.org.invoices.values()
    )


def _next_number(ctx: Ctx) -> str:
    while True:
        number = f"INV-{ctx.org.next_number('invoice'):04d}"
        if not _number_taken(ctx, number, None):
            return number


def upsert(
    ctx: Ctx, element: Record, existing: Record | None, is_put: bool
) -> tuple[Record | None, list[str]]:
    errors: list[str] = []
    if element.get("InvoiceID") and existing is None:
        return None, ["Invoice could not be found"]  # [U]
    status = str(element.get("Status") or (existing or {}).get("Status") or "DRAFT")
    if existing is not None:
        current = existing["Status"]
        if current == "PAID" or existing.get("AmountPaid") or existing.get("AmountCredited"):
            only_status = set(element) <= {"InvoiceID", "Status"} and status == current
            if not only_status:
                return None, [PAID_EDIT]
        if status not in TRANSITIONS.get(current, set()):
            return None, [BAD_STATUS]
        if status == "VOIDED" and (existing.get("Payments") or existing.get("CreditNotes")):
            return None, [PAID_EDIT]
        if set(element) <= {"InvoiceID", "Status"}:
            return _apply_status(ctx, existing, status), []
    elif status not in CREATE_STATUSES:
        return None, [BAD_STATUS]
    base = existing or {}
    kind = element.get("Type", base.get("Type"))
    if kind not in TYPES:
        errors.append("Invoice Type must be ACCREC or ACCPAY.")  # [U]
    contact = base.get("Contact")
    if "Contact" in element or existing is None:
        found = resolve_contact(ctx, element.get("Contact"), errors)
        contact = contact_summary(found) if found else None
    amount_types = element.get("LineAmountTypes", base.get("LineAmountTypes", "Exclusive"))
    if amount_types not in ("Exclusive", "Inclusive", "NoTax"):
        errors.append("LineAmountTypes must be Exclusive, Inclusive or NoTax.")  # [U]
    lines = base.get("LineItems", [])
    if "LineItems" in element or existing is None:
        lines = build_lines(
            ctx,
            element.get("LineItems"),
            str(amount_types),
            kind == "ACCREC",
            kind == "ACCREC",
            errors,
            base.get("LineItems"),
        )
    if not lines:
        errors.append(NO_LINES)
    number = element.get("InvoiceNumber", base.get("InvoiceNumber"))
    if number and len(str(number)) > 255:
        errors.append("Invoice # must not be more than 255 characters long.")
    if kind == "ACCREC" and number and _number_taken(ctx, str(number), base.get("InvoiceID")):
        errors.append("Invoice # must be unique.")
    try:
        day = wire.parse_date(element.get("Date")) if "Date" in element else None
        due = wire.parse_date(element.get("DueDate")) if "DueDate" in element else None
    except ValueError:
        errors.append("The date is not valid.")
        day = due = None
    if element.get("SentToContact") and status != "AUTHORISED":
        errors.append("Only approved invoices can be marked as sent.")  # [U]
    currency, rate = document_currency(ctx, element, base, errors)
    if errors:
        return preview(ctx, element, contact, lines, "InvoiceID"), errors
    created = existing is None
    record: Record = (
        existing
        if existing is not None
        else {
            "InvoiceID": wire.new_id(),
            "Status": "DRAFT",
            "AmountPaid": 0,
            "AmountCredited": 0,
            "Payments": [],
            "CreditNotes": [],
            "CurrencyCode": ctx.org.base_currency,
            "CurrencyRate": 1,
            "Date": ctx.today().isoformat(),
            "SentToContact": False,
            "HasAttachments": False,
            "IsDiscounted": False,
            "_app": ctx.client_id,
        }
    )
    record.update(
        {"Type": kind, "Contact": contact, "LineAmountTypes": amount_types, "LineItems": lines}
    )
    if kind == "ACCREC" and not number:
        number = _next_number(ctx)
    if number:
        record["InvoiceNumber"] = str(number)
    for field in ("Reference", "Url", "BrandingThemeID", "SentToContact"):
        if field in element and not (field == "Reference" and kind != "ACCREC"):
            record[field] = element[field]
    if day:
        record["Date"] = day.isoformat()
    if due:
        record["DueDate"] = due.isoformat()
    record["CurrencyCode"], record["CurrencyRate"] = currency, rate
    totals_into(record)
    record["IsDiscounted"] = any(line.get("DiscountRate") for line in lines)
    record["AmountDue"] = record["Total"] - record["AmountPaid"] - record["AmountCredited"]
    ctx.org.invoices[record["InvoiceID"]] = record
    _mark_contact(ctx, record)
    _apply_status(ctx, record, status, "CREATE" if created else "UPDATE")
    return record, []


def _mark_contact(ctx: Ctx, record: Record) -> None:
    contact = ctx.org.contacts.get(str((record.get("Contact") or {}).get("ContactID", "")))
    if contact is not None:
        contact["IsCustomer" if record["Type"] == "ACCREC" else "IsSupplier"] = True


def _apply_status(ctx: Ctx, record: Record, status: str, event: str = "UPDATE") -> Record:
    record["Status"] = status
    record["UpdatedDateUTC"] = ctx.now_ms()
    if status in ("VOIDED", "DELETED"):
        record["AmountDue"] = 0
    ctx.emit("INVOICE", event, record["InvoiceID"])
    return record


def render(ctx: Ctx, record: Record, lines: bool = True) -> Record:
    out = {k: v for k, v in render_dates(record).items() if not k.startswith("_")}
    out["UpdatedDateUTCString"] = wire.iso_utc_z(record["UpdatedDateUTC"])
    if lines:
        out["LineItems"] = render_lines(ctx, record["LineItems"])
    else:
        out.pop("LineItems", None)
    out["Payments"] = [render_dates(p) for p in record.get("Payments", [])]
    return out


def write(ctx: Ctx, is_put: bool) -> Response:
    elements = elements_of(ctx, "Invoices")
    if isinstance(elements, Response):
        return elements
    return batch_write(
        ctx, "Invoices", "InvoiceID", elements, lambda e: find(ctx, e), upsert, render, is_put
    )


def put(ctx: Ctx) -> Response:
    return write(ctx, True)


def post(ctx: Ctx) -> Response:
    return write(ctx, False)


def post_one(ctx: Ctx, key: str) -> Response:
    existing = lookup(ctx, key)
    if existing is None:
        return not_found()
    elements = elements_of(ctx, "Invoices")
    if isinstance(elements, Response):
        return elements
    for element in elements:
        if isinstance(element, dict):
            element["InvoiceID"] = existing["InvoiceID"]
    return batch_write(
        ctx, "Invoices", "InvoiceID", elements, lambda e: existing, upsert, render, False
    )


def get_list(ctx: Ctx) -> Response:
    req = ctx.req
    rows: Any = list(ctx.org.invoices.values())
    numbers = set(csv(req.q("InvoiceNumbers")))
    if numbers:
        rows = [r for r in rows if r.get("InvoiceNumber") in numbers]
    contacts = {c.lower() for c in csv(req.q("ContactIDs"))}
    if contacts:
        rows = [r for r in rows if (r.get("Contact") or {}).get("ContactID") in contacts]
    statuses = set(csv(req.q("Statuses")))
    if statuses:
        rows = [r for r in rows if r["Status"] in statuses]
    if req.q("createdByMyApp") == "true":
        rows = [r for r in rows if r.get("_app") == ctx.client_id]
    rows = filter_list(ctx, rows, "InvoiceID")
    if isinstance(rows, Response):
        return rows
    if not req.q("order"):
        rows.sort(key=lambda r: r["UpdatedDateUTC"])
    paged = page_of(ctx, rows)
    if isinstance(paged, Response):
        return paged
    page, block = paged
    extra: dict[str, Any] = {"pagination": block} if block else {}
    return ok(ctx, "Invoices", [render(ctx, r, lines=block is not None) for r in page], extra)


def get_one(ctx: Ctx, key: str) -> Response:
    record = lookup(ctx, key)
    return not_found() if record is None else ok(ctx, "Invoices", [render(ctx, record)])
