"""Forms for tickets and the time logged on them."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from ledgerbridge.accounts.models import User
from ledgerbridge.catalog.models import ChargeRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.dates import DateInRangeField
from ledgerbridge.work.models import TicketStatus


class TicketForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.filter(active=True))
    title = forms.CharField(max_length=200)
    status = forms.ChoiceField(choices=TicketStatus.choices, initial=TicketStatus.OPEN)


class TimeForm(forms.Form):
    """Log or change time. Technicians get no agent field: they log time as themselves."""

    agent = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username")
    )
    date = DateInRangeField()
    hours = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(24),
        help_text="Between 0.01 and 24, up to 2 decimals.",
        widget=forms.NumberInput(attrs={"step": "0.25"}),
    )
    charge_rate = forms.ModelChoiceField(queryset=ChargeRate.objects.filter(active=True))
    billable = forms.BooleanField(required=False, initial=True)
    summary = forms.CharField(max_length=500, widget=forms.TextInput())

    def __init__(self, *args: object, pick_agent: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not pick_agent:
            del self.fields["agent"]
        self.fields["date"].initial = timezone.localdate()
