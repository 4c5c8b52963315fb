"""Forms for customers: their details, and their billing settings (a tab of their own)."""

from __future__ import annotations

from typing import Any

from django import forms

from ledgerbridge.customers.models import Customer
from ledgerbridge.sync.forms import add_organisation_field, offer_generate

DETAILS = ("name", "account_number", "active", "email", "phone")
POSTAL = tuple(f"postal_{part}" for part in ("line1", "line2", "city", "region", "code", "country"))
STREET = tuple(f"street_{part}" for part in ("line1", "line2", "city", "region", "code", "country"))
SETTINGS = (
    "payment_terms_days",
    "invoice_email",
    "billing_notes",
    "sales_tax_rate",
    "purchase_tax_rate",
)

DETAIL_SETS = (
    ("Customer", ("organisation", *DETAILS)),
    ("Postal address", POSTAL),
    ("Street address", STREET),
)
SETTING_SETS = (("Billing settings", SETTINGS),)


class CustomerDetailsForm(forms.ModelForm[Customer]):
    class Meta:
        model = Customer
        fields = DETAILS + POSTAL + STREET

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_organisation_field(self, self.instance, noun="customer")
        offer_generate(self, "account_number")


class CustomerSettingsForm(forms.ModelForm[Customer]):
    class Meta:
        model = Customer
        fields = SETTINGS
        labels = {
            "payment_terms_days": "Payment terms (days)",
            "sales_tax_rate": "Default sales tax rate",
            "purchase_tax_rate": "Default purchase tax rate",
        }
        widgets = {"billing_notes": forms.Textarea(attrs={"rows": 4})}


class NewCustomerForm(forms.ModelForm[Customer]):
    class Meta:
        model = Customer
        fields = DETAILS + POSTAL + STREET + SETTINGS
        labels = CustomerSettingsForm.Meta.labels
        widgets = CustomerSettingsForm.Meta.widgets

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_organisation_field(self, self.instance, noun="customer")
        offer_generate(self, "account_number")
