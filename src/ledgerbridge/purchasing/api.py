"""REST endpoints for purchase orders (area: purchasing)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from ledgerbridge.api_support import (
    ERRORS,
    Id,
    TokenAuth,
    fetch,
    paged,
    resolve_required,
)
from ledgerbridge.purchasing.models import PurchaseOrder
from ledgerbridge.purchasing.schemas import (
    PurchaseOrderIn,
    PurchaseOrderOut,
    PurchaseOrderPage,
    PurchaseOrderQuery,
)
from ledgerbridge.purchasing.services import (
    delete_purchase_order,
    raise_purchase_order,
    update_purchase_order,
)
from ledgerbridge.suppliers.models import Supplier

AREA = "purchasing"
router = Router(tags=["purchase orders"], auth=TokenAuth(AREA))


def _orders() -> QuerySet[PurchaseOrder]:
    return PurchaseOrder.objects.select_related("supplier__organisation")


def _full(order_id: int) -> PurchaseOrder:
    fetch(PurchaseOrder, order_id, "Purchase order")
    return _orders().prefetch_related("lines").get(pk=order_id)


@router.get("/", response={200: PurchaseOrderPage, **ERRORS})
def list_purchase_orders(
    request: HttpRequest, params: Query[PurchaseOrderQuery]
) -> dict[str, object]:
    """Purchase orders, newest first; `q` searches number, reference and supplier name."""
    orders = _orders()
    if params.q:
        orders = orders.filter(
            Q(number__icontains=params.q)
            | Q(reference__icontains=params.q)
            | Q(supplier__name__icontains=params.q)
        )
    if params.status:
        orders = orders.filter(status=params.status)
    if params.supplier:
        orders = orders.filter(supplier_id=params.supplier)
    return paged(orders, params)


@router.post("/", response={201: PurchaseOrderOut, **ERRORS})
def create_purchase_order(request: HttpRequest, payload: PurchaseOrderIn) -> Status[PurchaseOrder]:
    """Raise a purchase order; its number and totals are computed here, never sent."""
    supplier = resolve_required(Supplier, payload.supplier, "supplier", "Supplier")
    order = raise_purchase_order(
        supplier,
        payload.line_data(),
        date=payload.date,
        delivery_date=payload.delivery_date,
        status=payload.status,  # None: the default status for purchase orders
        reference=payload.reference,
        delivery_instructions=payload.delivery_instructions,
        amount_type=payload.amount_type,
        currency=payload.currency,
    )
    return Status(201, _full(order.pk))


@router.get("/{order_id}", response={200: PurchaseOrderOut, **ERRORS})
def get_purchase_order(request: HttpRequest, order_id: Id) -> PurchaseOrder:
    return _full(order_id)


@router.put("/{order_id}", response={200: PurchaseOrderOut, **ERRORS})
def change_purchase_order(
    request: HttpRequest, order_id: Id, payload: PurchaseOrderIn
) -> PurchaseOrder:
    order = fetch(PurchaseOrder, order_id, "Purchase order")
    supplier = resolve_required(Supplier, payload.supplier, "supplier", "Supplier")
    update_purchase_order(
        order,
        payload.line_data(),
        supplier=supplier,
        date=payload.date,
        delivery_date=payload.delivery_date,
        status=payload.status or order.status,
        reference=payload.reference,
        delivery_instructions=payload.delivery_instructions,
        amount_type=payload.amount_type,
        currency=payload.currency,
    )
    return _full(order.pk)


@router.delete("/{order_id}", response={204: None, **ERRORS})
def remove_purchase_order(request: HttpRequest, order_id: Id) -> Status[None]:
    delete_purchase_order(fetch(PurchaseOrder, order_id, "Purchase order"))
    return Status(204, None)
