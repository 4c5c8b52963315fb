"""One worker at a time per organisation: a lease row per organisation (`sync.Lease`).

`hold(organisation_id)` takes the lease, keeps it alive from a heartbeat thread while the body
runs, and gives it back. A lease is free when nobody holds it, when its time has passed (the
holder's machine stopped renewing it: taken over within LEASE_SECONDS), or at once when its
holder was a process on this machine that no longer exists (killed).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid

from django.db import close_old_connections, transaction
from django.utils import timezone

from ledgerbridge.sync.models import Lease

log = logging.getLogger(__name__)

LEASE_SECONDS = 30.0
HEARTBEAT_SECONDS = 10.0


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _gone(holder: str) -> bool:
    """Whether a holder was a process of this machine that is no longer running."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False  # this process: its other lease is a live thread's, or a stale own one
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire(organisation_id: int, holder: str | None = None) -> str | None:
    """Take the organisation's lease; the holder's name, or None when another holds it."""
    holder = holder or holder_name()
    now = timezone.now()
    with transaction.atomic():
        Lease.objects.get_or_create(organisation_id=organisation_id)
        lease = Lease.objects.select_for_update().get(organisation_id=organisation_id)
        free = (
            not lease.holder
            or lease.expires_at is None
            or lease.expires_at <= now
            or _gone(lease.holder)
        )
        if not free:
            return None
        lease.holder = holder
        lease.expires_at = now + dt.timedelta(seconds=LEASE_SECONDS)
        lease.save(update_fields=["holder", "expires_at"])
    return holder


def renew(organisation_id: int, holder: str) -> bool:
    """Extend the lease; False when it was lost (taken over after it lapsed)."""
    until = timezone.now() + dt.timedelta(seconds=LEASE_SECONDS)
    return bool(
        Lease.objects.filter(organisation_id=organisation_id, holder=holder).update(
            expires_at=until
        )
    )


def release(organisation_id: int, holder: str) -> None:
    Lease.objects.filter(organisation_id=organisation_id, holder=holder).update(
        holder="", expires_at=None
    )


class Heartbeat:
    """Renews a lease every HEARTBEAT_SECONDS from its own thread until stopped."""

    def __init__(self, organisation_id: int, holder: str) -> None:
        self.organisation_id = organisation_id
        self.holder = holder
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=HEARTBEAT_SECONDS * 3)

    def _run(self) -> None:
        try:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                try:
                    renew(self.organisation_id, self.holder)
                except Exception:  # a busy database: the next beat tries again
                    log.warning(
                        "could not renew the lease of organisation %s", self.organisation_id
                    )
        finally:
            close_old_connections()
