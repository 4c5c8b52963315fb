"""Xero's budgets kept on our side: per organisation 5 in flight, 60 a minute and 5,000 a day;
per app 10,000 a minute (XERO-FACTS 2).

Windows are sliding on our side, which is stricter than Xero's fixed windows: never more than N
calls in ANY window also means never more than N in Xero's. Xero's own X-*Limit-Remaining
headers correct our view after every answer (calls made before a restart, or by another app).
Each organisation has its own budget and lock, so one that waits holds up no other.

The minute windows (the organisation's and the app's) are also kept for every process at once
when `Budgets` is given `shared` (`call_windows.DatabaseWindows`, in the database): a call goes
only when both this process's windows and the shared ones have room, so any number of workers
together stay within Xero's per-app and per-organisation minute limits.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from ledgerbridge.xero.errors import DailyLimitReached, XeroBusy

Clock = Callable[[], float]


# What is used up, by problem (`Budget.acquire`'s XeroBusy says it).
USED_UP = {
    "minute": "this organisation's calls for the minute are used up",
    "share": "this organisation's share of the minute's calls (many organisations are "
    "sending) is used up",
    "appminute": "the calls of all organisations together for the minute are used up",
}


class SharedWindows(Protocol):
    """Minute windows kept for every process (see `call_windows`)."""

    def take(self, tenant_id: str, share: int | None = None) -> tuple[float, str]:
        """Count one call of the organisation, and return (0, ""); or, when the organisation's
        or the app's minute is full, count nothing and return (seconds until it has room,
        "minute", "share" or "appminute"). `share`: the organisation may use at most this
        many of its minute (its fair share of the app's, when many organisations send)."""
        ...


@dataclass(frozen=True)
class Limits:
    in_flight: int = 5
    per_minute: int = 60
    per_day: int = 5000
    app_per_minute: int = 10000
    minute: float = 60.0  # seconds in a "minute" (shorter against a time-scaled sandbox)
    day: float = 86400.0


class Window:
    """At most `limit` events in any `span` seconds."""

    def __init__(self, limit: int, span: float, clock: Clock) -> None:
        self.limit, self.span, self.clock = limit, span, clock
        self.events: deque[float] = deque()
        self.blocked_until = 0.0

    def wait_time(self) -> float:
        now = self.clock()
        while self.events and self.events[0] <= now - self.span:
            self.events.popleft()
        waits = [self.blocked_until - now]
        if len(self.events) >= self.limit:
            waits.append(self.events[0] + self.span - now)
        return max(0.0, *waits)

    def record(self) -> None:
        self.events.append(self.clock())

    def block(self, seconds: float) -> None:
        self.blocked_until = max(self.blocked_until, self.clock() + seconds)


class Budget:
    """One organisation's budget; `app` is shared by every organisation."""

    def __init__(
        self,
        limits: Limits,
        app: Window,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        *,
        tenant_id: str = "",
        shared: SharedWindows | None = None,
    ) -> None:
        self.limits, self.clock, self.sleep = limits, clock, sleep
        self.tenant_id, self.shared = tenant_id, shared
        self.lock = threading.Lock()
        self.in_flight = threading.BoundedSemaphore(limits.in_flight)
        self.minute = Window(limits.per_minute, limits.minute, clock)
        self.day = Window(limits.per_day, limits.day, clock)
        self.app = app
        self.paused_until = 0.0  # the daily limit: calls fail fast until then

    def acquire(self, max_wait: float | None = None, share: int | None = None) -> None:
        """Wait for a slot (minute and app windows, in-flight cap); raise DailyLimitReached if
        paused for the day, and XeroBusy at once if the slot is further off than `max_wait`
        seconds (a person is waiting: see `XeroClient(deadline=…)`). `share`: the most of its
        shared minute this organisation may use (`SharedWindows.take`)."""
        started = self.clock()
        if max_wait is None:
            self.in_flight.acquire()
        elif not self.in_flight.acquire(timeout=max(0.0, max_wait)):
            raise XeroBusy(
                f"Xero is busy: this organisation already has {self.limits.in_flight} calls in "
                "flight.",
                retry_after=1.0,
                problem="concurrent",
            )
        try:
            while True:
                with self.lock:
                    now = self.clock()
                    if self.paused_until > now or self.day.wait_time() > 0:
                        remaining = max(self.paused_until - now, self.day.wait_time())
                        raise DailyLimitReached(
                            f"Paused: this organisation's daily Xero limit is used up for "
                            f"{remaining / 3600:.1f} more hours.",
                            retry_after=remaining,
                            problem="day",
                        )
                    own, app = self.minute.wait_time(), _locked_wait(self.app)
                    with_app, problem = max(own, app), "minute" if own >= app else "appminute"
                    if with_app <= 0 and self.shared is not None:
                        with_app, problem = self.shared.take(self.tenant_id, share)
                    if with_app <= 0:
                        self.minute.record()
                        self.day.record()
                        _locked_record(self.app)
                        return
                left = None if max_wait is None else max_wait - (now - started)
                if left is not None and with_app > left:
                    raise XeroBusy(
                        f"Xero is busy: {USED_UP[problem]}; the next one can go in about "
                        f"{max(1, round(with_app))} seconds.",
                        retry_after=with_app,
                        problem=problem,
                    )
                self.sleep(min(with_app, 5.0))
        except BaseException:
            self.in_flight.release()
            raise

    def release(self) -> None:
        self.in_flight.release()

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take Xero's view of the remaining quota into ours."""
        lower = {k.lower(): v for k, v in headers.items()}
        with self.lock:
            if _int(lower.get("x-minlimit-remaining")) == 0:
                self.minute.block(self.limits.minute / 2)
            if _int(lower.get("x-daylimit-remaining")) == 0:
                self.pause(float(lower.get("retry-after") or self.limits.day / 24))
            if _int(lower.get("x-appminlimit-remaining")) == 0:
                self.app.block(self.limits.minute / 2)

    def wait_minute(self, seconds: float) -> None:
        with self.lock:
            self.minute.block(seconds)

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.clock() + seconds)


_APP_LOCK = threading.Lock()


def _locked_wait(window: Window) -> float:
    with _APP_LOCK:
        return window.wait_time()


def _locked_record(window: Window) -> None:
    with _APP_LOCK:
        window.record()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class Budgets:
    """Every organisation's budget in this process, made on first use."""

    def __init__(
        self,
        limits: Limits | None = None,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        shared: SharedWindows | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.clock, self.sleep, self.shared = clock, sleep, shared
        self.app = Window(self.limits.app_per_minute, self.limits.minute, clock)
        self._budgets: dict[str, Budget] = {}
        self._lock = threading.Lock()

    def for_tenant(self, tenant_id: str) -> Budget:
        with self._lock:
            if tenant_id not in self._budgets:
                self._budgets[tenant_id] = Budget(
                    self.limits,
                    self.app,
                    self.clock,
                    self.sleep,
                    tenant_id=tenant_id,
                    shared=self.shared,
                )
            return self._budgets[tenant_id]
