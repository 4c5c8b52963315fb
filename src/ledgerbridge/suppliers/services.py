"""Use cases for suppliers: create, change and delete them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ledgerbridge.customers.services import save_party
from ledgerbridge.deletion import delete_unless_used
from ledgerbridge.suppliers.models import Supplier


@transaction.atomic
def save_supplier(supplier: Supplier, fields: Mapping[str, Any]) -> Supplier:
    """Create (unsaved `supplier`) or change a supplier; raises ValidationError per field."""
    return save_party(supplier, fields)


@transaction.atomic
def delete_supplier(supplier: Supplier) -> None:
    """Delete a supplier with no purchase orders; otherwise explain why not."""
    delete_unless_used(supplier, f"Supplier {supplier.name}", "make it inactive instead.")
