"""Payments: pay or part-pay an authorised invoice (PAID when nothing is due), delete a payment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import wire
from ..core import Ctx
from ..http import Response
from ..money import round2
from .common import (
    Record,
    batch_write,
    elements_of,
    filter_list,
    not_found,
    ok,
    page_of,
    render_dates,
)


def apply_payment(
    ctx: Ctx, invoice: Record, amount: Decimal, day: str, account: Record, reference: str = ""
) -> Record:
    """Record a payment and move the invoice to PAID when nothing is left due."""
    payment: Record = {
        "PaymentID": wire.new_id(),
        "Date": day,
        "Amount": amount,
        "Reference": reference,
        "Status": "AUTHORISED",
        "CurrencyRate": Decimal(1),
        "IsReconciled": False,
        "PaymentType": "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT",
        "UpdatedDateUTC": ctx.now_ms(),
        "HasAccount": True,
        "HasValidationErrors": False,
        "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
        "Invoice": {
            "InvoiceID": invoice["InvoiceID"],
            "InvoiceNumber": invoice.get("InvoiceNumber", ""),
            "Type": invoice["Type"],
        },
    }
    ctx.org.payments[payment["PaymentID"]] = payment
    invoice["AmountPaid"] = round2(Decimal(str(invoice["AmountPaid"])) + amount)
    invoice["AmountDue"] = round2(invoice["Total"] - invoice["AmountPaid"])
    invoice.setdefault("Payments", []).append(
        {
            "PaymentID": payment["PaymentID"],
            "Date": day,
            "Amount": amount,
            "Reference": reference,
            "CurrencyRate": Decimal(1),
            "HasAccount": True,
            "HasValidationErrors": False,
        }
    )
    if invoice["AmountDue"] <= 0:
        invoice["Status"] = "PAID"
        invoice["FullyPaidOnDate"] = day
    invoice["UpdatedDateUTC"] = ctx.now_ms()
    ctx.emit("INVOICE", "UPDATE", invoice["InvoiceID"])
    return payment


def upsert(
    ctx: Ctx, element: Record, existing: Record | None, is_put: bool
) -> tuple[Record | None, list[str]]:
    org = ctx.org
    if existing is not None:
        if element.get("Status") != "DELETED" or existing["Status"] == "DELETED":
            return None, ["Payments can only be deleted."]  # [U]
        invoice = org.invoices.get(existing["Invoice"]["InvoiceID"])
        existing["Status"] = "DELETED"
        existing["UpdatedDateUTC"] = ctx.now_ms()
        if invoice is not None:
            invoice["AmountPaid"] = round2(Decimal(str(invoice["AmountPaid"])) - existing["Amount"])
            invoice["AmountDue"] = round2(invoice["Total"] - invoice["AmountPaid"])
            invoice["Payments"] = [
                p for p in invoice["Payments"] if p["PaymentID"] != existing["PaymentID"]
            ]
            invoice["Status"] = "AUTHORISED"
            invoice.pop("FullyPaidOnDate", None)
            invoice["UpdatedDateUTC"] = ctx.now_ms()
            ctx.emit("INVOICE", "UPDATE", invoice["InvoiceID"])
        return existing, []
    errors: list[str] = []
    ref: Any = element.get("Invoice") or {}
    invoice = org.invoices.get(str(ref.get("InvoiceID", "")).lower()) or next(
        (
            i
            for i in org.invoices.values()
            if ref.get("InvoiceNumber") and i.get("InvoiceNumber") == ref.get("InvoiceNumber")
        ),
        None,
    )
    acc: Any = element.get("Account") or {}
    account = next(
        (
            a
            for a in org.accounts.values()
            if a["AccountID"] == str(acc.get("AccountID", "")).lower()
            or a["Code"] == acc.get("Code")
        ),
        None,
    )
    try:
        amount = wire.to_decimal(element.get("Amount"))
        day = wire.parse_date(element.get("Date")) or ctx.today()
    except ValueError:
        return None, ["Payment amount or date is not valid."]
    if invoice is None:
        errors.append("Invoice could not be found")  # [U]
    elif invoice["Status"] != "AUTHORISED":
        errors.append("Payment can only be made against Authorised documents.")  # [U]
    if account is None:
        errors.append("Account must be valid.")
    if amount is None or amount <= 0:
        errors.append("Payment amount must be greater than zero.")  # [U]
    elif invoice is not None and amount > invoice["AmountDue"]:
        errors.append("Payment amount exceeds the amount outstanding on this document.")  # [U]
    if errors or invoice is None or account is None or amount is None:
        return None, errors
    return apply_payment(
        ctx, invoice, round2(amount), day.isoformat(), account, str(element.get("Reference", ""))
    ), []


def render(ctx: Ctx, record: Record) -> Record:
    out = render_dates(record)
    out["UpdatedDateUTCString"] = wire.iso_utc_z(record["UpdatedDateUTC"])
    return out


def write(ctx: Ctx) -> Response:
    elements = elements_of(ctx, "Payments")
    if isinstance(elements, Response):
        return elements
    return batch_write(ctx, "Payments", "PaymentID", elements, lambda e: None, upsert, render, True)


def post_one(ctx: Ctx, key: str) -> Response:
    existing = ctx.org.payments.get(key.lower())
    if existing is None:
        return not_found()
    elements = elements_of(ctx, "Payments")
    if isinstance(elements, Response):
        return elements
    return batch_write(
        ctx, "Payments", "PaymentID", elements[:1], lambda e: existing, upsert, render, False
    )


def get_list(ctx: Ctx) -> Response:
    rows = filter_list(ctx, ctx.org.payments.values(), "PaymentID")
    if isinstance(rows, Response):
        return rows
    paged = page_of(ctx, rows)
    if isinstance(paged, Response):
        return paged
    page, block = paged
    extra: dict[str, Any] = {"pagination": block} if block else {}
    return ok(ctx, "Payments", [render(ctx, r) for r in page], extra)


def get_one(ctx: Ctx, key: str) -> Response:
    record = ctx.org.payments.get(key.lower())
    return not_found() if record is None else ok(ctx, "Payments", [render(ctx, record)])
