"""Recurring invoices: their schedule, and raising the invoices that are due.

`raise_due_invoices` is safe to run at any time and any number of times, from any number of
workers: a missed run catches up (one invoice per missed date), and the unique constraint on
(recurring, recurring_date) plus a row lock make a second run raise nothing twice. A schedule
with more than `CONFIRM_ABOVE` dates due at once raises none of them until a person confirms
how many invoices that makes (`confirm_catch_up`), so a start date long past, or a worker down
for months, never floods the books unasked.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import secrets
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from functools import partial
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ledgerbridge.billing.documents import LineData, check_theme, line_data_from, write_lines
from ledgerbridge.billing.models import (
    IntervalUnit,
    Invoice,
    InvoiceKind,
    RecurringInvoice,
    RecurringInvoiceLine,
)
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.dates import check_dates
from ledgerbridge.sync.currencies import document_currency

log = logging.getLogger(__name__)

# More dates than this due at once (a start date long past, a worker down for a while) wait
# for a person's confirmation of how many invoices that makes; this many or fewer are raised.
CONFIRM_ABOVE = 3
# Invoices raised per schedule per run, at most: a large confirmed catch-up is spread over
# several runs, so one schedule does not hold a run long. What bounds the total is the
# confirmation (`CONFIRM_ABOVE`), not this.
MAX_CATCH_UP = 100

State = Literal["active", "awaiting_confirmation", "inactive"]


@dataclass(frozen=True)
class Backlog:
    """Missed dates of a schedule: how many invoices they make, the first and the last."""

    invoices: int
    first: dt.date
    last: dt.date

    def __str__(self) -> str:
        return f"{self.invoices} invoices due from {self.first} to {self.last}"


def occurrence(start: dt.date, unit: str, count: int, n: int) -> dt.date:
    """The n-th scheduled date (n = 0 is `start`); month ends clamp (31 Jan -> 28/29 Feb)."""
    if unit == IntervalUnit.WEEK:
        return start + dt.timedelta(weeks=count * n)
    months = count * n * (12 if unit == IntervalUnit.YEAR else 1)
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
    return dt.date(year, month0 + 1, day)


def _index_from(schedule: RecurringInvoice, when: dt.date) -> int:
    """The n of the first scheduled date on or after `when`, found from an estimate that is
    never too high (so a schedule decades behind costs no more than one just started)."""
    start, unit, count = schedule.start_date, schedule.interval_unit, schedule.interval_count
    if unit == IntervalUnit.WEEK:
        steps = (when - start).days // (7 * count)
    else:
        months = (when.year - start.year) * 12 + when.month - start.month
        steps = months // (count * (12 if unit == IntervalUnit.YEAR else 1))
    n = max(0, steps - 1)
    while occurrence(start, unit, count, n) < when:
        n += 1
    return n


def next_after(schedule: RecurringInvoice, after: dt.date) -> dt.date:
    """The first scheduled date strictly after `after`."""
    n = _index_from(schedule, after + dt.timedelta(days=1))
    return occurrence(schedule.start_date, schedule.interval_unit, schedule.interval_count, n)


def _backlog(schedule: RecurringInvoice, after: dt.date | None, today: dt.date) -> Backlog | None:
    """The schedule's dates from its next date, after `after`, up to today and its end."""
    first_n = _index_from(schedule, schedule.next_date)
    if after is not None:
        first_n = max(first_n, _index_from(schedule, after + dt.timedelta(days=1)))
    limit = min(today, schedule.end_date or today)
    end_n = _index_from(schedule, limit + dt.timedelta(days=1))
    if end_n <= first_n:
        return None
    on = partial(occurrence, schedule.start_date, schedule.interval_unit, schedule.interval_count)
    return Backlog(end_n - first_n, on(first_n), on(end_n - 1))


def waiting(schedule: RecurringInvoice, today: dt.date) -> Backlog | None:
    """What waits for a person's confirmation on `today`: the due dates not yet confirmed, when
    there are more than `CONFIRM_ABOVE` of them; None when nothing waits."""
    if not schedule.active:
        return None
    backlog = _backlog(schedule, schedule.catch_up_approved_through, today)
    return backlog if backlog is not None and backlog.invoices > CONFIRM_ABOVE else None


def state_of(schedule: RecurringInvoice, today: dt.date) -> State:
    if not schedule.active:
        return "inactive"
    return "awaiting_confirmation" if waiting(schedule, today) else "active"


def waiting_schedules(today: dt.date) -> list[tuple[RecurringInvoice, Backlog]]:
    """Every active schedule waiting for confirmation on `today`, with what waits."""
    due = RecurringInvoice.objects.filter(active=True, next_date__lte=today)
    found = ((schedule, waiting(schedule, today)) for schedule in due.select_related("customer"))
    return [(schedule, backlog) for schedule, backlog in found if backlog is not None]


@transaction.atomic
def confirm_catch_up(
    schedule: RecurringInvoice, *, invoices: int, through: dt.date, today: dt.date
) -> RecurringInvoice:
    """Confirm raising what waits: `invoices` invoices, the last dated `through`.

    Writes the confirmation on the schedule (count, last date, when), under a row lock; the
    invoices are raised by the next run (`raise_due_invoices`). Refuses (ValidationError,
    nothing written) when nothing waits (no field), or when `invoices` and `through` are not
    what waits now (`invoices`; e.g. a page shown before another date fell due): a person
    confirms exactly the number they were shown. Not idempotent: once confirmed nothing waits,
    so a second call is refused.
    """
    locked = RecurringInvoice.objects.select_for_update().get(pk=schedule.pk)
    backlog = waiting(locked, today)
    if backlog is None:
        raise ValidationError("Nothing waits for confirmation on this recurring invoice.")
    if (invoices, through) != (backlog.invoices, backlog.last):
        raise ValidationError(
            {
                "invoices": [
                    f"What waits is {backlog.invoices} invoices, from {backlog.first} to "
                    f"{backlog.last}; confirm those."
                ]
            }
        )
    locked.catch_up_approved_through = through
    locked.catch_up_approved_count = invoices
    locked.catch_up_approved_at = timezone.now()
    locked.save(
        update_fields=[
            "catch_up_approved_through",
            "catch_up_approved_count",
            "catch_up_approved_at",
        ]
    )
    return locked


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
    branding_theme_id: int | None = None,
    currency: str | None = None,
) -> RecurringInvoice:
    """Create a recurring invoice (a schedule and its lines), in one transaction.

    Writes the schedule, its first date (`next_date` = `start_date`), its lines (blanks filled
    from each line's product) and totals. Raises nothing itself: `raise_due_invoices` does.
    Refuses (ValidationError, nothing written): a start or end outside `dates`' range
    (`start_date`, `end_date`), an end before the start (`end_date`), a bad
    schedule field (keyed by its name), bad lines (`lines`, `lines[i].<field>`), a branding
    theme of another organisation than the customer's (`branding_theme`), a currency that is
    no code or that the customer's organisation has not enabled (`currency`; none or "": the
    customer's). The invoices it raises take its currency. Not idempotent: each call creates
    another schedule.
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
        branding_theme_id=branding_theme_id,
    )
    schedule.full_clean(exclude=["branding_theme"])  # checked next, in words
    check_theme(branding_theme_id, schedule.customer.organisation_id)
    schedule.currency = document_currency(schedule.customer, currency)
    schedule.save()
    write_lines(schedule, RecurringInvoiceLine, "recurring", lines)
    return schedule


@transaction.atomic
def update_recurring(
    schedule: RecurringInvoice, lines: Seq[LineData], **fields: object
) -> RecurringInvoice:
    """Change a schedule's `fields` and replace its lines, under a row lock, in one transaction.

    The next date is re-based on the new schedule, after the latest date ever raised, so no
    date is raised twice; a changed start, interval or end withdraws a catch-up confirmation.
    Invoices already raised are not changed. `currency` left out or None: kept as it is; "":
    the customer's. Refuses as `create_recurring` does. Idempotent.
    """
    locked = RecurringInvoice.objects.select_for_update().get(pk=schedule.pk)
    dates_before = _dates_key(locked)
    currency = fields.pop("currency", None)
    for name, value in fields.items():
        setattr(locked, name, value)
    assert currency is None or isinstance(currency, str)
    locked.currency = document_currency(locked.customer, currency, document=locked)
    _check_schedule(locked.start_date, locked.end_date)
    check_theme(locked.branding_theme_id, locked.customer.organisation_id)
    if _dates_key(locked) != dates_before:
        # The person confirmed other dates than these: they confirm again if many are due.
        locked.catch_up_approved_through = None
        locked.catch_up_approved_count = None
        locked.catch_up_approved_at = None
    # Never before the latest date ever raised, even if its invoice was deleted since.
    raised = locked.invoices.order_by("-recurring_date").values_list("recurring_date", flat=True)
    last = max(filter(None, [locked.last_raised_date, raised.first()]), default=None)
    locked.next_date = next_after(locked, last) if last else locked.start_date
    locked.full_clean(exclude=["branding_theme"])
    locked.save()
    write_lines(locked, RecurringInvoiceLine, "recurring", lines)
    return locked


def _dates_key(schedule: RecurringInvoice) -> tuple[object, ...]:
    return (
        schedule.start_date,
        schedule.interval_unit,
        schedule.interval_count,
        schedule.end_date,
    )


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
        try:
            raised.extend(_raise_for(schedule_id, today))
        except Exception:
            # Reading the schedule failed before any date was tried: this schedule only.
            _record_unexpected(schedule_id, None)
    return raised


def _raise_for(schedule_id: int, today: dt.date) -> list[Invoice]:
    raised: list[Invoice] = []
    when: dt.date | None = None
    seen = RecurringInvoice.objects.filter(pk=schedule_id).first()
    if seen is None:
        return raised  # deleted since the run listed it
    # Up to which date this run may raise: all that is due, unless more than a few dates wait
    # unconfirmed; then only what a person confirmed (if anything).
    raise_until = today if waiting(seen, today) is None else seen.catch_up_approved_through
    if raise_until is None:
        return raised
    for _ in range(MAX_CATCH_UP):
        try:
            with transaction.atomic():
                schedule = RecurringInvoice.objects.select_for_update().get(pk=schedule_id)
                when = schedule.next_date
                if not schedule.active or when > min(today, raise_until):
                    return raised
                if (_dates_key(schedule), schedule.catch_up_approved_through) != (
                    _dates_key(seen),
                    seen.catch_up_approved_through,
                ):
                    return raised  # changed since this run looked: the next run decides
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
                            status=schedule.status or None,  # blank: GEN-2's default
                            reference=schedule.reference,
                            amount_type=schedule.amount_type,
                            recurring=schedule,
                            recurring_date=when,
                            branding_theme_id=schedule.branding_theme_id,
                            currency=schedule.currency,  # blank: the customer's
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
            _record_unexpected(schedule_id, when)
            return raised
    return raised


def _record_unexpected(schedule_id: int, when: dt.date | None) -> None:
    error_id = secrets.token_hex(4)
    log.exception("recurring invoice %s failed (error id %s)", schedule_id, error_id)
    what = f"The invoice due {when}" if when else "Its due invoices"
    _record_error(
        schedule_id,
        f"{what} could not be raised: an unexpected error (error id {error_id}, in the log). "
        "It is tried again on the next run.",
    )


def _record_error(schedule_id: int, text: str) -> None:
    RecurringInvoice.objects.filter(pk=schedule_id).update(
        last_error=text, last_error_at=timezone.now()
    )
