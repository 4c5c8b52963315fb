"""Use cases for tickets and time: log time, and find what is ready for invoicing."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from ledgerbridge.accounts.models import User
from ledgerbridge.catalog.models import ChargeRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.dates import check_dates
from ledgerbridge.deletion import refuse_deletion
from ledgerbridge.work.models import Ticket, TicketStatus, TimeEntry


def ready_for_invoicing() -> QuerySet[TimeEntry]:
    """Billable time not yet on an invoice, oldest first, grouped by customer."""
    return (
        TimeEntry.objects.filter(billable=True, invoice_line__isnull=True)
        .select_related("ticket__customer", "charge_rate", "agent")
        .order_by("ticket__customer__name", "ticket__customer_id", "date", "id")
    )


def ready_by_customer() -> OrderedDict[Customer, list[TimeEntry]]:
    groups: OrderedDict[Customer, list[TimeEntry]] = OrderedDict()
    for entry in ready_for_invoicing():
        groups.setdefault(entry.ticket.customer, []).append(entry)
    return groups


@transaction.atomic
def log_time(
    ticket: Ticket,
    agent: User,
    *,
    date: dt.date,
    hours: Decimal,
    charge_rate: ChargeRate,
    summary: str,
    billable: bool = True,
) -> TimeEntry:
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationError(
            {"ticket": [f"Ticket {ticket.reference} is closed; reopen it to log time."]}
        )
    check_dates(date=date)
    if not charge_rate.active:
        raise ValidationError(
            {"charge_rate": [f"Charge rate {charge_rate} is inactive; pick another."]}
        )
    entry = TimeEntry(
        ticket=ticket,
        agent=agent,
        date=date,
        hours=hours,
        charge_rate=charge_rate,
        summary=summary,
        billable=billable,
    )
    entry.full_clean()
    entry.save()
    return entry


def check_time_editable(entry: TimeEntry) -> None:
    if entry.is_billed:
        raise ValidationError(
            "This time is already on an invoice; delete the invoice (or its line) to change it."
        )


# --- Tickets and time entries: change and delete (used by the REST API) ----------------------


@transaction.atomic
def save_ticket(ticket: Ticket, *, customer: Customer, title: str, status: str) -> Ticket:
    """Create (unsaved `ticket`) or change a ticket; raises ValidationError per field."""
    if not ticket.pk and not customer.active:
        raise ValidationError({"customer": [f"{customer} is inactive; reactivate it first."]})
    ticket.customer = customer
    ticket.title = title
    ticket.status = status
    ticket.full_clean()
    ticket.save()
    return ticket


@transaction.atomic
def delete_ticket(ticket: Ticket) -> None:
    """Delete a ticket and its unbilled time; refused while any of its time is invoiced."""
    if ticket.time_entries.filter(invoice_line__isnull=False).exists():
        raise refuse_deletion(
            f"Ticket {ticket.reference} has invoiced time; delete those invoices first."
        )
    ticket.delete()


@transaction.atomic
def change_time_entry(
    entry: TimeEntry,
    *,
    agent: User,
    date: dt.date,
    hours: Decimal,
    charge_rate: ChargeRate,
    summary: str,
    billable: bool,
) -> TimeEntry:
    """Change unbilled time; billed time and (newly chosen) inactive charge rates are refused."""
    locked = TimeEntry.objects.select_for_update().get(pk=entry.pk)
    check_time_editable(locked)
    check_dates(date=date)
    if charge_rate.pk != locked.charge_rate_id and not charge_rate.active:
        raise ValidationError(
            {"charge_rate": [f"Charge rate {charge_rate} is inactive; pick another."]}
        )
    locked.agent = agent
    locked.date = date
    locked.hours = hours
    locked.charge_rate = charge_rate
    locked.summary = summary
    locked.billable = billable
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def delete_time_entry(entry: TimeEntry) -> None:
    """Delete unbilled time; billed time is refused (delete its invoice first)."""
    locked = TimeEntry.objects.select_for_update().get(pk=entry.pk)
    check_time_editable(locked)
    locked.delete()
