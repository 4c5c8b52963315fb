"""Billing screens: Ready for invoicing, invoices and recurring invoices.

Each view parses its forms, calls one billing service and redirects with a message; a
refusal re-renders the page with the service's errors beside the fields they name and a 400.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ledgerbridge import integrations, money
from ledgerbridge.accounts.permissions import area_required
from ledgerbridge.billing.credit_notes import amount_due, open_on
from ledgerbridge.billing.forms import (
    ANY_ORGANISATION,
    BillForm,
    ConfirmCatchUpForm,
    InvoiceForm,
    InvoiceLineFormSet,
    LineFormSet,
    RecurringForm,
    invoice_line_initial,
    line_initial,
    line_tracking_specs,
    lines_from,
    tracking_error_keys,
)
from ledgerbridge.billing.labour import bill_time
from ledgerbridge.billing.models import (
    CreditNote,
    DocumentStatus,
    Invoice,
    InvoiceLine,
    RecurringInvoice,
)
from ledgerbridge.billing.recurring import (
    confirm_catch_up,
    create_recurring,
    raise_due_invoices,
    update_recurring,
    waiting,
    waiting_schedules,
)
from ledgerbridge.billing.services import (
    delete_invoice,
    delete_recurring_invoice,
    issue_invoice_or_credit,
    update_invoice,
)
from ledgerbridge.billing.tracking import resolved_tracking
from ledgerbridge.screens import apply_errors, error_summary, paginate, posted, search
from ledgerbridge.sync.currencies import sent_in
from ledgerbridge.sync.models import RecordKind
from ledgerbridge.work.models import TimeEntry
from ledgerbridge.work.services import ready_by_customer

LINES = "lines"


def document_page(
    request: HttpRequest,
    form: forms.Form,
    formset: Any,
    *,
    title: str,
    back_url: str,
    submit: str,
    section: str,
    line_forms: list[forms.Form] | None = None,
    **extra: Any,
) -> HttpResponse:
    """Render a document editor (header form + lines); refused input answers 400."""
    refused = form.is_bound and (bool(form.errors) or not formset.is_valid())
    refused = refused or any(f.errors for f in formset.forms)
    summary = error_summary(form, formset.forms, formset.non_form_errors()) if refused else []
    context = {
        "form": form,
        "formset": formset,
        "title": title,
        "back_url": back_url,
        "submit": submit,
        "section": section,
        "summary": summary,
        **extra,
    }
    return render(request, "billing/document_form.html", context, status=400 if refused else 200)


def parse_document(
    request: HttpRequest, form: forms.Form, formset: Any
) -> tuple[bool, list[Any], list[forms.Form]]:
    """Validate header and lines together (both, so every error shows at once)."""
    header_ok = form.is_valid()
    lines_ok = formset.is_valid()
    if not (header_ok and lines_ok):
        return False, [], []
    lines, line_forms = lines_from(formset)
    return True, lines, line_forms


# Ready for invoicing --------------------------------------------------------------------------


@area_required("invoices")
def ready(request: HttpRequest) -> HttpResponse:
    """Billable time not yet invoiced, by customer; POST bills the selection (`bill_time`)."""
    today = timezone.localdate()
    form = BillForm(
        posted(request), entries=request.POST.getlist("entries"), initial={"date": today}
    )
    chosen: set[int] = set()
    if request.method == "POST":
        chosen = {int(v) for v in request.POST.getlist("entries") if v.isdecimal() and len(v) < 19}
        if form.is_valid():
            try:
                invoices = bill_time(form.cleaned_data["entries"], date=form.cleaned_data["date"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                numbers = ", ".join(i.number for i in invoices)
                messages.success(request, f"Billed: created {len(invoices)} invoice(s) {numbers}.")
                ids = ",".join(str(i.pk) for i in invoices)
                return redirect(reverse("billing:billed") + f"?invoices={ids}")
    groups = [
        {
            "customer": customer,
            "entries": entries,
            "hours": sum(e.hours for e in entries),
            "value": sum(e.hours * e.charge_rate.hourly_price for e in entries),
        }
        for customer, entries in ready_by_customer().items()
    ]
    refused = form.is_bound and bool(form.errors)
    context = {
        "groups": groups,
        "form": form,
        "chosen": chosen,
        "summary": error_summary(form) if refused else [],
    }
    return render(request, "billing/ready.html", context, status=400 if refused else 200)


@area_required("invoices")
def billed(request: HttpRequest) -> HttpResponse:
    """The invoices a "Bill selected" just created."""
    raw = request.GET.get("invoices", "")
    ids = [int(v) for v in raw.split(",") if v.isdecimal() and len(v) < 19][:200]
    invoices = Invoice.objects.filter(pk__in=ids).select_related("customer").order_by("number")
    return render(request, "billing/billed.html", {"invoices": invoices, "section": "Invoices"})


# Invoices -----------------------------------------------------------------------------------


def _money_totals(invoices: QuerySet[Invoice]) -> list[tuple[str, Decimal]]:
    """The invoices' total per currency (a blank currency is its organisation's base one), as
    money (cents): amounts in different currencies are never added up. SQLite keeps and adds
    decimals as binary floats, so its sum comes back as 93045.3400000001; every total is whole
    cents, so rounding the sum to cents gives the exact figure (below 2**53 cents). PostgreSQL
    sums exactly anyway."""
    shown = Coalesce(
        NullIf(F("currency"), Value("")),
        NullIf(F("customer__organisation__base_currency"), Value("")),
        Value(""),
    )
    rows = (
        invoices.order_by()
        .annotate(shown_currency=shown)
        .values("shown_currency")
        .annotate(t=Sum("total"))
        .order_by("shown_currency")
    )
    return [
        (str(row["shown_currency"]), money.round_money(Decimal(row["t"])))
        for row in rows
        if row["t"] is not None
    ]


@area_required("invoices")
def invoice_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    rows = search(
        Invoice.objects.select_related("customer__organisation"),
        q,
        ("number", "customer__name", "reference"),
    )
    if status in DocumentStatus.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "billing/invoice_list.html",
        {
            "page": paginate(request, rows),
            "q": q,
            "status": status,
            "statuses": DocumentStatus.choices,
            "totals": _money_totals(rows),
        },
    )


@area_required("invoices")
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    billed_time = TimeEntry.objects.select_related("agent", "ticket").order_by("date", "id")
    lines = InvoiceLine.objects.select_related(
        "tax_rate", "product", "charge_rate"
    ).prefetch_related(Prefetch("time_entries", queryset=billed_time))
    invoice = get_object_or_404(
        Invoice.objects.select_related("customer__organisation").prefetch_related(
            Prefetch("lines", queryset=lines)
        ),
        pk=pk,
    )
    for line in invoice.lines.all():
        # TRK-4's outcome per line, shown under its description (nothing when tracking is off).
        line.resolved_tracking = resolved_tracking(line)  # type: ignore[attr-defined]
    panels = integrations.panels(RecordKind.INVOICE, invoice, request)
    context = {"invoice": invoice, "panels": panels, **credit_facts(invoice)}
    return render(request, "billing/invoice_detail.html", context)


def credit_facts(invoice: Invoice) -> dict[str, Any]:
    """What an invoice's page shows of credit: the credit notes against it, what is still due
    (as the accounting system last said of payments and credit), and whether it may be
    credited."""
    return {
        "credit_notes": list(invoice.credit_notes.order_by("number")),
        "amount_due": amount_due(invoice),
        "may_credit": invoice.status == DocumentStatus.AUTHORISED and open_on(invoice) > 0,
    }


@area_required("invoices")
def invoice_create(request: HttpRequest) -> HttpResponse:
    form = InvoiceForm(posted(request), initial={"date": timezone.localdate()})
    # The customer is picked on this same page, so every organisation's options are offered;
    # the service refuses one of another organisation than the customer's.
    formset = InvoiceLineFormSet(
        posted(request),
        prefix=LINES,
        form_kwargs={"tracking_specs": line_tracking_specs(ANY_ORGANISATION)},
    )
    if request.method == "POST":
        ok, lines, line_forms = parse_document(request, form, formset)
        if ok:
            data = form.cleaned_data
            try:
                made = issue_invoice_or_credit(
                    data["customer"],
                    lines,
                    date=data["date"],
                    due_date=data["due_date"],
                    status=data["status"],
                    reference=data["reference"],
                    amount_type=data["amount_type"],
                    branding_theme_id=_picked(data.get("branding_theme")),
                    external_number=data.get("external_number") or "",
                    currency=form_currency(form),
                )
            except ValidationError as exc:
                apply_errors(form, exc, line_forms, rename=tracking_error_keys(line_forms))
            else:
                if isinstance(made, CreditNote):  # Xero takes no negative invoices
                    messages.success(
                        request,
                        f"The lines add up to less than 0, so this is credit note {made.number} "
                        f"for {made.total} (Xero takes no negative invoices).",
                    )
                    return redirect("billing:credit_note_detail", pk=made.pk)
                messages.success(request, f"Invoice {made.number} created.")
                return redirect("billing:invoice_detail", pk=made.pk)
    return document_page(
        request,
        form,
        formset,
        title="New invoice",
        back_url=reverse("billing:invoice_list"),
        submit="Create invoice",
        section="Invoices",
    )


@area_required("invoices")
def invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("customer"), pk=pk)
    initial = {
        "date": invoice.date,
        "due_date": invoice.due_date,
        "status": invoice.status,
        "reference": invoice.reference,
        "amount_type": invoice.amount_type,
        "branding_theme": invoice.branding_theme_id,
        "external_number": invoice.external_number,
        "currency": invoice.currency_shown,
    }
    form = InvoiceForm(
        posted(request),
        initial=initial,
        editing=True,
        organisation_id=invoice.customer.organisation_id,
        sent_to=sent_in(RecordKind.INVOICE, invoice.pk),
    )
    formset = InvoiceLineFormSet(
        posted(request),
        prefix=LINES,
        initial=invoice_line_initial(invoice.lines.all()),
        form_kwargs={
            "tracking_specs": line_tracking_specs(invoice.customer.organisation_id),
            "organisation_id": invoice.customer.organisation_id,
        },
    )
    if request.method == "POST":
        ok, lines, line_forms = parse_document(request, form, formset)
        if ok:
            data = form.cleaned_data
            try:
                update_invoice(
                    invoice,
                    lines,
                    date=data["date"],
                    due_date=data["due_date"],
                    status=data["status"],
                    reference=data["reference"],
                    amount_type=data["amount_type"],
                    branding_theme_id=_picked(data.get("branding_theme")),
                    # Not offered (the setting is off): the number stays as it is.
                    external_number=data.get("external_number")
                    if "external_number" in data
                    else None,
                    currency=form_currency(form),
                )
            except ValidationError as exc:
                apply_errors(form, exc, line_forms, rename=tracking_error_keys(line_forms))
            else:
                messages.success(request, f"Invoice {invoice.number} saved.")
                return redirect("billing:invoice_detail", pk=invoice.pk)
    return document_page(
        request,
        form,
        formset,
        title=f"Edit invoice {invoice.number}",
        subtitle=invoice.customer.name,
        back_url=reverse("billing:invoice_detail", args=[pk]),
        submit="Save invoice",
        section="Invoices",
    )


@area_required("invoices")
def invoice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask, then delete through `delete_invoice`, which puts the billed time back."""
    invoice = get_object_or_404(Invoice.objects.select_related("customer"), pk=pk)
    billed_count = TimeEntry.objects.filter(invoice_line__invoice=invoice).count()
    context: dict[str, Any] = {
        "object": invoice,
        "kind": "invoice",
        "back_url": reverse("billing:invoice_detail", args=[pk]),
        "section": "Invoices",
        "consequence": (
            f"Invoice {invoice.number} for {invoice.customer} ({invoice.total}) will be deleted. "
            + (
                f"The {billed_count} time entries it billed will be ready for invoicing again."
                if billed_count
                else "It billed no time entries."
            )
        ),
    }
    if request.method == "POST":
        try:
            released = delete_invoice(invoice)
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
            return render(request, "confirm_delete.html", context, status=409)
        messages.success(
            request,
            f"Invoice {invoice.number} deleted; {released} time "
            f"{'entry is' if released == 1 else 'entries are'} ready for invoicing again.",
        )
        return redirect("billing:ready" if released else "billing:invoice_list")
    return render(request, "confirm_delete.html", context)


# Recurring invoices ---------------------------------------------------------------------------


@area_required("invoices")
def recurring_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    rows = RecurringInvoice.objects.select_related("customer__organisation")
    if q:
        rows = rows.filter(Q(customer__name__icontains=q) | Q(reference__icontains=q))
    today = timezone.localdate()
    page = paginate(request, rows)
    # Why a schedule raises nothing: what waits for confirmation (its page confirms it).
    schedules = [(row, waiting(row, today)) for row in page]
    return render(
        request,
        "billing/recurring_list.html",
        {"page": page, "schedules": schedules, "q": q, "today": today},
    )


def _recurring_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "start_date": data["start_date"],
        "interval_unit": data["interval_unit"],
        "interval_count": data["interval_count"],
        "end_date": data["end_date"],
        "reference": data["reference"],
        "status": data["status"],
        "amount_type": data["amount_type"],
        "branding_theme_id": _picked(data.get("branding_theme")),
        "currency": str(data.get("currency") or ""),
    }


def form_currency(form: forms.Form) -> str | None:
    """The currency a document form gives: None when the field is fixed (the document keeps
    its own), else the code, "" taking the customer's or supplier's."""
    if form.fields["currency"].disabled:
        return None
    return str(form.cleaned_data.get("currency") or "")


def _picked(record: Any) -> int | None:
    return int(record.pk) if record is not None else None


@area_required("invoices")
def recurring_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    schedule = get_object_or_404(RecurringInvoice, pk=pk) if pk is not None else None
    initial: dict[str, Any] = {"start_date": timezone.localdate()}
    rows: Any = []
    if schedule is not None:
        initial = {
            "customer": schedule.customer_id,
            "reference": schedule.reference,
            "interval_count": schedule.interval_count,
            "interval_unit": schedule.interval_unit,
            "start_date": schedule.start_date,
            "end_date": schedule.end_date,
            "status": schedule.status,
            "amount_type": schedule.amount_type,
            "active": schedule.active,
            "branding_theme": schedule.branding_theme_id,
            "currency": schedule.currency_shown,
        }
        rows = schedule.lines.all()
    form = RecurringForm(posted(request), initial=initial)
    formset = LineFormSet(posted(request), prefix=LINES, initial=line_initial(rows))
    if request.method == "POST":
        ok, lines, line_forms = parse_document(request, form, formset)
        if ok:
            data = form.cleaned_data
            try:
                if schedule is None:
                    saved = create_recurring(
                        data["customer"].pk,
                        lines,
                        active=data["active"],
                        **_recurring_fields(data),
                    )
                else:
                    saved = update_recurring(
                        schedule,
                        lines,
                        customer=data["customer"],
                        active=data["active"],
                        **_recurring_fields(data),
                    )
            except ValidationError as exc:
                apply_errors(form, exc, line_forms)
            else:
                backlog = waiting(saved, timezone.localdate())
                if backlog is None:
                    messages.success(
                        request,
                        f"Recurring invoice for {saved.customer} saved; next on {saved.next_date}.",
                    )
                    return redirect("billing:recurring_list")
                messages.warning(
                    request,
                    f"Recurring invoice for {saved.customer} saved. It has {backlog}: none is "
                    "raised until you confirm below.",
                )
                return redirect("billing:recurring_edit", saved.pk)
    return document_page(
        request,
        form,
        formset,
        title="Edit recurring invoice" if schedule else "New recurring invoice",
        back_url=reverse("billing:recurring_list"),
        submit="Save" if schedule else "Create recurring invoice",
        section="Recurring invoices",
        delete_url=reverse("billing:recurring_delete", args=[pk]) if schedule else "",
        schedule=schedule,
        catch_up=waiting(schedule, timezone.localdate()) if schedule else None,
    )


@area_required("invoices")
@require_POST
def recurring_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm the catch-up the schedule's page showed (`confirm_catch_up`): the number of
    invoices and the last date come back from that page, so what is confirmed is what was
    seen; anything else is refused and the page shows what waits now."""
    schedule = get_object_or_404(RecurringInvoice, pk=pk)
    form = ConfirmCatchUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The confirmation was not understood; confirm again below.")
        return redirect("billing:recurring_edit", pk)
    invoices, through = form.cleaned_data["invoices"], form.cleaned_data["through"]
    try:
        confirm_catch_up(schedule, invoices=invoices, through=through, today=timezone.localdate())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("billing:recurring_edit", pk)
    messages.success(
        request,
        f"Confirmed: {invoices} invoices, up to {through}, are raised by the next run (within "
        "a minute), or now with Raise due invoices now.",
    )
    return redirect("billing:recurring_list")


@area_required("invoices")
def recurring_delete(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(RecurringInvoice, pk=pk)
    context: dict[str, Any] = {
        "object": schedule,
        "kind": "recurring invoice",
        "back_url": reverse("billing:recurring_edit", args=[pk]),
        "section": "Recurring invoices",
        "consequence": "Invoices it already raised stay as they are.",
    }
    if request.method == "POST":
        delete_recurring_invoice(schedule)
        messages.success(request, f"Recurring invoice {schedule} deleted.")
        return redirect("billing:recurring_list")
    return render(request, "confirm_delete.html", context)


@area_required("invoices")
@require_POST
def recurring_raise(request: HttpRequest) -> HttpResponse:
    """Raise every invoice due up to today now (safe to repeat: nothing is raised twice)."""
    today = timezone.localdate()
    raised = raise_due_invoices(today)
    if raised:
        numbers = ", ".join(i.number for i in raised)
        messages.success(request, f"Raised {len(raised)} invoice(s): {numbers}.")
    else:
        messages.info(request, "No recurring invoices are due; nothing raised.")
    if held := waiting_schedules(today):
        messages.warning(
            request,
            f"{len(held)} recurring invoice(s) wait for confirmation of what they will raise; "
            "confirm on their pages.",
        )
    return redirect("billing:recurring_list")
