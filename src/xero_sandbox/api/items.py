"""Items: create or update by Code, read, delete; sales and purchase details in Decimal."""

from __future__ import annotations

from typing import Any

from .. import wire
from ..core import Ctx
from ..http import Response
from ..money import round_unit
from .common import Record, batch_write, elements_of, filter_list, not_found, ok
from .common import render_dates as _dates


def find(ctx: Ctx, element: Record) -> Record | None:
    if element.get("ItemID"):
        return ctx.org.items.get(str(element["ItemID"]).lower())
    code = element.get("Code")
    return next((i for i in ctx.org.items.values() if i["Code"] == code), None) if code else None


def lookup(ctx: Ctx, key: str) -> Record | None:
    return ctx.org.items.get(key.lower()) or next(
        (i for i in ctx.org.items.values() if i["Code"] == key), None
    )


def _details(ctx: Ctx, raw: Any, errors: list[str]) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    out: dict[str, Any] = {}
    if raw.get("UnitPrice") is not None:
        try:
            price = wire.to_decimal(raw["UnitPrice"])
        except ValueError:
            errors.append("UnitPrice must be a number")
            price = None
        if price is not None:
            out["UnitPrice"] = round_unit(price, 4 if ctx.unitdp == 4 else 2)
    for code_field in ("AccountCode", "COGSAccountCode"):
        code = raw.get(code_field)
        if code:
            if code not in {a["Code"] for a in ctx.org.accounts.values()}:
                errors.append(
                    f"Account code '{code}' has been removed as it does not match a recognised "
                    "account."
                )
            out[code_field] = code
    tax = raw.get("TaxType")
    if tax:
        if tax not in ctx.org.tax_rates:
            errors.append(
                f"The TaxType code {tax} does not exist or cannot be used for this type of "
                "transaction."
            )
        out["TaxType"] = tax
    return out


def upsert(
    ctx: Ctx, element: Record, existing: Record | None, is_put: bool
) -> tuple[Record | None, list[str]]:
    errors: list[str] = []
    code = element.get("Code", existing["Code"] if existing else None)
    if not code:
        errors.append("Item code must be specified")  # [U] no verbatim text known
    elif len(str(code)) > 30:
        errors.append("The Code must not be more than 30 characters long.")
    elif is_put and existing is not None and not element.get("ItemID"):
        errors.append(f"Price List Item with Code ''{code}'' already exists")
    if len(str(element.get("Name") or "")) > 50:
        errors.append("The Name must not be more than 50 characters long.")
    sales = _details(ctx, element.get("SalesDetails"), errors)
    purchase = _details(ctx, element.get("PurchaseDetails"), errors)
    if errors:
        return None, errors
    record: Record = (
        existing
        if existing is not None
        else {
            "ItemID": wire.new_id(),
            "IsSold": True,
            "IsPurchased": True,
            "IsTrackedAsInventory": False,
            "SalesDetails": {},
            "PurchaseDetails": {},
        }
    )
    for field in ("Code", "Name", "Description", "PurchaseDescription", "IsSold", "IsPurchased"):
        if field in element:
            record[field] = element[field]
    if sales is not None:
        record["SalesDetails"] = {**record.get("SalesDetails", {}), **sales}
    if purchase is not None:
        record["PurchaseDetails"] = {**record.get("PurchaseDetails", {}), **purchase}
    if record.get("IsSold") is False:
        record["SalesDetails"] = {}
    if record.get("IsPurchased") is False:
        record["PurchaseDetails"] = {}
    record["UpdatedDateUTC"] = ctx.now_ms()
    ctx.org.items[record["ItemID"]] = record
    return record, []


def render(ctx: Ctx, record: Record) -> Record:
    out = _dates(record)
    for key in ("SalesDetails", "PurchaseDetails"):
        details = dict(record.get(key) or {})
        if "UnitPrice" in details:
            details["UnitPrice"] = round_unit(details["UnitPrice"], ctx.unitdp)
        out[key] = details
    return out


def write(ctx: Ctx, is_put: bool) -> Response:
    elements = elements_of(ctx, "Items")
    if isinstance(elements, Response):
        return elements
    return batch_write(
        ctx, "Items", "ItemID", elements, lambda e: find(ctx, e), upsert, render, is_put
    )


def put(ctx: Ctx) -> Response:
    return write(ctx, True)


def post(ctx: Ctx) -> Response:
    return write(ctx, False)


def post_one(ctx: Ctx, key: str) -> Response:
    existing = lookup(ctx, key)
    if existing is None:
        return not_found()
    elements = elements_of(ctx, "Items")
    if isinstance(elements, Response):
        return elements
    return batch_write(ctx, "Items", "ItemID", elements, lambda e: existing, upsert, render, False)


def get_list(ctx: Ctx) -> Response:
    rows = filter_list(ctx, ctx.org.items.values(), "ItemID")
    if isinstance(rows, Response):
        return rows
    return ok(ctx, "Items", [render(ctx, r) for r in rows])


def get_one(ctx: Ctx, key: str) -> Response:
    record = lookup(ctx, key)
    return not_found() if record is None else ok(ctx, "Items", [render(ctx, record)])


def delete(ctx: Ctx, key: str) -> Response:
    record = lookup(ctx, key)
    if record is None:
        return not_found()
    del ctx.org.items[record["ItemID"]]
    return Response(204, b"", None)
