"""Use cases for tax rates, charge rates, product groups and products."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

from ledgerbridge.catalog.models import ChargeRate, Product, ProductGroup, TaxRate
from ledgerbridge.deletion import delete_unless_used, refuse_deletion

_M = TypeVar("_M", TaxRate, ChargeRate, ProductGroup, Product)


def zero_rate() -> TaxRate:
    """The zero tax rate, which always exists (created by the first migration)."""
    rate, _ = TaxRate.objects.get_or_create(
        is_zero_rate=True, defaults={"name": "No tax", "percentage": 0}
    )
    return rate


@transaction.atomic
def delete_tax_rate(rate: TaxRate) -> None:
    """Delete a tax rate; the zero rate and rates in use are refused with a reason."""
    if rate.is_zero_rate:
        raise refuse_deletion("The zero tax rate always exists and cannot be deleted.")
    delete_unless_used(rate, f"Tax rate {rate.name}", "change those first.")


def delete_charge_rate(rate: ChargeRate) -> None:
    delete_unless_used(rate, f"Charge rate {rate.name}", "make it inactive instead.")


def delete_product_group(group: ProductGroup) -> None:
    delete_unless_used(group, f"Product group {group.name}", "move them first.")


def delete_product(product: Product) -> None:
    delete_unless_used(product, f"Product {product.name}", "make it inactive instead.")


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


# --- Create and change (used by the REST API; forms may use them too) -------------------------


@transaction.atomic
def save_tax_rate(rate: TaxRate, fields: Mapping[str, Any]) -> TaxRate:
    """Create (unsaved `rate`) or change a tax rate; the zero rate keeps its 0 percentage."""
    if rate.is_zero_rate and "percentage" in fields and Decimal(fields["percentage"]) != 0:
        raise ValidationError({"percentage": ["The zero tax rate always stays at 0%."]})
    name = str(fields.get("name", rate.name)).strip()
    org = fields.get("organisation_id", rate.organisation_id)
    clash = TaxRate.objects.filter(organisation_id=org, name__iexact=name).exclude(pk=rate.pk)
    if name and clash.exists():
        message = f"A tax rate named {name} already exists here; choose another name."
        raise ValidationError({"name": ValidationError(message, code="unique")})
    return _save(rate, fields)


@transaction.atomic
def save_charge_rate(rate: ChargeRate, fields: Mapping[str, Any]) -> ChargeRate:
    """Create (unsaved `rate`) or change a charge rate; raises ValidationError per field."""
    return _save(rate, fields)


@transaction.atomic
def save_product_group(group: ProductGroup, fields: Mapping[str, Any]) -> ProductGroup:
    """Create (unsaved `group`) or change a product group; raises ValidationError per field."""
    return _save(group, fields)


@transaction.atomic
def save_product(product: Product, fields: Mapping[str, Any]) -> Product:
    """Create (unsaved `product`) or change a product, checking its parent (`check_parent`)."""
    for name, value in fields.items():
        setattr(product, name, value)
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
    return _save(product, {})


def _save(record: _M, fields: Mapping[str, Any]) -> _M:
    for name, value in fields.items():
        setattr(record, name, value)
    record.full_clean()
    record.save()
    return record
