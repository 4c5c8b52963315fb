"""Idempotency-Key replay: per app, for a window from the first call; other requests get 400."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from .clock import Clock
from .http import Response
from .settings import SandboxSettings


@dataclass
class _Entry:
    fingerprint: str
    created: float
    done: threading.Event = field(default_factory=threading.Event)
    response: Response | None = None


def fingerprint(method: str, path: str, query: str, tenant: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method, path, query, tenant):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


class IdempotencyCache:
    """Remembers the answer to each (app, key) for `idempotency_window_seconds` of sandbox time."""

    def __init__(self, settings: SandboxSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Entry] = {}

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()

    def begin(self, client_id: str, key: str, print_: str) -> tuple[str, _Entry]:
        """Claim a key: ("new", entry), ("replay", entry), ("conflict", entry) for another
        request, or ("in_flight", entry) when its first request has not answered yet and the
        `idempotency_in_flight` setting is "409" (with "wait", the replay waits for it)."""
        now = self._clock.now_ts()
        window = self._settings.idempotency_window_seconds
        with self._lock:
            entry = self._entries.get((client_id, key))
            if entry is not None and now - entry.created > window:
                entry = None
            if entry is None:
                entry = _Entry(print_, now)
                self._entries[(client_id, key)] = entry
                return "new", entry
        if entry.fingerprint != print_:
            return "conflict", entry
        if not entry.done.is_set() and self._settings.idempotency_in_flight == "409":
            return "in_flight", entry
        # A concurrent twin is still running: wait for its answer.
        entry.done.wait(timeout=60)
        return "replay", entry

    def finish(self, entry: _Entry, response: Response) -> None:
        entry.response = Response(
            response.status, response.body, response.content_type, dict(response.headers)
        )
        entry.done.set()

    def abandon(self, client_id: str, key: str, entry: _Entry) -> None:
        """Forget a key whose call never ran (refused by a limit), so a retry can run it."""
        with self._lock:
            if self._entries.get((client_id, key)) is entry:
                del self._entries[(client_id, key)]
        entry.done.set()
