"""The one range of dates the product accepts, wherever a date is entered or computed.

Screens (`DateInRangeField`), the API (`api_support.Date`) and the services (`check_dates`)
all take it from here, so a record made on one is accepted by the others. Why this range:
docs/decisions.md, "One range for every date".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)
RANGE_TEXT = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"
OUT_OF_RANGE = f"Enter a date {RANGE_TEXT}."


def in_range(value: dt.date) -> bool:
    return EARLIEST_DATE <= value <= LATEST_DATE


def validate_in_range(value: dt.date) -> None:
    """A Django validator: refuses a date outside the range, naming the range."""
    if not in_range(value):
        raise ValidationError(OUT_OF_RANGE, code="date_range")


def check_dates(**named: dt.date | None) -> None:
    """Refuse every given date outside the range, keyed by its name (None is no date)."""
    errors = {
        name: [OUT_OF_RANGE] for name, value in named.items() if value and not in_range(value)
    }
    if errors:
        raise ValidationError(errors)


def add_days(start: dt.date, days: int) -> dt.date | None:
    """`start` + `days`, or None when that is no date Python can hold (never an OverflowError)."""
    try:
        return start + dt.timedelta(days=days)
    except OverflowError:
        return None


class DateInRangeField(forms.DateField):
    """A date picker offering only the range (min/max), refusing anything else by name."""

    default_validators = [validate_in_range]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                attrs={
                    "type": "date",
                    "min": EARLIEST_DATE.isoformat(),
                    "max": LATEST_DATE.isoformat(),
                },
                format="%Y-%m-%d",
            ),
        )
        super().__init__(**kwargs)
