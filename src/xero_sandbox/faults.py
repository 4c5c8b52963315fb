"""Fault injection: the next N Accounting calls fail (500, 503, timeout, drop, 429)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .http import Response, json_response, text_response

KINDS = ("500", "503", "timeout", "drop_after_commit", "429")


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

    def take(self, tenant_id: str | None) -> Fault | None:
        with self._lock:
            for fault in self._faults:
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
    if kind == "500":
        return json_response(
            500,
            {
                "ErrorNumber": 500,
                "Type": "UnknownErrorException",
                "Message": "An error occurred in Xero. Check the API Status page "
                "http://status.developer.xero.com for current service status.",
            },
        )
    if kind == "503":
        return text_response(503, "Service Unavailable")
    if kind == "429":
        return Response(429, b"", None, {"X-Rate-Limit-Problem": "minute", "Retry-After": "1"})
    return Response(504, b"", None, drop=True, delay=seconds)
