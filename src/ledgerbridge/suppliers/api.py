"""REST endpoints for suppliers (area: suppliers)."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Status

from ledgerbridge.api_support import ERRORS, Id, ListQuery, TokenAuth, fetch, paged
from ledgerbridge.customers.schemas import party_fields
from ledgerbridge.suppliers import services
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.suppliers.schemas import SupplierIn, SupplierOut, SupplierPage

AREA = "suppliers"
router = Router(tags=["suppliers"], auth=TokenAuth(AREA))


@router.get("/", response={200: SupplierPage, **ERRORS})
def list_suppliers(request: HttpRequest, params: Query[ListQuery]) -> dict[str, object]:
    """Suppliers by name; `q` searches name, account number and email."""
    suppliers = Supplier.objects.all()
    if params.q:
        suppliers = suppliers.filter(
            Q(name__icontains=params.q)
            | Q(account_number__icontains=params.q)
            | Q(email__icontains=params.q)
        )
    return paged(suppliers, params)


@router.post("/", response={201: SupplierOut, **ERRORS})
def create_supplier(request: HttpRequest, payload: SupplierIn) -> Status[Supplier]:
    return Status(201, services.create_supplier(party_fields(payload)))


@router.get("/{supplier_id}", response={200: SupplierOut, **ERRORS})
def get_supplier(request: HttpRequest, supplier_id: Id) -> Supplier:
    return fetch(Supplier, supplier_id, "Supplier")


@router.put("/{supplier_id}", response={200: SupplierOut, **ERRORS})
def update_supplier(request: HttpRequest, supplier_id: Id, payload: SupplierIn) -> Supplier:
    return services.update_supplier(fetch(Supplier, supplier_id, "Supplier"), party_fields(payload))


@router.delete("/{supplier_id}", response={204: None, **ERRORS})
def remove_supplier(request: HttpRequest, supplier_id: Id) -> Status[None]:
    """Delete a supplier with no purchase orders."""
    services.delete_supplier(fetch(Supplier, supplier_id, "Supplier"))
    return Status(204, None)
