"""Forms for billing documents: a header form per document and one lines formset for all.

The lines formset is shared by invoices, recurring invoices and purchase orders; `lines_from`
turns it into the `LineData` the services take, together with the line forms in the same
order, so a service error keyed `lines[i].field` lands beside the right field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.forms import formset_factory

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import (
    MAX_QUANTITY,
    AmountTypes,
    DocumentStatus,
    IntervalUnit,
    LineBase,
)
from ledgerbridge.billing.services import EDITABLE_STATUSES
from ledgerbridge.catalog.models import ChargeRate, Product, TaxRate
from ledgerbridge.customers.models import Customer

MAX_LINES = 100
OPEN_STATUSES = [(s.value, s.label) for s in DocumentStatus if s in EDITABLE_STATUSES]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LineForm(forms.Form):
    """One line. Picking a product fills what is left blank from it (name, price, tax, code)."""

    product: forms.ModelChoiceField[Product] = forms.ModelChoiceField(
        queryset=Product.objects.filter(active=True), required=False
    )
    description = forms.CharField(max_length=4000, required=False)
    quantity = forms.DecimalField(
        max_digits=14,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        max_value=MAX_QUANTITY,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    unit_price = forms.DecimalField(
        max_digits=14,
        decimal_places=4,
        min_value=Decimal(0),
        max_value=MAX_QUANTITY,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    tax_rate: forms.ModelChoiceField[TaxRate] = forms.ModelChoiceField(
        queryset=TaxRate.objects.all(), required=False
    )
    item_code = forms.CharField(max_length=30, required=False)
    # Kept so that editing a labour invoice keeps each line's charge rate.
    charge_rate: forms.ModelChoiceField[ChargeRate] = forms.ModelChoiceField(
        queryset=ChargeRate.objects.all(), required=False, widget=forms.HiddenInput
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        product: Product | None = data.get("product")
        if product is not None:
            if not data.get("description"):
                data["description"] = product.description or product.name
            if data.get("unit_price") is None and "unit_price" not in self.errors:
                data["unit_price"] = product.unit_price
            if data.get("tax_rate") is None and "tax_rate" not in self.errors:
                data["tax_rate"] = product.sales_tax_rate
            if not data.get("item_code"):
                data["item_code"] = product.code
        needed = {
            "description": "Enter a description (or pick a product).",
            "quantity": "Enter a quantity greater than 0.",
            "unit_price": "Enter a unit price of 0 or more.",
            "tax_rate": "Pick a tax rate.",
        }
        for name, message in needed.items():
            if name not in self.errors and data.get(name) in (None, ""):
                self.add_error(name, message)
        return data


LineFormSet = formset_factory(
    LineForm,
    extra=1,
    can_delete=True,
    max_num=MAX_LINES,
    validate_max=True,
    absolute_max=MAX_LINES,
)


def line_initial(rows: Any) -> list[dict[str, Any]]:
    """Initial formset data from stored lines."""
    return [
        {
            "product": row.product_id,
            "description": row.description,
            "quantity": row.quantity.normalize(),
            "unit_price": row.unit_price,
            "tax_rate": row.tax_rate_id,
            "item_code": row.item_code,
            "charge_rate": getattr(row, "charge_rate_id", None),
        }
        for row in rows
        if isinstance(row, LineBase)
    ]


def lines_from(formset: Any) -> tuple[list[LineData], list[forms.Form]]:
    """The lines a valid formset holds (deleted and untouched blank rows left out), in order,
    with the form each came from."""
    lines: list[LineData] = []
    used: list[forms.Form] = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        product = data.get("product")
        rate = data.get("charge_rate")
        lines.append(
            LineData(
                description=data["description"],
                quantity=data["quantity"],
                unit_price=data["unit_price"],
                tax_rate_id=data["tax_rate"].pk,
                product_id=product.pk if product else None,
                item_code=data.get("item_code") or "",
                charge_rate_id=rate.pk if rate else None,
            )
        )
        used.append(form)
    return lines, used


class InvoiceForm(forms.Form):
    customer: forms.ModelChoiceField[Customer] = forms.ModelChoiceField(
        queryset=Customer.objects.filter(active=True)
    )
    date = forms.DateField(widget=DATE)
    due_date = forms.DateField(
        required=False, widget=DATE, help_text="Leave blank to use the customer's payment terms."
    )
    status = forms.ChoiceField(choices=OPEN_STATUSES, initial=DocumentStatus.DRAFT)
    reference = forms.CharField(max_length=255, required=False)
    amount_type = forms.ChoiceField(
        label="Amounts are", choices=AmountTypes.choices, initial=AmountTypes.EXCLUSIVE
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # An invoice keeps its customer; delete it and raise another to change that.
            del self.fields["customer"]


class RecurringForm(forms.Form):
    customer: forms.ModelChoiceField[Customer] = forms.ModelChoiceField(
        queryset=Customer.objects.filter(active=True)
    )
    reference = forms.CharField(max_length=255, required=False)
    interval_count = forms.IntegerField(label="Every", min_value=1, max_value=120, initial=1)
    interval_unit = forms.ChoiceField(
        label="Unit", choices=IntervalUnit.choices, initial=IntervalUnit.MONTH
    )
    start_date = forms.DateField(widget=DATE, help_text="The date of the first invoice.")
    end_date = forms.DateField(required=False, widget=DATE, help_text="Blank: no end.")
    status = forms.ChoiceField(
        label="Status of raised invoices",
        choices=[("", "Default (draft)"), *OPEN_STATUSES],
        required=False,
    )
    amount_type = forms.ChoiceField(
        label="Amounts are", choices=AmountTypes.choices, initial=AmountTypes.EXCLUSIVE
    )
    active = forms.BooleanField(required=False, initial=True)


class BillForm(forms.Form):
    """The Ready for invoicing selection: the chosen time entries and the invoices' date."""

    date = forms.DateField(label="Invoice date", widget=DATE)

    def __init__(self, *args: Any, entries: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.raw_entries = entries or []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.raw_entries:
            self.add_error(None, "Select at least one time entry to bill.")
        elif not all(value.isdigit() and len(value) < 19 for value in self.raw_entries):
            self.add_error(None, "Time entries are chosen by their numeric ids; refresh the list.")
        else:
            data["entries"] = sorted({int(value) for value in self.raw_entries})
        return data
