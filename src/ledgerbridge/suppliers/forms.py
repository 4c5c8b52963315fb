"""Forms for suppliers: details, addresses and tax defaults."""

from __future__ import annotations

from django import forms

from ledgerbridge.customers.forms import DETAILS, POSTAL, STREET
from ledgerbridge.suppliers.models import Supplier

TAX = ("sales_tax_rate", "purchase_tax_rate")
SUPPLIER_SETS = (
    ("Supplier", DETAILS),
    ("Postal address", POSTAL),
    ("Street address", STREET),
    ("Tax defaults", TAX),
)


class SupplierForm(forms.ModelForm[Supplier]):
    class Meta:
        model = Supplier
        fields = DETAILS + POSTAL + STREET + TAX
        labels = {
            "sales_tax_rate": "Default sales tax rate",
            "purchase_tax_rate": "Default purchase tax rate",
        }
