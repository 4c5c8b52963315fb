"""Catalog screens: products and product groups (billing), tax and charge rates (configuration)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html

from ledgerbridge.accounts.permissions import area_required
from ledgerbridge.catalog import services
from ledgerbridge.catalog.forms import (
    PRODUCT_SETS,
    ChargeRateForm,
    LinkOrganisationForm,
    LinkTaxTypeForm,
    ProductForm,
    ProductGroupForm,
    TaxRateForm,
    tracking_choice,
)
from ledgerbridge.catalog.models import ChargeRate, Product, ProductGroup, TaxRate
from ledgerbridge.screens import (
    apply_errors,
    delete_page,
    error_summary,
    fieldsets,
    form_page,
    paginate,
    posted,
    search,
)
from ledgerbridge.xero import imports as xero_imports
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.errors import XeroError
from ledgerbridge.xero.import_views import xero_panel
from ledgerbridge.xero.models import Connection
from ledgerbridge.xero.tracking import organisation_names, set_tracking_options


def with_tracking(save: Callable[[Any, Any], Model]) -> Callable[[Any, Any], Model]:
    """A save service that also stores the form's tracking selects (TRK-4), all or nothing.

    Options of categories the form did not show (another organisation's, a placeholder no
    longer enabled) are kept as they were.
    """

    def run(instance: Any, data: Any) -> Model:
        fields, shown, chosen = tracking_choice(dict(data))
        with transaction.atomic():
            saved = save(instance, fields)
            if shown:
                kept = [o for o in saved.tracking_options.all() if o.category_id not in shown]  # type: ignore[attr-defined]
                set_tracking_options(saved, [*kept, *chosen])  # type: ignore[arg-type]
        return saved

    return run


def _edit(
    request: HttpRequest,
    model: type[Model],
    form_class: type[ModelForm[Any]],
    pk: int | None,
    *,
    kind: str,
    list_name: str,
    section: str,
    save: Callable[[Any, Any], Model],
    groups: tuple[tuple[str, tuple[str, ...]], ...] = (),
    created_next: Callable[[Model], str | None] | None = None,
    **extra: Any,
) -> HttpResponse:
    """Create (pk None) or edit one catalog record: the form parses, the `save` service writes.

    After a create, `created_next` may name the page to go on to (else the list).
    """
    instance = get_object_or_404(model, pk=pk) if pk is not None else None
    form = form_class(posted(request), instance=instance)
    if groups and getattr(form, "tracking_fields", None):
        groups = (*groups, ("Tracking", tuple(form.tracking_fields)))  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.instance, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, f"{kind.capitalize()} {saved} {'saved' if pk else 'created'}."
            )
            following = created_next(saved) if created_next and pk is None else None
            return redirect(following or list_name)
    stored = model._default_manager.get(pk=pk) if pk is not None else None
    return form_page(
        request,
        form,
        title=str(stored) if stored is not None else f"New {kind}",
        back_url=reverse(list_name),
        back_label=f"{kind.capitalize()}s",
        delete_url=reverse(f"{list_name.rsplit('_', 1)[0]}_delete", args=[pk]) if pk else "",
        section=section,
        submit="Save" if pk else f"Create {kind}",
        sets=fieldsets(form, groups) if groups else None,
        **extra,
    )


# Products -----------------------------------------------------------------------------------


@area_required("products")
def product_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    rows = Product.objects.select_related("group", "parent", "sales_tax_rate")
    rows = search(rows, q, ("name", "code", "description", "group__name"))
    group = request.GET.get("group", "")
    if group.isdecimal():
        rows = rows.filter(group_id=int(group))
    return render(
        request,
        "catalog/product_list.html",
        {
            "page": paginate(request, rows),
            "q": q,
            "group": group,
            "groups": ProductGroup.objects.all(),
        },
    )


@area_required("products")
def product_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(
        request,
        Product,
        ProductForm,
        pk,
        kind="product",
        list_name="catalog:product_list",
        section="Products",
        save=with_tracking(services.save_product),
        groups=PRODUCT_SETS,
        after=_xero_panel(pk),
    )


def _xero_panel(pk: int | None) -> str:
    """PROD-4: an imported product's organisation, codes, tax rates and Xero data."""
    rates = Product.objects.select_related("sales_tax_rate", "purchase_tax_rate")
    product = rates.filter(pk=pk).first() if pk is not None else None
    return xero_panel(product, product=True) if product is not None else ""


@area_required("products")
def product_delete(request: HttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    return delete_page(
        request,
        product,
        kind="product",
        delete=lambda: services.delete_product(product),
        back_url=reverse("catalog:product_edit", args=[pk]),
        done_url=reverse("catalog:product_list"),
        section="Products",
    )


# Product groups (usable by billing, so they live under Products) ---------------------------


@area_required("products")
def group_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    rows = search(ProductGroup.objects.all(), q, ("name",))
    return render(
        request,
        "catalog/group_list.html",
        {"page": paginate(request, rows), "q": q, "section": "Products"},
    )


@area_required("products")
def group_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(
        request,
        ProductGroup,
        ProductGroupForm,
        pk,
        kind="product group",
        save=with_tracking(services.save_product_group),
        list_name="catalog:group_list",
        section="Products",
    )


@area_required("products")
def group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(ProductGroup, pk=pk)
    return delete_page(
        request,
        group,
        kind="product group",
        delete=lambda: services.delete_product_group(group),
        back_url=reverse("catalog:group_list"),
        done_url=reverse("catalog:group_list"),
        section="Products",
    )


# Tax rates and charge rates (configuration) ---------------------------------------------------


@area_required("configuration")
def taxrate_list(request: HttpRequest) -> HttpResponse:
    orgs = organisation_names()
    return render(
        request,
        "catalog/taxrate_list.html",
        {
            "rates": [
                (rate, orgs.get(rate.xero_tenant_id, rate.xero_tenant_id))
                for rate in TaxRate.objects.all()
            ],
            "section": "Configuration",
        },
    )


@area_required("configuration")
def taxrate_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(
        request,
        TaxRate,
        TaxRateForm,
        pk,
        kind="tax rate",
        save=services.save_tax_rate,
        list_name="catalog:taxrate_list",
        section="Configuration",
        after=_link_panel(pk),
        created_next=_link_next,
    )


def _link_next(rate: Model) -> str | None:
    """TAX-2: a new tax rate goes straight on to linking when an organisation is connected."""
    if LinkOrganisationForm(rate=rate).fields["connection"].queryset.exists():  # type: ignore[arg-type, attr-defined]
        return reverse("catalog:taxrate_link", args=[rate.pk])
    return None


def _link_panel(pk: int | None) -> str:
    """The "Link to Xero" step under an existing tax rate's form (TAX-2)."""
    if pk is None:
        return ""
    rate = get_object_or_404(TaxRate, pk=pk)
    if rate.is_zero_rate:
        return ""
    if rate.xero_tax_type:
        org = organisation_names().get(rate.xero_tenant_id, rate.xero_tenant_id)
        state = format_html("Linked to {} in {}.", rate.xero_name or rate.xero_tax_type, org)
    else:
        state = format_html("{}", "Not linked to a Xero tax rate yet.")
    return format_html(
        '<section class="panel" id="xero-link"><h2>Xero</h2><p>{} '
        '<a class="button" href="{}">Link to Xero…</a></p></section>',
        state,
        reverse("catalog:taxrate_link", args=[pk]),
    )


def _xero_failed(request: HttpRequest, context: dict[str, Any], exc: XeroError) -> HttpResponse:
    context["xero_error"] = (
        f"Xero did not answer with the tax rates: {exc.message} Nothing was linked; "
        "try again in a moment."
    )
    return render(request, "catalog/taxrate_link.html", context, status=502)


@area_required("configuration")
def taxrate_link(request: HttpRequest, pk: int) -> HttpResponse:
    """TAX-2, step 1: pick the organisation (connected ones; a linked rate keeps its own)."""
    rate = get_object_or_404(TaxRate, pk=pk)
    form = LinkOrganisationForm(posted(request), rate=rate)
    context: dict[str, Any] = {"rate": rate, "form": form, "step": 1, "section": "Configuration"}
    if rate.is_zero_rate:
        context["summary"] = [("Tax rate", "The zero tax rate is not linked to an organisation.")]
        return render(request, "catalog/taxrate_link.html", context, status=400)
    if request.method == "POST" and form.is_valid():
        connection = form.cleaned_data["connection"]
        return redirect("catalog:taxrate_link_pick", pk=pk, connection=connection.pk)
    refused = request.method == "POST"
    context["summary"] = error_summary(form) if refused else []
    return render(request, "catalog/taxrate_link.html", context, status=400 if refused else 200)


@area_required("configuration")
def taxrate_link_pick(request: HttpRequest, pk: int, connection: int) -> HttpResponse:
    """TAX-2, step 2: the organisation's Xero tax rates, read live; the one picked is linked."""
    rate = get_object_or_404(TaxRate, pk=pk)
    org = get_object_or_404(Connection, pk=connection)
    context: dict[str, Any] = {
        "rate": rate,
        "connection": org,
        "step": 2,
        "section": "Configuration",
        "back_url": reverse("catalog:taxrate_link", args=[pk]),
    }
    allowed = LinkOrganisationForm(rate=rate).fields["connection"].queryset  # type: ignore[attr-defined]
    if rate.is_zero_rate or not allowed.filter(pk=org.pk).exists():
        # Not connected, or not the organisation this rate already belongs to: step 1 again.
        context.update(form=LinkOrganisationForm(rate=rate), step=1)
        context["summary"] = [("Organisation", f"{org} cannot be picked for {rate.name}.")]
        return render(request, "catalog/taxrate_link.html", context, status=400)
    try:
        # A person is waiting: one retry at most, then say what Xero answered.
        with XeroClient.interactive(org) as client:
            rates = xero_imports.xero_tax_rates(client)
    except XeroError as exc:
        return _xero_failed(request, context, exc)
    form = LinkTaxTypeForm(posted(request), rates=rates)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        chosen = form.rates[form.cleaned_data["tax_type"]]
        clash = TaxRate.objects.filter(xero_tenant_id=org.tenant_id, name__iexact=rate.name)
        if clash.exclude(pk=rate.pk).exists():
            form.add_error(
                None,
                f"{org} already has a tax rate named {rate.name}; rename this one first.",
            )
        else:
            try:
                with transaction.atomic():
                    xero_imports.link_tax_rate(rate, org.tenant_id, chosen.tax_type, chosen.name)
            except ValidationError as exc:
                apply_errors(form, exc, rename={"xero_tax_type": "tax_type"})
            else:
                messages.success(
                    request, f"{rate.name} linked to {chosen.name} ({chosen.tax_type}) in {org}."
                )
                return redirect("catalog:taxrate_list")
    refused = form.is_bound and bool(form.errors)
    context["summary"] = error_summary(form) if refused else []
    return render(request, "catalog/taxrate_link.html", context, status=400 if refused else 200)


@area_required("configuration")
def taxrate_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rate = get_object_or_404(TaxRate, pk=pk)
    return delete_page(
        request,
        rate,
        kind="tax rate",
        delete=lambda: services.delete_tax_rate(rate),
        back_url=reverse("catalog:taxrate_list"),
        done_url=reverse("catalog:taxrate_list"),
        section="Configuration",
    )


@area_required("configuration")
def chargerate_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "catalog/chargerate_list.html",
        {"rates": ChargeRate.objects.all(), "section": "Configuration"},
    )


@area_required("configuration")
def chargerate_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(
        request,
        ChargeRate,
        ChargeRateForm,
        pk,
        kind="charge rate",
        save=services.save_charge_rate,
        list_name="catalog:chargerate_list",
        section="Configuration",
    )


@area_required("configuration")
def chargerate_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rate = get_object_or_404(ChargeRate, pk=pk)
    return delete_page(
        request,
        rate,
        kind="charge rate",
        delete=lambda: services.delete_charge_rate(rate),
        back_url=reverse("catalog:chargerate_list"),
        done_url=reverse("catalog:chargerate_list"),
        section="Configuration",
    )
