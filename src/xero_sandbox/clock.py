"""The sandbox clock: real time, moved by an offset and sped up by a time scale."""

from __future__ import annotations

import datetime as dt
import threading
import time


class Clock:
    """Sandbox time. `scale` makes sandbox seconds pass faster than real ones; `advance` jumps."""

    def __init__(self, scale: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._real_base = time.monotonic()
        self._virtual_base = time.time()
        self._scale = scale

    @property
    def scale(self) -> float:
        return self._scale

    def now_ts(self) -> float:
        """Sandbox time as seconds since the epoch."""
        with self._lock:
            return self._virtual_base + (time.monotonic() - self._real_base) * self._scale

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now_ts(), tz=dt.UTC)

    def now_ms(self) -> int:
        return int(self.now_ts() * 1000)

    def today(self) -> dt.date:
        return self.now().date()

    def set_scale(self, scale: float) -> None:
        if scale <= 0:
            raise ValueError("time scale must be positive")
        with self._lock:
            now = time.monotonic()
            self._virtual_base += (now - self._real_base) * self._scale
            self._real_base = now
            self._scale = scale

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._virtual_base += seconds

    def set_now(self, timestamp: float) -> None:
        with self._lock:
            self._real_base = time.monotonic()
            self._virtual_base = timestamp

    def real_seconds(self, sandbox_seconds: float) -> float:
        """How long `sandbox_seconds` of sandbox time take in real time."""
        return sandbox_seconds / self._scale
