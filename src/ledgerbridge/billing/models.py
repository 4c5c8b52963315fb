"""Invoices, their lines, recurring invoices, and document numbering."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from ledgerbridge.catalog.models import ChargeRate, Product, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.money import AmountType

MAX_QUANTITY = Decimal("1000000000")
# Stored amounts have 16 digits (2 decimals); these bounds keep every line, its tax and the
# document's totals inside them whatever the tax rate (at most 100%).
MAX_LINE_AMOUNT = Decimal("1000000000000")
MAX_DOCUMENT_AMOUNT = Decimal("10000000000000")


class AmountTypes(models.TextChoices):
    EXCLUSIVE = AmountType.EXCLUSIVE.value, "Tax exclusive"
    INCLUSIVE = AmountType.INCLUSIVE.value, "Tax inclusive"
    NO_TAX = AmountType.NO_TAX.value, "No tax"


class DocumentStatus(models.TextChoices):
    """Xero's statuses; GEN-2 decides which one a new document starts in."""

    DRAFT = "DRAFT", "Draft"
    SUBMITTED = "SUBMITTED", "Submitted"
    AUTHORISED = "AUTHORISED", "Authorised"
    PAID = "PAID", "Paid"
    VOIDED = "VOIDED", "Voided"


class InvoiceKind(models.TextChoices):
    MANUAL = "manual", "Manual"
    LABOUR = "labour", "Labour"
    RECURRING = "recurring", "Recurring"
    # Made in the accounting system and brought back (its number there is `external_number`).
    ACCOUNTS = "accounts", "Made in Xero"


class Sequence(models.Model):
    """A gap-free counter per document type, taken under a row lock."""

    name = models.CharField(max_length=30, primary_key=True)
    next_value = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.name}: {self.next_value}"


class Totals(models.Model):
    """Cached totals of a document, recomputed by `money.document_totals` on every change, in
    the document's currency (exact there: nothing is converted)."""

    # Three capital letters, chosen when saved (`sync.currencies.document_currency`); blank:
    # its organisation's base currency (documents saved before its currencies were known).
    currency = models.CharField(max_length=3, blank=True, default="")
    amount_type = models.CharField(
        max_length=10, choices=AmountTypes.choices, default=AmountTypes.EXCLUSIVE
    )
    subtotal = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    total_tax = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))

    class Meta:
        abstract = True

    @property
    def currency_shown(self) -> str:
        """The document's currency as people see it: its own, else its customer's or
        supplier's organisation's base currency; "" when none is known."""
        if self.currency:
            return self.currency
        party = getattr(self, "customer", None) or getattr(self, "supplier", None)
        organisation = getattr(party, "organisation", None)
        return str(getattr(organisation, "base_currency", "") or "")


class LineBase(models.Model):
    """What an invoice line and a purchase-order line share."""

    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(max_length=4000)
    quantity = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(MAX_QUANTITY)],
    )
    unit_price = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_QUANTITY)],
    )
    tax_rate = models.ForeignKey(TaxRate, on_delete=models.PROTECT, related_name="+")
    item_code = models.CharField(max_length=30, blank=True, default="")
    line_amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    tax_amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))

    class Meta:
        abstract = True
        ordering: ClassVar[list[str]] = ["position", "id"]


class BrandingTheme(models.Model):
    """A layout the accounting organisation prints documents with (INV-3), brought across by
    its integration's import; sort order 0 is the organisation's default."""

    organisation = models.ForeignKey(
        "sync.Organisation", on_delete=models.CASCADE, related_name="branding_themes"
    )
    remote_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    sort_order = models.IntegerField(default=0)
    logo_url = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "remote_id"], name="one_theme_per_remote_id"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Invoice(Totals):
    number = models.CharField(max_length=30, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=10, choices=InvoiceKind.choices, default=InvoiceKind.MANUAL)
    status = models.CharField(
        max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    date = models.DateField()
    due_date = models.DateField()
    reference = models.CharField(max_length=255, blank=True, default="")
    # INV-2: the number the accounting system shows, when the setting allows one of its own.
    external_number = models.CharField(
        "number in the accounting system",
        max_length=255,
        blank=True,
        default="",
        help_text="Blank: the same as the invoice's number.",
    )
    # INV-3: blank is the customer's default theme in the accounting system.
    branding_theme = models.ForeignKey(
        BrandingTheme, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recurring = models.ForeignKey(
        "RecurringInvoice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
    )
    # The scheduled date this invoice was raised for; with `recurring`, unique, so a schedule
    # can never raise the same period twice.
    recurring_date = models.DateField(null=True, blank=True)
    # What the accounting system last said was paid and credited (credit notes allocated) on it.
    amount_paid = models.DecimalField(
        max_digits=16, decimal_places=2, default=Decimal(0), editable=False
    )
    amount_credited = models.DecimalField(
        max_digits=16, decimal_places=2, default=Decimal(0), editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recurring", "recurring_date"], name="one_invoice_per_recurring_date"
            ),
            models.CheckConstraint(
                condition=models.Q(due_date__gte=models.F("date")), name="due_not_before_date"
            ),
        ]

    def __str__(self) -> str:
        return self.number


# Invoice and credit note lines may discount or credit (a unit price below 0) while the
# document adds up to 0 or more.
CREDIT_LINE_PRICE = [MinValueValidator(-MAX_QUANTITY), MaxValueValidator(MAX_QUANTITY)]


class InvoiceLine(LineBase):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, validators=CREDIT_LINE_PRICE)
    charge_rate = models.ForeignKey(
        ChargeRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # TRK-4: the line's own tracking options win over its product's and group's.
    tracking_options = models.ManyToManyField(
        "tracking.TrackingOption", blank=True, related_name="invoice_lines"
    )

    class Meta(LineBase.Meta):
        pass

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def document(self) -> Invoice:
        return self.invoice


class IntervalUnit(models.TextChoices):
    WEEK = "week", "Week(s)"
    MONTH = "month", "Month(s)"
    YEAR = "year", "Year(s)"


class RecurringInvoice(Totals):
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="recurring_invoices"
    )
    reference = models.CharField(max_length=255, blank=True, default="")
    interval_count = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    interval_unit = models.CharField(
        max_length=5, choices=IntervalUnit.choices, default=IntervalUnit.MONTH
    )
    # The first scheduled date; the n-th invoice falls on start_date + n intervals (so a
    # schedule started on the 31st stays on month ends rather than drifting).
    start_date = models.DateField()
    next_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=12,
        choices=DocumentStatus.choices[:3],
        blank=True,
        default="",
        help_text="Overrides the default invoice status when set.",
    )
    branding_theme = models.ForeignKey(
        BrandingTheme, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    active = models.BooleanField(default=True)
    # The latest date ever raised: a high-water mark, so a date whose invoice was deleted is
    # never raised again, whatever is edited later.
    last_raised_date = models.DateField(null=True, blank=True, editable=False)
    # Why the last due invoice could not be raised (e.g. an inactive customer); cleared on success.
    last_error = models.TextField(blank=True, default="", editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A person's confirmation of a catch-up (see `recurring.CONFIRM_ABOVE`): every missed date
    # up to `catch_up_approved_through` may be raised, `catch_up_approved_count` invoices in
    # all, as they were told. Withdrawn when the schedule's dates change.
    catch_up_approved_through = models.DateField(null=True, blank=True, editable=False)
    catch_up_approved_count = models.PositiveIntegerField(null=True, blank=True, editable=False)
    catch_up_approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["next_date", "id"]

    def __str__(self) -> str:
        return f"{self.customer} every {self.interval_count} {self.interval_unit}"


class RecurringInvoiceLine(LineBase):
    recurring = models.ForeignKey(RecurringInvoice, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineBase.Meta):
        pass

    def __str__(self) -> str:
        return self.description[:60]


class CreditNoteKind(models.TextChoices):
    STANDALONE = "standalone", "Standalone"
    INVOICE = "invoice", "Against an invoice"
    # A new invoice whose lines added up to less than zero (Xero takes no negative invoices).
    NEGATIVE = "negative", "From a negative invoice"
    ACCOUNTS = "accounts", "Made in Xero"


class CreditNote(Totals):
    """Credit for a customer: on its own, or against one of its invoices, whose amount due the
    credit then lowers once the accounting system has allocated it."""

    number = models.CharField(max_length=30, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_notes")
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        help_text="The invoice it credits; blank: credit for the customer on its own.",
    )
    kind = models.CharField(
        max_length=10, choices=CreditNoteKind.choices, default=CreditNoteKind.STANDALONE
    )
    status = models.CharField(
        max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    date = models.DateField()
    reference = models.CharField(max_length=255, blank=True, default="")
    reason = models.CharField(max_length=500, blank=True, default="")
    # Made in the accounting system and brought back: its number there.
    external_number = models.CharField(max_length=255, blank=True, default="")
    branding_theme = models.ForeignKey(
        BrandingTheme, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the accounting system last said of the credit applied to invoices.
    amount_allocated = models.DecimalField(
        max_digits=16, decimal_places=2, default=Decimal(0), editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def remaining_credit(self) -> Decimal:
        if self.status == DocumentStatus.VOIDED:
            return Decimal(0)
        return self.total - self.amount_allocated


class CreditNoteLine(LineBase):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, validators=CREDIT_LINE_PRICE)
    charge_rate = models.ForeignKey(
        ChargeRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    tracking_options = models.ManyToManyField(
        "tracking.TrackingOption", blank=True, related_name="credit_note_lines"
    )

    class Meta(LineBase.Meta):
        pass

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def document(self) -> CreditNote:
        return self.credit_note
