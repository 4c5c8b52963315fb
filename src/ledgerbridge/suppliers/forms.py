"""Forms for suppliers: details, addresses and tax defaults."""

from __future__ import annotations

from typing import Any

from django import forms

from ledgerbridge.customers.forms import DETAILS, POSTAL, STREET, explain_currency
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.forms import add_organisation_field

TAX = ("sales_tax_rate", "purchase_tax_rate")
SUPPLIER_SETS = (
    ("Supplier", ("organisation", *DETAILS)),
    ("Postal address", POSTAL),
    ("Street address", STREET),
    ("Currency and tax defaults", ("currency", *TAX)),
)


class SupplierForm(forms.ModelForm[Supplier]):
    class Meta:
        model = Supplier
        fields = (*DETAILS, *POSTAL, *STREET, "currency", *TAX)
        labels = {
            "sales_tax_rate": "Default sales tax rate",
            "purchase_tax_rate": "Default purchase tax rate",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_organisation_field(self, self.instance, noun="supplier")
        explain_currency(self, self.instance)
