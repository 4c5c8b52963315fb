"""Billing labour: turn time ready for invoicing into labour invoices, one per customer."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import Invoice, InvoiceKind, InvoiceLine
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.catalog.services import zero_rate
from ledgerbridge.work.models import TimeEntry


@transaction.atomic
def bill_time(entry_ids: Iterable[int], *, date: dt.date) -> list[Invoice]:
    """Bill the chosen time entries: one invoice per customer, one line per ticket and rate.

    Each labour line carries its charge rate's Accounts ID / nominal code as item code and
    links the entries it billed. The entries are locked first, so two people billing the same
    time at once can never bill it twice: the second is told which entries are already billed.

    Writes, in one transaction: the invoices (through `issue_invoice`, so each is marked
    changed for sync there) and each entry's link to the line that bills it. Refuses
    (ValidationError keyed `time_entries`, nothing written): no entries, unknown entries,
    entries already invoiced, entries not billable; and whatever `issue_invoice` refuses (an
    inactive customer). Not idempotent, but safe to repeat: a second call with the same entries
    is refused because they are billed.
    """
    ids = sorted(set(entry_ids))
    if not ids:
        raise ValidationError({"time_entries": ["Select at least one time entry to bill."]})
    entries = list(
        TimeEntry.objects.select_for_update()
        .filter(pk__in=ids)
        .select_related("ticket__customer", "charge_rate")
        .order_by("ticket__customer_id", "ticket_id", "charge_rate_id", "date", "id")
    )
    missing = set(ids) - {e.pk for e in entries}
    if missing:
        raise ValidationError(
            {"time_entries": [f"Time entries {sorted(missing)} do not exist; refresh the list."]}
        )
    billed = [e.pk for e in entries if e.invoice_line_id is not None]
    if billed:
        raise ValidationError(
            {"time_entries": [f"Time entries {billed} are already invoiced; refresh the list."]}
        )
    unbillable = [e.pk for e in entries if not e.billable]
    if unbillable:
        raise ValidationError(
            {
                "time_entries": [
                    f"Time entries {unbillable} are not billable; mark them billable first."
                ]
            }
        )

    by_customer: OrderedDict[int, list[TimeEntry]] = OrderedDict()
    for entry in entries:
        by_customer.setdefault(entry.ticket.customer_id, []).append(entry)

    invoices = []
    for group in by_customer.values():
        customer = group[0].ticket.customer
        tax_rate = customer.sales_tax_rate or zero_rate()
        by_line: OrderedDict[tuple[int, int], list[TimeEntry]] = OrderedDict()
        for entry in group:
            by_line.setdefault((entry.ticket_id, entry.charge_rate_id), []).append(entry)
        lines = []
        for line_entries in by_line.values():
            first = line_entries[0]
            rate = first.charge_rate
            lines.append(
                LineData(
                    description=f"{first.ticket.reference} {first.ticket.title} ({rate.name})",
                    quantity=sum((e.hours for e in line_entries), start=first.hours * 0),
                    unit_price=rate.hourly_price,
                    tax_rate_id=tax_rate.pk,
                    item_code=rate.accounts_code,
                    charge_rate_id=rate.pk,
                )
            )
        invoice = issue_invoice(customer, lines, date=date, kind=InvoiceKind.LABOUR)
        written = list(InvoiceLine.objects.filter(invoice=invoice).order_by("position"))
        for line, line_entries in zip(written, by_line.values(), strict=True):
            TimeEntry.objects.filter(pk__in=[e.pk for e in line_entries]).update(invoice_line=line)
        invoices.append(invoice)
    return invoices
