"""Purchase-order use cases: raise, change and delete purchase orders.

Each runs in its own transaction and refuses with one `ValidationError` keyed by field
(`supplier`, `delivery_date`, `status`, `lines[i].quantity`…), as the billing services do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence as Seq

from django.core.exceptions import ValidationError
from django.db import transaction

from ledgerbridge import integrations
from ledgerbridge.billing.documents import LineData, Side, next_number, write_lines
from ledgerbridge.billing.models import DocumentStatus
from ledgerbridge.dates import check_dates
from ledgerbridge.deletion import refuse_deletion
from ledgerbridge.purchasing.models import PurchaseOrder, PurchaseOrderLine
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.currencies import document_currency
from ledgerbridge.sync.models import SyncSettings
from ledgerbridge.sync.services import RecordKind, mark_changed, mark_deleted

PO_PREFIX = "PO-"


def _check(supplier: Supplier, date: dt.date, delivery_date: dt.date | None, status: str) -> None:
    if not supplier.active:
        raise ValidationError({"supplier": [f"{supplier} is inactive; reactivate it first."]})
    check_dates(date=date, delivery_date=delivery_date)
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
    status: str | None = None,
    reference: str = "",
    delivery_instructions: str = "",
    amount_type: str = "Exclusive",
    currency: str | None = None,
) -> PurchaseOrder:
    """Raise a purchase order with its lines and totals, numbered, in one transaction.

    Lines with a product take what they leave blank from the product's purchase side (its
    description or name, unit cost, purchase tax rate, code). The record is marked changed
    for sync. Refuses (ValidationError, nothing written, no number used): an inactive supplier
    (`supplier`), a date outside `dates`' range (`date`, `delivery_date`), a delivery date
    before the order date (`delivery_date`), a status other than
    DRAFT, SUBMITTED or AUTHORISED (`status`), bad lines (`lines`, `lines[i].<field>`), a
    currency that is no code or that the supplier's organisation has not enabled, naming the
    fix (`currency`). Not idempotent: each call raises a new purchase order. No `status`: the
    default status for purchase orders (GEN-2, a sync setting). No `currency` (or ""): the
    supplier's, else its organisation's base currency.
    """
    status = status or SyncSettings.get().default_purchase_order_status
    _check(supplier, date, delivery_date, status)
    chosen = document_currency(supplier, currency)
    order = PurchaseOrder.objects.create(
        number=next_number("purchase_order", PO_PREFIX),
        supplier=supplier,
        date=date,
        delivery_date=delivery_date,
        status=status,
        reference=reference,
        delivery_instructions=delivery_instructions,
        amount_type=amount_type,
        currency=chosen,
    )
    write_lines(order, PurchaseOrderLine, "purchase_order", lines, side=Side.PURCHASES)
    mark_changed(RecordKind.PURCHASE_ORDER, order.pk, supplier.organisation_id)
    return order


@transaction.atomic
def update_purchase_order(
    order: PurchaseOrder, lines: Seq[LineData], **fields: object
) -> PurchaseOrder:
    """Change a purchase order's header `fields` (supplier, dates, status, reference, delivery
    instructions, amount type, currency) and replace its lines, under a row lock, in one
    transaction; the record is marked changed for sync. `currency` left out or None: kept as
    it is; "": the supplier's. Refuses as `raise_purchase_order` does, and, once the order is
    in the accounting system, another currency than the one it is in there (`currency`).
    Idempotent.
    """
    locked = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    currency = fields.pop("currency", None)
    for name, value in fields.items():
        setattr(locked, name, value)
    _check(locked.supplier, locked.date, locked.delivery_date, locked.status)
    assert currency is None or isinstance(currency, str)
    locked.currency = document_currency(
        locked.supplier,
        currency,
        document=locked,
        kind=RecordKind.PURCHASE_ORDER,
        label=f"Purchase order {locked.number}",
    )
    locked.save()
    write_lines(locked, PurchaseOrderLine, "purchase_order", lines, side=Side.PURCHASES)
    mark_changed(RecordKind.PURCHASE_ORDER, locked.pk, locked.supplier.organisation_id)
    return locked


@transaction.atomic
def delete_purchase_order(order: PurchaseOrder) -> None:
    """Delete a purchase order and its lines; the deletion is marked for sync (the sync
    record outlives the order), in one transaction. Refuses one the accounting system holds
    as billed, as last seen (ValidationError with no field). Idempotent (one already gone:
    nothing)."""
    locked = PurchaseOrder.objects.select_for_update().filter(pk=order.pk).first()
    if locked is None:
        return
    if reason := integrations.why_not_delete(RecordKind.PURCHASE_ORDER, locked):
        raise refuse_deletion(reason)
    locked.delete()
    mark_deleted(RecordKind.PURCHASE_ORDER, order.pk)
