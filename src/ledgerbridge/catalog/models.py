"""Tax rates, charge (labour) rates, product groups and products."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

NON_NEGATIVE = [MinValueValidator(Decimal(0))]


class TaxRate(models.Model):
    name = models.CharField(max_length=100, unique=True)
    percentage = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Between 0 and 100, up to 4 decimals.",
    )
    # The zero rate exists from the first migration and can never be deleted.
    is_zero_rate = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_zero_rate"],
                condition=models.Q(is_zero_rate=True),
                name="one_zero_rate",
            )
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

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="unique_product_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip() if self.code else self.name
