"""Use cases for tax rates, charge rates, product groups and products.

Screens, the REST API and the CLI change these records through this module only. Every
refusal is a `ValidationError` keyed by field, shown beside the field on screens and returned
as `{"field", "message"}` by the API.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

from ledgerbridge.catalog.models import ChargeRate, Product, ProductGroup, TaxRate
from ledgerbridge.deletion import delete_unless_used, refuse_deletion
from ledgerbridge.sync.models import SyncSettings
from ledgerbridge.sync.services import (
    RecordKind,
    keep_organisation,
    mark_changed,
    mark_deleted,
    next_code,
    unlink,
    with_default_organisation,
)
from ledgerbridge.tracking.services import set_tracking_options

if TYPE_CHECKING:
    from ledgerbridge.tracking.models import TrackingOption

_M = TypeVar("_M", TaxRate, ChargeRate, ProductGroup, Product)


def zero_rate() -> TaxRate:
    """The zero tax rate, which always exists (created by the first migration)."""
    rate, _ = TaxRate.objects.get_or_create(
        is_zero_rate=True, defaults={"name": "No tax", "percentage": 0}
    )
    return rate


@transaction.atomic
def delete_tax_rate(rate: TaxRate) -> None:
    """Delete a tax rate in one transaction and mark the deletion for sync.

    Refuses (ValidationError, no field): the zero rate; a rate still in use, naming what uses
    it. Not idempotent: the record must exist.
    """
    if rate.is_zero_rate:
        raise refuse_deletion("The zero tax rate always exists and cannot be deleted.")
    pk = rate.pk
    delete_unless_used(rate, f"Tax rate {rate.name}", "change those first.")
    # Tax rates are linked, not sent: the link goes with the rate (its tax type is free again).
    unlink(RecordKind.TAX_RATE, pk)


def delete_charge_rate(rate: ChargeRate) -> None:
    delete_unless_used(rate, f"Charge rate {rate.name}", "make it inactive instead.")


def delete_product_group(group: ProductGroup) -> None:
    delete_unless_used(group, f"Product group {group.name}", "move them first.")


@transaction.atomic
def delete_product(product: Product) -> None:
    """Delete a product in one transaction and mark the deletion for sync.

    Refuses (ValidationError, no field) a product still in use (lines, child products), naming
    what uses it. Not idempotent: the record must exist.
    """
    pk = product.pk
    delete_unless_used(product, f"Product {product.name}", "make it inactive instead.")
    mark_deleted(RecordKind.PRODUCT, pk)


def check_parent(product: Product, parent: Product | None) -> None:
    """A product's parent must exist, not be itself, and not be a child (one level deep)."""
    if parent is None:
        return
    if product.pk and parent.pk == product.pk:
        raise ValidationError({"parent": ["A product cannot be its own parent."]})
    if parent.parent_id is not None:
        raise ValidationError({"parent": [f"{parent} is itself a child product; pick its parent."]})
    if product.pk and product.children.exists():
        raise ValidationError(
            {"parent": ["This product has children, so it cannot have a parent."]}
        )


# --- Create and change ------------------------------------------------------------------------


def _check_tax_rate(rate: TaxRate, fields: Mapping[str, Any]) -> None:
    if rate.is_zero_rate and "percentage" in fields and Decimal(fields["percentage"]) != 0:
        raise ValidationError({"percentage": ["The zero tax rate always stays at 0%."]})
    name = str(fields.get("name", rate.name)).strip()
    org = fields.get("organisation_id", rate.organisation_id)
    clash = TaxRate.objects.filter(organisation_id=org, name__iexact=name).exclude(pk=rate.pk)
    if name and clash.exists():
        message = f"A tax rate named {name} already exists here; choose another name."
        raise ValidationError({"name": ValidationError(message, code="unique")})


@transaction.atomic
def create_tax_rate(fields: Mapping[str, Any]) -> TaxRate:
    """Create a tax rate from `fields` (name, percentage) in one transaction.

    Writes the rate and marks it changed for sync. Refuses (ValidationError keyed by field,
    nothing written): a name already used in its organisation (`name`, code "unique"), a
    percentage outside 0..100 or with more than 4 decimals (`percentage`). Not idempotent.
    """
    rate = TaxRate()
    _check_tax_rate(rate, fields)
    _save(rate, fields)
    # Tax rates are not sent to Xero, only linked to its tax rates: no sync version to bump.
    return rate


@transaction.atomic
def update_tax_rate(rate: TaxRate, fields: Mapping[str, Any]) -> TaxRate:
    """Change a tax rate's `fields` in one transaction and mark it changed for sync.

    Refuses as `create_tax_rate` does, and a percentage other than 0 on the zero rate
    (`percentage`). Idempotent.
    """
    _check_tax_rate(rate, fields)
    _save(rate, fields)
    # Tax rates are not sent to Xero, only linked to its tax rates: no sync version to bump.
    return rate


@transaction.atomic
def save_charge_rate(rate: ChargeRate, fields: Mapping[str, Any]) -> ChargeRate:
    """Create (unsaved `rate`) or change a charge rate; raises ValidationError per field."""
    return _save(rate, fields)


def _set_tracking(
    record: Product | ProductGroup,
    options: Sequence[TrackingOption] | None,
    categories: Collection[int] | None,
) -> None:
    """TRK-4: the record's options become `options`, plus those it has in categories outside
    `categories` (None: every category is replaced). `options` None: left as they are."""
    if options is None:
        return
    current = record.tracking_options.all()
    kept = [] if categories is None else [o for o in current if o.category_id not in categories]
    set_tracking_options(record, [*kept, *options])


@transaction.atomic
def save_product_group(
    group: ProductGroup,
    fields: Mapping[str, Any],
    *,
    tracking_options: Sequence[TrackingOption] | None = None,
    tracking_categories: Collection[int] | None = None,
) -> ProductGroup:
    """Create (unsaved `group`) or change a product group and its tracking options (see
    `_set_tracking`); raises ValidationError per field (`tracking_options` for an option)."""
    _save(group, fields)
    _set_tracking(group, tracking_options, tracking_categories)
    return group


def _check_product(product: Product) -> None:
    """The parent exists and may be one (`check_parent`); the code is free in the organisation."""
    parent = Product.objects.filter(pk=product.parent_id).first() if product.parent_id else None
    if product.parent_id and parent is None:
        message = f"Product {product.parent_id} does not exist; pick one."
        raise ValidationError({"parent": [message]})
    check_parent(product, parent)
    # The constraint allows many blank codes, so full_clean reports a clash without the field.
    clash = (
        Product.objects.filter(code=product.code, organisation=product.organisation)
        .exclude(pk=product.pk)
        .first()
    )
    if product.code and clash is not None:
        message = f"Product code {product.code} is already used by {clash.name}; choose another."
        raise ValidationError({"code": ValidationError(message, code="unique")})


@transaction.atomic
def create_product(
    fields: Mapping[str, Any],
    *,
    tracking_options: Sequence[TrackingOption] | None = None,
    tracking_categories: Collection[int] | None = None,
) -> Product:
    """Create a product from `fields` (model field names, `<fk>_id` or objects) and its
    tracking options, in one transaction; the product is marked changed for sync.

    Refuses (ValidationError keyed by field, nothing written): an unknown, own or child parent
    (`parent`), a product code already used in its organisation (`code`, code "unique"), any
    field the model refuses, a tracking option that is unknown, inactive, of another
    organisation or a second of its category (`tracking_options`). Not idempotent.
    """
    product = _write_product(
        Product(), new_product_fields(fields), tracking_options, tracking_categories
    )
    mark_changed(RecordKind.PRODUCT, product.pk, product.organisation_id)
    return product


def new_product_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A new product's fields with the settings' defaults where none were given: its
    organisation (GEN-1), a generated product code (GEN-4), the accounts codes (GEN-5)."""
    given = with_default_organisation(fields)
    settings = SyncSettings.get()
    if settings.generate_product_codes and not given.get("code"):
        org = given.get("organisation")
        given["code"] = next_code(Product, "code", "P", getattr(org, "pk", None))
    for field, default in (
        ("sales_account_code", settings.default_sales_account_code),
        ("purchase_account_code", settings.default_purchase_account_code),
    ):
        if not given.get(field):
            given[field] = default
    return given


@transaction.atomic
def update_product(
    product: Product,
    fields: Mapping[str, Any],
    *,
    tracking_options: Sequence[TrackingOption] | None = None,
    tracking_categories: Collection[int] | None = None,
) -> Product:
    """Change a product's `fields` and (when given) its tracking options, in one transaction;
    the product is marked changed for sync. Refuses as `create_product` does. Idempotent."""
    keep_organisation(product, fields, "product")
    product = _write_product(product, fields, tracking_options, tracking_categories)
    mark_changed(RecordKind.PRODUCT, product.pk, product.organisation_id)
    return product


def _write_product(
    product: Product,
    fields: Mapping[str, Any],
    options: Sequence[TrackingOption] | None,
    categories: Collection[int] | None,
) -> Product:
    for name, value in fields.items():
        setattr(product, name, value)
    _check_product(product)
    _save(product, {})
    _set_tracking(product, options, categories)
    return product


def _save(record: _M, fields: Mapping[str, Any]) -> _M:
    for name, value in fields.items():
        setattr(record, name, value)
    record.full_clean()
    record.save()
    return record
