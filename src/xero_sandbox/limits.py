"""Xero's rate limits: per organisation per minute, per day and in flight; per app per minute."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

from .clock import Clock
from .settings import SandboxSettings

MINUTE = 60.0
DAY = 86_400.0


@dataclass
class _Window:
    start: float = 0.0
    count: int = 0

    def roll(self, now: float, length: float) -> None:
        # Fixed windows that start at the first call after the previous window ended.
        if self.count == 0 or now >= self.start + length:
            self.start = now
            self.count = 0


@dataclass
class TenantUsage:
    minute: _Window = field(default_factory=_Window)
    day: _Window = field(default_factory=_Window)
    in_flight: int = 0
    max_in_flight: int = 0
    accepted: int = 0
    rejected: int = 0
    rejected_by: dict[str, int] = field(default_factory=dict)  # per X-Rate-Limit-Problem
    # (window start, count) of every minute window, to prove no window went over.
    minute_history: dict[float, int] = field(default_factory=dict)


@dataclass
class Decision:
    allowed: bool
    headers: dict[str, str]
    problem: str | None = None


class RateLimiter:
    """Counts calls. `acquire` admits or refuses a call; every admitted call must `release`."""

    def __init__(self, settings: SandboxSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._tenants: dict[str, TenantUsage] = {}
        self._apps: dict[str, _Window] = {}

    def reset(self) -> None:
        with self._lock:
            self._tenants.clear()
            self._apps.clear()

    def usage(self, tenant_id: str) -> TenantUsage:
        with self._lock:
            return self._tenants.setdefault(tenant_id, TenantUsage())

    def _retry_after(self, window_end: float, now: float) -> str:
        real = (window_end - now) / self._clock.scale
        return str(max(1, math.ceil(real)))

    def _headers(self, usage: TenantUsage | None, app: _Window) -> dict[str, str]:
        s = self._settings
        headers = {"X-AppMinLimit-Remaining": str(max(0, s.app_minute_limit - app.count))}
        if usage is not None:
            headers["X-MinLimit-Remaining"] = str(max(0, s.minute_limit - usage.minute.count))
            headers["X-DayLimit-Remaining"] = str(max(0, s.day_limit - usage.day.count))
        return headers

    def acquire(self, tenant_id: str | None, client_id: str) -> Decision:
        s = self._settings
        with self._lock:
            now = self._clock.now_ts()
            app = self._apps.setdefault(client_id, _Window())
            app.roll(now, MINUTE)
            usage = None
            if tenant_id is not None:
                usage = self._tenants.setdefault(tenant_id, TenantUsage())
                usage.minute.roll(now, MINUTE)
                usage.day.roll(now, DAY)
            problem, retry = None, None
            if usage is not None and usage.day.count >= s.day_limit:
                problem, retry = s.problem_day, self._retry_after(usage.day.start + DAY, now)
            elif usage is not None and usage.minute.count >= s.minute_limit:
                problem = s.problem_minute
                retry = self._retry_after(usage.minute.start + MINUTE, now)
            elif app.count >= s.app_minute_limit:
                problem, retry = s.problem_app_minute, self._retry_after(app.start + MINUTE, now)
            elif usage is not None and usage.in_flight >= s.concurrent_limit:
                problem, retry = s.problem_concurrent, "1"
            if problem is not None:
                if usage is not None:
                    usage.rejected += 1
                    usage.rejected_by[problem] = usage.rejected_by.get(problem, 0) + 1
                headers = self._headers(usage, app)
                headers["X-Rate-Limit-Problem"] = problem
                headers["Retry-After"] = retry or "1"
                return Decision(False, headers, problem)
            app.count += 1
            if usage is not None:
                usage.minute.count += 1
                usage.day.count += 1
                usage.in_flight += 1
                usage.accepted += 1
                usage.max_in_flight = max(usage.max_in_flight, usage.in_flight)
                usage.minute_history[usage.minute.start] = usage.minute.count
            return Decision(True, self._headers(usage, app))

    def release(self, tenant_id: str | None) -> None:
        if tenant_id is None:
            return
        with self._lock:
            usage = self._tenants.get(tenant_id)
            if usage is not None and usage.in_flight > 0:
                usage.in_flight -= 1

    def stats(self, tenant_id: str) -> dict[str, object]:
        with self._lock:
            usage = self._tenants.setdefault(tenant_id, TenantUsage())
            return {
                "in_flight": usage.in_flight,
                "max_in_flight": usage.max_in_flight,
                "accepted": usage.accepted,
                "rejected": usage.rejected,
                "rejected_by": dict(usage.rejected_by),
                "max_calls_in_a_minute_window": max(usage.minute_history.values(), default=0),
                "day_count": usage.day.count,
            }
