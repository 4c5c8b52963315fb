"""Use cases for suppliers: create, change and delete them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ledgerbridge.customers.services import save_party
from ledgerbridge.deletion import delete_unless_used
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.services import (
    RecordKind,
    keep_organisation,
    mark_changed,
    mark_deleted,
    with_default_organisation,
)


@transaction.atomic
def create_supplier(fields: Mapping[str, Any]) -> Supplier:
    """Create a supplier from `fields` (model field names) in one transaction.

    Writes the supplier and marks it changed for sync. Refuses (ValidationError keyed by
    field, nothing written): a duplicate account number in its organisation
    (`account_number`, code "unique"), an unknown tax rate, a bad email, a missing name. Not
    idempotent: each call creates another supplier.
    """
    supplier = save_party(Supplier(), with_default_organisation(fields))
    mark_changed(RecordKind.SUPPLIER, supplier.pk, supplier.organisation_id)
    return supplier


@transaction.atomic
def update_supplier(supplier: Supplier, fields: Mapping[str, Any]) -> Supplier:
    """Change `fields` of a supplier in one transaction and mark it changed for sync.

    Refuses as `create_supplier` does. Idempotent.
    """
    keep_organisation(supplier, fields, "supplier")
    supplier = save_party(supplier, fields)
    mark_changed(RecordKind.SUPPLIER, supplier.pk, supplier.organisation_id)
    return supplier


@transaction.atomic
def delete_supplier(supplier: Supplier) -> None:
    """Delete a supplier with no purchase orders, in one transaction, and mark the deletion for
    sync. Refuses (ValidationError, no field) a supplier still in use, naming what uses it."""
    pk = supplier.pk
    delete_unless_used(supplier, f"Supplier {supplier.name}", "make it inactive instead.")
    mark_deleted(RecordKind.SUPPLIER, pk)
