"""Tracking: the setting and placeholder names (TRK-1), each organisation's categories and
options (TRK-2, TRK-3). Options are chosen on product groups, products and invoice lines
(TRK-4), whose models hold the many-to-many fields."""

from __future__ import annotations

from django.db import models

from ledgerbridge.sync.models import Organisation


class TrackingSettings(models.Model):
    """TRK-1: tracking on or off, and the placeholder names (at most two, as Xero allows) by
    which the product refers to tracking categories. A single row, read on every request, so a
    change takes effect at once."""

    enabled = models.BooleanField(default=False)
    placeholder_1 = models.CharField("first placeholder", max_length=100, blank=True, default="")
    placeholder_2 = models.CharField("second placeholder", max_length=100, blank=True, default="")

    class Meta:
        verbose_name_plural = "tracking settings"

    def __str__(self) -> str:
        return "Tracking settings"

    @classmethod
    def get(cls) -> TrackingSettings:
        row, _ = cls.objects.get_or_create(pk=1)
        return row

    def placeholders(self) -> list[tuple[int, str]]:
        """The enabled placeholders as (slot, name)."""
        if not self.enabled:
            return []
        return [(n, name) for n, name in ((1, self.placeholder_1), (2, self.placeholder_2)) if name]


class TrackingCategory(models.Model):
    """An organisation's tracking category. Categories exist only as mirrors of the accounting
    organisation's own, so their remote id is part of what they are (unlike customers)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="tracking_categories"
    )
    remote_id = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=20, default="ACTIVE")
    # TRK-3: which placeholder (1 or 2) this category stands for in its organisation; 0: none.
    placeholder = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "tracking categories"
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "remote_id"], name="one_category_per_remote_id"
            ),
            models.UniqueConstraint(
                fields=["organisation", "placeholder"],
                condition=models.Q(placeholder__gt=0),
                name="one_category_per_placeholder_per_org",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TrackingOption(models.Model):
    category = models.ForeignKey(TrackingCategory, on_delete=models.CASCADE, related_name="options")
    remote_id = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=20, default="ACTIVE")

    class Meta:
        ordering = ["category__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "remote_id"], name="one_option_per_remote_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category.name}: {self.name}"
