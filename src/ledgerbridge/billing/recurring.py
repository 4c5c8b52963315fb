"""Recurring invoices: their schedule, and raising the invoices that are due.

`raise_due_invoices` is safe to run at any time and any number of times, from any number of
workers: a missed run catches up (one invoice per missed date), and the unique constraint on
(recurring, recurring_date) plus a row lock make a second run raise nothing twice.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import secrets
from collections.abc import Sequence as Seq

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ledgerbridge.billing.documents import LineData, line_data_from, write_lines
from ledgerbridge.billing.models import (
    DocumentStatus,
    IntervalUnit,
    Invoice,
    InvoiceKind,
    RecurringInvoice,
    RecurringInvoiceLine,
)
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.dates import check_dates

log = logging.getLogger(__name__)

# A schedule can fall at most this far behind before it stops catching up invoice by invoice.
MAX_CATCH_UP = 366


def occurrence(start: dt.date, unit: str, count: int, n: int) -> dt.date:
    """The n-th scheduled date (n = 0 is `start`); month ends clamp (31 Jan -> 28/29 Feb)."""
    if unit == IntervalUnit.WEEK:
        return start + dt.timedelta(weeks=count * n)
    months = count * n * (12 if unit == IntervalUnit.YEAR else 1)
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return dt.date(year, month0 + 1, day)


def next_after(schedule: RecurringInvoice, after: dt.date) -> dt.date:
    """The first scheduled date strictly after `after`."""
    n = 0
    while (
        when := occurrence(schedule.start_date, schedule.interval_unit, schedule.interval_count, n)
    ) <= after:
        n += 1
    return when


def _check_schedule(start_date: dt.date, end_date: dt.date | None) -> None:
    check_dates(start_date=start_date, end_date=end_date)
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": ["The end date cannot be before the start date."]})


@transaction.atomic
def create_recurring(
    customer_id: int,
    lines: Seq[LineData],
    *,
    start_date: dt.date,
    interval_unit: str,
    interval_count: int,
    end_date: dt.date | None = None,
    reference: str = "",
    status: str = "",
    amount_type: str = "Exclusive",
    active: bool = True,
) -> RecurringInvoice:
    """Create a recurring invoice (a schedule and its lines), in one transaction.

    Writes the schedule, its first date (`next_date` = `start_date`), its lines (blanks filled
    from each line's product) and totals. Raises nothing itself: `raise_due_invoices` does.
    Refuses (ValidationError, nothing written): a start or end outside `dates`' range
    (`start_date`, `end_date`), an end before the start (`end_date`), a bad
    schedule field (keyed by its name), bad lines (`lines`, `lines[i].<field>`). Not
    idempotent: each call creates another schedule.
    """
    _check_schedule(start_date, end_date)
    schedule = RecurringInvoice(
        customer_id=customer_id,
        start_date=start_date,
        next_date=start_date,
        interval_unit=interval_unit,
        interval_count=interval_count,
        end_date=end_date,
        reference=reference,
        status=status,
        amount_type=amount_type,
        active=active,
    )
    schedule.full_clean()
    schedule.save()
    write_lines(schedule, RecurringInvoiceLine, "recurring", lines)
    return schedule


@transaction.atomic
def update_recurring(
    schedule: RecurringInvoice, lines: Seq[LineData], **fields: object
) -> RecurringInvoice:
    """Change a schedule's `fields` and replace its lines, under a row lock, in one transaction.

    The next date is re-based on the new schedule, after the latest date ever raised, so no
    date is raised twice. Invoices already raised are not changed. Refuses as
    `create_recurring` does. Idempotent.
    """
    locked = RecurringInvoice.objects.select_for_update().get(pk=schedule.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
    _check_schedule(locked.start_date, locked.end_date)
    # Never before the latest date ever raised, even if its invoice was deleted since.
    raised = locked.invoices.order_by("-recurring_date").values_list("recurring_date", flat=True)
    last = max(filter(None, [locked.last_raised_date, raised.first()]), default=None)
    locked.next_date = next_after(locked, last) if last else locked.start_date
    locked.full_clean()
    locked.save()
    write_lines(locked, RecurringInvoiceLine, "recurring", lines)
    return locked


def raise_due_invoices(today: dt.date) -> list[Invoice]:
    """Raise every invoice that is due on or before `today`; returns the invoices raised.

    Each invoice is issued through `issue_invoice` in its own transaction (a savepoint inside
    a caller's) with the schedule locked, so one that is refused (an inactive customer, payment
    terms past the accepted dates) or fails in any other way records its reason on the schedule
    (`last_error`) and stops that schedule only: the others are raised. Idempotent and safe
    to run from any number of workers at once: a date is raised once at most (a database
    constraint), and a date whose invoice was deleted is never raised again.
    """
    raised: list[Invoice] = []
    due_ids = list(
        RecurringInvoice.objects.filter(active=True, next_date__lte=today).values_list(
            "pk", flat=True
        )
    )
    for schedule_id in due_ids:
        raised.extend(_raise_for(schedule_id, today))
    return raised


def _raise_for(schedule_id: int, today: dt.date) -> list[Invoice]:
    raised: list[Invoice] = []
    when: dt.date | None = None
    for _ in range(MAX_CATCH_UP):
        try:
            with transaction.atomic():
                schedule = RecurringInvoice.objects.select_for_update().get(pk=schedule_id)
                when = schedule.next_date
                if not schedule.active or when > today:
                    return raised
                if schedule.end_date and when > schedule.end_date:
                    schedule.active = False
                    schedule.save(update_fields=["active"])
                    return raised
                if not schedule.invoices.filter(recurring_date=when).exists():
                    raised.append(
                        issue_invoice(
                            schedule.customer,
                            line_data_from(list(schedule.lines.all())),
                            date=when,
                            kind=InvoiceKind.RECURRING,
                            status=schedule.status or DocumentStatus.DRAFT,
                            reference=schedule.reference,
                            amount_type=schedule.amount_type,
                            recurring=schedule,
                            recurring_date=when,
                        )
                    )
                schedule.next_date = next_after(schedule, when)
                schedule.last_raised_date = max(filter(None, [schedule.last_raised_date, when]))
                schedule.last_error = ""
                schedule.save(update_fields=["next_date", "last_raised_date", "last_error"])
        except IntegrityError:
            # Another worker raised this date between our check and insert: nothing to do.
            log.info("recurring invoice %s for %s already raised elsewhere", schedule_id, today)
        except ValidationError as exc:
            # Kept on the schedule and shown on screen, not only logged every minute.
            reason = " ".join(exc.messages)
            log.warning("recurring invoice %s cannot be raised: %s", schedule_id, reason)
            _record_error(schedule_id, f"The invoice due {when} was not raised: {reason}")
            return raised
        except Exception:
            # Anything else stops this schedule only: the run goes on with the others, and the
            # schedule says so until a later run raises it.
            error_id = secrets.token_hex(4)
            log.exception("recurring invoice %s failed (error id %s)", schedule_id, error_id)
            _record_error(
                schedule_id,
                f"The invoice due {when} was not raised: an unexpected error (error id "
                f"{error_id}, in the log). It is tried again on the next run.",
            )
            return raised
    return raised


def _record_error(schedule_id: int, text: str) -> None:
    RecurringInvoice.objects.filter(pk=schedule_id).update(
        last_error=text, last_error_at=timezone.now()
    )
