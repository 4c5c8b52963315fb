"""Supplier screens: a searchable list and one form for a supplier's details and address."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ledgerbridge import integrations
from ledgerbridge.accounts.permissions import area_required
from ledgerbridge.screens import (
    apply_errors,
    delete_page,
    fieldsets,
    form_page,
    paginate,
    posted,
    search,
)
from ledgerbridge.suppliers.forms import SUPPLIER_SETS, SupplierForm
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.suppliers.services import create_supplier, delete_supplier, update_supplier
from ledgerbridge.sync.models import RecordKind

SEARCH_FIELDS = ("name", "account_number", "email", "phone", "postal_city")


@area_required("suppliers")
def supplier_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    rows = search(Supplier.objects.select_related("organisation"), q, SEARCH_FIELDS)
    return render(request, "suppliers/list.html", {"page": paginate(request, rows), "q": q})


@area_required("suppliers")
def supplier_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    supplier = get_object_or_404(Supplier, pk=pk) if pk is not None else None
    form = SupplierForm(posted(request), instance=supplier)
    if request.method == "POST" and form.is_valid():
        try:
            if supplier is None:
                saved = create_supplier(form.cleaned_data)
            else:
                saved = update_supplier(supplier, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Supplier {saved} {'saved' if supplier else 'created'}.")
            return redirect("suppliers:edit", pk=saved.pk)
    stored = Supplier.objects.get(pk=supplier.pk) if supplier else None
    title = stored.name if stored else "New supplier"
    return form_page(
        request,
        form,
        title=title,
        sets=fieldsets(form, SUPPLIER_SETS),
        back_url=reverse("suppliers:list"),
        back_label="Suppliers",
        submit="Save" if supplier else "Create supplier",
        delete_url=reverse("suppliers:delete", args=[pk]) if supplier else "",
        after=integrations.panels(RecordKind.SUPPLIER, stored, request) if stored else "",
    )


@area_required("suppliers")
def supplier_delete(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = get_object_or_404(Supplier, pk=pk)
    return delete_page(
        request,
        supplier,
        kind="supplier",
        delete=lambda: delete_supplier(supplier),
        back_url=reverse("suppliers:edit", args=[pk]),
        done_url=reverse("suppliers:list"),
    )
