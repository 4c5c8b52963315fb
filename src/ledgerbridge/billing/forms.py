"""Forms for billing documents: a header form per document and one lines formset for all.

The lines formset is shared by invoices, recurring invoices and purchase orders; `lines_from`
turns it into the `LineData` the services take, together with the line forms in the same
order, so a service error keyed `lines[i].field` lands beside the right field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q
from django.forms import formset_factory

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import (
    MAX_QUANTITY,
    AmountTypes,
    BrandingTheme,
    DocumentStatus,
    IntervalUnit,
    LineBase,
)
from ledgerbridge.billing.services import EDITABLE_STATUSES
from ledgerbridge.catalog.models import ChargeRate, Product, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.dates import DateInRangeField
from ledgerbridge.screens import DecimalInput
from ledgerbridge.sync.forms import (
    OrganisationSelect,
    WithOrganisation,
    add_currency_field,
    filtered_by_organisation,
)
from ledgerbridge.sync.models import SyncSettings
from ledgerbridge.tracking import services as tracking
from ledgerbridge.tracking.models import TrackingOption

MAX_LINES = 100
OPEN_STATUSES = [(s.value, s.label) for s in DocumentStatus if s in EDITABLE_STATUSES]


class LineForm(forms.Form):
    """One line. With a product, what is left blank comes from it (name, price, tax, code)."""

    product: forms.ModelChoiceField[Product] = WithOrganisation(
        queryset=Product.objects.filter(active=True), required=False
    )
    description = forms.CharField(max_length=4000, required=False)
    quantity = DecimalInput(
        max_digits=14,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        max_value=MAX_QUANTITY,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    unit_price = DecimalInput(
        max_digits=14,
        decimal_places=4,
        min_value=Decimal(0),
        max_value=MAX_QUANTITY,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    tax_rate: forms.ModelChoiceField[TaxRate] = forms.ModelChoiceField(
        queryset=TaxRate.objects.all(), required=False, widget=OrganisationSelect
    )
    item_code = forms.CharField(max_length=30, required=False)
    # Kept so that editing a labour invoice keeps each line's charge rate.
    charge_rate: forms.ModelChoiceField[ChargeRate] = forms.ModelChoiceField(
        queryset=ChargeRate.objects.all(), required=False, widget=forms.HiddenInput
    )

    def clean(self) -> dict[str, Any]:
        # What a picked product fills in (description, price, tax rate, item code) is left to
        # the billing service, as for the API, so both store the same line for the same input.
        data = super().clean() or {}
        if "quantity" not in self.errors and data.get("quantity") is None:
            self.add_error("quantity", "Enter a quantity greater than 0.")
        return data


LineFormSet = formset_factory(
    LineForm,
    extra=1,
    can_delete=True,
    max_num=MAX_LINES,
    validate_max=True,
    absolute_max=MAX_LINES,
)


TrackingSpec = tuple[int, str, list[int], dict[int, str]]


ANY_ORGANISATION = -1


def line_tracking_specs(organisation_id: int | None) -> list[TrackingSpec]:
    """TRK-4 on invoice lines: per enabled placeholder slot, its name, the categories assigned
    to it (in the customer's organisation, or in every one for ANY_ORGANISATION, when the
    customer is not known yet) and the organisations' names. A customer with no organisation
    (None) gets none: its lines take no tracking."""
    if organisation_id is None:
        return []
    categories = tracking.placeholder_categories(
        None if organisation_id == ANY_ORGANISATION else organisation_id
    )
    orgs = tracking.organisation_names()
    several = len({c.organisation_id for _, _, c in categories}) > 1
    specs: dict[int, TrackingSpec] = {}
    for slot, name, category in categories:
        spec = specs.setdefault(slot, (slot, name, [], orgs if several else {}))
        spec[2].append(category.pk)
    return list(specs.values())


class TrackingOptionField(forms.ModelChoiceField[TrackingOption]):
    """An option, labelled with its organisation when several are offered."""

    def __init__(self, *args: Any, orgs: dict[int, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.orgs = orgs

    def label_from_instance(self, obj: TrackingOption) -> str:
        org = self.orgs.get(obj.category.organisation_id, "")
        return f"{org}: {obj.name}" if self.orgs else obj.name


class InvoiceLineForm(LineForm):
    """An invoice (or credit note) line, with one tracking select per enabled placeholder
    (TRK-4); its unit price may be below 0 (a discount or credit line)."""

    unit_price = DecimalInput(
        max_digits=14,
        decimal_places=4,
        min_value=-MAX_QUANTITY,
        max_value=MAX_QUANTITY,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text="Below 0 for a discount or credit.",
    )

    def __init__(
        self,
        *args: Any,
        tracking_specs: list[TrackingSpec] | None = None,
        organisation_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # INV-4: a new invoice's pickers follow the customer picked on its page (app.js).
        filtered_by_organisation(self.fields["product"])
        filtered_by_organisation(self.fields["tax_rate"])
        if organisation_id is not None:
            # INV-4: the customer's organisation's products and tax rates, and those of none.
            mine = Q(organisation_id=organisation_id) | Q(organisation__isnull=True)
            product = self.fields["product"]
            product.queryset = product.queryset.filter(mine)  # type: ignore[attr-defined]
            rate = self.fields["tax_rate"]
            rate.queryset = rate.queryset.filter(mine)  # type: ignore[attr-defined]
        self.tracking_names: list[str] = []
        for slot, name, categories, orgs in tracking_specs or []:
            field_name = f"tracking_{slot}"
            self.fields[field_name] = TrackingOptionField(
                queryset=TrackingOption.objects.filter(
                    category_id__in=categories, status=tracking.ACTIVE
                ).select_related("category"),
                orgs=orgs,
                required=False,
                label=name,
                empty_label="—",
                widget=OrganisationSelect(attrs={"data-organisation-filtered": ""}),
            )
            self.tracking_names.append(field_name)

    @property
    def tracking_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.tracking_names]

    def tracking_choice(self) -> tuple[set[int], list[TrackingOption]]:
        """(categories this line offered, options picked) of a valid form."""
        shown: set[int] = set()
        chosen: list[TrackingOption] = []
        for name in self.tracking_names:
            field = self.fields[name]
            assert isinstance(field, TrackingOptionField)
            shown |= set(field.queryset.values_list("category_id", flat=True).distinct())  # type: ignore[union-attr]
            option = self.cleaned_data.get(name)
            if isinstance(option, TrackingOption):
                chosen.append(option)
        return shown, chosen


def invoice_line_initial(rows: Any) -> list[dict[str, Any]]:
    """`line_initial` for invoice lines, with each line's option per placeholder slot."""
    rows = list(rows)
    initial = line_initial(rows)
    for data, row in zip(initial, rows, strict=True):
        for option in row.tracking_options.select_related("category"):
            if option.category.placeholder:
                data[f"tracking_{option.category.placeholder}"] = option.pk
    return initial


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


InvoiceLineFormSet = formset_factory(
    InvoiceLineForm,
    extra=1,
    can_delete=True,
    max_num=MAX_LINES,
    validate_max=True,
    absolute_max=MAX_LINES,
)


def lines_from(formset: Any) -> tuple[list[LineData], list[forms.Form]]:
    """The lines a valid formset holds (deleted and untouched blank rows left out), in order,
    with the form each came from. An invoice line with tracking selects says which options it
    picked in the categories it offered (options of other categories stay as they are)."""
    lines: list[LineData] = []
    used: list[forms.Form] = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        product = data.get("product")
        rate = data.get("charge_rate")
        tax_rate = data.get("tax_rate")
        option_ids: tuple[int, ...] | None = None
        categories: frozenset[int] | None = None
        if isinstance(form, InvoiceLineForm) and form.tracking_names:
            shown, chosen = form.tracking_choice()
            option_ids = tuple(option.pk for option in chosen)
            categories = frozenset(shown)
        lines.append(
            LineData(
                description=data.get("description") or "",
                quantity=data["quantity"],
                unit_price=data.get("unit_price"),
                tax_rate_id=tax_rate.pk if tax_rate else None,
                product_id=product.pk if product else None,
                item_code=data.get("item_code") or "",
                charge_rate_id=rate.pk if rate else None,
                tracking_option_ids=option_ids,
                tracking_categories=categories,
            )
        )
        used.append(form)
    return lines, used


def tracking_error_keys(line_forms: list[forms.Form]) -> dict[str, str]:
    """Where the service's `lines[i].tracking_options[j]` refusals go: the select the j-th
    option of line i came from (see `lines_from`)."""
    keys: dict[str, str] = {}
    for i, form in enumerate(line_forms):
        if not isinstance(form, InvoiceLineForm):
            continue
        picked = [name for name in form.tracking_names if form.cleaned_data.get(name)]
        for j, name in enumerate(picked):
            keys[f"lines[{i}].tracking_options[{j}]"] = f"lines[{i}].{name}"
    return keys


def theme_field() -> forms.ModelChoiceField[BrandingTheme]:
    """INV-3: a branding theme of the customer's organisation; blank takes the customer's."""
    field: forms.ModelChoiceField[BrandingTheme] = WithOrganisation(
        queryset=BrandingTheme.objects.all(),
        required=False,
        label="Branding theme",
        empty_label="The customer's default",
        help_text="How Xero lays the invoice out; offered once a linked customer is chosen.",
    )
    filtered_by_organisation(field)
    field.widget.attrs["data-needs-organisation"] = ""
    return field


def offer_themes(form: forms.Form, organisation_id: int | None, *, known: bool) -> None:
    """The theme picker of a known customer's organisation; none when it has none. On a new
    document (`known` False) every organisation's themes, filtered by the page."""
    field = form.fields["branding_theme"]
    if not known:
        return
    if organisation_id is None:
        del form.fields["branding_theme"]
        return
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = field.queryset.filter(organisation_id=organisation_id)  # type: ignore[union-attr]


class InvoiceForm(forms.Form):
    customer: forms.ModelChoiceField[Customer] = WithOrganisation(
        queryset=Customer.objects.filter(active=True)
    )
    date = DateInRangeField()
    due_date = DateInRangeField(
        required=False, help_text="Leave blank to use the customer's payment terms."
    )
    status = forms.ChoiceField(choices=OPEN_STATUSES, initial=DocumentStatus.DRAFT)
    reference = forms.CharField(max_length=255, required=False)
    amount_type = forms.ChoiceField(
        label="Amounts are", choices=AmountTypes.choices, initial=AmountTypes.EXCLUSIVE
    )
    external_number = forms.CharField(
        label="Xero invoice number",
        max_length=255,
        required=False,
        help_text="Blank: the same as the invoice's number.",
    )

    def __init__(
        self,
        *args: Any,
        editing: bool = False,
        organisation_id: int | None = None,
        sent_to: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branding_theme"] = theme_field()
        add_currency_field(self, organisation_id=organisation_id, sent_to=sent_to)
        settings = SyncSettings.get()
        if not settings.allow_number_override:  # INV-2: offered only when the setting allows
            del self.fields["external_number"]
        if editing:
            # An invoice keeps its customer; delete it and raise another to change that.
            del self.fields["customer"]
        else:  # GEN-2: a new invoice starts in the default status, which it may override
            self.fields["status"].initial = settings.default_invoice_status
            filtered_by_organisation(self.fields["customer"], source=True)
        offer_themes(self, organisation_id, known=editing)


class CreditNoteForm(forms.Form):
    """A credit note's header. Raised against an invoice, the customer is the invoice's."""

    customer: forms.ModelChoiceField[Customer] = WithOrganisation(
        queryset=Customer.objects.filter(active=True)
    )
    date = DateInRangeField()
    status = forms.ChoiceField(choices=OPEN_STATUSES, initial=DocumentStatus.DRAFT)
    reason = forms.CharField(
        max_length=500,
        required=False,
        help_text="Why the credit is given (kept here; Xero shows the reference).",
    )
    reference = forms.CharField(max_length=255, required=False)
    amount_type = forms.ChoiceField(
        label="Amounts are", choices=AmountTypes.choices, initial=AmountTypes.EXCLUSIVE
    )

    def __init__(
        self,
        *args: Any,
        customer_known: bool = False,
        organisation_id: int | None = None,
        sent_to: str | None = None,
        fixed_currency: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branding_theme"] = theme_field()
        add_currency_field(self, organisation_id=organisation_id, sent_to=sent_to)
        if fixed_currency is not None:  # against an invoice: the invoice's currency
            self.fields["currency"].disabled = True
            self.fields["currency"].initial = fixed_currency
            self.fields["currency"].help_text = "The credited invoice's currency."
        if customer_known:  # editing, or crediting an invoice: the customer is given
            del self.fields["customer"]
        else:
            self.fields["status"].initial = SyncSettings.get().default_invoice_status
            filtered_by_organisation(self.fields["customer"], source=True)
        offer_themes(self, organisation_id, known=customer_known)


class RecurringForm(forms.Form):
    customer: forms.ModelChoiceField[Customer] = WithOrganisation(
        queryset=Customer.objects.filter(active=True)
    )
    reference = forms.CharField(max_length=255, required=False)
    interval_count = forms.IntegerField(label="Every", min_value=1, max_value=120, initial=1)
    interval_unit = forms.ChoiceField(
        label="Unit", choices=IntervalUnit.choices, initial=IntervalUnit.MONTH
    )
    start_date = DateInRangeField(help_text="The date of the first invoice.")
    end_date = DateInRangeField(required=False, help_text="Blank: no end.")
    status = forms.ChoiceField(
        label="Status of raised invoices",
        choices=[("", "Default (draft)"), *OPEN_STATUSES],
        required=False,
    )
    amount_type = forms.ChoiceField(
        label="Amounts are", choices=AmountTypes.choices, initial=AmountTypes.EXCLUSIVE
    )
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A schedule may change its customer, so every organisation's themes are offered and
        # the page follows the customer picked (the service refuses another's).
        filtered_by_organisation(self.fields["customer"], source=True)
        self.fields["branding_theme"] = theme_field()
        add_currency_field(self)


class ConfirmCatchUpForm(forms.Form):
    """What a schedule's page showed as waiting, sent back by its Confirm button."""

    invoices = forms.IntegerField(min_value=1, max_value=1_000_000)
    through = DateInRangeField()


class BillForm(forms.Form):
    """The Ready for invoicing selection: the chosen time entries and the invoices' date."""

    date = DateInRangeField(label="Invoice date")

    def __init__(self, *args: Any, entries: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.raw_entries = entries or []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.raw_entries:
            self.add_error(None, "Select at least one time entry to bill.")
        elif not all(value.isdecimal() and len(value) < 19 for value in self.raw_entries):
            self.add_error(None, "Time entries are chosen by their numeric ids; refresh the list.")
        else:
            data["entries"] = sorted({int(value) for value in self.raw_entries})
        return data
