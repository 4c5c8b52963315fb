"""Webhooks: subscription, intent-to-receive, signed batched delivery, retries, disabling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import secrets
import threading
from typing import TYPE_CHECKING, Any

import httpx

from . import wire

if TYPE_CHECKING:
    from .core import Sandbox

log = logging.getLogger("xero_sandbox.webhooks")
CATEGORY_PATH = {"CONTACT": "Contacts", "INVOICE": "Invoices", "CREDITNOTE": "CreditNotes"}


def sign(key: str, body: bytes) -> str:
    """x-xero-signature: base64 of HMAC-SHA256 over the raw body with the webhook key."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


class Webhooks:
    """Holds events until the subscription is ACTIVE, then delivers them from one thread."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pending: list[dict[str, Any]] = []
        self._next_attempt = 0.0  # sandbox time of the next attempt of a failing batch
        self._failing_since: float | None = None
        self._retry_index = 0
        self.attempts: list[dict[str, Any]] = []
        self._thread: threading.Thread | None = None

    # --- subscription ---------------------------------------------------------------------

    @property
    def config(self) -> dict[str, Any]:
        return self.sb.store.webhook

    def subscribe(self, url: str) -> dict[str, Any]:
        """Set the delivery URL and run intent-to-receive; events flow only once it passes."""
        self.config.update({"url": url, "status": "PENDING"})
        passed = self.intent_to_receive()
        self.config["status"] = "ACTIVE" if passed else "ITR_FAILED"
        with self._lock:
            self._failing_since, self._retry_index, self._next_attempt = None, 0, 0.0
        self._wake.set()
        self.sb.persist()
        return self.status()

    def status(self) -> dict[str, Any]:
        with self._lock:
            pending = len(self._pending)
        return {
            "url": self.config.get("url"),
            "status": self.config.get("status"),
            "key": self.config.get("key"),
            "pending_events": pending,
            "attempts": list(self.attempts[-50:]),
        }

    def intent_to_receive(self) -> bool:
        probes = [True] * self.sb.settings.webhook_itr_good + [
            False
        ] * self.sb.settings.webhook_itr_bad
        random.shuffle(probes)
        for good in probes:
            body = json.dumps(
                {
                    "events": [],
                    "firstEventSequence": 0,
                    "lastEventSequence": 0,
                    "entropy": secrets.token_hex(10).upper(),
                }
            ).encode()
            key = self.config["key"] if good else secrets.token_hex(32)
            code = self._post(body, sign(key, body))
            self.attempts.append(
                {"kind": "intent_to_receive", "signed_correctly": good, "status": code}
            )
            if code != (200 if good else 401):
                return False
        return True

    # --- events ---------------------------------------------------------------------------

    def enqueue(
        self,
        tenant_id: str,
        category: str,
        event_type: str,
        resource_id: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Queue one event; CREDITNOTE events carry data {Type, Status} [P] xero-webhooks.yaml."""
        # Once a URL is set, events are kept (Xero keeps them 31 days) and replayed after a
        # disabled subscription passes intent-to-receive again.
        if not self.config.get("url"):
            return
        event: dict[str, Any] = {
            "resourceUrl": f"{self.sb.issuer}/api.xro/2.0/{CATEGORY_PATH[category]}/{resource_id}",
            "resourceId": resource_id,
            "eventDateUtc": wire.iso_utc(self.sb.clock.now_ms()),
            "eventType": event_type,
            "eventCategory": category,
            "tenantId": tenant_id,
            "tenantType": "ORGANISATION",
        }
        if data:
            event["data"] = data
        with self._lock:
            self._pending.append(event)
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="xero-sandbox-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=0.05)
            self._wake.clear()
            if self._stop.wait(self.sb.settings.webhook_batch_seconds):
                return
            try:
                self.deliver_due()
            except Exception:
                log.exception("webhook delivery failed")

    def deliver_due(self) -> None:
        """Send one batch if the subscription is active and a retry is due."""
        if self.config.get("status") != "ACTIVE" or not self.config.get("url"):
            return
        now = self.sb.clock.now_ts()
        with self._lock:
            if not self._pending or now < self._next_attempt:
                return
            batch = list(self._pending)
        first = int(self.config.get("sequence", 0)) + 1
        body = json.dumps(
            {
                "events": batch,
                "firstEventSequence": first,
                "lastEventSequence": first + len(batch) - 1,
                "entropy": secrets.token_hex(10).upper(),
            }
        ).encode()
        code = self._post(body, sign(self.config["key"], body))
        self.attempts.append(
            {
                "kind": "events",
                "events": len(batch),
                "status": code,
                "at": wire.iso_utc(self.sb.clock.now_ms()),
            }
        )
        with self._lock:
            if code == 200:
                del self._pending[: len(batch)]
                self.config["sequence"] = first + len(batch) - 1
                self._failing_since, self._retry_index, self._next_attempt = None, 0, 0.0
                return
            self._schedule_retry(now)

    def _schedule_retry(self, now: float) -> None:
        """Xero retries with decreasing frequency for 24 hours, then disables the webhook."""
        if self._failing_since is None:
            self._failing_since = now
        schedule = self.sb.settings.webhook_retry_seconds
        if self._retry_index >= len(schedule) or now - self._failing_since >= 86_400:
            self.config["status"] = "DISABLED"
            log.warning("webhook disabled after failed deliveries since %s", self._failing_since)
            return
        self._next_attempt = now + schedule[self._retry_index]
        self._retry_index += 1

    def _post(self, body: bytes, signature: str) -> int:
        url = self.config.get("url")
        if not url:
            return 0
        try:
            answer = httpx.post(
                url,
                content=body,
                timeout=self.sb.settings.webhook_timeout_seconds,
                headers={"Content-Type": "application/json", "x-xero-signature": signature},
            )
        except httpx.HTTPError:
            return 0
        return answer.status_code
