"""Tax rates, charge (labour) rates, product groups and products."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from ledgerbridge.sync.models import Organisation

NON_NEGATIVE = [MinValueValidator(Decimal(0))]


class TaxRate(models.Model):
    # Unique within an organisation: two organisations may both have "GST on Income".
    name = models.CharField(max_length=100)
    percentage = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Between 0 and 100, up to 4 decimals.",
    )
    # The zero rate exists from the first migration and can never be deleted.
    is_zero_rate = models.BooleanField(default=False, editable=False)
    # The organisation whose tax rate this is; its link to that organisation's own tax rate
    # (TAX-1) lives in the sync table.
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_zero_rate"],
                condition=models.Q(is_zero_rate=True),
                name="one_zero_rate",
            ),
            models.UniqueConstraint(fields=["organisation", "name"], name="tax_name_per_org"),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(organisation__isnull=True),
                name="tax_name_no_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.percentage.normalize():f}%)"


class ChargeRate(models.Model):
    """A labour rate. `accounts_code` (Accounts ID / nominal code) holds the Xero item code."""

    name = models.CharField(max_length=100, unique=True)
    hourly_price = models.DecimalField(max_digits=14, decimal_places=4, validators=NON_NEGATIVE)
    accounts_code = models.CharField(
        "Accounts ID / nominal code", max_length=30, blank=True, default=""
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductGroup(models.Model):
    name = models.CharField(max_length=100, unique=True)
    # TRK-4: a group's tracking options (at most one per category, per organisation).
    tracking_options = models.ManyToManyField(
        "tracking.TrackingOption", blank=True, related_name="product_groups"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    name = models.CharField(max_length=50)
    code = models.CharField("product code", max_length=30, blank=True, default="")
    group = models.ForeignKey(ProductGroup, on_delete=models.PROTECT, related_name="products")
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="Child products are billed under their parent's codes.",
    )
    description = models.TextField(max_length=4000, blank=True, default="")
    sales_account_code = models.CharField(max_length=10, blank=True, default="")
    purchase_account_code = models.CharField(max_length=10, blank=True, default="")
    sales_tax_rate = models.ForeignKey(
        TaxRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    purchase_tax_rate = models.ForeignKey(
        TaxRate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit_price = models.DecimalField(
        max_digits=14, decimal_places=4, default=Decimal(0), validators=NON_NEGATIVE
    )
    unit_cost = models.DecimalField(
        max_digits=14, decimal_places=4, default=Decimal(0), validators=NON_NEGATIVE
    )
    active = models.BooleanField(default=True)
    tracking_options = models.ManyToManyField(
        "tracking.TrackingOption", blank=True, related_name="products"
    )
    # The organisation, as for customers: see customers.models.Party.
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"],
                condition=~models.Q(code=""),
                name="product_code_per_org",
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=~models.Q(code="") & models.Q(organisation__isnull=True),
                name="product_code_no_org",
            ),
        ]
        indexes = [models.Index(Lower("name"), name="catalog_product_lname")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip() if self.code else self.name
