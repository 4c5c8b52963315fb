"""Totals are computed exactly as Xero computes them: tax per line, rounded to cents, summed."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.money import AmountType, LineInput, document_totals, line_totals, round_money

quantities = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10000), places=4)
prices = st.decimals(min_value=Decimal(0), max_value=Decimal(100000), places=4)
rates = st.sampled_from(
    [Decimal(0), Decimal(5), Decimal(10), Decimal("12.5"), Decimal(15), Decimal(20)]
)
lines = st.lists(st.builds(LineInput, quantities, prices, rates), min_size=1, max_size=25)
amount_types = st.sampled_from(list(AmountType))


def cents_half_up(value: Fraction) -> Fraction:
    """Round an exact fraction to cents, half away from zero (independent of Decimal)."""
    scaled = value * 100
    sign = -1 if scaled < 0 else 1
    whole, remainder = divmod(abs(scaled), 1)
    if remainder >= Fraction(1, 2):
        whole += 1
    return Fraction(sign * int(whole), 100)


def expected(doc: list[LineInput], kind: AmountType) -> tuple[Fraction, Fraction, Fraction]:
    amounts, taxes = [], []
    for ln in doc:
        amount = cents_half_up(Fraction(ln.quantity) * Fraction(ln.unit_price))
        rate = Fraction(ln.tax_percentage)
        if kind is AmountType.NO_TAX:
            tax = Fraction(0)
        elif kind is AmountType.EXCLUSIVE:
            tax = cents_half_up(amount * rate / 100)
        else:
            tax = cents_half_up(amount * rate / (100 + rate))
        amounts.append(amount)
        taxes.append(tax)
    if kind is AmountType.INCLUSIVE:
        return sum(amounts) - sum(taxes), sum(taxes), sum(amounts)
    return sum(amounts), sum(taxes), sum(amounts) + sum(taxes)


@given(lines, amount_types)
def test_totals_are_tax_per_line_rounded_then_summed(
    doc: list[LineInput], kind: AmountType
) -> None:
    totals = document_totals(doc, kind)
    subtotal, tax, total = expected(doc, kind)
    assert (Fraction(totals.subtotal), Fraction(totals.total_tax), Fraction(totals.total)) == (
        subtotal,
        tax,
        total,
    )
    assert totals.total == totals.subtotal + totals.total_tax
    for value in (totals.subtotal, totals.total_tax, totals.total):
        assert value == round_money(value)


def test_tax_rounded_per_line_not_on_the_total() -> None:
    # Three lines of 0.03 at 15%: each line's tax 0.0045 rounds to 0.00, so the total tax is
    # 0.00, where rounding the summed tax (0.0135) would give 0.01.
    doc = [LineInput(Decimal(1), Decimal("0.03"), Decimal(15))] * 3
    totals = document_totals(doc, AmountType.EXCLUSIVE)
    assert totals.total_tax == Decimal("0.00")
    assert totals.total == Decimal("0.09")


def test_unit_price_keeps_four_decimals_line_amount_two() -> None:
    line = line_totals(LineInput(Decimal(3), Decimal("49.9950"), Decimal(15)), AmountType.EXCLUSIVE)
    assert line.line_amount == Decimal("149.99")  # 149.985 rounds half up
    assert line.tax_amount == Decimal("22.50")  # 22.4985


def test_inclusive_tax_is_backed_out_of_the_line() -> None:
    line = line_totals(LineInput(Decimal(1), Decimal("115.00"), Decimal(15)), AmountType.INCLUSIVE)
    assert (line.line_amount, line.tax_amount) == (Decimal("115.00"), Decimal("15.00"))
