"""The only code that sends HTTP to Xero's Accounting API, for one organisation at a time.

Contract of `XeroClient.request`:
- waits for the organisation's budget (5 in flight, 60 a minute, the day's and the app's);
- sends the access token (refreshed single-flight when due) and `xero-tenant-id`;
- every PUT and POST carries an `Idempotency-Key`, the same on every retry of one call, so a
  retry after a lost answer cannot create a duplicate;
- retries what `errors.classify` calls retryable: 5xx, timeouts and dropped connections back off
  exponentially with jitter (capped); a minute 429 waits `Retry-After`; a 401 refreshes once;
- a day 429 pauses the organisation (visible on its page) and raises DailyLimitReached at once,
  holding up no other organisation;
- records the quota Xero reports on the connection after every answer;
- with a `deadline` (seconds, for a call a person waits for: `XeroClient.interactive`), never
  waits past it: a budget wait, a Retry-After or a back-off that would end later raises XeroBusy
  at once, and each attempt's timeout is cut to the time left.

Every attempt leaves through `transport.client` and so is in the request log.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone

from ledgerbridge.xero import connections, transport
from ledgerbridge.xero.call_windows import DatabaseWindows, close_connections
from ledgerbridge.xero.endpoints import XeroApp
from ledgerbridge.xero.errors import (
    DailyLimitReached,
    RateLimited,
    ReauthorisationNeeded,
    TransientError,
    XeroBusy,
    XeroError,
    classify,
    transport_failure,
)
from ledgerbridge.xero.limits import Budgets, Limits
from ledgerbridge.xero.models import Connection

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 1000
# Xero keeps an Idempotency-Key's answer for about 6 minutes (XERO-FACTS 3): a write is not
# retried after this long, because a retry could then make a duplicate.
WRITE_RETRY_WINDOW = 300.0
_budgets: Budgets | None = None
_budgets_lock = threading.Lock()


def budgets() -> Budgets:
    """This process's budgets, one per organisation (see `limits`)."""
    global _budgets
    with _budgets_lock:
        if _budgets is None:
            limits = Limits(minute=settings.XERO_MINUTE_SECONDS)
            app = XeroApp.from_settings().client_id
            _budgets = Budgets(limits, shared=DatabaseWindows(limits, app))
        return _budgets


def reset_budgets() -> None:
    """Forget this process's budgets (a fresh process's view; used between tests)."""
    global _budgets
    with _budgets_lock:
        _budgets = None
    close_connections()


def _header(headers: Mapping[str, str], name: str) -> int | None:
    try:
        value = headers.get(name)
        return int(value) if value is not None else None
    except ValueError:
        return None


class XeroClient:
    """One organisation's door to Xero; safe to share between threads."""

    def __init__(
        self,
        connection: Connection,
        *,
        app: XeroApp | None = None,
        budget_pool: Budgets | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        timeout: float | None = None,
        deadline: float | None = None,
        patience: float | None = None,
        share: int | None = None,
    ) -> None:
        """`timeout`: seconds one attempt may take (XERO_TIMEOUT); `deadline`: seconds from now
        within which every call of this client must be answered, or XeroBusy; `patience`: the
        longest a call waits for room in a minute limit before it raises RateLimited with the
        wait instead (background work: the worker then does other work meanwhile); `share`:
        the most of the organisation's minute this client may use (`fair_share`)."""
        if not connection.tenant_id or connection.token_set_id is None:
            raise ReauthorisationNeeded(f"{connection.name} is not connected to Xero.")
        self.connection = connection
        self.app = app or XeroApp.from_settings()
        self.timeout = settings.XERO_TIMEOUT if timeout is None else timeout
        self.http = transport.client(connection=connection, timeout=self.timeout)
        self.budget = (budget_pool or budgets()).for_tenant(connection.tenant_id)
        self.sleep = sleep
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.gives_up_at = None if deadline is None else self.budget.clock() + deadline
        self.patience, self.share = patience, share

    @classmethod
    def interactive(cls, connection: Connection) -> XeroClient:
        """A client for a call a person waits for: XERO_DEADLINE_SECONDS, one retry at most."""
        return cls(connection, max_attempts=2, deadline=settings.XERO_DEADLINE_SECONDS)

    @classmethod
    def background(cls, connection: Connection, share: int | None = None) -> XeroClient:
        """A client for background work that can come back later (the sync engine, the
        periodic poll and currency refresh): a full minute waited out for at most two
        Xero-seconds, then RateLimited with the wait, so the worker is not held idle."""
        return cls(connection, patience=settings.XERO_MINUTE_SECONDS / 30, share=share)

    def time_left(self) -> float | None:
        """Seconds until the deadline (None: no deadline)."""
        if self.gives_up_at is None:
            return None
        return max(0.0, self.gives_up_at - self.budget.clock())

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> XeroClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- calls ------------------------------------------------------------------------------

    def get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        if_modified_since: dt.datetime | None = None,
    ) -> dict[str, Any]:
        return self.request("GET", path, params=params, if_modified_since=if_modified_since)

    def put(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        return self.request("PUT", path, json=body, params=params, idempotency_key=idempotency_key)

    def post(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        return self.request("POST", path, json=body, params=params, idempotency_key=idempotency_key)

    def pages(
        self,
        path: str,
        collection: str,
        *,
        params: Mapping[str, Any] | None = None,
        page_size: int | None = MAX_PAGE_SIZE,
        if_modified_since: dt.datetime | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Stream a list page by page (`page_size` None: an endpoint without paging)."""
        page = 1
        while True:
            query = dict(params or {})
            if page_size is not None:
                query.update(page=page, pageSize=page_size)
            body = self.get(path, params=query, if_modified_since=if_modified_since)
            records = list(body.get(collection) or [])
            if records:
                yield records
            if page_size is None:
                return
            pagination = body.get("pagination") or {}
            if pagination.get("pageCount") is not None:  # Xero says how many pages there are
                if page >= int(pagination["pageCount"]):
                    return
            elif len(records) < page_size:
                return
            page += 1

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        if_modified_since: dt.datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Send one logical call, retrying as the module docstring says; returns Xero's JSON."""
        url = self.app.accounting_url(path)
        headers = {"xero-tenant-id": self.connection.tenant_id, "Accept": "application/json"}
        if method in {"PUT", "POST"}:
            headers["Idempotency-Key"] = idempotency_key or uuid.uuid4().hex
        if if_modified_since is not None:
            # RFC 3339, as the spec's date-time format requires (its example carries an offset).
            headers["If-Modified-Since"] = if_modified_since.astimezone(dt.UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        stale: str | None = None
        refreshed = False
        failures = 0
        waits = 0
        started = self.budget.clock()
        while True:
            if (
                method in {"PUT", "POST"}
                and failures + waits
                and (self.budget.clock() - started > WRITE_RETRY_WINDOW)
            ):
                raise TransientError(
                    "Xero did not answer a change within its idempotency window; it may or may "
                    "not have been made. Read the record back before sending it again."
                )
            self._check_paused()
            left = self.time_left()
            patient = self.patience is not None and (left is None or self.patience < left)
            try:
                self.budget.acquire(max_wait=self.patience if patient else left, share=self.share)
            except DailyLimitReached as exc:  # Xero's headers said the day is used up
                self._pause(exc.retry_after, exc.message)
                raise
            except XeroBusy as exc:
                if not patient:
                    raise
                limited = RateLimited(
                    exc.message.replace("Xero is busy: ", "Waiting for Xero's limit: ", 1),
                    retry_after=exc.retry_after or 1.0,
                    problem=exc.problem or "minute",
                )
                raise self._uncertain_if_sent(method, failures, limited) from exc
            response = None
            try:
                token = connections.access_token(
                    self.connection.token_set_id or 0, stale=stale, app=self.app, http=self.http
                )
                left = self.time_left()
                response = self.http.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers={**headers, "Authorization": f"Bearer {token}"},
                    timeout=self.timeout if left is None else max(0.5, min(self.timeout, left)),
                )
                error = classify(response.status_code, response.headers, response.content)
            except httpx.TransportError as exc:
                error = transport_failure(exc)
            finally:
                self.budget.release()
            if response is not None:
                self.budget.observe(response.headers)
                self._record_quota(response.headers)
            if error is None:
                assert response is not None
                return dict(response.json()) if response.content else {}
            if isinstance(error, DailyLimitReached):
                self._pause(error.retry_after, error.message)
                raise error
            if isinstance(error, RateLimited):
                waits += 1
                if waits > 20:
                    raise self._uncertain_if_sent(method, failures, error)
                self.budget.wait_minute(error.retry_after)  # acquire() waits, or says busy
                continue
            if isinstance(error, ReauthorisationNeeded) and not refreshed and response is not None:
                refreshed, stale = True, token
                continue
            if error.retryable and failures + 1 < self.max_attempts:
                failures += 1
                delay = min(self.backoff_cap, self.backoff_base * 2 ** (failures - 1))
                delay = delay / 2 + random.random() * delay / 2  # noqa: S311 - jitter
                left = self.time_left()
                if left is not None and delay > left:
                    raise XeroBusy(
                        f"Xero is not answering well right now ({error.message}).",
                        retry_after=delay,
                        status=error.status,
                    ) from error
                self.sleep(delay)
                continue
            self._record_error(error)
            raise error

    @staticmethod
    def _uncertain_if_sent(method: str, failures: int, error: XeroError) -> XeroError:
        """A limit that stops a write after an attempt went unanswered: that attempt may have
        made the change, so the caller hears it as uncertain (and reads back before sending
        again), not as "nothing was sent"."""
        if method in {"PUT", "POST"} and failures:
            return TransientError(
                "Xero did not answer a change, and its limit stops the retry for now; it may or "
                f"may not have been made. Read the record back before sending it again. "
                f"({error.message})"
            )
        return error

    # --- bookkeeping ------------------------------------------------------------------------

    def _check_paused(self) -> None:
        paused = (
            Connection.objects.filter(pk=self.connection.pk)
            .values_list("paused_until", flat=True)
            .first()
        )
        now = timezone.now()
        if paused and paused > now:
            seconds = (paused - now).total_seconds()
            raise DailyLimitReached(
                f"{self.connection.name} is paused until {paused:%Y-%m-%d %H:%M} UTC: its daily "
                "Xero limit is used up.",
                retry_after=seconds,
                problem="day",
            )

    def _pause(self, seconds: float, message: str) -> None:
        self.budget.pause(seconds)
        until = timezone.now() + dt.timedelta(seconds=seconds)
        Connection.objects.filter(pk=self.connection.pk).update(
            paused_until=until, last_error=message, last_error_at=timezone.now()
        )

    def _record_quota(self, headers: Mapping[str, str]) -> None:
        Connection.objects.filter(pk=self.connection.pk).update(
            minute_remaining=_header(headers, "x-minlimit-remaining"),
            day_remaining=_header(headers, "x-daylimit-remaining"),
            app_minute_remaining=_header(headers, "x-appminlimit-remaining"),
            last_call_at=timezone.now(),
        )

    def _record_error(self, error: XeroError) -> None:
        if isinstance(error, ReauthorisationNeeded) and self.connection.token_set_id:
            connections.mark_needs_reauth(self.connection.token_set_id, error.message)
        Connection.objects.filter(pk=self.connection.pk).update(
            last_error=error.message, last_error_at=timezone.now()
        )
