"""Our side of Xero's budgets: 5 in flight, 60 in any minute, the day, the app (XERO-FACTS 2)."""

from __future__ import annotations

import threading
import time

import pytest

from ledgerbridge.xero.errors import DailyLimitReached
from ledgerbridge.xero.limits import Budgets, Limits


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_never_more_than_the_minute_limit_in_any_window():
    clock = FakeClock()
    budget = Budgets(Limits(per_minute=60), clock, clock.sleep).for_tenant("t1")
    starts = []
    for _ in range(150):
        budget.acquire()
        starts.append(clock())
        budget.release()
    for i, start in enumerate(starts):
        in_window = [s for s in starts[i:] if s < start + 60]
        assert len(in_window) <= 60
    assert starts[-1] - starts[0] >= 120  # 150 calls need at least two more windows


def test_a_day_pause_fails_fast_and_holds_up_no_other_organisation():
    clock = FakeClock()
    pool = Budgets(Limits(), clock, clock.sleep)
    paused = pool.for_tenant("paused")
    paused.observe({"X-DayLimit-Remaining": "0", "Retry-After": "3600"})
    with pytest.raises(DailyLimitReached) as caught:
        paused.acquire()
    assert caught.value.retry_after == pytest.approx(3600)
    other = pool.for_tenant("other")
    before = clock()
    other.acquire()
    other.release()
    assert clock() == before


def test_daily_budget_counts_calls():
    clock = FakeClock()
    budget = Budgets(Limits(per_day=3, per_minute=100), clock, clock.sleep).for_tenant("t")
    for _ in range(3):
        budget.acquire()
        budget.release()
    with pytest.raises(DailyLimitReached):
        budget.acquire()


def test_app_budget_is_shared_by_organisations():
    clock = FakeClock()
    pool = Budgets(Limits(app_per_minute=4, per_minute=60), clock, clock.sleep)
    for tenant in ["a", "b", "a", "b"]:
        pool.for_tenant(tenant).acquire()
        pool.for_tenant(tenant).release()
    before = clock()
    pool.for_tenant("c").acquire()
    assert clock() - before >= 59  # the fifth call of the app's minute waited for the window


def test_at_most_five_in_flight_per_organisation():
    pool = Budgets(Limits(in_flight=5, per_minute=1000))
    budget = pool.for_tenant("t")
    active = peak = 0
    guard = threading.Lock()

    def call() -> None:
        nonlocal active, peak
        budget.acquire()
        with guard:
            active += 1
            peak = max(peak, active)
        time.sleep(0.02)
        with guard:
            active -= 1
        budget.release()

    threads = [threading.Thread(target=call) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 5
