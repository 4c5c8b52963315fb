"""Failed sign-in lock-outs (counted by django-axes): who is locked out, the answer they get,
and the admin's unlock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

LOCKED_STATUS = 429


@dataclass(frozen=True)
class Lockout:
    """A username or an address with too many failed sign-ins; `until` is when it lifts."""

    username: str | None
    address: str | None
    failures: int
    until: dt.datetime


def _cool_off() -> dt.timedelta:
    return get_cool_off() or dt.timedelta(minutes=15)


def lockout_minutes() -> int:
    return max(1, round(_cool_off().total_seconds() / 60))


def lockout_message() -> str:
    minutes = lockout_minutes()
    return (
        "Too many failed sign-ins for this username or from this address: signing in is "
        f"paused for {minutes} minute{'s' if minutes != 1 else ''}. Check the password and try "
        "again then, or ask an admin to unlock it (Configuration > Users)."
    )


def _locked(field: str) -> list[Lockout]:
    since = timezone.now() - _cool_off()
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=since)
        .exclude(**{f"{field}__isnull": True})
        .values(field)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by(field)
    )
    return [
        Lockout(
            username=row[field] if field == "username" else None,
            address=row[field] if field == "ip_address" else None,
            failures=row["failures"],
            until=row["last"] + _cool_off(),
        )
        for row in rows
    ]


def locked_usernames() -> dict[str, Lockout]:
    """Usernames locked out now, each with its lock-out."""
    return {lock.username: lock for lock in _locked("username") if lock.username is not None}


def locked_addresses() -> list[Lockout]:
    """Client addresses locked out now (whatever usernames they tried)."""
    return _locked("ip_address")


def unlock(*, username: str | None = None, address: str | None = None) -> int:
    """Forget the failed sign-ins of a username and/or from an address, lifting their lock-out
    at once. Returns how many counters were removed. Asking for neither is refused (axes
    would forget everyone's)."""
    if not username and not address:
        raise ValueError("name a username or an address to unlock")
    removed = 0
    if username:
        removed += reset(username=username)
    if address:
        removed += reset(ip=address)
    return removed


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What a locked-out sign-in gets (AXES_LOCKOUT_CALLABLE): the sign-in page again, 429, with
    a message saying why, for how long, and who can lift it."""
    username = request.POST.get("username", "") if request.method == "POST" else ""
    form = AuthenticationForm(request, initial={"username": username})
    return render(
        request,
        "registration/login.html",
        {"form": form, "locked_out": lockout_message(), "next": request.POST.get("next", "")},
        status=LOCKED_STATUS,
    )
