"""Catalog screens: products and product groups (billing), tax and charge rates (configuration)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ledgerbridge import integrations
from ledgerbridge.accounts.permissions import area_required
from ledgerbridge.catalog import services
from ledgerbridge.catalog.forms import (
    PRODUCT_SETS,
    ChargeRateForm,
    ProductForm,
    ProductGroupForm,
    TaxRateForm,
    tracking_choice,
)
from ledgerbridge.catalog.models import ChargeRate, Product, ProductGroup, TaxRate
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
from ledgerbridge.sync.services import linked_ids, links_of
from ledgerbridge.tracking.services import organisation_names

Save = Callable[[Any, dict[str, Any]], Model]


def _tracked(
    create: Callable[..., Model], update: Callable[..., Model]
) -> Callable[[Any, dict[str, Any]], Model]:
    """Call the create or update service with the form's fields and its tracking selects (TRK-4):
    the options picked, in the categories the form showed (others are kept as they were)."""

    def run(instance: Any, data: dict[str, Any]) -> Model:
        fields, shown, chosen = tracking_choice(data)
        tracking: dict[str, Any] = (
            {"tracking_options": chosen, "tracking_categories": shown} if shown else {}
        )
        if instance is None:
            return create(fields, **tracking)
        return update(instance, fields, **tracking)

    return run


def _group_save(instance: Any, data: dict[str, Any]) -> Model:
    fields, shown, chosen = tracking_choice(data)
    tracking: dict[str, Any] = (
        {"tracking_options": chosen, "tracking_categories": shown} if shown else {}
    )
    return services.save_product_group(instance or ProductGroup(), fields, **tracking)


def _tax_rate_save(instance: Any, data: dict[str, Any]) -> Model:
    if instance is None:
        return services.create_tax_rate(data)
    return services.update_tax_rate(instance, data)


def _charge_rate_save(instance: Any, data: dict[str, Any]) -> Model:
    return services.save_charge_rate(instance or ChargeRate(), data)


def _edit(
    request: HttpRequest,
    model: type[Model],
    form_class: type[ModelForm[Any]],
    pk: int | None,
    *,
    kind: str,
    list_name: str,
    section: str,
    save: Save,
    groups: tuple[tuple[str, tuple[str, ...]], ...] = (),
    created_next: Callable[[Model], str | None] | None = None,
    **extra: Any,
) -> HttpResponse:
    """Create (pk None) or edit one catalog record: the form parses, `save` calls the one
    service that writes (given None for a new record, else the record, and the form's data).

    After a create, `created_next` may name the page to go on to (else the list).
    """
    instance = get_object_or_404(model, pk=pk) if pk is not None else None
    form = form_class(posted(request), instance=instance)
    wanted = generate_requested(posted(request))
    if wanted == "code" and model is Product:  # GEN-4: fill the code in, save nothing
        shown = generated(request.POST, Product, "code", "P", instance)
        form = form_class(instance=instance, initial=shown)
    if groups and getattr(form, "tracking_fields", None):
        groups = (*groups, ("Tracking", tuple(form.tracking_fields)))  # type: ignore[attr-defined]
    if request.method == "POST" and not wanted and form.is_valid():
        try:
            saved = save(instance, dict(form.cleaned_data))
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
    rows = Product.objects.select_related("group", "parent", "sales_tax_rate", "organisation")
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
        save=_tracked(services.create_product, services.update_product),
        groups=PRODUCT_SETS,
        after=_panels(
            RecordKind.PRODUCT, Product.objects.filter(pk=pk).first() if pk else None, request
        ),
    )


def _panels(kind: str, record: Model | None, request: HttpRequest | None = None) -> str:
    """What integrations show with a saved record (e.g. PROD-4's organisation and its data)."""
    return integrations.panels(kind, record, request) if record is not None else ""


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
        save=_group_save,
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
    rates = list(TaxRate.objects.all())
    links = links_of(RecordKind.TAX_RATE, [r.pk for r in rates])
    return render(
        request,
        "catalog/taxrate_list.html",
        {
            "rates": [
                (
                    rate,
                    orgs.get(rate.organisation_id or 0, ""),
                    links.get(rate.pk),
                    integrations.actions_html(RecordKind.TAX_RATE, rate),
                )
                for rate in rates
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
        save=_tax_rate_save,
        list_name="catalog:taxrate_list",
        section="Configuration",
        after=_panels(
            RecordKind.TAX_RATE, TaxRate.objects.filter(pk=pk).first() if pk else None, request
        ),
        created_next=lambda rate: integrations.next_url(RecordKind.TAX_RATE, rate),
    )


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
    """CHG-2: each rate with the organisations that have an item of its code (a product linked
    to one of the organisation's items), so a rate no item matches is flagged to fix."""
    rates = list(ChargeRate.objects.all())
    codes = {r.accounts_code for r in rates if r.accounts_code}
    found: dict[str, list[str]] = {}
    items = (
        Product.objects.filter(code__in=codes, pk__in=linked_ids(RecordKind.PRODUCT))
        .exclude(organisation=None)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    for item in items:
        assert item.organisation is not None
        found.setdefault(item.code, []).append(item.organisation.name)
    return render(
        request,
        "catalog/chargerate_list.html",
        {
            "rows": [(rate, found.get(rate.accounts_code, [])) for rate in rates],
            "section": "Configuration",
        },
    )


@area_required("configuration")
def chargerate_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(
        request,
        ChargeRate,
        ChargeRateForm,
        pk,
        kind="charge rate",
        save=_charge_rate_save,
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
