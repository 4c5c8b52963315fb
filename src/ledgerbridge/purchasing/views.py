"""Purchase-order screens: list, raise, change and delete, through purchasing.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from ledgerbridge import integrations
from ledgerbridge.accounts.permissions import area_required
from ledgerbridge.billing.forms import LineFormSet, line_initial
from ledgerbridge.billing.models import DocumentStatus
from ledgerbridge.billing.views import LINES, document_page, form_currency, parse_document
from ledgerbridge.purchasing import services
from ledgerbridge.purchasing.forms import PurchaseOrderForm
from ledgerbridge.purchasing.models import PurchaseOrder
from ledgerbridge.screens import apply_errors, delete_page, paginate, posted, search
from ledgerbridge.sync.currencies import sent_in
from ledgerbridge.sync.models import RecordKind

SECTION = "Purchase orders"


@area_required("purchasing")
def order_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    rows = search(
        PurchaseOrder.objects.select_related("supplier__organisation"),
        q,
        ("number", "supplier__name", "reference"),
    )
    if status in DocumentStatus.values:
        rows = rows.filter(status=status)
    return render(
        request,
        "purchasing/list.html",
        {
            "page": paginate(request, rows),
            "q": q,
            "status": status,
            "statuses": DocumentStatus.choices[:3],
        },
    )


@area_required("purchasing")
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder.objects.select_related("supplier__organisation"), pk=pk)
    lines = order.lines.select_related("tax_rate")
    panels = integrations.panels(RecordKind.PURCHASE_ORDER, order, request)
    return render(
        request, "purchasing/detail.html", {"order": order, "lines": lines, "panels": panels}
    )


HEADER = ("date", "delivery_date", "status", "reference", "delivery_instructions", "amount_type")


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in HEADER}


@area_required("purchasing")
def order_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder, pk=pk) if pk is not None else None
    initial: dict[str, Any] = {"date": timezone.localdate()}
    rows: Any = []
    if order is not None:
        initial = {"supplier": order.supplier_id, "currency": order.currency_shown}
        initial.update({name: getattr(order, name) for name in HEADER})
        rows = order.lines.all()
    form = PurchaseOrderForm(
        posted(request),
        initial=initial,
        editing=order is not None,
        organisation_id=order.supplier.organisation_id if order is not None else None,
        sent_to=sent_in(RecordKind.PURCHASE_ORDER, order.pk) if order is not None else None,
    )
    formset = LineFormSet(posted(request), prefix=LINES, initial=line_initial(rows))
    if request.method == "POST":
        ok, lines, line_forms = parse_document(request, form, formset)
        if ok:
            data = form.cleaned_data
            try:
                if order is None:
                    saved = services.raise_purchase_order(
                        data["supplier"], lines, currency=form_currency(form), **_fields(data)
                    )
                else:
                    saved = services.update_purchase_order(
                        order,
                        lines,
                        supplier=data["supplier"],
                        currency=form_currency(form),
                        **_fields(data),
                    )
            except ValidationError as exc:
                apply_errors(form, exc, line_forms)
            else:
                messages.success(request, f"Purchase order {saved.number} saved.")
                return redirect("purchasing:detail", pk=saved.pk)
    return document_page(
        request,
        form,
        formset,
        title=f"Edit purchase order {order.number}" if order else "New purchase order",
        back_url=reverse("purchasing:detail", args=[pk]) if order else reverse("purchasing:list"),
        submit="Save" if order else "Raise purchase order",
        section=SECTION,
        delete_url=reverse("purchasing:delete", args=[pk]) if order else "",
    )


@area_required("purchasing")
def order_delete(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder, pk=pk)
    return delete_page(
        request,
        order,
        kind="purchase order",
        delete=lambda: services.delete_purchase_order(order),
        back_url=reverse("purchasing:detail", args=[pk]),
        done_url=reverse("purchasing:list"),
        section=SECTION,
    )
