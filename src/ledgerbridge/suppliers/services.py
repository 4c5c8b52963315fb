"""Use cases for suppliers: create, change and delete them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from ledgerbridge.customers.services import save_party
from ledgerbridge.suppliers.models import Supplier


@transaction.atomic
def save_supplier(supplier: Supplier, fields: Mapping[str, Any]) -> Supplier:
    """Create (unsaved `supplier`) or change a supplier; raises ValidationError per field."""
    return save_party(supplier, fields)


@transaction.atomic
def delete_supplier(supplier: Supplier) -> None:
    """Delete a supplier with no purchase orders; otherwise explain why not."""
    try:
        supplier.delete()
    except ProtectedError as exc:
        raise ValidationError(
            f"Supplier {supplier.name} still has purchase orders; make it inactive instead."
        ) from exc
