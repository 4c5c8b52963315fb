"""Xero's arithmetic: line amounts, tax per line rounded to 2dp, totals summed, Decimal only."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
UNIT4 = Decimal("0.0001")
ZERO = Decimal("0.00")


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_unit(value: Decimal, unitdp: int) -> Decimal:
    """UnitAmount keeps 2 decimals, or 4 when the call passed unitdp=4."""
    return value.quantize(UNIT4 if unitdp == 4 else CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineFigures:
    line_amount: Decimal
    tax_amount: Decimal
    net: Decimal


def line_figures(
    quantity: Decimal,
    unit_amount: Decimal,
    rate_percent: Decimal,
    amount_types: str,
    discount_rate: Decimal | None = None,
    tax_override: Decimal | None = None,
) -> LineFigures:
    """One line: LineAmount (2dp) and its tax (2dp), computed per line as Xero does.

    Exclusive: tax = LineAmount x rate. Inclusive: LineAmount includes the tax, tax =
    LineAmount x rate / (1 + rate). NoTax: no tax. A TaxAmount sent by the client overrides.
    """
    gross = quantity * unit_amount
    if discount_rate:
        gross = gross * (Decimal(100) - discount_rate) / Decimal(100)
    line_amount = round2(gross)
    rate = rate_percent / Decimal(100)
    if amount_types == "NoTax":
        tax = ZERO
    elif amount_types == "Inclusive":
        tax = round2(line_amount * rate / (Decimal(1) + rate))
    else:
        tax = round2(line_amount * rate)
    if tax_override is not None and amount_types != "NoTax":
        tax = round2(tax_override)
    net = line_amount - tax if amount_types == "Inclusive" else line_amount
    return LineFigures(line_amount=line_amount, tax_amount=tax, net=net)


@dataclass(frozen=True)
class Totals:
    sub_total: Decimal
    total_tax: Decimal
    total: Decimal


def document_totals(lines: list[LineFigures]) -> Totals:
    """SubTotal, TotalTax and Total of a document: sums of the per-line figures."""
    sub_total = sum((line.net for line in lines), ZERO)
    total_tax = sum((line.tax_amount for line in lines), ZERO)
    return Totals(
        sub_total=round2(sub_total),
        total_tax=round2(total_tax),
        total=round2(sub_total + total_tax),
    )
