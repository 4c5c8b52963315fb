"""Totals are computed exactly as Xero computes them: tax per line, rounded to cents, summed."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.money import (
    AmountType,
    LineInput,
    LineTotals,
    document_totals,
    line_totals,
    round_money,
)

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


# Cases worked by hand from Xero's rounding rules (developer.xero.com/documentation/api-guides/
# rounding-in-xero, as XERO-FACTS.md quotes them): a line amount is quantity x unit price
# rounded to 2 decimals; tax is worked out per line on that amount and rounded to 2 decimals;
# the totals are sums of the rounded figures. Rounding is half away from zero (0.125 -> 0.13,
# where banker's rounding would give 0.12). On an Inclusive document the line amount includes
# its tax: tax = amount x rate / (100 + rate). Each row below was worked with pencil and paper,
# not by running any code: (quantity, unit price, rate %) per line, the amount type, then the
# expected line amounts, line taxes, subtotal, total tax and total.
D = Decimal
HAND_WORKED = [
    pytest.param(
        [("3", "33.335", "15")],
        AmountType.EXCLUSIVE,
        # 3 x 33.335 = 100.005 -> 100.01; 15% of 100.01 = 15.0015 -> 15.00
        ["100.01"],
        ["15.00"],
        ("100.01", "15.00", "115.01"),
        id="four-decimal unit price, line rounded half up, then tax on the rounded line",
    ),
    pytest.param(
        [("1", "0.03", "15")] * 3,
        AmountType.EXCLUSIVE,
        # each line's tax 0.0045 -> 0.00; rounding the summed 0.0135 would give 0.01
        ["0.03"] * 3,
        ["0.00"] * 3,
        ("0.09", "0.00", "0.09"),
        id="tax per line, not on the total",
    ),
    pytest.param(
        [("1", "0.04", "12.5")],
        AmountType.EXCLUSIVE,
        # 12.5% of 0.04 = 0.005 -> 0.01 (half away from zero)
        ["0.04"],
        ["0.01"],
        ("0.04", "0.01", "0.05"),
        id="a half cent of tax rounds up",
    ),
    pytest.param(
        [("1", "0.125", "0")],
        AmountType.EXCLUSIVE,
        ["0.13"],
        ["0.00"],
        ("0.13", "0.00", "0.13"),
        id="a half cent of line amount rounds up, not to even",
    ),
    pytest.param(
        [("0.3333", "150.00", "15")],
        AmountType.EXCLUSIVE,
        # 0.3333 x 150 = 49.995 -> 50.00; 15% of 50.00 = 7.50
        ["50.00"],
        ["7.50"],
        ("50.00", "7.50", "57.50"),
        id="four-decimal quantity",
    ),
    pytest.param(
        [("1", "100.00", "15"), ("1", "100.00", "0")],
        AmountType.EXCLUSIVE,
        ["100.00", "100.00"],
        ["15.00", "0.00"],
        ("200.00", "15.00", "215.00"),
        id="lines at different rates",
    ),
    pytest.param(
        [("1", "100.00", "15")],
        AmountType.INCLUSIVE,
        # tax = 100 x 15 / 115 = 13.0434... -> 13.04; subtotal = 100.00 - 13.04
        ["100.00"],
        ["13.04"],
        ("86.96", "13.04", "100.00"),
        id="tax-inclusive line: tax backed out of the line",
    ),
    pytest.param(
        [("1", "10.00", "15"), ("1", "10.00", "15")],
        AmountType.INCLUSIVE,
        # each: 10 x 15 / 115 = 1.3043... -> 1.30; the summed 2.6087 would round to 2.61
        ["10.00", "10.00"],
        ["1.30", "1.30"],
        ("17.40", "2.60", "20.00"),
        id="tax-inclusive lines: tax per line, the total is what was entered",
    ),
    pytest.param(
        [("2", "57.5025", "15")],
        AmountType.INCLUSIVE,
        # 2 x 57.5025 = 115.005 -> 115.01; tax = 115.01 x 15 / 115 = 15.0013... -> 15.00
        ["115.01"],
        ["15.00"],
        ("100.01", "15.00", "115.01"),
        id="tax-inclusive line rounded before its tax is backed out",
    ),
    pytest.param(
        [("2", "9.995", "15")],
        AmountType.NO_TAX,
        # 19.99 and no tax, whatever the rate
        ["19.99"],
        ["0.00"],
        ("19.99", "0.00", "19.99"),
        id="no tax",
    ),
]


@pytest.mark.parametrize(("doc", "kind", "amounts", "taxes", "totals"), HAND_WORKED)
def test_totals_match_cases_worked_by_hand_from_xeros_rules(
    doc: list[tuple[str, str, str]],
    kind: AmountType,
    amounts: list[str],
    taxes: list[str],
    totals: tuple[str, str, str],
) -> None:
    result = document_totals([LineInput(D(q), D(p), D(r)) for q, p, r in doc], kind)
    assert [line.line_amount for line in result.lines] == [D(a) for a in amounts]
    assert [line.tax_amount for line in result.lines] == [D(t) for t in taxes]
    assert (result.subtotal, result.total_tax, result.total) == tuple(D(v) for v in totals)


def test_a_line_amount_excluding_tax_is_less_its_tax_only_when_tax_inclusive() -> None:
    line = LineTotals(D("115.00"), D("15.00"))
    assert line.amount_excluding_tax(AmountType.INCLUSIVE) == D("100.00")
    assert line.amount_excluding_tax(AmountType.EXCLUSIVE) == D("115.00")
    assert line.amount_excluding_tax(AmountType.NO_TAX) == D("115.00")
