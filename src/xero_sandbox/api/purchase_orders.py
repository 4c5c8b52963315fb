"""Purchase orders: numbering, statuses, the [U] duplicate-number rule, reads by ID or number."""

from __future__ import annotations

from typing import Any

from .. import wire
from ..core import Ctx
from ..http import Response
from .common import (
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

STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED", "BILLED", "DELETED"}
CREATE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED"}
# Status changes [U] (Xero's PO statuses per the SPEC; BILLED and DELETED are final, as in Xero's
# UI): drafts and submitted orders move freely, approved ones only to BILLED or DELETED.
TRANSITIONS = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"SUBMITTED", "DRAFT", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "BILLED", "DELETED"},
    "BILLED": {"BILLED"},
    "DELETED": set(),
}
BAD_STATUS = "Purchase order not of valid status for modification"  # [U] as invoices' text
BILLED_EDIT = "Billed PurchaseOrders cannot be updated"  # [U] as the DELETED text
SENT_WARNING = "Only AUTHORISED and BILLED purchase orders may have SentToContact updated."


def find(ctx: Ctx, element: Record) -> Record | None:
    if element.get("PurchaseOrderID"):
        return ctx.org.purchase_orders.get(str(element["PurchaseOrderID"]).lower())
    number = element.get("PurchaseOrderNumber")
    if number:
        return next(
            (
                p
                for p in ctx.org.purchase_orders.values()
                if p["PurchaseOrderNumber"] == number and p["Status"] != "DELETED"
            ),
            None,
        )
    return None


def lookup(ctx: Ctx, key: str) -> Record | None:
    return ctx.org.purchase_orders.get(key.lower()) or next(
        (p for p in ctx.org.purchase_orders.values() if p["PurchaseOrderNumber"] == key), None
    )


def upsert(
    ctx: Ctx, element: Record, existing: Record | None, is_put: bool
) -> tuple[Record | None, list[str]]:
    errors: list[str] = []
    if element.get("PurchaseOrderID") and existing is None:
        return None, ["Purchase order could not be found"]  # [U]
    if existing is not None and existing["Status"] == "DELETED":
        return None, ["Deleted PurchaseOrders cannot be updated"]
    if (
        existing is not None
        and is_put
        and not element.get("PurchaseOrderID")
        and not ctx.sb.settings.po_put_duplicate_number_updates
    ):
        return None, ["Order number must be unique"]
    base = existing or {}
    status = str(element.get("Status") or base.get("Status") or "DRAFT")
    if status not in STATUSES:
        return None, [f"'{status}' is not a valid purchase order status."]  # [U]
    if existing is not None:
        if existing["Status"] == "BILLED" and set(element) - {
            "PurchaseOrderID",
            "PurchaseOrderNumber",
            "Status",
            "SentToContact",
        }:
            return None, [BILLED_EDIT]
        if status not in TRANSITIONS[existing["Status"]]:
            return None, [BAD_STATUS]
    elif status not in CREATE_STATUSES:
        return None, [BAD_STATUS]
    contact = base.get("Contact")
    if "Contact" in element or existing is None:
        found = resolve_contact(ctx, element.get("Contact"), errors)
        contact = contact_summary(found) if found else None
    amount_types = element.get("LineAmountTypes", base.get("LineAmountTypes", "Exclusive"))
    lines = base.get("LineItems", [])
    if "LineItems" in element or existing is None:
        lines = build_lines(
            ctx,
            element.get("LineItems"),
            str(amount_types),
            False,
            False,
            errors,
            base.get("LineItems"),
        )
    if not lines:
        errors.append(NO_LINES)
    sent = element.get("SentToContact")
    if sent and status not in ("AUTHORISED", "BILLED"):
        # [P] SPEC example (PUT/POST PurchaseOrders): a warning, not an error; the flag stays off.
        ctx.warnings.append(SENT_WARNING)
        sent = None
    if len(str(element.get("DeliveryInstructions") or "")) > 500:
        errors.append("Delivery Instructions must not be more than 500 characters long.")
    try:
        dates = {
            k: wire.parse_date(element[k])
            for k in ("Date", "DeliveryDate", "ExpectedArrivalDate")
            if k in element
        }
    except ValueError:
        errors.append("The date is not valid.")
        dates = {}
    currency, rate = document_currency(ctx, element, base, errors)
    if errors:
        return preview(ctx, element, contact, lines, "PurchaseOrderID"), errors
    created = existing is None
    record: Record = (
        existing
        if existing is not None
        else {
            "PurchaseOrderID": wire.new_id(),
            "CurrencyCode": ctx.org.base_currency,
            "CurrencyRate": 1,
            "Date": ctx.today().isoformat(),
            "SentToContact": False,
            "HasAttachments": False,
            "PurchaseOrderNumber": element.get("PurchaseOrderNumber")
            or f"PO-{ctx.org.next_number('po'):04d}",
        }
    )
    record.update(
        {
            "Contact": contact,
            "LineAmountTypes": amount_types,
            "LineItems": lines,
            "Status": status,
            "UpdatedDateUTC": ctx.now_ms(),
        }
    )
    for field in (
        "Reference",
        "BrandingThemeID",
        "DeliveryAddress",
        "AttentionTo",
        "Telephone",
        "DeliveryInstructions",
    ):
        if field in element:
            record[field] = element[field]
    if sent is not None:
        record["SentToContact"] = bool(sent)
    for key, day in dates.items():
        if day:
            record[key] = day.isoformat()
    record["CurrencyCode"], record["CurrencyRate"] = currency, rate
    totals_into(record)
    ctx.org.purchase_orders[record["PurchaseOrderID"]] = record
    del created
    return record, []


def render(ctx: Ctx, record: Record) -> Record:
    out = {k: v for k, v in render_dates(record).items() if not k.startswith("_")}
    out["LineItems"] = render_lines(ctx, record["LineItems"])
    return out


def write(ctx: Ctx, is_put: bool) -> Response:
    elements = elements_of(ctx, "PurchaseOrders")
    if isinstance(elements, Response):
        return elements
    return batch_write(
        ctx,
        "PurchaseOrders",
        "PurchaseOrderID",
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
    elements = elements_of(ctx, "PurchaseOrders")
    if isinstance(elements, Response):
        return elements
    return batch_write(
        ctx,
        "PurchaseOrders",
        "PurchaseOrderID",
        elements,
        lambda e: existing,
        upsert,
        render,
        False,
    )


def get_list(ctx: Ctx) -> Response:
    req = ctx.req
    rows: Any = list(ctx.org.purchase_orders.values())
    if req.q("Status"):
        rows = [r for r in rows if r["Status"] == req.q("Status")]
    elif ctx.sb.settings.po_list_hides_deleted:
        rows = [r for r in rows if r["Status"] != "DELETED"]
    try:
        start = wire.parse_query_date(req.q("DateFrom") or "0001-01-01").isoformat()
        end = wire.parse_query_date(req.q("DateTo") or "9999-12-31").isoformat()
    except ValueError:
        return bad_request("DateFrom and DateTo must be dates (yyyy-mm-dd).")  # [U] our words
    rows = [r for r in rows if start <= r["Date"] <= end]
    rows = filter_list(ctx, rows, "PurchaseOrderID")
    if isinstance(rows, Response):
        return rows
    paged = page_of(ctx, rows)
    if isinstance(paged, Response):
        return paged
    page, block = paged
    extra: dict[str, Any] = {"pagination": block} if block else {}
    return ok(ctx, "PurchaseOrders", [render(ctx, r) for r in page], extra)


def get_one(ctx: Ctx, key: str) -> Response:
    record = lookup(ctx, key)
    return not_found() if record is None else ok(ctx, "PurchaseOrders", [render(ctx, record)])
