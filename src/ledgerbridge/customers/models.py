"""Customers, and the fields every billing party (customer or supplier) shares."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower

from ledgerbridge.catalog.models import TaxRate
from ledgerbridge.sync.currencies import FORMAT
from ledgerbridge.sync.models import Organisation


class Party(models.Model):
    """What customers and suppliers share: names, contact details, addresses, tax defaults."""

    name = models.CharField(max_length=255)
    # Unique within an organisation (CUST-3 creates a same-numbered record in another one).
    account_number = models.CharField(max_length=50, null=True, blank=True)
    active = models.BooleanField(default=True)
    email = models.EmailField(max_length=255, blank=True, default="")
    phone = models.CharField(max_length=50, blank=True, default="")
    # Postal (billing) address: Xero's POBOX address.
    postal_line1 = models.CharField("postal address line 1", max_length=500, blank=True, default="")
    postal_line2 = models.CharField("postal address line 2", max_length=500, blank=True, default="")
    postal_city = models.CharField("postal city", max_length=255, blank=True, default="")
    postal_region = models.CharField("postal region", max_length=255, blank=True, default="")
    postal_code = models.CharField("postal postcode", max_length=50, blank=True, default="")
    postal_country = models.CharField("postal country", max_length=50, blank=True, default="")
    # Street (physical) address: Xero's STREET address.
    street_line1 = models.CharField("street address line 1", max_length=500, blank=True, default="")
    street_line2 = models.CharField("street address line 2", max_length=500, blank=True, default="")
    street_city = models.CharField("street city", max_length=255, blank=True, default="")
    street_region = models.CharField("street region", max_length=255, blank=True, default="")
    street_code = models.CharField("street postcode", max_length=50, blank=True, default="")
    street_country = models.CharField("street country", max_length=50, blank=True, default="")
    sales_tax_rate = models.ForeignKey(
        TaxRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The currency its documents take unless one is chosen on them (`sync.currencies`).
    currency = models.CharField(
        max_length=3,
        blank=True,
        default="",
        validators=[RegexValidator(r"^[A-Z]{3}\Z", message=FORMAT, code="invalid")],
        help_text="Three capital letters, e.g. NZD or USD; its documents take it. Blank: the "
        "organisation's base currency.",
    )
    purchase_tax_rate = models.ForeignKey(
        TaxRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The accounting organisation the party belongs to: once set it never changes (CUST-5).
    # Its link to the organisation's own record lives in the sync table (`sync.Link`).
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "account_number"],
                name="%(app_label)s_%(class)s_account_number_per_org",
            ),
            models.UniqueConstraint(
                fields=["account_number"],
                condition=models.Q(organisation__isnull=True),
                name="%(app_label)s_%(class)s_account_number_no_org",
            ),
        ]
        indexes = [
            models.Index(Lower("name"), name="%(app_label)s_%(class)s_lname"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        # A blank account number is "none": several records may have none.
        if not self.account_number:
            self.account_number = None
        super().save(*args, **kwargs)  # type: ignore[arg-type]


# Payment terms of up to ten years: the one rule for screens and API (the field's validators).
MAX_PAYMENT_TERMS_DAYS = 3650


class Customer(Party):
    payment_terms_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_PAYMENT_TERMS_DAYS)],
        help_text=f"Invoices fall due this many days after their date (0 to "
        f"{MAX_PAYMENT_TERMS_DAYS}).",
    )
    invoice_email = models.EmailField(
        max_length=255,
        blank=True,
        default="",
        help_text="Where invoices go, if not the main email.",
    )
    billing_notes = models.TextField(max_length=2000, blank=True, default="")

    class Meta(Party.Meta):
        pass
