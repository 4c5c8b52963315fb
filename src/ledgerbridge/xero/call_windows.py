"""Xero's minute limits kept for every process at once, in the database (`CallWindow` rows).

Xero counts an app's calls across all its organisations (10,000 a minute) and each
organisation's calls (60 a minute) wherever they come from; each process's own windows
(`limits.Budget`) only see that process's calls. Before every call, `DatabaseWindows.take`
counts it in the app's and the organisation's shared windows, or says how long until they have
room, in one short transaction that locks the two rows (PostgreSQL: `FOR UPDATE`; SQLite takes
its write lock for every transaction). So any number of workers, the web server and the CLI
together never send more than Xero allows in a minute.

A window is kept as calls per slot of one Xero-second (XERO_MINUTE_SECONDS / 60), over the
current slot and the 60 before it: a call is counted in the window while any part of its slot
is within the last minute, so the count is never lower than Xero's in any 60 seconds (at most
1 slot in 61, 1.6 %, of the minute's room is given up for that).

On PostgreSQL the rows are written through a connection of their own (one per thread, in
autocommit between takes), so a call made inside a longer transaction never holds the app's
row lock until that transaction ends; SQLite has one writer at a time anyway, and is written
through the thread's usual connection.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, connections, transaction

from ledgerbridge.xero.limits import Limits

SLOTS = 61  # the current slot and the 60 before it
TABLE = "xero_callwindow"


def wait_for_room(
    slots: dict[int, int], limit: int, now_slot: int, second: float, now: float
) -> float:
    """Seconds until a window holding `slots` has room for one more call (0: it has room)."""
    used = sum(slots.values())
    if used < limit:
        return 0.0
    to_expire, freed = used - limit + 1, 0
    for slot in sorted(slots):
        freed += slots[slot]
        if freed >= to_expire:
            return max(0.0, (slot + SLOTS) * second - now)
    return (now_slot + SLOTS) * second - now  # not reached: the slots hold `used` calls


_own = threading.local()  # this thread's own PostgreSQL connection for the windows
_opened: list[Any] = []  # every thread's, to close them all (`close_connections`)
_opened_lock = threading.Lock()


def _own_connection() -> Any:
    own = getattr(_own, "connection", None)
    if own is None:
        own = connections.create_connection("default")
        _own.connection = own
        with _opened_lock:
            _opened.append(own)
    return own


def _forget_own_connection() -> None:
    own = getattr(_own, "connection", None)
    _own.connection = None
    if own is not None:
        own.close()
        with _opened_lock:
            if own in _opened:
                _opened.remove(own)


def close_connections() -> None:
    """Close every thread's own connection (each opens a new one when it next needs it): when
    the process is done with the database, or the database is about to be dropped (tests)."""
    global _own
    with _opened_lock:
        opened = list(_opened)
        _opened.clear()
        _own = threading.local()
    for own in opened:
        raw = own.connection
        if raw is not None:
            raw.close()  # the psycopg connection itself: safe from any thread


class DatabaseWindows:
    """The shared minute windows of the app and of each organisation (see the module)."""

    def __init__(self, limits: Limits, app: str, clock: Callable[[], float] = time.time) -> None:
        """`app`: the Xero app's client id (its limit is per app)."""
        self.limits, self.app, self.clock = limits, app, clock

    def take(self, tenant_id: str, share: int | None = None) -> tuple[float, str]:
        own = self.limits.per_minute
        scopes = [
            (f"app:{self.app}", self.limits.app_per_minute, "appminute"),
            (
                f"org:{self.app}:{tenant_id}",
                own if share is None else min(own, share),
                "minute" if share is None or share >= own else "share",
            ),
        ]
        if connection.vendor == "postgresql":
            return self._on_own_connection(scopes)
        with transaction.atomic(), connection.cursor() as cursor:
            return self._take(cursor, scopes, lock="")

    def _on_own_connection(self, scopes: list[tuple[str, int, str]]) -> tuple[float, str]:
        own = _own_connection()
        try:
            with own.cursor() as cursor:
                cursor.execute("BEGIN")
                try:
                    result = self._take(cursor, scopes, lock=" FOR UPDATE")
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")
                return result
        except Exception:
            _forget_own_connection()  # a broken connection is opened afresh on the next call
            raise

    def _take(
        self, cursor: Any, scopes: list[tuple[str, int, str]], lock: str
    ) -> tuple[float, str]:
        second = self.limits.minute / 60
        names = [name for name, _, _ in scopes]
        marks = ", ".join(["%s"] * len(names))
        select = f"SELECT scope, slots FROM {TABLE} WHERE scope IN ({marks}) ORDER BY scope{lock}"  # noqa: S608 - fixed names
        cursor.execute(select, names)
        rows = cursor.fetchall()
        if len(rows) < len(names):  # a scope's first call: its row is made once, then locked
            cursor.execute(
                f"INSERT INTO {TABLE} (scope, slots) VALUES {', '.join(['(%s, %s)'] * len(names))} "  # noqa: S608
                "ON CONFLICT (scope) DO NOTHING",
                [value for name in names for value in (name, "{}")],
            )
            cursor.execute(select, names)
            rows = cursor.fetchall()
        now = self.clock()
        now_slot = int(now // second)
        held: dict[str, dict[int, int]] = {}
        for name, text in rows:
            slots = {int(k): int(v) for k, v in json.loads(text or "{}").items()}
            held[name] = {k: v for k, v in slots.items() if k > now_slot - SLOTS}
        waits = [
            (wait_for_room(held[name], limit, now_slot, second, now), problem)
            for name, limit, problem in scopes
        ]
        longest = max(waits)
        if longest[0] > 0:
            return longest
        for name in names:
            slots = held[name]
            slots[now_slot] = slots.get(now_slot, 0) + 1
            cursor.execute(
                f"UPDATE {TABLE} SET slots = %s WHERE scope = %s",  # noqa: S608
                [json.dumps(slots, separators=(",", ":")), name],
            )
        return 0.0, ""
