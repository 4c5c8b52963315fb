"""Fault injection: the next N Accounting calls fail, before or after their change is committed.

Before the work: 500, 503, 429, timeout (hold the socket, then close it), idempotency_down (500
for a write carrying an Idempotency-Key, as when Xero's key store is unavailable [S]).
After the work is committed: drop_after_commit (close without answering), 500_after_commit,
503_after_commit (answer an error although the change was made; the Idempotency-Key keeps the
real answer), slow_after_commit (hold the answer `seconds`, so a replay of its key arrives while
it is still in flight).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .http import Response, json_response, text_response

BEFORE = ("500", "503", "timeout", "429", "idempotency_down")
AFTER = ("drop_after_commit", "500_after_commit", "503_after_commit", "slow_after_commit")
KINDS = BEFORE + AFTER


@dataclass
class Fault:
    kind: str
    remaining: int
    tenant_id: str | None = None
    seconds: float = 10.0  # how long a "timeout" holds the connection before closing it


class FaultQueue:
    """Pending faults, consumed in order by matching calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.kind not in KINDS:
            raise ValueError(f"unknown fault {fault.kind!r}; expected one of {', '.join(KINDS)}")
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, tenant_id: str | None, keyed_write: bool = False) -> Fault | None:
        """The next fault for this call; idempotency_down only hits writes carrying a key."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == "idempotency_down" and not keyed_write:
                    continue
                if fault.tenant_id in (None, tenant_id) and fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[dict[str, object]]:
        with self._lock:
            return [vars(f).copy() for f in self._faults]


def fault_response(kind: str, seconds: float) -> Response:
    """The answer a fault gives instead of the real one ("timeout" holds, then drops)."""
    if kind in ("500", "500_after_commit", "idempotency_down"):
        return json_response(
            500,
            {
                "ErrorNumber": 500,
                "Type": "UnknownErrorException",
                "Message": "An error occurred in Xero. Check the API Status page "
                "http://status.developer.xero.com for current service status.",
            },
        )
    if kind in ("503", "503_after_commit"):
        return text_response(503, "Service Unavailable")
    if kind == "429":
        return Response(429, b"", None, {"X-Rate-Limit-Problem": "minute", "Retry-After": "1"})
    return Response(504, b"", None, drop=True, delay=seconds)
