"""REST endpoints for invoices, billing time, and recurring invoices (area: invoices)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from ledgerbridge.api_support import (
    ERRORS,
    Id,
    ListQuery,
    TokenAuth,
    fetch,
    paged,
    resolve_required,
)
from ledgerbridge.billing.credit_notes import (
    balances_of,
    delete_credit_note,
    issue_credit_note,
    lines_to_credit,
    update_credit_note,
)
from ledgerbridge.billing.labour import bill_time
from ledgerbridge.billing.models import BrandingTheme, CreditNote, Invoice, RecurringInvoice
from ledgerbridge.billing.recurring import (
    confirm_catch_up,
    create_recurring,
    raise_due_invoices,
    update_recurring,
)
from ledgerbridge.billing.schemas import (
    BalanceOut,
    BillTimeIn,
    BrandingThemeOut,
    ConfirmCatchUpIn,
    CreditNoteIn,
    CreditNoteOut,
    CreditNotePage,
    CreditNoteQuery,
    CreditNoteUpdateIn,
    InvoiceDeletedOut,
    InvoiceIn,
    InvoiceOut,
    InvoicePage,
    InvoiceQuery,
    InvoiceUpdateIn,
    RaisedOut,
    ReadyPage,
    RecurringIn,
    RecurringOut,
    RecurringPage,
)
from ledgerbridge.billing.services import (
    delete_invoice,
    delete_recurring_invoice,
    issue_invoice_or_credit,
    update_invoice,
)
from ledgerbridge.customers.models import Customer
from ledgerbridge.work.services import ready_by_customer

AREA = "invoices"
invoices_router = Router(tags=["invoices"], auth=TokenAuth(AREA))
ready_router = Router(tags=["ready for invoicing"], auth=TokenAuth(AREA))
recurring_router = Router(tags=["recurring invoices"], auth=TokenAuth(AREA))
themes_router = Router(tags=["branding themes"], auth=TokenAuth(AREA))
credit_notes_router = Router(tags=["credit notes"], auth=TokenAuth(AREA))


def _invoices() -> QuerySet[Invoice]:
    return Invoice.objects.select_related("customer__organisation")


def _full(invoice_id: int) -> Invoice:
    """An invoice with its lines and the time they bill, loaded for rendering."""
    invoice = fetch(Invoice, invoice_id, "Invoice")
    return _invoices().prefetch_related("lines__time_entries").get(pk=invoice.pk)


# --- Invoices ---------------------------------------------------------------------------------


@invoices_router.get("/", response={200: InvoicePage, **ERRORS})
def list_invoices(request: HttpRequest, params: Query[InvoiceQuery]) -> dict[str, Any]:
    """Invoices, newest first; `q` searches number, reference and customer name."""
    invoices = _invoices()
    if params.q:
        invoices = invoices.filter(
            Q(number__icontains=params.q)
            | Q(reference__icontains=params.q)
            | Q(customer__name__icontains=params.q)
        )
    if params.status:
        invoices = invoices.filter(status=params.status)
    if params.customer:
        invoices = invoices.filter(customer_id=params.customer)
    if params.kind:
        invoices = invoices.filter(kind=params.kind)
    return paged(invoices, params)


@invoices_router.post("/", response={201: InvoiceOut | CreditNoteOut, **ERRORS})
def create_invoice(
    request: HttpRequest, payload: InvoiceIn
) -> Status[Invoice] | Status[CreditNote]:
    """Issue a manual invoice; its number and totals are computed here, never sent. Lines
    adding up to less than 0 raise a credit note instead (`document` says which came back):
    Xero takes no negative invoices."""
    customer = resolve_required(Customer, payload.customer, "customer", "Customer")
    made = issue_invoice_or_credit(
        customer,
        payload.line_data(),
        date=payload.date,
        due_date=payload.due_date,
        status=payload.status,
        reference=payload.reference,
        amount_type=payload.amount_type,
        branding_theme_id=payload.branding_theme,
        external_number=payload.external_number,
        currency=payload.currency,
    )
    if isinstance(made, CreditNote):
        return Status(201, _note(made.pk))
    return Status(201, _full(made.pk))


@invoices_router.get("/{invoice_id}", response={200: InvoiceOut, **ERRORS})
def get_invoice(request: HttpRequest, invoice_id: Id) -> Invoice:
    return _full(invoice_id)


@invoices_router.put("/{invoice_id}", response={200: InvoiceOut, **ERRORS})
def change_invoice(request: HttpRequest, invoice_id: Id, payload: InvoiceUpdateIn) -> Invoice:
    """Replace an invoice's header and lines (lines kept in place keep the time they bill)."""
    invoice = update_invoice(
        fetch(Invoice, invoice_id, "Invoice"),
        payload.line_data(),
        date=payload.date,
        due_date=payload.due_date,
        status=payload.status,
        reference=payload.reference,
        amount_type=payload.amount_type,
        branding_theme_id=payload.branding_theme,
        external_number=payload.external_number,
        currency=payload.currency,
    )
    return _full(invoice.pk)


@invoices_router.delete("/{invoice_id}", response={200: InvoiceDeletedOut, **ERRORS})
def remove_invoice(request: HttpRequest, invoice_id: Id) -> dict[str, int]:
    """Delete an invoice and roll its billing back: the time it billed is ready again."""
    released = delete_invoice(fetch(Invoice, invoice_id, "Invoice"))
    return {"released_time_entries": released}


# --- Ready for invoicing, and billing it ------------------------------------------------------


@ready_router.get("/", response={200: ReadyPage, **ERRORS})
def ready_for_invoicing(request: HttpRequest, params: Query[ListQuery]) -> dict[str, Any]:
    """Billable time not yet invoiced, one item per customer; `q` searches customer names."""
    groups = [
        {
            "customer": customer.pk,
            "customer_name": customer.name,
            "hours": sum((e.hours for e in entries), Decimal(0)),
            "time_entries": entries,
        }
        for customer, entries in ready_by_customer().items()
        if not params.q or params.q.lower() in customer.name.lower()
    ]
    return {"count": len(groups), "items": groups[params.offset : params.offset + params.limit]}


@ready_router.post("/bill", response={201: list[InvoiceOut], **ERRORS})
def bill_ready_time(request: HttpRequest, payload: BillTimeIn) -> Status[list[Invoice]]:
    """Bill the chosen time entries: one labour invoice per customer, all or nothing."""
    invoices = bill_time(payload.time_entries, date=payload.date)
    return Status(201, [_full(invoice.pk) for invoice in invoices])


# --- Recurring invoices -----------------------------------------------------------------------


def _schedules() -> QuerySet[RecurringInvoice]:
    return RecurringInvoice.objects.select_related("customer__organisation").prefetch_related(
        "lines"
    )


@recurring_router.get("/", response={200: RecurringPage, **ERRORS})
def list_recurring(request: HttpRequest, params: Query[ListQuery]) -> dict[str, Any]:
    """Recurring invoices by next date; `q` searches reference and customer name."""
    schedules = _schedules()
    if params.q:
        schedules = schedules.filter(
            Q(reference__icontains=params.q) | Q(customer__name__icontains=params.q)
        )
    return paged(schedules, params)


@recurring_router.post("/", response={201: RecurringOut, **ERRORS})
def create_recurring_invoice(
    request: HttpRequest, payload: RecurringIn
) -> Status[RecurringInvoice]:
    customer = resolve_required(Customer, payload.customer, "customer", "Customer")
    schedule = create_recurring(
        customer.pk,
        payload.line_data(),
        start_date=payload.start_date,
        end_date=payload.end_date,
        interval_unit=payload.interval_unit,
        interval_count=payload.interval_count,
        reference=payload.reference,
        status=payload.status,
        amount_type=payload.amount_type,
        active=payload.active,
        branding_theme_id=payload.branding_theme,
        currency=payload.currency,
    )
    return Status(201, _schedules().get(pk=schedule.pk))


@recurring_router.post("/raise-due", response={200: RaisedOut, **ERRORS})
def raise_due(request: HttpRequest) -> dict[str, list[Invoice]]:
    """Raise every recurring invoice due today or earlier now (safe to repeat)."""
    raised = raise_due_invoices(timezone.localdate())
    return {"raised": list(_invoices().filter(pk__in=[i.pk for i in raised]))}


@recurring_router.get("/{recurring_id}", response={200: RecurringOut, **ERRORS})
def get_recurring(request: HttpRequest, recurring_id: Id) -> RecurringInvoice:
    fetch(RecurringInvoice, recurring_id, "Recurring invoice")
    return _schedules().get(pk=recurring_id)


@recurring_router.put("/{recurring_id}", response={200: RecurringOut, **ERRORS})
def change_recurring(
    request: HttpRequest, recurring_id: Id, payload: RecurringIn
) -> RecurringInvoice:
    """Replace a schedule and its lines; moving the start re-bases the next date."""
    schedule = fetch(RecurringInvoice, recurring_id, "Recurring invoice")
    customer = resolve_required(Customer, payload.customer, "customer", "Customer")
    update_recurring(
        schedule,
        payload.line_data(),
        customer=customer,
        reference=payload.reference,
        amount_type=payload.amount_type,
        start_date=payload.start_date,
        end_date=payload.end_date,
        interval_unit=payload.interval_unit,
        interval_count=payload.interval_count,
        status=payload.status,
        active=payload.active,
        branding_theme_id=payload.branding_theme,
        currency=payload.currency,
    )
    return _schedules().get(pk=recurring_id)


@recurring_router.post("/{recurring_id}/confirm", response={200: RecurringOut, **ERRORS})
def confirm_recurring_catch_up(
    request: HttpRequest, recurring_id: Id, payload: ConfirmCatchUpIn
) -> RecurringInvoice:
    """Confirm what a schedule far behind waits for: send `awaiting_confirmation`'s `invoices`
    and `last_date` (as `through`). The invoices are raised by the next run (every minute, or
    raise-due). 422 when nothing waits or the numbers are not what waits now."""
    schedule = fetch(RecurringInvoice, recurring_id, "Recurring invoice")
    confirm_catch_up(
        schedule, invoices=payload.invoices, through=payload.through, today=timezone.localdate()
    )
    return _schedules().get(pk=recurring_id)


@recurring_router.delete("/{recurring_id}", response={204: None, **ERRORS})
def remove_recurring(request: HttpRequest, recurring_id: Id) -> Status[None]:
    """Delete a schedule; the invoices it raised stay."""
    delete_recurring_invoice(fetch(RecurringInvoice, recurring_id, "Recurring invoice"))
    return Status(204, None)


# --- Branding themes ------------------------------------------------------------------------


@themes_router.get("/", response={200: list[BrandingThemeOut], **ERRORS})
def list_branding_themes(
    request: HttpRequest, organisation: Id | None = None
) -> QuerySet[BrandingTheme]:
    """The branding themes an invoice may choose, as the last import brought them;
    `organisation`: only that organisation's (a customer's `organisation`)."""
    themes = BrandingTheme.objects.all()
    if organisation is not None:
        themes = themes.filter(organisation_id=organisation)
    return themes.order_by("organisation_id", "sort_order", "name")


# --- Credit notes -----------------------------------------------------------------------------


def _note(note_id: int) -> CreditNote:
    fetch(CreditNote, note_id, "Credit note")
    return (
        CreditNote.objects.select_related("customer")
        .prefetch_related("lines__tracking_options")
        .get(pk=note_id)
    )


@credit_notes_router.get("/", response={200: CreditNotePage, **ERRORS})
def list_credit_notes(request: HttpRequest, params: Query[CreditNoteQuery]) -> dict[str, Any]:
    """Credit notes, newest first; `q` searches number, reference and customer name."""
    notes = CreditNote.objects.select_related("customer")
    if params.q:
        notes = notes.filter(
            Q(number__icontains=params.q)
            | Q(reference__icontains=params.q)
            | Q(customer__name__icontains=params.q)
        )
    if params.status:
        notes = notes.filter(status=params.status)
    if params.customer:
        notes = notes.filter(customer_id=params.customer)
    if params.invoice:
        notes = notes.filter(invoice_id=params.invoice)
    return paged(notes, params)


@credit_notes_router.post("/", response={201: CreditNoteOut, **ERRORS})
def create_credit_note(request: HttpRequest, payload: CreditNoteIn) -> Status[CreditNote]:
    """Raise a credit note: for a customer on its own, or against one of its authorised
    invoices (`invoice`; its lines are credited as they are unless `lines` says otherwise),
    to which it is allocated in the accounting system once both are there."""
    invoice = None
    if payload.invoice is not None:
        invoice = resolve_required(Invoice, payload.invoice, "invoice", "Invoice")
    if payload.customer is not None:
        customer = resolve_required(Customer, payload.customer, "customer", "Customer")
    elif invoice is not None:
        customer = invoice.customer
    else:
        raise ValidationError({"customer": ["Give the customer, or the invoice credited."]})
    if payload.invoice_lines is not None and (invoice is None or payload.lines is not None):
        raise ValidationError(
            {
                "invoice_lines": [
                    "Give invoice_lines only with an invoice and without lines (they pick which "
                    "of the invoice's lines are credited)."
                ]
            }
        )
    if payload.lines is not None:
        lines = payload.line_data()
    elif invoice is not None:
        lines = lines_to_credit(invoice, payload.invoice_lines)
    else:
        raise ValidationError({"lines": ["Give the lines (a standalone credit note has none)."]})
    note = issue_credit_note(
        customer,
        lines,
        invoice=invoice,
        date=payload.date,
        status=payload.status,
        reference=payload.reference,
        reason=payload.reason,
        amount_type=payload.amount_type,
        branding_theme_id=payload.branding_theme,
        currency=payload.currency,
    )
    return Status(201, _note(note.pk))


@credit_notes_router.get("/{credit_note_id}", response={200: CreditNoteOut, **ERRORS})
def get_credit_note(request: HttpRequest, credit_note_id: Id) -> CreditNote:
    return _note(credit_note_id)


@credit_notes_router.put("/{credit_note_id}", response={200: CreditNoteOut, **ERRORS})
def change_credit_note(
    request: HttpRequest, credit_note_id: Id, payload: CreditNoteUpdateIn
) -> CreditNote:
    """Replace a credit note's header and lines; refused (422) once it is paid, voided or
    allocated in the accounting system."""
    update_credit_note(
        fetch(CreditNote, credit_note_id, "Credit note"),
        payload.line_data(),
        date=payload.date,
        status=payload.status,
        reference=payload.reference,
        reason=payload.reason,
        amount_type=payload.amount_type,
        branding_theme_id=payload.branding_theme,
        currency=payload.currency,
    )
    return _note(credit_note_id)


@credit_notes_router.delete("/{credit_note_id}", response={204: None, **ERRORS})
def remove_credit_note(request: HttpRequest, credit_note_id: Id) -> Status[None]:
    """Delete a credit note (deleted or voided in the accounting system, by its status there);
    refused (409) once its credit is allocated there."""
    delete_credit_note(fetch(CreditNote, credit_note_id, "Credit note"))
    return Status(204, None)


@credit_notes_router.get("/balance/{customer_id}", response={200: list[BalanceOut], **ERRORS})
def customer_balance(request: HttpRequest, customer_id: Id) -> list[dict[str, Any]]:
    """A customer's balance per currency: due on its authorised invoices less its unused
    credit (empty when nothing is owed or credited)."""
    customer = fetch(Customer, customer_id, "Customer")
    return [
        {
            "customer": customer.pk,
            "currency": found.currency,
            "owed": found.owed,
            "credit": found.credit,
            "balance": found.balance,
        }
        for found in balances_of(customer)
    ]
