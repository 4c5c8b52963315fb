"""REST endpoints for suppliers (area: suppliers)."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router

from ledgerbridge.api_support import ERRORS, Id, ListQuery, fetch, paged, require_area
from ledgerbridge.customers.schemas import party_fields
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.suppliers.schemas import SupplierIn, SupplierOut, SupplierPage
from ledgerbridge.suppliers.services import delete_supplier, save_supplier

router = Router(tags=["suppliers"])
AREA = "suppliers"


@router.get("/", response={200: SupplierPage, **ERRORS})
def list_suppliers(request: HttpRequest, params: Query[ListQuery]) -> dict[str, object]:
    """Suppliers by name; `q` searches name, account number and email."""
    require_area(request, AREA)
    suppliers = Supplier.objects.all()
    if params.q:
        suppliers = suppliers.filter(
            Q(name__icontains=params.q)
            | Q(account_number__icontains=params.q)
            | Q(email__icontains=params.q)
        )
    return paged(suppliers, params)


@router.post("/", response={201: SupplierOut, **ERRORS})
def create_supplier(request: HttpRequest, payload: SupplierIn) -> tuple[int, Supplier]:
    require_area(request, AREA)
    return 201, save_supplier(Supplier(), party_fields(payload))


@router.get("/{supplier_id}", response={200: SupplierOut, **ERRORS})
def get_supplier(request: HttpRequest, supplier_id: Id) -> Supplier:
    require_area(request, AREA)
    return fetch(Supplier, supplier_id, "Supplier")


@router.put("/{supplier_id}", response={200: SupplierOut, **ERRORS})
def update_supplier(request: HttpRequest, supplier_id: Id, payload: SupplierIn) -> Supplier:
    require_area(request, AREA)
    return save_supplier(fetch(Supplier, supplier_id, "Supplier"), party_fields(payload))


@router.delete("/{supplier_id}", response={204: None, **ERRORS})
def remove_supplier(request: HttpRequest, supplier_id: Id) -> tuple[int, None]:
    """Delete a supplier with no purchase orders."""
    require_area(request, AREA)
    delete_supplier(fetch(Supplier, supplier_id, "Supplier"))
    return 204, None
