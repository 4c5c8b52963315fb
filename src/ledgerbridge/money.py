"""Money as Decimal, and Xero's rounding rules: the one place totals are computed.

Xero works out tax PER LINE, rounds each line's amount and tax to 2 decimals, then sums
(developer.xero.com/documentation/api-guides/rounding-in-xero). Unit prices carry up to 4
decimals (unitdp=4); line amounts, tax and totals always 2. Rounding is half away from zero.

This module imports no framework, so the rules can be property-tested on their own.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


class AmountType(enum.StrEnum):
    """How a document's unit prices treat tax (Xero's LineAmountTypes)."""

    EXCLUSIVE = "Exclusive"
    INCLUSIVE = "Inclusive"
    NO_TAX = "NoTax"


def round_money(value: Decimal) -> Decimal:
    """Round to cents, half away from zero."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class LineInput:
    quantity: Decimal
    unit_price: Decimal
    tax_percentage: Decimal


@dataclass(frozen=True, slots=True)
class LineTotals:
    """A line as Xero shows it: `line_amount` is inclusive of tax for Inclusive documents."""

    line_amount: Decimal
    tax_amount: Decimal

    def amount_excluding_tax(self, amount_type: AmountType) -> Decimal:
        """The line's amount before tax: its line amount less its tax on an Inclusive
        document, its line amount otherwise."""
        if amount_type is AmountType.INCLUSIVE:
            return self.line_amount - self.tax_amount
        return self.line_amount


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    subtotal: Decimal
    total_tax: Decimal
    total: Decimal
    lines: tuple[LineTotals, ...]


def line_totals(line: LineInput, amount_type: AmountType) -> LineTotals:
    """One line's amount and tax, each rounded to cents as Xero does."""
    line_amount = round_money(line.quantity * line.unit_price)
    if amount_type is AmountType.NO_TAX or line.tax_percentage == 0:
        return LineTotals(line_amount, ZERO)
    if amount_type is AmountType.EXCLUSIVE:
        tax = round_money(line_amount * line.tax_percentage / HUNDRED)
    else:
        tax = round_money(line_amount * line.tax_percentage / (HUNDRED + line.tax_percentage))
    return LineTotals(line_amount, tax)


def document_totals(lines: Iterable[LineInput], amount_type: AmountType) -> DocumentTotals:
    """Subtotal, tax and total of a document: tax per line, rounded, then summed.

    For Inclusive documents the subtotal is the lines' amounts less their tax, and the total is
    the sum of the (tax-inclusive) line amounts, so total == subtotal + total_tax always holds.
    """
    computed = tuple(line_totals(line, amount_type) for line in lines)
    subtotal = sum((c.amount_excluding_tax(amount_type) for c in computed), ZERO)
    tax = sum((c.tax_amount for c in computed), ZERO)
    return DocumentTotals(subtotal, tax, subtotal + tax, computed)
