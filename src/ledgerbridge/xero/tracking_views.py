"""Configuration > Integrations > Xero > Tracking: the setting (TRK-1) and placeholders (TRK-3).

Nothing here calls Xero: the categories offered are those "Import tracking categories" brought
(TRK-2). Each form parses, calls one service of `tracking`, and redirects; a refusal answers 400
with the field named and nothing saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ledgerbridge.accounts.permissions import area_required
from ledgerbridge.screens import apply_errors, error_summary
from ledgerbridge.tracking import services as tracking
from ledgerbridge.tracking.models import TrackingCategory, TrackingSettings
from ledgerbridge.xero.imports.common import organisation
from ledgerbridge.xero.models import Connection, ConnectionState

SECTION = "Configuration"


class SettingsForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Use tracking categories")
    placeholder_1 = forms.CharField(
        label="First placeholder",
        max_length=tracking.MAX_NAME,
        required=False,
        help_text="What Ledgerbridge calls the first category, e.g. “Region”.",
    )
    placeholder_2 = forms.CharField(
        label="Second placeholder",
        max_length=tracking.MAX_NAME,
        required=False,
        help_text="Optional; Xero allows two active categories.",
    )


class AssignForm(forms.Form):
    """One organisation's placeholders: a category of its own, active, per enabled slot."""

    def __init__(
        self, *args: Any, connection: Connection, slots: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        # Ids of its own: the setting's fields on the same page are also called placeholder_n.
        kwargs.setdefault("auto_id", f"id_org{connection.pk}_%s")
        super().__init__(*args, **kwargs)
        self.connection = connection
        choices = TrackingCategory.objects.filter(
            organisation__integration="xero",
            organisation__remote_id=connection.tenant_id,
            status=tracking.ACTIVE,
        )
        for slot, name in slots:
            self.fields[f"placeholder_{slot}"] = forms.ModelChoiceField(
                queryset=choices,
                required=False,
                label=name,
                empty_label="— none —",
                initial=choices.filter(placeholder=slot).first(),
            )

    @property
    def has_categories(self) -> bool:
        return TrackingCategory.objects.filter(
            organisation__integration="xero", organisation__remote_id=self.connection.tenant_id
        ).exists()


def _organisations() -> list[Connection]:
    return list(
        Connection.objects.filter(state=ConnectionState.CONNECTED, saved=True).exclude(tenant_id="")
    )


@area_required("configuration")
def tracking_page(request: HttpRequest) -> HttpResponse:
    """The setting and, per connected organisation, each placeholder's category."""
    row = TrackingSettings.get()
    slots = row.placeholders()
    settings_form = SettingsForm(
        initial={
            "enabled": row.enabled,
            "placeholder_1": row.placeholder_1,
            "placeholder_2": row.placeholder_2,
        }
    )
    assign_forms = {c.pk: AssignForm(connection=c, slots=slots) for c in _organisations()}
    refused: forms.Form | None = None
    problem: list[tuple[str, str]] = []
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "settings":
        settings_form = SettingsForm(request.POST)
        if settings_form.is_valid():
            data = settings_form.cleaned_data
            try:
                tracking.save_tracking_settings(
                    bool(data["enabled"]), data["placeholder_1"], data["placeholder_2"]
                )
            except ValidationError as exc:
                apply_errors(settings_form, exc)
            else:
                messages.success(request, "Tracking settings saved; they apply at once.")
                return redirect("xero:xero_tracking:page")
        refused = settings_form
    elif action == "assign":
        raw = request.POST.get("connection", "")
        connection = next((c for c in _organisations() if str(c.pk) == raw), None)
        if connection is None:
            problem = [("Organisation", "Pick a connected organisation; reload the page.")]
        else:
            form = AssignForm(request.POST, connection=connection, slots=slots)
            assign_forms[connection.pk] = form
            if not slots:
                form.add_error(None, "Enable tracking and name a placeholder first.")
            elif form.is_valid():
                try:
                    tracking.assign_placeholders(
                        organisation(connection.tenant_id).pk,
                        {slot: form.cleaned_data[f"placeholder_{slot}"] for slot, _ in slots},
                    )
                except ValidationError as exc:
                    apply_errors(form, exc)
                else:
                    messages.success(request, f"Placeholders of {connection} saved.")
                    return redirect("xero:xero_tracking:page")
            refused = form
    elif action is not None:
        problem = [("Form", "Unknown action; reload the page.")]
    context = {
        "settings_form": settings_form,
        "tracking": row,
        "slots": slots,
        "organisations": [(c, assign_forms[c.pk]) for c in _organisations()],
        "summary": [*error_summary(refused), *problem] if refused is not None else problem,
        "section": SECTION,
    }
    return render(request, "xero/tracking.html", context, status=400 if context["summary"] else 200)
