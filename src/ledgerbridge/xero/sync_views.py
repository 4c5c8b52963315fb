"""Configuration > Integrations > Xero > Sync: the settings (SYNC-1..3, GEN-1, GEN-3..5), each
connection's errors tab (ERR-1..3) with Retry and "Re-sync all failed", and, on every record,
"Sync now" and its live state (SYNC-2). No view calls Xero: the worker does."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from ledgerbridge.accounts.permissions import area_required, check_area
from ledgerbridge.billing.models import CreditNote, Invoice
from ledgerbridge.catalog.models import Product
from ledgerbridge.customers.models import Customer
from ledgerbridge.purchasing.models import PurchaseOrder
from ledgerbridge.screens import error_summary, paginate, posted
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync import services as sync
from ledgerbridge.sync.models import (
    DOCUMENT_STATUSES,
    Organisation,
    RecordKind,
    SyncIssue,
    SyncSettings,
)
from ledgerbridge.xero.imports.common import organisation
from ledgerbridge.xero.models import Connection
from ledgerbridge.xero.sync_state import record_state, xero_number
from ledgerbridge.xero.sync_state import summary as sync_summary

SECTION = "Configuration"
# The records a person can open from an error, and who may act on them.
RECORDS: dict[str, tuple[Any, str, str]] = {
    RecordKind.CUSTOMER: (Customer, "customers:settings", "customers"),
    RecordKind.SUPPLIER: (Supplier, "suppliers:edit", "suppliers"),
    RecordKind.PRODUCT: (Product, "catalog:product_edit", "products"),
    RecordKind.INVOICE: (Invoice, "billing:invoice_detail", "invoices"),
    RecordKind.CREDIT_NOTE: (CreditNote, "billing:credit_note_detail", "invoices"),
    RecordKind.PURCHASE_ORDER: (PurchaseOrder, "purchasing:detail", "purchasing"),
}


DOCUMENT_KINDS = (RecordKind.INVOICE, RecordKind.CREDIT_NOTE, RecordKind.PURCHASE_ORDER)


def connected_organisations() -> Any:
    """Organisations with a saved, connected connection (what GEN-1 may choose from)."""
    tenants = [c.tenant_id for c in Connection.objects.exclude(tenant_id="") if c.is_connected]
    return Organisation.objects.filter(integration="xero", remote_id__in=tenants)


class SyncSettingsForm(forms.ModelForm[SyncSettings]):
    sync_invoice_statuses = forms.MultipleChoiceField(
        choices=DOCUMENT_STATUSES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Sync invoices and credit notes in these statuses",
        help_text="Leave out DRAFT, say, to keep invoices and credit notes out of Xero until "
        "they are approved.",
    )

    class Meta:
        model = SyncSettings
        fields = [
            "sync_customers",
            "sync_suppliers",
            "sync_products",
            "sync_invoices",
            "sync_purchase_orders",
            "success_message",
            "archive_inactive",
            "default_organisation",
            "product_linking",
            "generate_account_numbers",
            "generate_product_codes",
            "default_sales_account_code",
            "default_purchase_account_code",
            "invoice_line_text",
            "sync_invoice_statuses",
            "default_invoice_status",
            "default_purchase_order_status",
            "default_invoice_item_code",
            "default_purchase_order_item_code",
            "allow_number_override",
        ]
        help_texts = {
            "sync_invoices": "Credit notes go with invoices (and their allocations to them).",
            "default_sales_account_code": "Given to new products with none (e.g. 200).",
            "default_purchase_account_code": "Given to new products with none (e.g. 300).",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["default_organisation"]
        field.queryset = connected_organisations()  # type: ignore[attr-defined]
        field.empty_label = "— none: new records are not synced until given one —"  # type: ignore[attr-defined]


def save_sync_settings(data: dict[str, Any]) -> SyncSettings:
    """Save the settings (CONN-1: only once an organisation is connected) and let the engine
    look again at every record it kept out (a newly chosen entity may now sync)."""
    if not connected_organisations().exists():
        raise ValidationError("Connect and save a Xero organisation before choosing what syncs.")
    form = SyncSettingsForm(data, instance=SyncSettings.get())
    if not form.is_valid():
        raise ValidationError({name: list(texts) for name, texts in form.errors.items()})
    row = form.save()
    sync.reconsider()
    return row


@area_required("configuration")
def settings_page(request: HttpRequest) -> HttpResponse:
    connected = connected_organisations().exists()
    form = SyncSettingsForm(posted(request), instance=SyncSettings.get())
    context: dict[str, Any] = {"form": form, "connected": connected, "section": SECTION}
    if request.method == "POST":
        if not connected:
            context["summary"] = [
                ("Settings", "Connect and save a Xero organisation before choosing what syncs.")
            ]
            return render(request, "xero/sync_settings.html", context, status=400)
        if form.is_valid():
            form.save()
            waiting = sync.reconsider()
            note = f" {waiting} records kept out before are looked at again." if waiting else ""
            messages.success(request, f"Sync settings saved.{note}")
            return redirect("xero:sync_settings")
        context["summary"] = error_summary(form)
        return render(request, "xero/sync_settings.html", context, status=400)
    return render(request, "xero/sync_settings.html", context)


def _record_link(issue: SyncIssue) -> str:
    # A credit note's allocation is shown on the credit note's page.
    kind = RecordKind.CREDIT_NOTE if issue.kind == RecordKind.ALLOCATION else issue.kind
    found = RECORDS.get(kind)
    if found is None:
        return ""
    model, url_name, _ = found
    return (
        reverse(url_name, args=[issue.local_id])
        if model.objects.filter(pk=issue.local_id).exists()
        else ""
    )


@area_required("configuration")
def errors_page(request: HttpRequest, pk: int) -> HttpResponse:
    """ERR-2: the connection's failed syncs, newest first, each opening its record."""
    connection = get_object_or_404(Connection, pk=pk)
    show = request.GET.get("show", "open")
    issues = SyncIssue.objects.none()
    if connection.tenant_id:
        issues = SyncIssue.objects.filter(organisation=organisation(connection.tenant_id))
    issues = issues.filter(resolved_at__isnull=(show != "resolved"))
    page = paginate(request, issues)
    rows = [(issue, _record_link(issue)) for issue in page.object_list]
    return render(
        request,
        "xero/sync_errors.html",
        {"connection": connection, "page": page, "rows": rows, "show": show, "section": SECTION},
    )


@require_POST
@area_required("configuration")
def retry_issue(request: HttpRequest, pk: int, issue: int) -> HttpResponse:
    """ERR-3: send the record of an error again."""
    connection = get_object_or_404(Connection, pk=pk)
    found = get_object_or_404(SyncIssue, pk=issue, organisation__remote_id=connection.tenant_id)
    sync.send_again(found.kind, found.local_id)
    messages.success(request, f"{found.label} will be sent to Xero again.")
    return redirect("xero:sync_errors", pk=pk)


@require_POST
@area_required("configuration")
def resync_failed(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    count = (
        sync.send_failed_again(organisation(connection.tenant_id).pk) if connection.tenant_id else 0
    )
    messages.success(request, f"{count} failed records will be sent to Xero again.")
    return redirect("xero:sync_errors", pk=pk)


def _record(request: HttpRequest, kind: str, local_id: int) -> Any:
    found = RECORDS.get(kind)
    if found is None:
        raise Http404("No such kind of record.")
    model, _, area = found
    check_area(request.user, area)
    return get_object_or_404(model, pk=local_id)


@require_POST
def sync_now(request: HttpRequest, kind: str, local_id: int) -> HttpResponse:
    """ "Sync now" on a record: it goes back to the front of its organisation's queue."""
    record = _record(request, kind, local_id)
    if sync.send_again(kind, record.pk) is None:
        messages.error(request, f"{record} belongs to no organisation, so it cannot be synced.")
    else:
        messages.success(request, f"{record} will be sent to Xero shortly.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse(RECORDS[kind][1], args=[record.pk])
    return redirect(back)


@require_GET
def state_json(request: HttpRequest, kind: str, local_id: int) -> JsonResponse:
    """The record's sync state, polled by its page until it settles (SYNC-2)."""
    record = _record(request, kind, local_id)
    data = record_state(kind, record).as_json()
    data["success_message"] = SyncSettings.get().success_message
    if kind in DOCUMENT_KINDS:  # INV-7, shown once synced
        data["xero_number"] = xero_number(sync.link_of(kind, record.pk))
        data["document_status"] = record.status  # as Xero's changes bring it back (WH-3)
        data["document_status_label"] = record.get_status_display()
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@area_required("configuration")
def summary_json(request: HttpRequest, pk: int) -> JsonResponse:
    """The connection's sync summary and quota, polled by its page (live)."""
    connection = get_object_or_404(Connection, pk=pk)
    data = sync_summary(connection)
    data.update(
        minute_remaining=connection.minute_remaining,
        day_remaining=connection.day_remaining,
        last_call_at=connection.last_call_at.isoformat() if connection.last_call_at else None,
    )
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response
