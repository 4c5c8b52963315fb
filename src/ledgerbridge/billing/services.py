"""Invoice use cases: issue, change and delete invoices (deletion rolls billing back).

Every screen, REST endpoint, CLI command and task that changes an invoice calls one of these;
each runs in its own transaction and refuses with one `ValidationError` keyed by field
(`customer`, `due_date`, `lines[i].quantity`, `lines[i].tracking_options[j]`…), which screens
show beside the field and the API returns as `{"field", "message"}` pairs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence as Seq
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from ledgerbridge import integrations, money
from ledgerbridge.billing.credit_notes import issue_credit_note, open_on
from ledgerbridge.billing.documents import (
    LineData,
    check_theme,
    next_number,
    total_of,
    turned,
    write_lines,
)
from ledgerbridge.billing.models import (
    AmountTypes,
    CreditNote,
    CreditNoteKind,
    DocumentStatus,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    RecurringInvoice,
)
from ledgerbridge.customers.models import Customer
from ledgerbridge.dates import LATEST_DATE, RANGE_TEXT, add_days, check_dates, in_range
from ledgerbridge.deletion import refuse_deletion
from ledgerbridge.sync.currencies import document_currency
from ledgerbridge.sync.models import SyncSettings
from ledgerbridge.sync.services import RecordKind, mark_changed, mark_deleted
from ledgerbridge.work.models import TimeEntry

INVOICE_PREFIX = "INV-"
EDITABLE_STATUSES = {DocumentStatus.DRAFT, DocumentStatus.SUBMITTED, DocumentStatus.AUTHORISED}
NEGATIVE = (
    "The lines add up to less than 0, and Xero takes no negative invoices: take the credit "
    "lines out and raise a credit note for them."
)


def _refuse_negative(invoice: Invoice) -> None:
    if invoice.total < 0:
        raise ValidationError({"lines": [NEGATIVE]})


def _check_header(customer: Customer, date: dt.date, due_date: dt.date | None) -> dt.date:
    if not customer.active:
        raise ValidationError({"customer": [f"{customer} is inactive; reactivate it to bill it."]})
    check_dates(date=date, due_date=due_date)
    due = due_date or due_from_terms(customer, date)
    if due < date:
        raise ValidationError({"due_date": ["The due date cannot be before the invoice date."]})
    return due


def _check_external_number(number: str) -> str:
    """INV-2: another number for the accounting system, only while the setting allows it."""
    number = number.strip()
    if number and not SyncSettings.get().allow_number_override:
        raise ValidationError(
            {
                "external_number": [
                    "Invoices may not carry a number of their own in the accounting system: "
                    "leave it blank, or allow it in the sync settings."
                ]
            }
        )
    return number


def due_from_terms(customer: Customer, date: dt.date) -> dt.date:
    """`date` plus the customer's payment terms; a due date past the accepted range (or past
    any date at all, for terms stored before they were bounded) is refused on `due_date`."""
    terms = customer.payment_terms_days
    due = add_days(date, terms)
    if due is None or not in_range(due):
        raise ValidationError(
            {
                "due_date": [
                    f"{customer}'s payment terms ({terms} days) put the due date after "
                    f"{LATEST_DATE.isoformat()}; enter a due date {RANGE_TEXT}."
                ]
            }
        )
    return due


@transaction.atomic
def issue_invoice(
    customer: Customer,
    lines: Seq[LineData],
    *,
    date: dt.date,
    due_date: dt.date | None = None,
    kind: str = InvoiceKind.MANUAL,
    status: str | None = None,
    reference: str = "",
    amount_type: str = AmountTypes.EXCLUSIVE,
    recurring: RecurringInvoice | None = None,
    recurring_date: dt.date | None = None,
    branding_theme_id: int | None = None,
    external_number: str = "",
    allow_external_number: bool = False,
    currency: str | None = None,
) -> Invoice:
    """Create an invoice with its lines, their tracking options and its totals, numbered.

    Writes: the invoice (the next number of the "invoice" sequence), its lines (blanks filled
    from each line's product, see `documents.apply_product_defaults`), the lines' own tracking
    options, and the totals, all in one transaction; the record is marked changed for sync.
    Refuses (ValidationError, nothing written, no number used): a status other than DRAFT,
    SUBMITTED or AUTHORISED (`status`); an inactive customer (`customer`); a date or due date
    outside `dates`' range, given or from the payment terms (`date`, `due_date`); a due date
    before the date (`due_date`); bad lines (`lines`, `lines[i].<field>`); refused tracking options
    (`lines[i].tracking_options[j]`); a branding theme of another organisation than the
    customer's (`branding_theme`, INV-3); a number of its own in the accounting system while
    the setting does not allow one (`external_number`, INV-2); a currency that is not three
    capital letters, or that the customer's organisation has not enabled, naming the fix
    (`currency`). Not idempotent: each call issues a new invoice (a recurring schedule's date
    can be raised once only: the database refuses a second). No `status`: the default status
    for invoices (GEN-2, a sync setting). No `currency` (or ""): the customer's, else its
    organisation's base currency (`sync.currencies.currency_for`).
    """
    status = status or SyncSettings.get().default_invoice_status
    if status not in EDITABLE_STATUSES:
        raise ValidationError(
            {"status": ["A new invoice starts as DRAFT, SUBMITTED or AUTHORISED."]}
        )
    due = _check_header(customer, date, due_date)
    theme = check_theme(branding_theme_id, customer.organisation_id)
    chosen = document_currency(customer, currency)
    if not allow_external_number:  # one made in the accounting system keeps its number there
        external_number = _check_external_number(external_number)
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
        branding_theme=theme,
        external_number=external_number,
        currency=chosen,
    )
    write_lines(invoice, InvoiceLine, "invoice", lines)
    _refuse_negative(invoice)
    mark_changed(RecordKind.INVOICE, invoice.pk, customer.organisation_id)
    return invoice


@transaction.atomic
def issue_invoice_or_credit(
    customer: Customer,
    lines: Seq[LineData],
    *,
    date: dt.date,
    due_date: dt.date | None = None,
    status: str | None = None,
    reference: str = "",
    amount_type: str = AmountTypes.EXCLUSIVE,
    branding_theme_id: int | None = None,
    external_number: str = "",
    currency: str | None = None,
) -> Invoice | CreditNote:
    """A manual invoice (`issue_invoice`); or, when its lines add up to less than 0, a credit
    note for the customer with the lines' signs turned: Xero takes no negative invoices, so
    one never exists. Refuses as `issue_invoice` does (a credit note as
    `credit_notes.issue_credit_note`)."""
    negative = total_of(lines, amount_type) < 0
    if negative and external_number.strip():
        raise ValidationError(
            {
                "external_number": [
                    "The lines add up to less than 0, so this is raised as a credit note, which "
                    "takes no Xero invoice number: leave it blank."
                ]
            }
        )
    if not negative:
        return issue_invoice(
            customer,
            lines,
            date=date,
            due_date=due_date,
            status=status,
            reference=reference,
            amount_type=amount_type,
            branding_theme_id=branding_theme_id,
            external_number=external_number,
            currency=currency,
        )
    check_dates(due_date=due_date)
    return issue_credit_note(
        customer,
        turned(lines),
        date=date,
        status=status,
        reference=reference,
        reason="Entered as an invoice whose lines added up to less than 0.",
        amount_type=amount_type,
        branding_theme_id=branding_theme_id,
        kind=CreditNoteKind.NEGATIVE,
        currency=currency,
    )


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
    branding_theme_id: int | None = None,
    external_number: str | None = None,
    currency: str | None = None,
) -> Invoice:
    """Change an invoice's header and replace its lines (see `documents.write_lines`).

    Writes the header, the lines (kept rows keep the time they billed; removed rows release
    it), their tracking options and the totals in one transaction, under a row lock; the
    record is marked changed for sync. The customer never changes. Refuses (ValidationError,
    nothing written): a paid or voided invoice (no field); a status other than DRAFT,
    SUBMITTED or AUTHORISED (`status`); an inactive customer (`customer`); a date or due date
    outside `dates`' range, given or from the payment terms (`date`, `due_date`); a due date
    before the date (`due_date`); bad lines, tracking options, branding theme or number in the
    accounting system, keyed as for `issue_invoice`; a currency refused as there, or, once the
    invoice is in the accounting system, another currency than the one it is in there
    (`currency`). `branding_theme_id` None: the customer's default theme; `external_number`
    None: kept as it is; `currency` None: kept as it is, "": the customer's. Idempotent: the
    same call again leaves the same invoice.
    """
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status not in EDITABLE_STATUSES:
        raise ValidationError(
            f"Invoice {locked.number} is {locked.get_status_display().lower()} "
            "and can no longer be changed."
        )
    credited = list(
        CreditNote.objects.filter(invoice=locked)
        .exclude(status=DocumentStatus.VOIDED)
        .values_list("number", flat=True)
    )
    if credited and status != DocumentStatus.AUTHORISED:
        raise ValidationError(
            {
                "status": [
                    f"Credit notes are raised against it ({', '.join(sorted(credited))}), so it "
                    "stays authorised."
                ]
            }
        )
    if credited and currency and currency not in (locked.currency, locked.currency_shown):
        raise ValidationError(
            {"currency": ["Credit notes are raised against it, so its currency stays as it is."]}
        )
    if status not in EDITABLE_STATUSES:
        raise ValidationError({"status": ["Choose DRAFT, SUBMITTED or AUTHORISED."]})
    locked.due_date = _check_header(locked.customer, date, due_date)
    locked.date = date
    locked.status = status
    locked.reference = reference
    locked.amount_type = amount_type
    locked.branding_theme = check_theme(branding_theme_id, locked.customer.organisation_id)
    if external_number is not None and external_number.strip() != locked.external_number:
        locked.external_number = _check_external_number(external_number)
    locked.currency = document_currency(
        locked.customer,
        currency,
        document=locked,
        kind=RecordKind.INVOICE,
        label=f"Invoice {locked.number}",
    )
    locked.save()
    write_lines(locked, InvoiceLine, "invoice", lines)
    _refuse_negative(locked)
    if open_on(locked) < 0:
        raise ValidationError(
            {
                "lines": [
                    f"The lines add up to {locked.total}, less than is paid and credited on it "
                    f"({locked.total - open_on(locked)}); raise a credit note instead."
                ]
            }
        )
    mark_changed(RecordKind.INVOICE, locked.pk, locked.customer.organisation_id)
    return locked


@transaction.atomic
def delete_invoice(invoice: Invoice) -> int:
    """Delete an invoice and roll its billing back: the time it billed is ready again.

    Writes, in one transaction: the time entries it billed become ready for invoicing again,
    the invoice and its lines are deleted, and the deletion is marked for sync (the sync
    record outlives the invoice). Refuses a paid invoice, here or in the accounting system as
    last seen (ValidationError with no field: its payment must be removed first). Returns how
    many time entries became ready again. Not idempotent: a second call finds no invoice
    (Invoice.DoesNotExist).
    """
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status == DocumentStatus.PAID:
        raise refuse_deletion(
            f"Invoice {locked.number} is paid; remove its payment before deleting it."
        )
    credited = list(
        CreditNote.objects.filter(invoice=locked)
        .order_by("number")
        .values_list("number", flat=True)
    )
    if credited:
        raise refuse_deletion(
            f"Invoice {locked.number} has credit notes against it ({', '.join(credited)}); "
            "delete them first."
        )
    if reason := integrations.why_not_delete(RecordKind.INVOICE, locked):
        raise refuse_deletion(reason)  # paid in the accounting system (INV-9)
    released = TimeEntry.objects.filter(invoice_line__invoice=locked).update(invoice_line=None)
    pk = locked.pk
    locked.delete()
    mark_deleted(RecordKind.INVOICE, pk)
    return released


@transaction.atomic
def record_accounting_status(invoice: Invoice, status: str) -> int:
    """What the accounting system now says of an invoice (brought back from it, so not marked
    changed for sync): PAID, and it can no longer be changed or deleted here; AUTHORISED again
    (a payment removed there); VOIDED (voided or deleted there), and its billing is rolled back
    as a deletion would: the time it billed is ready for invoicing again. Returns how many
    time entries became ready again. Idempotent."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    released = 0
    if status == DocumentStatus.VOIDED and locked.status != DocumentStatus.VOIDED:
        released = TimeEntry.objects.filter(invoice_line__invoice=locked).update(invoice_line=None)
    if locked.status != status:
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
    return released


@transaction.atomic
def record_accounting_amounts(invoice: Invoice, paid: Decimal, credited: Decimal) -> Invoice:
    """What the accounting system now says is paid on an invoice and credited on it (credit
    notes allocated), brought back from it (not marked changed). Idempotent."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    paid, credited = money.round_money(paid), money.round_money(credited)
    if (locked.amount_paid, locked.amount_credited) != (paid, credited):
        locked.amount_paid = paid
        locked.amount_credited = credited
        locked.save(update_fields=["amount_paid", "amount_credited", "updated_at"])
    return locked


@transaction.atomic
def delete_recurring_invoice(schedule: RecurringInvoice) -> None:
    """Delete a recurring invoice and its lines; invoices it already raised stay, unlinked
    from it. Refuses nothing; idempotent (deleting one already gone does nothing)."""
    RecurringInvoice.objects.filter(pk=schedule.pk).delete()
