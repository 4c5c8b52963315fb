"""Forms for products, product groups, tax rates and charge rates."""

from __future__ import annotations

from django import forms

from ledgerbridge.catalog.models import ChargeRate, Product, ProductGroup, TaxRate

PRODUCT_SETS = (
    ("Product", ("name", "code", "group", "parent", "description", "active")),
    ("Prices", ("unit_price", "unit_cost")),
    (
        "Accounts and tax",
        ("sales_account_code", "sales_tax_rate", "purchase_account_code", "purchase_tax_rate"),
    ),
)


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


class TaxRateForm(forms.ModelForm[TaxRate]):
    class Meta:
        model = TaxRate
        fields = ["name", "percentage"]

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
