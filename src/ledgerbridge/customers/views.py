"""Customer screens: a searchable list, a new-customer form, details and billing-settings tabs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ledgerbridge import integrations
from ledgerbridge.accounts.permissions import area_required, can_use
from ledgerbridge.customers.forms import (
    DETAIL_SETS,
    SETTING_SETS,
    CustomerDetailsForm,
    CustomerSettingsForm,
    NewCustomerForm,
)
from ledgerbridge.customers.models import Customer
from ledgerbridge.customers.services import create_customer, delete_customer, update_customer
from ledgerbridge.screens import (
    apply_errors,
    delete_page,
    fieldsets,
    form_page,
    paginate,
    posted,
    search,
)
from ledgerbridge.sync.forms import generate_requested, generated
from ledgerbridge.sync.models import RecordKind

SEARCH_FIELDS = ("name", "account_number", "email", "phone")


@area_required("customers")
def customer_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    rows = search(
        Customer.objects.select_related("sales_tax_rate", "organisation"), q, SEARCH_FIELDS
    )
    if request.GET.get("active") == "no":
        rows = rows.filter(active=False)
    elif request.GET.get("active") != "all":
        rows = rows.filter(active=True)
    return render(
        request,
        "customers/list.html",
        {"page": paginate(request, rows), "q": q, "active": request.GET.get("active", "")},
    )


def _save(request: HttpRequest, form: ModelForm[Customer], message: str) -> Customer | None:
    """Save through `create_customer` (a new form) or `update_customer`; a refusal goes onto
    the form (the caller re-renders)."""
    if not (request.method == "POST" and form.is_valid()):
        return None
    try:
        if form.instance.pk:
            customer = update_customer(form.instance, form.cleaned_data)
        else:
            customer = create_customer(form.cleaned_data)
    except ValidationError as exc:
        apply_errors(form, exc)
        return None
    messages.success(request, message.format(customer=customer))
    return customer


@area_required("customers")
def customer_create(request: HttpRequest) -> HttpResponse:
    form = NewCustomerForm(posted(request))
    if generate_requested(posted(request)) == "account_number":  # GEN-4: fill it in, no save
        form = NewCustomerForm(initial=generated(request.POST, Customer, "account_number", "C"))
    elif customer := _save(request, form, "Customer {customer} created."):
        return redirect("customers:edit", pk=customer.pk)
    return form_page(
        request,
        form,
        title="New customer",
        sets=fieldsets(form, DETAIL_SETS + SETTING_SETS),
        back_url=reverse("customers:list"),
        back_label="Customers",
        submit="Create customer",
    )


def tabs(customer: Customer, active: str, user: Any) -> list[tuple[str, str, bool]]:
    """The customer's tabs; its invoices and credit (billing's page) for those who bill."""
    found = [
        ("Details", reverse("customers:edit", args=[customer.pk]), active == "details"),
        (
            "Billing settings",
            reverse("customers:settings", args=[customer.pk]),
            active == "settings",
        ),
    ]
    if can_use(user, "invoices"):
        url = reverse("billing:customer_account", args=[customer.pk])
        found.append(("Invoices and credit", url, active == "account"))
    return found


@area_required("customers")
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = CustomerDetailsForm(posted(request), instance=customer)
    if generate_requested(posted(request)) == "account_number":  # GEN-4: fill it in, no save
        shown = generated(request.POST, Customer, "account_number", "C", customer)
        form = CustomerDetailsForm(instance=customer, initial=shown)
    elif _save(request, form, "Customer {customer} saved."):
        return redirect("customers:edit", pk=customer.pk)
    return _tab_page(request, customer, form, "details", DETAIL_SETS)


@area_required("customers")
def customer_settings(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = CustomerSettingsForm(posted(request), instance=customer)
    if _save(request, form, "Billing settings of {customer} saved."):
        return redirect("customers:settings", pk=customer.pk)
    return _tab_page(request, customer, form, "settings", SETTING_SETS)


def _tab_page(
    request: HttpRequest, customer: Customer, form: ModelForm[Customer], tab: str, sets: Any
) -> HttpResponse:
    # The name shown is the stored one, not what a refused form tried to change it to.
    stored = Customer.objects.get(pk=customer.pk)
    return form_page(
        request,
        form,
        title=stored.name,
        subtitle=f"Account {stored.account_number}" if stored.account_number else "",
        tabs=tabs(customer, tab, request.user),
        sets=fieldsets(form, sets),
        back_url=reverse("customers:list"),
        back_label="Customers",
        delete_url=reverse("customers:delete", args=[customer.pk]),
        # Every tab shows the sync state; the settings tab also what came from Xero (CUST-5).
        after=integrations.panels(RecordKind.CUSTOMER, stored, request, where=tab),
    )


@area_required("customers")
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    return delete_page(
        request,
        customer,
        kind="customer",
        delete=lambda: delete_customer(customer),
        back_url=reverse("customers:edit", args=[pk]),
        done_url=reverse("customers:list"),
    )
