"""Tickets and the time logged against them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from ledgerbridge.catalog.models import ChargeRate
from ledgerbridge.customers.models import Customer


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Ticket(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default="open")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def reference(self) -> str:
        return f"T{self.pk:05d}"


class TimeEntry(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_entries")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries"
    )
    date = models.DateField()
    hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(24))],
        help_text="Between 0.01 and 24.",
    )
    charge_rate = models.ForeignKey(ChargeRate, on_delete=models.PROTECT, related_name="+")
    billable = models.BooleanField(default=True)
    summary = models.CharField(max_length=500)
    # The labour line that billed this time; null while it is ready for invoicing.
    invoice_line = models.ForeignKey(
        "billing.InvoiceLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="time_entries",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "time entries"
        indexes = [models.Index(fields=["billable", "invoice_line"])]

    def __str__(self) -> str:
        return f"{self.date} {self.hours}h {self.summary}"

    @property
    def is_billed(self) -> bool:
        return self.invoice_line_id is not None
