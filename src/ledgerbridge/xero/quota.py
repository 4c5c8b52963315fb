"""The quota card of a connection's screen: Xero's last reported figures, said as of when, and
taken as full again once their window has passed since the last call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledgerbridge.xero.limits import Limits
from ledgerbridge.xero.models import Connection


@dataclass(frozen=True)
class QuotaFigure:
    label: str
    remaining: int | None  # None: not known yet
    limit: int
    as_of: dt.datetime | None  # when Xero reported it (the last call); None when refilled
    refilled: str = ""  # "minute" or "day": that long has passed since the last call


def quota_figures(connection: Connection, limits: Limits, now: dt.datetime) -> list[QuotaFigure]:
    """The figures Xero reported with the last call hold only within their window: "54 left
    this minute" is stale a minute later, when the window has emptied. Each figure is shown
    with the time it was true, or as the full limit once its window has passed since then."""
    last = connection.last_call_at

    def figure(label: str, reported: int | None, limit: int, span: float, word: str) -> QuotaFigure:
        if last is not None and (now - last).total_seconds() >= span:
            return QuotaFigure(label, limit, limit, None, refilled=word)
        return QuotaFigure(label, reported, limit, last if reported is not None else None)

    return [
        figure(
            "Calls left this minute",
            connection.minute_remaining,
            limits.per_minute,
            limits.minute,
            "minute",
        ),
        figure("Calls left today", connection.day_remaining, limits.per_day, limits.day, "day"),
        figure(
            "App calls left this minute",
            connection.app_minute_remaining,
            limits.app_per_minute,
            limits.minute,
            "minute",
        ),
    ]
