"""Forms for products, product groups, tax rates and charge rates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model

from ledgerbridge.catalog.models import ChargeRate, Product, ProductGroup, TaxRate
from ledgerbridge.screens import DecimalInput
from ledgerbridge.sync.forms import add_organisation_field, offer_generate
from ledgerbridge.tracking import services as tracking
from ledgerbridge.tracking.models import TrackingOption

TRACKING_PREFIX = "tracking_"

PRODUCT_SETS = (
    ("Product", ("organisation", "name", "code", "group", "parent", "description", "active")),
    ("Prices", ("unit_price", "unit_cost")),
    (
        "Accounts and tax",
        ("sales_account_code", "sales_tax_rate", "purchase_account_code", "purchase_tax_rate"),
    ),
)


class OptionField(forms.ModelChoiceField[TrackingOption]):
    def label_from_instance(self, obj: TrackingOption) -> str:
        return obj.name


def add_tracking_fields(
    form: forms.BaseForm, instance: Model, organisation_id: int | None
) -> list[str]:
    """TRK-4: one select per enabled placeholder and organisation (only `organisation_id`'s,
    if given), listing the active options of the category assigned to it; returns the field
    names."""
    categories = tracking.placeholder_categories(organisation_id)
    several = len({c.organisation_id for _, _, c in categories}) > 1
    orgs = tracking.organisation_names() if several else {}
    current: dict[int, TrackingOption] = {}
    if instance.pk:
        current = {o.category_id: o for o in instance.tracking_options.all()}  # type: ignore[attr-defined]
    names = []
    for _, placeholder, category in categories:
        name = f"{TRACKING_PREFIX}{category.pk}"
        org = orgs.get(category.organisation_id, "")
        form.fields[name] = OptionField(
            queryset=category.options.filter(status=tracking.ACTIVE),
            required=False,
            label=f"{placeholder} ({org})" if several else placeholder,
            empty_label="— none —",
            help_text=f"Tracking category {category.name}.",
            initial=current.get(category.pk),
        )
        names.append(name)
    return names


def tracking_choice(data: dict[str, Any]) -> tuple[dict[str, Any], set[int], list[TrackingOption]]:
    """Split cleaned data into (model fields, categories shown, options chosen)."""
    fields = {k: v for k, v in data.items() if not k.startswith(TRACKING_PREFIX)}
    shown = {int(k[len(TRACKING_PREFIX) :]) for k in data if k.startswith(TRACKING_PREFIX)}
    chosen = [v for k, v in data.items() if k.startswith(TRACKING_PREFIX) and v is not None]
    return fields, shown, chosen


class ProductForm(forms.ModelForm[Product]):
    class Meta:
        model = Product
        fields = [name for _, names in PRODUCT_SETS for name in names if name != "organisation"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        parents = Product.objects.filter(parent__isnull=True)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        add_organisation_field(self, self.instance, noun="product")
        offer_generate(self, "code")
        self.tracking_fields = add_tracking_fields(
            self, self.instance, self.instance.organisation_id
        )

    def clean_code(self) -> str:
        # The model's conditional unique constraint would only say "constraint violated".
        code: str = self.cleaned_data.get("code", "")
        taken = Product.objects.filter(code=code).exclude(pk=self.instance.pk)
        if code and taken.exists():
            raise forms.ValidationError(f"Product code {code} already exists; pick another.")
        return code


class ProductGroupForm(forms.ModelForm[ProductGroup]):
    class Meta:
        model = ProductGroup
        fields = ["name"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.tracking_fields = add_tracking_fields(self, self.instance, None)


class TaxRateForm(forms.ModelForm[TaxRate]):
    class Meta:
        model = TaxRate
        fields = ["name", "percentage"]
        field_classes = {"percentage": DecimalInput}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if self.instance.is_zero_rate:
            # The zero rate stays zero; only its name may change.
            self.fields["percentage"].disabled = True
            self.fields["percentage"].help_text = "The zero rate is always 0%."


class ChargeRateForm(forms.ModelForm[ChargeRate]):
    class Meta:
        model = ChargeRate
        fields = ["name", "hourly_price", "accounts_code", "active"]
