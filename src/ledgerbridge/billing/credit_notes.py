"""Credit note use cases: raise credit for a customer, on its own or against one of its
invoices; change, delete; what the accounting system says of it; a customer's balance.

Every screen and REST endpoint that changes a credit note calls one of these; each runs in its
own transaction and refuses with one `ValidationError` keyed by field (`invoice`, `date`,
`lines`, `lines[i].quantity`...), as the invoice services do.

A credit note raised against an invoice is allocated to it in the accounting system for its
total once both are there (the integration does it, through the `allocation` sync record), and
the invoice's amount due follows. How much may be credited on an invoice: its total, less
what is paid on it and what other credit notes against it credit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum

from ledgerbridge import integrations, money
from ledgerbridge.billing.documents import LineData, check_theme, next_number, write_lines
from ledgerbridge.billing.models import (
    AmountTypes,
    CreditNote,
    CreditNoteKind,
    CreditNoteLine,
    DocumentStatus,
    Invoice,
    InvoiceLine,
)
from ledgerbridge.customers.models import Customer
from ledgerbridge.dates import check_dates
from ledgerbridge.deletion import refuse_deletion
from ledgerbridge.sync.currencies import document_currency
from ledgerbridge.sync.models import SyncSettings, SyncState
from ledgerbridge.sync.services import RecordKind, link_of, mark_changed, mark_deleted

CREDIT_NOTE_PREFIX = "CN-"
EDITABLE_STATUSES = {DocumentStatus.DRAFT, DocumentStatus.SUBMITTED, DocumentStatus.AUTHORISED}


def open_on(invoice: Invoice, *, besides: int | None = None) -> Decimal:
    """What may still be credited on `invoice`: its total, less what is paid on it, less the
    credit already applied to it (as the accounting system last said, or what our credit notes
    against it have allocated, whichever is more: credit notes made there count too), less the
    credit of our credit notes against it not allocated yet (not voided; `besides` left out)."""
    others = CreditNote.objects.filter(invoice=invoice).exclude(status=DocumentStatus.VOIDED)
    if besides is not None:
        others = others.exclude(pk=besides)
    sums = others.aggregate(total=Sum("total"), allocated=Sum("amount_allocated"))
    ours_total = Decimal(sums["total"] or 0)
    ours_allocated = Decimal(sums["allocated"] or 0)
    applied = max(invoice.amount_credited, ours_allocated)
    pending = ours_total - ours_allocated
    return money.round_money(invoice.total - invoice.amount_paid - applied - pending)


def _check_invoice(invoice: Invoice, customer: Customer) -> None:
    """Credit goes against an authorised invoice of the same customer."""
    if invoice.customer_id != customer.pk:
        raise ValidationError(
            {"invoice": [f"Invoice {invoice.number} is {invoice.customer}'s, not {customer}'s."]}
        )
    problem = {
        DocumentStatus.DRAFT: "is a draft: change its lines instead of crediting it",
        DocumentStatus.SUBMITTED: "is awaiting approval: change its lines instead of crediting it",
        DocumentStatus.PAID: "is paid: raise a standalone credit note for the customer and "
        "refund it in Xero",
        DocumentStatus.VOIDED: "is voided: nothing is owed on it",
    }.get(DocumentStatus(invoice.status))
    if problem:
        raise ValidationError({"invoice": [f"Invoice {invoice.number} {problem}."]})


def _check_amount(note: CreditNote) -> None:
    if note.total <= 0:
        raise ValidationError(
            {"lines": ["A credit note's lines must add up to more than 0; check the amounts."]}
        )
    if note.invoice is not None:
        left = open_on(note.invoice, besides=note.pk)
        if note.total > left:
            raise ValidationError(
                {
                    "lines": [
                        f"This credit ({note.total}) is more than is left to credit on invoice "
                        f"{note.invoice.number} ({left}); lower the lines."
                    ]
                }
            )


def _check_status(status: str) -> None:
    if status not in EDITABLE_STATUSES:
        raise ValidationError({"status": ["Choose DRAFT, SUBMITTED or AUTHORISED."]})


def lines_to_credit(invoice: Invoice, line_ids: Seq[int] | None = None) -> list[LineData]:
    """The invoice's lines (all, or those of `line_ids`) as credit note lines: the same
    description, quantity, price, tax rate, product, code, charge rate and own tracking options.
    An id that is not one of the invoice's lines is refused, keyed `lines`."""
    rows = list(
        InvoiceLine.objects.filter(invoice=invoice)
        .prefetch_related("tracking_options")
        .order_by("position", "id")
    )
    if line_ids is not None:
        wanted = list(dict.fromkeys(line_ids))
        unknown = sorted(set(wanted) - {row.pk for row in rows})
        if unknown:
            raise ValidationError(
                {"lines": [f"Lines {unknown} are not lines of invoice {invoice.number}."]}
            )
        by_id = {row.pk: row for row in rows}
        rows = [by_id[pk] for pk in wanted]
    return [
        LineData(
            description=row.description,
            quantity=row.quantity,
            unit_price=row.unit_price,
            tax_rate_id=row.tax_rate_id,
            product_id=row.product_id,
            item_code=row.item_code,
            charge_rate_id=row.charge_rate_id,
            tracking_option_ids=tuple(o.pk for o in row.tracking_options.all()),
        )
        for row in rows
    ]


@transaction.atomic
def issue_credit_note(
    customer: Customer,
    lines: Seq[LineData],
    *,
    date: dt.date,
    invoice: Invoice | None = None,
    status: str | None = None,
    reference: str = "",
    reason: str = "",
    amount_type: str = AmountTypes.EXCLUSIVE,
    branding_theme_id: int | None = None,
    kind: str | None = None,
    external_number: str = "",
    currency: str | None = None,
) -> CreditNote:
    """Raise a credit note with its lines, their tracking options and its totals, numbered
    CN-000001 onwards.

    Writes, in one transaction: the credit note, its lines (blanks filled from products, as on
    invoices) and totals; it is marked changed for sync, and so is its allocation when it is
    raised against an invoice. Refuses (ValidationError, nothing written, no number used): a
    status other than DRAFT, SUBMITTED or AUTHORISED (`status`); an inactive customer
    (`customer`); a date outside the accepted range (`date`); an invoice of another customer,
    or one not authorised (`invoice`); lines adding up to 0 or less, or to more than is left
    to credit on the invoice (`lines`); bad lines or tracking options (`lines[i].<field>`); a
    branding theme of another organisation (`branding_theme`); a currency refused as for
    invoices (`currency`). No `status`: the default status for invoices (GEN-2). No `currency`
    (or ""): the invoice's when it credits one, else the customer's. Not idempotent: each call
    raises a new credit note.
    """
    status = status or SyncSettings.get().default_invoice_status
    _check_status(status)
    if not customer.active:
        raise ValidationError(
            {"customer": [f"{customer} is inactive; reactivate it to credit it."]}
        )
    check_dates(date=date)
    if invoice is not None:
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        _check_invoice(invoice, customer)
    theme = check_theme(branding_theme_id, customer.organisation_id)
    if invoice is not None:  # credit is given in the currency it was billed in
        _same_currency(invoice, currency)
        chosen = invoice.currency
    else:
        chosen = document_currency(customer, currency)
    note = CreditNote.objects.create(
        number=next_number("credit_note", CREDIT_NOTE_PREFIX),
        customer=customer,
        invoice=invoice,
        kind=kind or (CreditNoteKind.INVOICE if invoice else CreditNoteKind.STANDALONE),
        status=status,
        date=date,
        reference=reference,
        reason=reason.strip(),
        amount_type=amount_type,
        branding_theme=theme,
        external_number=external_number,
        currency=chosen,
    )
    write_lines(note, CreditNoteLine, "credit_note", lines)
    _check_amount(note)
    mark_changed(RecordKind.CREDIT_NOTE, note.pk, customer.organisation_id)
    if invoice is not None:
        mark_changed(RecordKind.ALLOCATION, note.pk, customer.organisation_id)
    return note


def _same_currency(invoice: Invoice, given: str | None) -> None:
    if given and given not in (invoice.currency, invoice.currency_shown):
        billed = invoice.currency_shown or "its base currency"
        said = f"Invoice {invoice.number} is in {billed}: credit it in the same currency."
        raise ValidationError({"currency": [said]})


def _allocated_reason(note: CreditNote) -> str | None:
    """Why a credit note can no longer change: its credit is allocated in the accounting
    system, as last seen, or being allocated right now (its allocation is on its way)."""
    allocation = link_of(RecordKind.ALLOCATION, note.pk)
    if allocation is not None and (allocation.state == SyncState.IN_FLIGHT or allocation.remote_id):
        return (
            f"Credit note {note.number}'s credit is being allocated in Xero (or is allocated "
            "there): wait for it, then remove the allocation in Xero to change it."
        )
    if note.amount_allocated > 0:
        where = f" to invoice {note.invoice.number}" if note.invoice else ""
        return (
            f"Credit note {note.number} is allocated in Xero{where} "
            f"({note.amount_allocated}); remove the allocation in Xero first."
        )
    return None


@transaction.atomic
def update_credit_note(
    note: CreditNote,
    lines: Seq[LineData],
    *,
    date: dt.date,
    status: str,
    reference: str,
    reason: str,
    amount_type: str,
    branding_theme_id: int | None = None,
    currency: str | None = None,
) -> CreditNote:
    """Change a credit note's header and replace its lines, under a row lock; it is marked
    changed for sync (and its allocation, which goes once it is authorised). The customer and
    the invoice never change. Refuses (ValidationError, nothing written): a paid or voided
    credit note, or one allocated in the accounting system (no field; Xero refuses changes to
    it too); otherwise as `issue_credit_note` (`currency` None: kept as it is; one against an
    invoice stays in the invoice's). Idempotent."""
    # The invoice first (as raising a credit note does), so credit notes against one invoice
    # are checked one at a time against what is left on it.
    invoice_id = CreditNote.objects.filter(pk=note.pk).values_list("invoice_id", flat=True).get()
    if invoice_id is not None:
        Invoice.objects.select_for_update().get(pk=invoice_id)
    locked = (
        CreditNote.objects.select_for_update(of=("self",)).select_related("invoice").get(pk=note.pk)
    )
    if locked.invoice is not None:
        _check_invoice(locked.invoice, locked.customer)
    if locked.status not in EDITABLE_STATUSES:
        raise ValidationError(
            f"Credit note {locked.number} is {locked.get_status_display().lower()} "
            "and can no longer be changed."
        )
    if why := _allocated_reason(locked):
        raise ValidationError(why)
    _check_status(status)
    check_dates(date=date)
    locked.date = date
    locked.status = status
    locked.reference = reference
    locked.reason = reason.strip()
    locked.amount_type = amount_type
    locked.branding_theme = check_theme(branding_theme_id, locked.customer.organisation_id)
    if locked.invoice is None:
        locked.currency = document_currency(
            locked.customer,
            currency,
            document=locked,
            kind=RecordKind.CREDIT_NOTE,
            label=f"Credit note {locked.number}",
        )
    else:
        _same_currency(locked.invoice, currency)
    locked.save()
    write_lines(locked, CreditNoteLine, "credit_note", lines)
    _check_amount(locked)
    org = locked.customer.organisation_id
    mark_changed(RecordKind.CREDIT_NOTE, locked.pk, org)
    if locked.invoice_id is not None:
        mark_changed(RecordKind.ALLOCATION, locked.pk, org)
    return locked


@transaction.atomic
def delete_credit_note(note: CreditNote) -> None:
    """Delete a credit note; in the accounting system it becomes deleted (draft, submitted) or
    voided (authorised). Refuses (ValidationError with no field, nothing written) one paid or
    allocated there, as last seen: its allocation must be removed there first. Not idempotent:
    a second call finds no credit note (CreditNote.DoesNotExist)."""
    locked = (
        CreditNote.objects.select_for_update(of=("self",)).select_related("invoice").get(pk=note.pk)
    )
    if why := _allocated_reason(locked):
        raise refuse_deletion(why)
    if locked.status == DocumentStatus.PAID:
        raise refuse_deletion(
            f"Credit note {locked.number} is fully used; remove its allocation in Xero first."
        )
    if why := integrations.why_not_delete(RecordKind.CREDIT_NOTE, locked):
        raise refuse_deletion(why)
    pk = locked.pk
    locked.delete()
    mark_deleted(RecordKind.CREDIT_NOTE, pk)
    mark_deleted(RecordKind.ALLOCATION, pk)


@transaction.atomic
def record_credit_note_state(note: CreditNote, status: str, allocated: Decimal) -> CreditNote:
    """What the accounting system now says of a credit note (brought back, so not marked
    changed): its status (PAID once all its credit is used, VOIDED) and how much of it is
    allocated to invoices. Idempotent."""
    locked = CreditNote.objects.select_for_update().get(pk=note.pk)
    allocated = money.round_money(allocated)
    if (locked.status, locked.amount_allocated) != (status, allocated):
        locked.status = status
        locked.amount_allocated = allocated
        locked.save(update_fields=["status", "amount_allocated", "updated_at"])
    return locked


@dataclass(frozen=True)
class Balance:
    """What a customer owes in one currency: its authorised invoices' amounts due, less the
    credit of its authorised credit notes not yet used (as the accounting system last said of
    payments and allocations)."""

    currency: str  # "" while the organisation's base currency is not known
    owed: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.owed - self.credit


def amount_due(invoice: Invoice) -> Decimal:
    """What is still owed on an invoice (0 once paid or voided)."""
    if invoice.status in (DocumentStatus.PAID, DocumentStatus.VOIDED):
        return Decimal(0)
    return max(Decimal(0), invoice.total - invoice.amount_paid - invoice.amount_credited)


def balances_of(customer: Customer) -> list[Balance]:
    """The customer's balance per currency (amounts in different currencies are never added),
    by currency; exact to the cent on every database. None when nothing is owed or credited."""
    owed: dict[str, Decimal] = {}
    credit: dict[str, Decimal] = {}
    invoices = Invoice.objects.filter(customer=customer, status=DocumentStatus.AUTHORISED)
    for invoice in invoices.select_related("customer__organisation"):
        code = invoice.currency_shown
        owed[code] = owed.get(code, Decimal(0)) + amount_due(invoice)
    notes = CreditNote.objects.filter(customer=customer, status=DocumentStatus.AUTHORISED)
    for note in notes.select_related("customer__organisation"):
        code = note.currency_shown
        credit[code] = credit.get(code, Decimal(0)) + note.remaining_credit
    return [
        Balance(
            code,
            money.round_money(owed.get(code, Decimal(0))),
            money.round_money(credit.get(code, Decimal(0))),
        )
        for code in sorted(owed.keys() | credit.keys())
    ]
