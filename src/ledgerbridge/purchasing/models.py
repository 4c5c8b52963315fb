"""Purchase orders to suppliers."""

from __future__ import annotations

from django.db import models

from ledgerbridge.billing.models import DocumentStatus, LineBase, Totals
from ledgerbridge.suppliers.models import Supplier


class PurchaseOrder(Totals):
    number = models.CharField(max_length=30, unique=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    status = models.CharField(
        max_length=12, choices=DocumentStatus.choices[:3], default=DocumentStatus.DRAFT
    )
    date = models.DateField()
    delivery_date = models.DateField(null=True, blank=True)
    reference = models.CharField(max_length=255, blank=True, default="")
    delivery_instructions = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(LineBase):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )

    class Meta(LineBase.Meta):
        pass

    def __str__(self) -> str:
        return self.description[:60]
