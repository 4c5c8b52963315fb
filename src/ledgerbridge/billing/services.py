"""Invoice use cases: issue, change and delete invoices (deletion rolls billing back)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence as Seq

from django.core.exceptions import ValidationError
from django.db import transaction

from ledgerbridge.billing.documents import LineData, next_number, write_lines
from ledgerbridge.billing.models import (
    AmountTypes,
    DocumentStatus,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    RecurringInvoice,
)
from ledgerbridge.customers.models import Customer
from ledgerbridge.deletion import refuse_deletion
from ledgerbridge.work.models import TimeEntry

INVOICE_PREFIX = "INV-"
EDITABLE_STATUSES = {DocumentStatus.DRAFT, DocumentStatus.SUBMITTED, DocumentStatus.AUTHORISED}


def _check_header(customer: Customer, date: dt.date, due_date: dt.date | None) -> dt.date:
    if not customer.active:
        raise ValidationError({"customer": [f"{customer} is inactive; reactivate it to bill it."]})
    due = due_date or date + dt.timedelta(days=customer.payment_terms_days)
    if due < date:
        raise ValidationError({"due_date": ["The due date cannot be before the invoice date."]})
    return due


@transaction.atomic
def issue_invoice(
    customer: Customer,
    lines: Seq[LineData],
    *,
    date: dt.date,
    due_date: dt.date | None = None,
    kind: str = InvoiceKind.MANUAL,
    status: str = DocumentStatus.DRAFT,
    reference: str = "",
    amount_type: str = AmountTypes.EXCLUSIVE,
    recurring: RecurringInvoice | None = None,
    recurring_date: dt.date | None = None,
) -> Invoice:
    """Create an invoice with its lines and totals, numbered, in one transaction."""
    if status not in EDITABLE_STATUSES:
        raise ValidationError(
            {"status": ["A new invoice starts as DRAFT, SUBMITTED or AUTHORISED."]}
        )
    due = _check_header(customer, date, due_date)
    invoice = Invoice.objects.create(
        number=next_number("invoice", INVOICE_PREFIX),
        customer=customer,
        kind=kind,
        status=status,
        date=date,
        due_date=due,
        reference=reference,
        amount_type=amount_type,
        recurring=recurring,
        recurring_date=recurring_date,
    )
    write_lines(invoice, InvoiceLine, "invoice", lines)
    return invoice


@transaction.atomic
def update_invoice(
    invoice: Invoice,
    lines: Seq[LineData],
    *,
    date: dt.date,
    due_date: dt.date | None,
    status: str,
    reference: str,
    amount_type: str,
) -> Invoice:
    """Change an invoice's header and lines; paid and voided invoices are refused."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status not in EDITABLE_STATUSES:
        raise ValidationError(
            f"Invoice {locked.number} is {locked.get_status_display().lower()} "
            "and can no longer be changed."
        )
    if status not in EDITABLE_STATUSES:
        raise ValidationError({"status": ["Choose DRAFT, SUBMITTED or AUTHORISED."]})
    locked.due_date = _check_header(locked.customer, date, due_date)
    locked.date = date
    locked.status = status
    locked.reference = reference
    locked.amount_type = amount_type
    locked.save()
    write_lines(locked, InvoiceLine, "invoice", lines)
    return locked


@transaction.atomic
def delete_invoice(invoice: Invoice) -> int:
    """Delete an invoice and roll its billing back: the time it billed is ready again.

    Refuses a paid invoice (its payment must be removed first). Returns how many time entries
    became ready for invoicing again. All of it happens in one transaction.
    """
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status == DocumentStatus.PAID:
        raise refuse_deletion(
            f"Invoice {locked.number} is paid; remove its payment before deleting it."
        )
    released = TimeEntry.objects.filter(invoice_line__invoice=locked).update(invoice_line=None)
    locked.delete()
    return released


@transaction.atomic
def delete_recurring_invoice(schedule: RecurringInvoice) -> None:
    """Delete a recurring invoice; invoices it already raised stay, unlinked from it."""
    RecurringInvoice.objects.filter(pk=schedule.pk).delete()
