"""Lines and totals of billing documents (invoices, recurring invoices, purchase orders).

One code path writes a document's lines: it fills what a line leaves blank from its product
(`apply_product_defaults`), checks every line (`validate_lines`), writes the rows and their
tracking options, and recomputes the totals through `money`, so the stored amounts are always
what Xero would compute for the same lines, and a screen and the API given the same input
store the same record.

Every refusal is one `ValidationError` keyed by field, `lines[i].field` for a line's field
(`lines[i].tracking_options[j]` for its j-th tracking option): screens put each message beside
its field, the API returns the same keys and messages.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence as Seq
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from ledgerbridge import money
from ledgerbridge.billing import tracking
from ledgerbridge.billing.models import (
    MAX_DOCUMENT_AMOUNT,
    MAX_LINE_AMOUNT,
    MAX_QUANTITY,
    BrandingTheme,
    CreditNoteLine,
    InvoiceLine,
    LineBase,
    Sequence,
    Totals,
)
from ledgerbridge.catalog.models import ChargeRate, Product, TaxRate
from ledgerbridge.sync.models import SyncSettings


class Side(enum.Enum):
    """Which of a product's defaults a line takes: an invoice sells, a purchase order buys."""

    SALES = "sales"
    PURCHASES = "purchases"


@dataclass(frozen=True)
class LineData:
    """A line as a form, an API call or a service wants it written.

    A line with a product may leave its description, unit price, tax rate and item code blank
    (empty text, None): `apply_product_defaults` fills them from the product.
    """

    description: str
    quantity: Decimal
    unit_price: Decimal | None
    tax_rate_id: int | None
    product_id: int | None = None
    item_code: str = ""
    charge_rate_id: int | None = None
    # The existing line this one keeps (its id); None: matched as `write_lines` says.
    line_id: int | None = None
    # The line's own tracking options (invoice lines only; TRK-4). None: a kept line keeps
    # its options and a new line has none. A tuple: exactly these, in the categories
    # `tracking_categories` names (None: in every category); options of other categories stay.
    tracking_option_ids: tuple[int, ...] | None = None
    tracking_categories: frozenset[int] | None = None


# Invoice and credit note lines may have a unit price below 0 (a discount, a credit) while the
# document adds up to 0 or more; an invoice adding up to less becomes a credit note when issued
# (Xero takes no negative invoices).
CREDIT_LINES_ON = (InvoiceLine, CreditNoteLine)


def next_number(name: str, prefix: str) -> str:
    """Take the next number of a sequence; call inside a transaction (the row is locked)."""
    seq, _ = Sequence.objects.select_for_update().get_or_create(name=name)
    value = seq.next_value
    Sequence.objects.filter(pk=seq.pk).update(next_value=models.F("next_value") + 1)
    return f"{prefix}{value:06d}"


def _decimal_error(value: object, places: int, minimum: Decimal, strict_min: bool) -> str | None:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return "must be a number"
    if not number.is_finite():
        return "must be a number"
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return f"may have at most {places} decimal places"
    if strict_min and number <= minimum:
        return f"must be greater than {minimum}"
    if not strict_min and number < minimum:
        return f"must be {minimum} or more"
    if number > MAX_QUANTITY:
        return f"must be at most {MAX_QUANTITY:,}"
    return None


def apply_product_defaults(lines: Seq[LineData], side: Side = Side.SALES) -> list[LineData]:
    """Fill what each line leaves blank from its product: description (the product's, else its
    name), unit price (sales: unit price; purchases: unit cost), tax rate (the product's sales
    or purchase rate) and item code. What the line gives wins; a line with no product, or an
    unknown one (refused by `validate_lines`), is left as it is, but for its item code: a line
    with none takes the default item code for its kind of document (SYNC-4, a sync setting).
    Reads only; idempotent."""
    wanted = {ln.product_id for ln in lines if ln.product_id}
    products = Product.objects.in_bulk(list(wanted)) if wanted else {}
    settings = SyncSettings.get()
    default_code = (
        settings.default_invoice_item_code
        if side is Side.SALES
        else settings.default_purchase_order_item_code
    )
    filled: list[LineData] = []
    for line in lines:
        product = products.get(line.product_id) if line.product_id else None
        if product is None:
            code = line.item_code if line.item_code.strip() else default_code
            filled.append(replace(line, item_code=code))
            continue
        sales = side is Side.SALES
        tax_rate_id = product.sales_tax_rate_id if sales else product.purchase_tax_rate_id
        filled.append(
            replace(
                line,
                description=line.description
                if line.description and line.description.strip()
                else (product.description or product.name),
                unit_price=line.unit_price
                if line.unit_price is not None
                else (product.unit_price if sales else product.unit_cost),
                tax_rate_id=line.tax_rate_id if line.tax_rate_id is not None else tax_rate_id,
                item_code=line.item_code
                if line.item_code.strip()
                else (product.code or default_code),
            )
        )
    return filled


def validate_lines(
    lines: Seq[LineData], *, require_lines: bool = True, credit_lines: bool = False
) -> None:
    """Check every line; raise one ValidationError naming each bad field as `lines[i].field`.

    Call after `apply_product_defaults`: a blank description, unit price or tax rate left then
    is refused with a message saying what to enter. `credit_lines`: a unit price may be below
    0 (an invoice's discount or credit line; the invoice's total decides, see
    `services.issue_invoice`).
    """
    errors: dict[str, list[str]] = {}
    if require_lines and not lines:
        errors["lines"] = ["Add at least one line."]
    tax_ids = set(
        TaxRate.objects.filter(
            pk__in={ln.tax_rate_id for ln in lines if ln.tax_rate_id is not None}
        ).values_list("pk", flat=True)
    )
    product_ids = set(
        Product.objects.filter(pk__in={ln.product_id for ln in lines if ln.product_id}).values_list(
            "pk", flat=True
        )
    )
    rate_ids = set(
        ChargeRate.objects.filter(
            pk__in={ln.charge_rate_id for ln in lines if ln.charge_rate_id}
        ).values_list("pk", flat=True)
    )
    total = Decimal(0)
    for i, line in enumerate(lines):
        key = f"lines[{i}]"
        if not line.description or not line.description.strip():
            errors[f"{key}.description"] = ["Enter a description (or pick a product)."]
        elif len(line.description) > 4000:
            errors[f"{key}.description"] = ["Shorten the description to 4000 characters or fewer."]
        if problem := _decimal_error(line.quantity, 4, Decimal(0), strict_min=True):
            errors[f"{key}.quantity"] = [f"Quantity {problem}."]
        lowest = -MAX_QUANTITY if credit_lines else Decimal(0)
        if line.unit_price is None:
            errors[f"{key}.unit_price"] = [
                "Enter a unit price." if credit_lines else "Enter a unit price of 0 or more."
            ]
        elif problem := _decimal_error(line.unit_price, 4, lowest, strict_min=False):
            errors[f"{key}.unit_price"] = [f"Unit price {problem}."]
        if line.tax_rate_id is None:
            errors[f"{key}.tax_rate"] = ["Pick a tax rate."]
        elif line.tax_rate_id not in tax_ids:
            errors[f"{key}.tax_rate"] = [f"Tax rate {line.tax_rate_id} does not exist; pick one."]
        if line.product_id and line.product_id not in product_ids:
            errors[f"{key}.product"] = [f"Product {line.product_id} does not exist; pick one."]
        if line.charge_rate_id and line.charge_rate_id not in rate_ids:
            errors[f"{key}.charge_rate"] = [f"Charge rate {line.charge_rate_id} does not exist."]
        if len(line.item_code) > 30:
            errors[f"{key}.item_code"] = ["Item codes have at most 30 characters."]
        if line.unit_price is not None and not {f"{key}.quantity", f"{key}.unit_price"} & (
            errors.keys()
        ):
            amount = abs(Decimal(line.quantity) * Decimal(line.unit_price))
            if amount > MAX_LINE_AMOUNT:
                errors[f"{key}.quantity"] = [
                    f"Quantity x unit price may be at most {MAX_LINE_AMOUNT:,}; lower one of them."
                ]
            total += amount
    if total > MAX_DOCUMENT_AMOUNT:
        errors.setdefault("lines", []).append(
            f"The lines may add up to at most {MAX_DOCUMENT_AMOUNT:,}; split the document."
        )
    if errors:
        raise ValidationError(errors)


def _pair_rows(
    existing: list[LineBase], lines: Seq[LineData], billed: set[int]
) -> list[LineBase | None]:
    """Which existing row each new line keeps: its `line_id`; else the first unused row that is
    the same line (description, charge rate, product); else, in order, an unused row that bills
    no time. A row kept by nothing is deleted, so removing a labour line releases exactly the
    time that line billed, and never moves time onto another line."""
    by_id = {row.pk: row for row in existing}
    used: set[int] = set()
    paired: list[LineBase | None] = [None] * len(lines)
    errors: dict[str, list[str]] = {}
    for i, data in enumerate(lines):
        if data.line_id is not None:
            row = by_id.get(data.line_id)
            if row is None or row.pk in used:
                errors[f"lines[{i}].line_id"] = [
                    f"Line {data.line_id} is not a line of this document."
                ]
            else:
                paired[i] = row
                used.add(row.pk)
    if errors:
        raise ValidationError(errors)

    def same(row: LineBase, data: LineData) -> bool:
        return (row.description, getattr(row, "charge_rate_id", None), row.product_id) == (
            data.description.strip(),
            data.charge_rate_id,
            data.product_id,
        )

    for i, data in enumerate(lines):
        if paired[i] is None:
            row = next((r for r in existing if r.pk not in used and same(r, data)), None)
            if row is not None:
                paired[i] = row
                used.add(row.pk)
    for i in range(len(lines)):
        if paired[i] is None:
            row = next((r for r in existing if r.pk not in used and r.pk not in billed), None)
            if row is not None:
                paired[i] = row
                used.add(row.pk)
    return paired


def _organisation_of(document: Totals) -> int | None:
    party = getattr(document, "customer", None) or getattr(document, "supplier", None)
    return getattr(party, "organisation_id", None)


def check_organisation(lines: Seq[LineData], organisation_id: int | None) -> None:
    """INV-4: a document's lines use products and tax rates of its customer's (or supplier's)
    organisation, or of none; another organisation's is refused, naming it (the pickers offer
    only these)."""
    if organisation_id is None:
        return
    products = Product.objects.in_bulk([ln.product_id for ln in lines if ln.product_id])
    rates = TaxRate.objects.in_bulk([ln.tax_rate_id for ln in lines if ln.tax_rate_id])
    errors: dict[str, list[str]] = {}
    for i, line in enumerate(lines):
        product = products.get(line.product_id) if line.product_id else None
        if product is not None and product.organisation_id not in (None, organisation_id):
            errors[f"lines[{i}].product"] = [
                f"{product} belongs to another organisation than this document's; pick one of "
                "its organisation's products, or one of none."
            ]
        rate = rates.get(line.tax_rate_id) if line.tax_rate_id else None
        if rate is not None and rate.organisation_id not in (None, organisation_id):
            errors[f"lines[{i}].tax_rate"] = [
                f"{rate} is another organisation's tax rate; pick one of this document's "
                "organisation."
            ]
    if errors:
        raise ValidationError(errors)


def check_theme(theme_id: int | None, organisation_id: int | None) -> BrandingTheme | None:
    """INV-3: a document's branding theme is one of its customer's organisation; None takes
    the customer's default theme in the accounting system. Refusals are keyed
    `branding_theme`."""
    if theme_id is None:
        return None
    theme = BrandingTheme.objects.select_related("organisation").filter(pk=theme_id).first()
    if theme is None:
        raise ValidationError(
            {
                "branding_theme": [
                    f"There is no branding theme {theme_id}; pick one from the list (import "
                    "branding themes again if it is missing)."
                ]
            }
        )
    if organisation_id is None:
        raise ValidationError(
            {
                "branding_theme": [
                    "The customer belongs to no accounting organisation, so it takes no "
                    "branding theme; leave it blank."
                ]
            }
        )
    if theme.organisation_id != organisation_id:
        raise ValidationError(
            {
                "branding_theme": [
                    f"{theme} is a branding theme of {theme.organisation}, not of the "
                    "customer's organisation; pick one of its own, or leave it blank."
                ]
            }
        )
    return theme


def write_lines(
    document: Totals,
    line_model: type[LineBase],
    parent_field: str,
    lines: Seq[LineData],
    *,
    side: Side = Side.SALES,
) -> list[LineBase]:
    """Replace a document's lines with `lines` (in this order) and recompute its totals.

    Blank fields are filled from each line's product first (`apply_product_defaults`), then
    every line is checked (`validate_lines`) and, on invoice lines, its tracking options
    (known, active, one per category, the customer's organisation). Existing rows are kept
    where a line is the same line (see `_pair_rows`), so a kept labour line keeps the time
    entries it billed; rows no line keeps are deleted, which makes the time they billed ready
    for invoicing again. Call inside the caller's transaction: a refusal raised after some
    rows were written must undo them.
    """
    lines = apply_product_defaults(lines, side)
    validate_lines(lines, credit_lines=line_model in CREDIT_LINES_ON)
    check_organisation(lines, _organisation_of(document))
    tracked = tracking.takes_tracking(line_model)
    if not tracked:
        refused = {
            f"lines[{i}].tracking_options": ["Only invoice lines take tracking options."]
            for i, line in enumerate(lines)
            if line.tracking_option_ids
        }
        if refused:
            raise ValidationError(refused)
    manager: Any = line_model._default_manager  # a concrete line model's manager
    existing = list(manager.filter(**{parent_field: document}).order_by("position", "id"))
    billed: set[int] = set()
    if hasattr(line_model, "time_entries"):
        billed = set(
            manager.filter(pk__in=[r.pk for r in existing], time_entries__isnull=False)
            .values_list("pk", flat=True)
            .distinct()
        )
    paired = _pair_rows(existing, lines, billed)
    kept = {row.pk for row in paired if row is not None}
    for stale in existing:
        if stale.pk not in kept:
            stale.delete()
    written: list[LineBase] = []
    for position, (data, found) in enumerate(zip(lines, paired, strict=True)):
        assert data.unit_price is not None and data.tax_rate_id is not None  # validated above
        row = found or line_model(**{parent_field: document})
        row.position = position
        row.description = data.description.strip()
        row.quantity = Decimal(data.quantity)
        row.unit_price = Decimal(data.unit_price)
        row.tax_rate_id = data.tax_rate_id
        row.product_id = data.product_id
        row.item_code = data.item_code.strip()
        if hasattr(row, "charge_rate_id"):
            row.charge_rate_id = data.charge_rate_id
        row.save()
        written.append(row)
    if tracked:
        tracking.write_line_tracking(written, lines)
    recalculate(document, written)
    return written


def recalculate(document: Totals, lines: Seq[LineBase] | None = None) -> money.DocumentTotals:
    """Recompute and store each line's amount and tax and the document's totals."""
    if lines is None:
        lines = list(document.lines.select_related("tax_rate").all())  # type: ignore[attr-defined]
    amount_type = money.AmountType(document.amount_type)
    rates = dict(
        TaxRate.objects.filter(pk__in={ln.tax_rate_id for ln in lines}).values_list(
            "pk", "percentage"
        )
    )
    totals = money.document_totals(
        (money.LineInput(ln.quantity, ln.unit_price, rates[ln.tax_rate_id]) for ln in lines),
        amount_type,
    )
    for line, computed in zip(lines, totals.lines, strict=True):
        if (line.line_amount, line.tax_amount) != (computed.line_amount, computed.tax_amount):
            line.line_amount = computed.line_amount
            line.tax_amount = computed.tax_amount
            line.save(update_fields=["line_amount", "tax_amount"])
    document.subtotal = totals.subtotal
    document.total_tax = totals.total_tax
    document.total = totals.total
    document.save(update_fields=["subtotal", "total_tax", "total"])
    return totals


def total_of(lines: Seq[LineData], amount_type: str) -> Decimal:
    """What `lines` would add up to on a sales document (blanks filled from products first);
    refuses bad lines as `write_lines` would."""
    lines = apply_product_defaults(lines, Side.SALES)
    validate_lines(lines, credit_lines=True)
    rates = dict(
        TaxRate.objects.filter(pk__in={ln.tax_rate_id for ln in lines}).values_list(
            "pk", "percentage"
        )
    )
    totals = money.document_totals(
        (
            money.LineInput(
                Decimal(ln.quantity), Decimal(ln.unit_price or 0), rates[ln.tax_rate_id]
            )
            for ln in lines
            if ln.tax_rate_id is not None
        ),
        money.AmountType(amount_type),
    )
    return totals.total


def turned(lines: Seq[LineData]) -> list[LineData]:
    """The lines with their unit prices' signs turned (blanks filled from products first): a
    negative invoice's lines as a credit note's."""
    return [
        replace(line, unit_price=-Decimal(line.unit_price or 0))
        for line in apply_product_defaults(lines, Side.SALES)
    ]


def line_data_from(rows: Seq[Any]) -> list[LineData]:
    """Copy existing line rows into LineData (to copy a recurring invoice's lines, say)."""
    return [
        LineData(
            description=r.description,
            quantity=r.quantity,
            unit_price=r.unit_price,
            tax_rate_id=r.tax_rate_id,
            product_id=r.product_id,
            item_code=r.item_code,
            charge_rate_id=getattr(r, "charge_rate_id", None),
        )
        for r in rows
    ]
