"""Currencies: the organisation's base currency and the others it has enabled, with their rates.

Xero's CurrencyRate on a document is foreign units per unit of base currency (spec: "the
currency rate for a multicurrency invoice"); the sandbox takes each enabled currency's rate from
the admin API (`POST /_sandbox/organisations/{tenantId}/currencies {"Code", "Rate"}`), 1 until
set, and a document may send its own.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from .. import wire
from ..core import Ctx
from ..http import Response
from ..store import Org
from .common import NOT_AN_OBJECT, Record, bad_request, elements_of, filter_list, ok

NAMES = {
    "AUD": "Australian Dollar",
    "CAD": "Canadian Dollar",
    "CHF": "Swiss Franc",
    "CNY": "Chinese Yuan",
    "EUR": "Euro",
    "FJD": "Fiji Dollar",
    "GBP": "British Pound",
    "HKD": "Hong Kong Dollar",
    "INR": "Indian Rupee",
    "JPY": "Japanese Yen",
    "NZD": "New Zealand Dollar",
    "SGD": "Singapore Dollar",
    "USD": "United States Dollar",
    "ZAR": "South African Rand",
}


def not_subscribed(code: str) -> str:
    """[S] integrators' reports quote this text verbatim."""
    return f"Organisation is not subscribed to currency {code}"


def enabled(org: Org) -> dict[str, Record]:
    """Code -> {Code, Description, _rate}; the base currency is always there (rate 1)."""
    found = {org.base_currency: _currency(org.base_currency, Decimal(1))}
    found.update(org.currencies)
    return found


def _currency(code: str, rate: Decimal) -> Record:
    return {"Code": code, "Description": NAMES.get(code, code), "_rate": rate}


def enable(org: Org, code: str, rate: Decimal | None = None) -> Record:
    """Enable a currency (idempotent); a rate given replaces the current one."""
    if code == org.base_currency:
        return enabled(org)[code]
    current = org.currencies.get(code) or _currency(code, Decimal(1))
    if rate is not None:
        current["_rate"] = rate
    org.currencies[code] = current
    return current


def document_currency(
    ctx: Ctx, element: Record, base: Record, errors: list[str]
) -> tuple[str, Decimal]:
    """The CurrencyCode and CurrencyRate of a document being written (base currency: rate 1)."""
    code = str(element.get("CurrencyCode") or base.get("CurrencyCode") or ctx.org.base_currency)
    currencies = enabled(ctx.org)
    if code not in currencies:
        errors.append(not_subscribed(code))
        return code, Decimal(1)
    if code == ctx.org.base_currency:
        return code, Decimal(1)
    rate: Decimal | None = currencies[code]["_rate"]
    if "CurrencyRate" in element:
        try:
            rate = wire.to_decimal(element["CurrencyRate"])
        except ValueError:
            rate = None
        if rate is None or rate <= 0:
            errors.append("The CurrencyRate must be a number greater than zero.")  # [U]
            return code, Decimal(1)
    elif "CurrencyRate" in base and base.get("CurrencyCode") == code:
        rate = Decimal(str(base["CurrencyRate"]))
    return code, rate or Decimal(1)


def _shown(record: Record) -> Record:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def get_list(ctx: Ctx) -> Response:
    rows = filter_list(ctx, [_shown(c) for c in enabled(ctx.org).values()], "Code", modified=False)
    if isinstance(rows, Response):
        return rows
    return ok(ctx, "Currencies", rows)


def put(ctx: Ctx) -> Response:
    """PUT /Currencies {"Code": "USD"} (or {"Currencies": [...]}) enables a currency."""
    elements = elements_of(ctx, "Currencies")
    if isinstance(elements, Response):
        return elements
    made: list[Record] = []
    for element in elements:
        if not isinstance(element, dict):
            return bad_request(NOT_AN_OBJECT)
        code = str(element.get("Code") or "")
        if not re.fullmatch(r"[A-Z]{3}", code):
            return bad_request(f"'{code}' is not a valid currency code.")  # [U] our words
        made.append(_shown(enable(ctx.org, code)))
    return ok(ctx, "Currencies", made)


def admin_set(org: Org, body: dict[str, Any]) -> Record:
    """The admin API's currency action: enable `Code` and set its `Rate` (ValueError if bad)."""
    code = str(body.get("Code") or "")
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError("Code must be three capital letters")
    rate = None
    if "Rate" in body:
        rate = wire.to_decimal(body["Rate"])
        if rate is None or rate <= 0:
            raise ValueError("Rate must be a number greater than 0")
    record = enable(org, code, rate)
    return {"Code": code, "Description": record["Description"], "Rate": record["_rate"]}
