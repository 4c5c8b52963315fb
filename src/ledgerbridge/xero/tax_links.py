"""Linking one tax rate to one of its organisation's Xero tax rates by hand (TAX-2): the
service, and its two-step screen (pick the organisation, then one of its Xero tax rates, read
live). Importing every tax rate is `imports.tax_rates`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ForeignObjectRel, Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from ledgerbridge.accounts.permissions import area_required
from ledgerbridge.catalog.models import TaxRate
from ledgerbridge.screens import apply_errors, error_summary, posted
from ledgerbridge.sync.models import Link, RecordKind, SyncIssue
from ledgerbridge.sync.services import RemoteState, link_of, record_remote
from ledgerbridge.xero import mapping
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.errors import XeroError
from ledgerbridge.xero.imports.common import organisation
from ledgerbridge.xero.imports.tax_rates import percent, xero_tax_rates
from ledgerbridge.xero.models import Connection
from ledgerbridge.xero.panels import connected_organisations
from ledgerbridge.xero.views import xero_unavailable

SECTION = "Configuration"


# The codes of the two refusals a person may overrule by confirming (screen: one more step;
# API: `merge_twin`, `confirm_percentage_change`).
TWIN = "linked_to_twin"
PERCENTAGE_CHANGE = "percentage_change"


@transaction.atomic
def link_tax_rate(
    rate: TaxRate,
    tenant_id: str,
    tax_type: str,
    xero_name: str = "",
    *,
    xero_percentage: Decimal | None = None,
    merge_twin: bool = False,
    confirm_percentage_change: bool = False,
) -> TaxRate:
    """TAX-2: link a tax rate to one of its organisation's Xero tax rates.

    Gives the rate that organisation if it had none; refuses (ValidationError keyed by field)
    the zero rate, another organisation than the rate's own, and a name the organisation
    already has. Two refusals can be overruled, and say how:
    - the Xero tax rate is already linked to another rate of the organisation (its twin, e.g.
      the one an import created), code TWIN under "merge_twin": with `merge_twin`, the twin's
      records move onto `rate` and the twin is removed (`merge_tax_rates`);
    - `xero_percentage` differs from the rate's, code PERCENTAGE_CHANGE under
      "confirm_percentage_change": the next tax-rate import would set the rate to Xero's
      percentage, so it is linked only once confirmed.
    Every refusal is raised together, before anything is written. Idempotent.
    """
    if rate.is_zero_rate:
        raise ValidationError("The zero tax rate is not linked to an organisation.")
    org = organisation(tenant_id)
    if rate.organisation_id is not None and rate.organisation_id != org.pk:
        raise ValidationError({"organisation": ["A tax rate's organisation cannot change."]})
    clash = (
        Link.objects.filter(kind=RecordKind.TAX_RATE, organisation=org, remote_id=tax_type)
        .exclude(local_id=rate.pk)
        .first()
    )
    twin = TaxRate.objects.filter(pk=clash.local_id).first() if clash is not None else None
    same_name = TaxRate.objects.filter(organisation=org, name__iexact=rate.name)
    if twin is not None:
        same_name = same_name.exclude(pk=twin.pk)
    if same_name.exclude(pk=rate.pk).exists():
        raise ValidationError(
            {
                "tax_rate": [
                    f"That organisation already has a tax rate named {rate.name}; rename one."
                ]
            }
        )
    refusals: dict[str, list[ValidationError]] = {}
    if twin is not None and not merge_twin:
        users = count_users(twin)
        what = f"used by {users} record{'s' if users != 1 else ''}" if users else "unused"
        refusals["merge_twin"] = [
            ValidationError(
                f"{tax_type} is already linked to {twin.name} ({what}). Merge {twin.name} into "
                f"{rate.name} to link it: {twin.name}'s records move to {rate.name} and "
                f"{twin.name} is removed.",
                code=TWIN,
            )
        ]
    if (
        xero_percentage is not None
        and xero_percentage != rate.percentage
        and not confirm_percentage_change
    ):
        shown = xero_name or tax_type
        refusals["confirm_percentage_change"] = [
            ValidationError(
                f"{rate.name} is {percent(rate.percentage)} but {shown} in Xero is "
                f"{percent(xero_percentage)}: once linked, Xero taxes what {rate.name} is used "
                f"on at {percent(xero_percentage)}, and the next tax-rate import sets "
                f"{rate.name} to {percent(xero_percentage)}. Confirm to link anyway.",
                code=PERCENTAGE_CHANGE,
            )
        ]
    if refusals:
        raise ValidationError(refusals)
    if clash is not None:
        if twin is not None:
            merge_tax_rates(twin, rate)
        else:  # a link left by a rate deleted since: nothing to merge, the link goes
            clash.delete()
    if rate.organisation_id is None:
        rate.organisation = org
        rate.save(update_fields=["organisation"])
    snapshot = {"Name": xero_name} if xero_name else {}
    record_remote(RecordKind.TAX_RATE, org.pk, [RemoteState(rate.pk, tax_type, snapshot)])
    return rate


def _references() -> list[tuple[type[Model], str]]:
    """(model, field name) of every foreign key to TaxRate, hidden reverse relations included
    (they are declared with related_name="+")."""
    found: list[tuple[type[Model], str]] = []
    for rel in TaxRate._meta.get_fields(include_hidden=True):
        model = rel.related_model if isinstance(rel, ForeignObjectRel) else None
        if isinstance(rel, ForeignObjectRel) and model and (rel.one_to_many or rel.one_to_one):
            found.append((model, rel.field.name))
    return found


def count_users(rate: TaxRate) -> int:
    """How many records (customers, products, lines…) use the tax rate."""
    return sum(model._base_manager.filter(**{name: rate}).count() for model, name in _references())


@transaction.atomic
def merge_tax_rates(twin: TaxRate, into: TaxRate) -> int:
    """Move every record using `twin` onto `into`, then remove `twin` and its links. Returns
    how many records moved. Totals already computed on documents are kept as they are."""
    if twin.is_zero_rate:
        raise ValidationError("The zero tax rate cannot be merged away.")
    moved = 0
    for model, name in _references():
        moved += model._base_manager.filter(**{name: twin}).update(**{name: into})
    Link.objects.filter(kind=RecordKind.TAX_RATE, local_id=twin.pk).delete()
    SyncIssue.objects.filter(kind=RecordKind.TAX_RATE, local_id=twin.pk).delete()
    twin.delete()
    return moved


def linked_to(rate: TaxRate) -> tuple[str, str, str]:
    """(tenant id, Xero tax type, Xero name) of a rate's link; blanks when not linked."""
    link = link_of(RecordKind.TAX_RATE, rate.pk)
    tenant = rate.organisation.remote_id if rate.organisation is not None else ""
    if link is None:
        return tenant, "", ""
    return tenant, link.remote_id, str((link.snapshot or {}).get("Name", ""))


class LinkOrganisationForm(forms.Form):
    """TAX-2, step 1: the organisation whose Xero tax rates to offer."""

    connection: forms.ModelChoiceField[Connection] = forms.ModelChoiceField(
        queryset=Connection.objects.none(), label="Organisation", empty_label="— pick one —"
    )

    def __init__(self, *args: Any, rate: TaxRate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["connection"]
        field.queryset = connected_organisations(rate)  # type: ignore[attr-defined]
        field.label_from_instance = lambda c: f"{c.name} ({c.tenant_name})"  # type: ignore[attr-defined]

    @property
    def choices(self) -> QuerySet[Connection]:
        return self.fields["connection"].queryset  # type: ignore[attr-defined, no-any-return]


class LinkTaxTypeForm(forms.Form):
    """TAX-2, step 2: one of the organisation's Xero tax rates, as Xero listed them just now."""

    tax_type = forms.ChoiceField(label="Xero tax rate", choices=())

    def __init__(self, *args: Any, rates: list[mapping.TaxRateData], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rates = {r.tax_type: r for r in rates}
        self.fields["tax_type"].choices = [  # type: ignore[attr-defined]
            ("", "— pick one —"),
            *(
                (r.tax_type, f"{r.name} ({r.percentage.normalize():f}%, {r.tax_type})")
                for r in rates
            ),
        ]


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    rate = context["rate"]
    context["linked_tax_type"], context["linked_name"] = linked_to(rate)[1:]
    return render(request, "xero/taxrate_link.html", context, status=status)


def _xero_failed(request: HttpRequest, context: dict[str, Any], exc: XeroError) -> HttpResponse:
    """Xero busy past the deadline (503, try again) or failing (502): nothing was linked."""
    unavailable = xero_unavailable(request, exc, "Xero did not answer with the tax rates")
    context["unavailable"] = unavailable
    return _page(request, context, int(unavailable["status"]))


@area_required("configuration")
def taxrate_link(request: HttpRequest, pk: int) -> HttpResponse:
    """TAX-2, step 1: pick the organisation (connected ones; a linked rate keeps its own)."""
    rate = get_object_or_404(TaxRate, pk=pk)
    form = LinkOrganisationForm(posted(request), rate=rate)
    context: dict[str, Any] = {"rate": rate, "form": form, "step": 1, "section": SECTION}
    if rate.is_zero_rate:
        context["summary"] = [("Tax rate", "The zero tax rate is not linked to an organisation.")]
        return _page(request, context, 400)
    if request.method == "POST" and form.is_valid():
        connection = form.cleaned_data["connection"]
        return redirect("xero:taxrate_link_pick", pk=pk, connection=connection.pk)
    refused = request.method == "POST"
    context["summary"] = error_summary(form) if refused else []
    return _page(request, context, 400 if refused else 200)


@area_required("configuration")
def taxrate_link_pick(request: HttpRequest, pk: int, connection: int) -> HttpResponse:
    """TAX-2, step 2: the organisation's Xero tax rates, read live; the one picked is linked."""
    rate = get_object_or_404(TaxRate, pk=pk)
    org = get_object_or_404(Connection, pk=connection)
    context: dict[str, Any] = {
        "rate": rate,
        "connection": org,
        "step": 2,
        "section": SECTION,
        "back_url": reverse("xero:taxrate_link", args=[pk]),
    }
    if rate.is_zero_rate or not LinkOrganisationForm(rate=rate).choices.filter(pk=org.pk).exists():
        # Not connected, or not the organisation this rate already belongs to: step 1 again.
        context.update(form=LinkOrganisationForm(rate=rate), step=1)
        context["summary"] = [("Organisation", f"{org} cannot be picked for {rate.name}.")]
        return _page(request, context, 400)
    try:
        # A person is waiting: XERO_DEADLINE_SECONDS at most, then "Xero is busy".
        with XeroClient.interactive(org) as client:
            rates = xero_tax_rates(client)
    except XeroError as exc:
        return _xero_failed(request, context, exc)
    form = LinkTaxTypeForm(posted(request), rates=rates)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        chosen = form.rates[form.cleaned_data["tax_type"]]
        twins = Link.objects.filter(
            kind=RecordKind.TAX_RATE,
            organisation__remote_id=org.tenant_id,
            remote_id=chosen.tax_type,
        ).values_list("local_id", flat=True)
        clash = (
            TaxRate.objects.filter(organisation__remote_id=org.tenant_id, name__iexact=rate.name)
            .exclude(pk=rate.pk)
            .exclude(pk__in=list(twins))  # a twin of that name goes when merged
        )
        if clash.exists():
            form.add_error(
                None, f"{org} already has a tax rate named {rate.name}; rename this one first."
            )
            return _page(request, {**context, "summary": error_summary(form)}, 400)
        merge = request.POST.get("merge_twin") == "on"
        try:
            link_tax_rate(
                rate,
                org.tenant_id,
                chosen.tax_type,
                chosen.name,
                xero_percentage=chosen.percentage,
                merge_twin=merge,
                confirm_percentage_change=request.POST.get("confirm_percentage_change") == "on",
            )
        except ValidationError as exc:
            asked = getattr(exc, "error_dict", {})
            if asked and set(asked) <= {"merge_twin", "confirm_percentage_change"}:
                # Nothing wrong that a person cannot overrule: say what linking would do, and
                # offer the same choice again with it confirmed.
                context["confirm"] = {
                    "tax_type": chosen.tax_type,
                    "merge": "merge_twin" in asked,
                    "percentage": "confirm_percentage_change" in asked,
                }
                context["summary"] = [("Xero tax rate", m) for m in exc.messages]
                return _page(request, context, 400)
            apply_errors(form, exc, rename={"organisation": "__all__", "merge_twin": "tax_type"})
        else:
            merged = " (its twin merged into it)" if merge else ""
            messages.success(
                request,
                f"{rate.name} linked to {chosen.name} ({chosen.tax_type}) in {org}{merged}.",
            )
            return redirect("catalog:taxrate_list")
    refused = form.is_bound and bool(form.errors)
    context["summary"] = error_summary(form) if refused else []
    return _page(request, context, 400 if refused else 200)
