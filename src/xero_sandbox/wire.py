"""Xero's wire formats: /Date(...)/ timestamps, incoming date strings, JSON with Decimal money."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from decimal import Decimal
from typing import Any

_MSDATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


class MalformedGuid(Exception):
    """A GUID field that is not a GUID: Xero answers 500 UnknownErrorException [S]."""


def new_id() -> str:
    return str(uuid.uuid4())


def is_guid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def ms_timestamp(ms: int) -> str:
    """A timestamp as Xero writes UpdatedDateUTC: /Date(1551213567813+0000)/."""
    return f"/Date({ms}+0000)/"


def ms_envelope(ms: int) -> str:
    """The envelope's DateTimeUTC, written without an offset: /Date(1552327126164)/."""
    return f"/Date({ms})/"


def date_to_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)


def ms_date(day: dt.date) -> str:
    """A date as Xero writes Date/DueDate: /Date(1539993600000+0000)/."""
    return ms_timestamp(date_to_ms(day))


def date_string(day: dt.date) -> str:
    """The DateString companion: 2018-10-20T00:00:00."""
    return f"{day.isoformat()}T00:00:00"


def iso_utc(ms: int) -> str:
    """Webhook timestamps: ISO without a zone, millisecond precision."""
    stamp = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"


def iso_utc_z(ms: int) -> str:
    """UpdatedDateUTCString as the spec's examples write it, with its zone: 2019-03-05T18:59:06Z."""
    stamp = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


_LOOSE_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:T[\d:.]*)?$")


def parse_query_date(text: str) -> dt.date:
    """A date in a query (DateFrom, DateTo): 2026-01-05, or unpadded 2026-1-5 as Xero reads it;
    ValueError otherwise (never silently ignored)."""
    match = _LOOSE_DATE.match(text.strip())
    if match is None:
        raise ValueError(f"bad date {text!r}")
    return dt.date(*(int(g) for g in match.groups()))


def iso_utc7(ms: int) -> str:
    """Connection timestamps as the identity spec's example: 2019-12-07T18:46:19.5165400."""
    return iso_utc(ms) + "0000"


def parse_date(value: object) -> dt.date | None:
    """Read a date sent by a client: 2026-11-24, 2026-11-24T00:00:00 or /Date(ms+0000)/."""
    if value is None or value == "":
        return None
    text = str(value)
    match = _MSDATE.match(text)
    if match:
        return dt.datetime.fromtimestamp(int(match.group(1)) / 1000, tz=dt.UTC).date()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError as exc:
        raise ValueError(f"bad date {text!r}") from exc


def parse_http_datetime(value: str) -> float | None:
    """Read If-Modified-Since: ISO 8601 (Xero's own example) or an RFC 1123 HTTP date."""
    text = value.strip()
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            stamp = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.timestamp()


def _default(value: object) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(payload: object) -> bytes:
    """JSON as Xero writes it; NaN or infinity anywhere is a bug, never bare `NaN` on the wire."""
    return json.dumps(payload, default=_default, separators=(",", ":"), allow_nan=False).encode()


# Largest magnitude a client's number may have: Xero stores money in fixed-point columns, so
# out-of-range numbers get a validation error, never a 500. The bound is ours [U].
MAX_NUMBER = Decimal(10) ** 12


class OutOfRange(ValueError):
    """A finite number too large for Xero's fields."""


def to_decimal(value: object, default: Decimal | None = None) -> Decimal | None:
    """A number from a client as Decimal (via str, so 0.1 stays 0.1).

    Raises ValueError for text that is not a number and for NaN and infinities (which JSON cannot
    carry back), and OutOfRange for magnitudes of MAX_NUMBER or more.
    """
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError("not a number")
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    if abs(number) >= MAX_NUMBER:
        raise OutOfRange(f"out of range: {value!r}")
    return number
