"""Credit note screens: the list, a credit note's page, raising one (on its own, or against an
invoice with its lines filled in), changing and deleting one.

As the invoice screens: each view parses its forms, calls one credit note service and
redirects with a message; a refusal re-renders the page with the errors beside their fields
and a 400 (409 for a refused deletion).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from ledgerbridge import integrations
from ledgerbridge.accounts.permissions import area_required
from ledgerbridge.billing.credit_notes import (
    amount_due,
    balances_of,
    delete_credit_note,
    issue_credit_note,
    open_on,
    update_credit_note,
)
from ledgerbridge.billing.forms import (
    ANY_ORGANISATION,
    CreditNoteForm,
    InvoiceLineFormSet,
    invoice_line_initial,
    line_tracking_specs,
    tracking_error_keys,
)
from ledgerbridge.billing.models import CreditNote, CreditNoteLine, DocumentStatus, Invoice
from ledgerbridge.billing.tracking import resolved_tracking
from ledgerbridge.billing.views import (
    LINES,
    _picked,
    document_page,
    form_currency,
    parse_document,
)
from ledgerbridge.customers.models import Customer
from ledgerbridge.customers.views import tabs as customer_tabs
from ledgerbridge.screens import apply_errors, paginate, posted, search
from ledgerbridge.sync.currencies import sent_in
from ledgerbridge.sync.models import RecordKind

SECTION = "Credit notes"
MAX_SHOWN = 50  # of each, newest first, on a customer's page (the lists search them all)


@area_required("invoices")
def credit_note_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    rows = search(
        CreditNote.objects.select_related("customer", "invoice"),
        q,
        ("number", "customer__name", "reference", "invoice__number"),
    )
    if status in DocumentStatus.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "billing/credit_note_list.html",
        {"page": paginate(request, rows), "q": q, "status": status, "section": SECTION},
    )


@area_required("invoices")
def credit_note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lines = CreditNoteLine.objects.select_related("tax_rate", "product", "charge_rate")
    note = get_object_or_404(
        CreditNote.objects.select_related("customer", "invoice").prefetch_related(
            Prefetch("lines", queryset=lines)
        ),
        pk=pk,
    )
    for line in note.lines.all():
        line.resolved_tracking = resolved_tracking(line)  # type: ignore[attr-defined]
    panels = integrations.panels(RecordKind.CREDIT_NOTE, note, request)
    return render(
        request,
        "billing/credit_note_detail.html",
        {"note": note, "panels": panels, "section": SECTION},
    )


def _header(form: CreditNoteForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "currency": form_currency(form),
        "date": data["date"],
        "status": data["status"],
        "reference": data["reference"],
        "reason": data["reason"],
        "amount_type": data["amount_type"],
        "branding_theme_id": _picked(data.get("branding_theme")),
    }


@area_required("invoices")
def credit_note_create(request: HttpRequest, invoice_pk: int | None = None) -> HttpResponse:
    """A standalone credit note; or, from an invoice's page, one against that invoice, its
    lines filled in from the invoice's (remove or lower those not credited)."""
    invoice = None
    initial: dict[str, Any] = {"date": timezone.localdate()}
    rows: list[Any] = []
    org: int | None = ANY_ORGANISATION
    wanted = request.GET.get("customer", "")
    if invoice_pk is None and wanted.isdecimal() and len(wanted) < 19:
        initial["customer"] = int(wanted)  # from the customer's page
    if invoice_pk is not None:
        invoice = get_object_or_404(Invoice.objects.select_related("customer"), pk=invoice_pk)
        org = invoice.customer.organisation_id
        initial["reference"] = f"Credit for {invoice.number}"
        rows = list(invoice.lines.all())
    form = CreditNoteForm(
        posted(request),
        initial=initial,
        customer_known=invoice is not None,
        organisation_id=org if invoice is not None else None,
        fixed_currency=invoice.currency_shown if invoice is not None else None,
    )
    form_kwargs: dict[str, Any] = {"tracking_specs": line_tracking_specs(org)}
    if invoice is not None:
        form_kwargs["organisation_id"] = org
    formset = InvoiceLineFormSet(
        posted(request),
        prefix=LINES,
        initial=invoice_line_initial(rows),
        form_kwargs=form_kwargs,
    )
    if request.method == "POST":
        ok, lines, line_forms = parse_document(request, form, formset)
        if ok:
            data = form.cleaned_data
            customer = invoice.customer if invoice is not None else data["customer"]
            try:
                note = issue_credit_note(customer, lines, invoice=invoice, **_header(form))
            except ValidationError as exc:
                apply_errors(form, exc, line_forms, rename=tracking_error_keys(line_forms))
            else:
                messages.success(request, f"Credit note {note.number} created.")
                return redirect("billing:credit_note_detail", pk=note.pk)
    extra: dict[str, Any] = {}
    if invoice is not None:
        extra["subtitle"] = (
            f"Against invoice {invoice.number} for {invoice.customer.name}: "
            f"{open_on(invoice)} may still be credited."
        )
    return document_page(
        request,
        form,
        formset,
        title="Credit invoice " + invoice.number if invoice else "New credit note",
        back_url=reverse("billing:invoice_detail", args=[invoice.pk])
        if invoice
        else reverse("billing:credit_note_list"),
        submit="Create credit note",
        section=SECTION,
        **extra,
    )


@area_required("invoices")
def credit_note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(CreditNote.objects.select_related("customer", "invoice"), pk=pk)
    org = note.customer.organisation_id
    initial = {
        "date": note.date,
        "status": note.status,
        "reference": note.reference,
        "reason": note.reason,
        "amount_type": note.amount_type,
        "branding_theme": note.branding_theme_id,
        "currency": note.currency_shown,
    }
    form = CreditNoteForm(
        posted(request),
        initial=initial,
        customer_known=True,
        organisation_id=org,
        sent_to=sent_in(RecordKind.CREDIT_NOTE, note.pk),
        fixed_currency=note.currency_shown if note.invoice_id else None,
    )
    formset = InvoiceLineFormSet(
        posted(request),
        prefix=LINES,
        initial=invoice_line_initial(note.lines.all()),
        form_kwargs={"tracking_specs": line_tracking_specs(org), "organisation_id": org},
    )
    if request.method == "POST":
        ok, lines, line_forms = parse_document(request, form, formset)
        if ok:
            try:
                update_credit_note(note, lines, **_header(form))
            except ValidationError as exc:
                apply_errors(form, exc, line_forms, rename=tracking_error_keys(line_forms))
            else:
                messages.success(request, f"Credit note {note.number} saved.")
                return redirect("billing:credit_note_detail", pk=note.pk)
    against = f" · against invoice {note.invoice.number}" if note.invoice else ""
    return document_page(
        request,
        form,
        formset,
        title=f"Edit credit note {note.number}",
        subtitle=note.customer.name + against,
        back_url=reverse("billing:credit_note_detail", args=[pk]),
        submit="Save credit note",
        section=SECTION,
    )


@area_required("invoices")
def credit_note_delete(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(CreditNote.objects.select_related("customer"), pk=pk)
    context: dict[str, Any] = {
        "object": note,
        "kind": "credit note",
        "back_url": reverse("billing:credit_note_detail", args=[pk]),
        "section": SECTION,
        "consequence": (
            f"Credit note {note.number} for {note.customer} ({note.total}) will be deleted; "
            "in Xero it is deleted if it is a draft, voided if it is authorised."
        ),
    }
    if request.method == "POST":
        try:
            delete_credit_note(note)
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
            return render(request, "confirm_delete.html", context, status=409)
        messages.success(request, f"Credit note {note.number} deleted.")
        return redirect("billing:credit_note_list")
    return render(request, "confirm_delete.html", context)


@area_required("invoices")
def customer_account(request: HttpRequest, pk: int) -> HttpResponse:
    """A customer's invoices and credit notes, and its balance: what its authorised invoices
    still have due less the credit not yet used (as Xero last said of payments and credit)."""
    customer = get_object_or_404(Customer, pk=pk)
    invoices = list(
        customer.invoices.select_related("customer__organisation").order_by("-date", "-id")[
            :MAX_SHOWN
        ]
    )
    for invoice in invoices:
        invoice.due = amount_due(invoice)  # type: ignore[attr-defined]
    context = {
        "customer": customer,
        "tabs": customer_tabs(customer, "account", request.user),
        "invoices": invoices,
        "credit_notes": list(
            customer.credit_notes.select_related("invoice", "customer__organisation").order_by(
                "-date", "-id"
            )[:MAX_SHOWN]
        ),
        "balances": balances_of(customer),
        "more_invoices": customer.invoices.count() > MAX_SHOWN,
        "more_credit_notes": customer.credit_notes.count() > MAX_SHOWN,
        "section": "Customers",
    }
    return render(request, "billing/customer_account.html", context)
