"""Forms for customers: their details, and their billing settings (a tab of their own)."""

from __future__ import annotations

from typing import Any

from django import forms

from ledgerbridge.customers.models import Customer
from ledgerbridge.sync.forms import add_organisation_field, currency_help, offer_generate
from ledgerbridge.sync.models import SyncSettings

DETAILS = ("name", "account_number", "active", "email", "phone")
POSTAL = tuple(f"postal_{part}" for part in ("line1", "line2", "city", "region", "code", "country"))
STREET = tuple(f"street_{part}" for part in ("line1", "line2", "city", "region", "code", "country"))
SETTINGS = (
    "currency",
    "payment_terms_days",
    "invoice_email",
    "billing_notes",
    "sales_tax_rate",
    "purchase_tax_rate",
)


def explain_currency(form: forms.BaseForm, instance: Any) -> None:
    """The party's currency field names the currencies its organisation has enabled."""
    if "currency" not in form.fields:
        return
    organisation_id = getattr(instance, "organisation_id", None)
    if instance.pk is None and organisation_id is None:
        organisation_id = SyncSettings.get().default_organisation_id
    blank = "the organisation's base currency"
    form.fields["currency"].help_text = currency_help(organisation_id, blank)


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        explain_currency(self, self.instance)


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
        explain_currency(self, self.instance)
