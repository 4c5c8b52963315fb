"""Forms for products, product groups, tax rates and charge rates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model

from ledgerbridge.catalog.models import ChargeRate, Product, ProductGroup, TaxRate
from ledgerbridge.screens import DecimalInput
from ledgerbridge.xero import tracking
from ledgerbridge.xero.models import Connection, ConnectionState, TrackingOption

TRACKING_PREFIX = "tracking_"

PRODUCT_SETS = (
    ("Product", ("name", "code", "group", "parent", "description", "active")),
    ("Prices", ("unit_price", "unit_cost")),
    (
        "Accounts and tax",
        ("sales_account_code", "sales_tax_rate", "purchase_account_code", "purchase_tax_rate"),
    ),
)


class OptionField(forms.ModelChoiceField[TrackingOption]):
    def label_from_instance(self, obj: TrackingOption) -> str:
        return obj.name


def add_tracking_fields(form: forms.BaseForm, instance: Model, tenant: str | None) -> list[str]:
    """TRK-4: one select per enabled placeholder and organisation (`tenant`'s only, if given),
    listing the active options of the category assigned to it; returns the field names."""
    categories = tracking.placeholder_categories(tenant)
    several = len({c.xero_tenant_id for _, _, c in categories}) > 1
    orgs = tracking.organisation_names() if several else {}
    current: dict[int, TrackingOption] = {}
    if instance.pk:
        current = {o.category_id: o for o in instance.tracking_options.all()}  # type: ignore[attr-defined]
    names = []
    for _, placeholder, category in categories:
        name = f"{TRACKING_PREFIX}{category.pk}"
        org = orgs.get(category.xero_tenant_id, category.xero_tenant_id)
        form.fields[name] = OptionField(
            queryset=category.options.filter(status=tracking.ACTIVE),
            required=False,
            label=f"{placeholder} ({org})" if several else placeholder,
            empty_label="— none —",
            help_text=f"Xero tracking category {category.name}.",
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
        fields = [name for _, names in PRODUCT_SETS for name in names]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        parents = Product.objects.filter(parent__isnull=True)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.tracking_fields = add_tracking_fields(
            self, self.instance, self.instance.xero_tenant_id or None
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


class LinkOrganisationForm(forms.Form):
    """TAX-2, step 1: the organisation whose Xero tax rates to offer."""

    connection: forms.ModelChoiceField[Connection] = forms.ModelChoiceField(
        queryset=Connection.objects.none(), label="Organisation", empty_label="— pick one —"
    )

    def __init__(self, *args: Any, rate: TaxRate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        connected = Connection.objects.filter(state=ConnectionState.CONNECTED, saved=True).exclude(
            tenant_id=""
        )
        if rate.xero_tenant_id:
            # A rate's organisation never changes; only its Xero tax type may.
            connected = connected.filter(tenant_id=rate.xero_tenant_id)
        field = self.fields["connection"]
        field.queryset = connected  # type: ignore[attr-defined]
        field.label_from_instance = lambda c: f"{c.name} ({c.tenant_name})"  # type: ignore[attr-defined]


class LinkTaxTypeForm(forms.Form):
    """TAX-2, step 2: one of the organisation's Xero tax rates, as Xero listed them just now."""

    tax_type = forms.ChoiceField(label="Xero tax rate", choices=())

    def __init__(self, *args: Any, rates: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rates = {r.tax_type: r for r in rates}
        self.fields["tax_type"].choices = [  # type: ignore[attr-defined]
            ("", "— pick one —"),
            *(
                (r.tax_type, f"{r.name} ({r.percentage.normalize():f}%, {r.tax_type})")
                for r in rates
            ),
        ]
