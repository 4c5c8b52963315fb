"""Purchase-order use cases: raise, change and delete purchase orders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence as Seq

from django.core.exceptions import ValidationError
from django.db import transaction

from ledgerbridge.billing.documents import LineData, next_number, write_lines
from ledgerbridge.billing.models import DocumentStatus
from ledgerbridge.purchasing.models import PurchaseOrder, PurchaseOrderLine
from ledgerbridge.suppliers.models import Supplier

PO_PREFIX = "PO-"


def _check(supplier: Supplier, date: dt.date, delivery_date: dt.date | None, status: str) -> None:
    if not supplier.active:
        raise ValidationError({"supplier": [f"{supplier} is inactive; reactivate it first."]})
    if delivery_date and delivery_date < date:
        raise ValidationError({"delivery_date": ["Delivery cannot be before the order date."]})
    if status not in DocumentStatus.values[:3]:
        raise ValidationError({"status": ["Choose DRAFT, SUBMITTED or AUTHORISED."]})


@transaction.atomic
def raise_purchase_order(
    supplier: Supplier,
    lines: Seq[LineData],
    *,
    date: dt.date,
    delivery_date: dt.date | None = None,
    status: str = DocumentStatus.DRAFT,
    reference: str = "",
    delivery_instructions: str = "",
    amount_type: str = "Exclusive",
) -> PurchaseOrder:
    _check(supplier, date, delivery_date, status)
    order = PurchaseOrder.objects.create(
        number=next_number("purchase_order", PO_PREFIX),
        supplier=supplier,
        date=date,
        delivery_date=delivery_date,
        status=status,
        reference=reference,
        delivery_instructions=delivery_instructions,
        amount_type=amount_type,
    )
    write_lines(order, PurchaseOrderLine, "purchase_order", lines)
    return order


@transaction.atomic
def update_purchase_order(
    order: PurchaseOrder, lines: Seq[LineData], **fields: object
) -> PurchaseOrder:
    locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
    _check(locked.supplier, locked.date, locked.delivery_date, locked.status)
    locked.save()
    write_lines(locked, PurchaseOrderLine, "purchase_order", lines)
    return locked


@transaction.atomic
def delete_purchase_order(order: PurchaseOrder) -> None:
    PurchaseOrder.objects.filter(pk=order.pk).delete()
