"""Form pieces every syncable record shares: its organisation (GEN-1, fixed once set), the
"Generate" button of a code field (GEN-4), and a document's currency."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model

from ledgerbridge.sync.currencies import enabled_codes
from ledgerbridge.sync.models import Organisation, SyncSettings
from ledgerbridge.sync.services import next_code

GENERATE = "generate"


def add_organisation_field(form: forms.BaseForm, instance: Model, *, noun: str) -> None:
    """The record's organisation: defaulted for a new record (GEN-1), fixed once it is set."""
    field: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        queryset=Organisation.objects.all(),
        required=False,
        label="Organisation",
        empty_label="— none: not synced —",
        help_text=f"The accounting organisation the {noun} belongs to. It cannot change once set.",
    )
    current = getattr(instance, "organisation_id", None)
    if instance.pk and current is not None:
        field.disabled = True
        field.initial = current
        field.queryset = Organisation.objects.filter(pk=current)
    elif not instance.pk:
        field.initial = SyncSettings.get().default_organisation_id
    form.fields["organisation"] = field


def currency_help(organisation_id: int | None, blank: str) -> str:
    """The help text of a currency field: its form, what blank means, and the currencies the
    organisation has enabled when they are known."""
    text = f"Three capital letters, e.g. NZD or USD. Blank: {blank}."
    enabled = enabled_codes(organisation_id)
    if enabled:
        text += f" Enabled in its organisation: {', '.join(sorted(enabled))}."
    return text


def add_currency_field(
    form: forms.BaseForm,
    *,
    organisation_id: int | None = None,
    party: str = "customer",
    sent_to: str | None = None,
) -> None:
    """A document's currency: blank takes its `party`'s; fixed (shown, not editable) once the
    document is in the accounting system (`sent_to` names the organisation it is in)."""
    field = forms.CharField(
        label="Currency",
        max_length=3,
        required=False,
        help_text=currency_help(organisation_id, f"the {party}'s currency"),
    )
    if sent_to is not None:
        field.disabled = True
        field.help_text = f"It is in {sent_to} already, so its currency cannot change."
    form.fields["currency"] = field


def offer_generate(form: forms.BaseForm, name: str) -> None:
    """Show a "Generate" button beside the code field `name` (GEN-4)."""
    form.fields[name].widget.attrs["data-generate"] = name


def generate_requested(data: Any) -> str | None:
    """Which code field a person asked to generate (the form is shown again, not saved)."""
    if data is None:
        return None
    value = data.get(GENERATE)
    return str(value) if value else None


def generated(
    data: Any, model: type[Model], field: str, prefix: str, instance: Model | None = None
) -> dict[str, Any]:
    """What a form shows again after "Generate": what was typed, with the next free code of
    the record's organisation in `field` (GEN-4). Nothing is saved."""
    shown = {k: v for k, v in data.items() if k not in ("csrfmiddlewaretoken", GENERATE)}
    org = getattr(instance, "organisation_id", None) or shown.get("organisation") or None
    shown[field] = next_code(model, field, prefix, int(org) if org else None)
    return shown


def organisation_id_of(record: Any) -> int | None:
    """The organisation a picked record belongs to (a tracking option: its category's)."""
    if hasattr(record, "organisation_id"):
        return record.organisation_id  # type: ignore[no-any-return]
    category = getattr(record, "category", None)
    return getattr(category, "organisation_id", None)


class OrganisationSelect(forms.Select):
    """A select whose options say their organisation (`data-organisation`, empty for none), so
    a page offers only those of the customer or supplier picked on it (see app.js): the select
    marked `data-organisation-source` decides for those marked `data-organisation-filtered`."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)
        instance = getattr(option["value"], "instance", None)
        if instance is not None:
            org = organisation_id_of(instance)
            option["attrs"]["data-organisation"] = "" if org is None else str(org)
        return option


def filtered_by_organisation(field: forms.Field, *, source: bool = False) -> None:
    """Make `field`'s select (an OrganisationSelect) follow the organisation picked on the page,
    or, with `source`, decide it."""
    assert isinstance(field.widget, OrganisationSelect)
    field.widget.attrs["data-organisation-source" if source else "data-organisation-filtered"] = ""


class WithOrganisation(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A picker of customers, suppliers or products that names each one's organisation when
    there are several, so two "Acme Dental" of two organisations can be told apart."""

    widget = OrganisationSelect

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queryset = self.queryset.select_related("organisation")  # type: ignore[union-attr]
        self._several: bool | None = None  # asked once per form, not once per option

    def label_from_instance(self, obj: Any) -> str:
        label = str(obj)
        organisation = getattr(obj, "organisation", None)
        if organisation is None:
            return label
        if self._several is None:
            self._several = Organisation.objects.count() > 1
        return f"{label} ({organisation.name})" if self._several else label
