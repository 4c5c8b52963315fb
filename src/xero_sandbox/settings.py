"""Sandbox settings: every limit and every [S]/[U] behaviour from XERO-FACTS.md, with defaults."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SandboxSettings:
    """Knobs of the sandbox. Defaults follow XERO-FACTS.md; the fact tag is noted per field."""

    # Rate limits [P] /faq/limits.
    minute_limit: int = 60
    day_limit: int = 5000  # [S] Starter tier: 1000
    concurrent_limit: int = 5
    app_minute_limit: int = 10_000
    # X-Rate-Limit-Problem values: "minute"/"day" seen [S]; the other two are [U].
    problem_minute: str = "minute"
    problem_day: str = "day"
    problem_concurrent: str = "concurrent"
    problem_app_minute: str = "appminute"
    # A "minute" of the sandbox lasts 60 / time_scale real seconds (benchmarks, tests).
    time_scale: float = 1.0
    # Tokens [P] /faq/oauth2.
    access_token_seconds: int = 1800
    refresh_token_idle_days: int = 60
    refresh_grace_seconds: int = 1800
    auth_code_seconds: int = 300
    # Idempotency [S]: keys cached 6 minutes, per app.
    idempotency_window_seconds: int = 360
    idempotency_key_max: int = 128
    # A replay whose first request is still in flight [U]: "409" answers 409 at once (the IETF
    # Idempotency-Key draft's rule); "wait" holds the replay until the first answers, then
    # replays that answer.
    idempotency_in_flight: str = "409"
    # Bodies [P]: 3.5 MB per Accounting POST/PUT.
    max_body_bytes: int = 3_500_000
    # Elements per PUT/POST [S]: at most 500 (the Items limit, applied to every batch write).
    max_elements_per_request: int = 500
    # Paging [P] default 100; max pageSize 1000 [S].
    default_page_size: int = 100
    max_page_size: int = 1000
    # summarizeErrors [U]: the summarised mode is the default; when a batch holds a bad element,
    # valid siblings are still created [S].
    summarize_errors_default: bool = True
    summarised_creates_valid_siblings: bool = True
    # PUT is create-only [P] SPEC (createX vs updateOrCreateX); True lets a PUT naming an existing
    # record's ID update it, as the sandbox did before.
    put_updates_existing: bool = False
    # PurchaseOrders [U]: GET /PurchaseOrders without Status lists DELETED orders too (the spec
    # neither says nor shows otherwise); True hides them unless Status=DELETED is asked for.
    po_list_hides_deleted: bool = False
    # PurchaseOrders [U]: PUT with the number of a live PO updates it (demo recording) when True,
    # or fails with "Order number must be unique" (spec example) when False.
    po_put_duplicate_number_updates: bool = True
    # Documents naming a contact by ContactID AND Name rename the contact [S] (xeroizer#278).
    document_contact_name_overwrites: bool = True
    # A malformed GUID as a document's ContactID: 500 UnknownErrorException [S] (xero-node#285).
    malformed_guid_gives_500: bool = True
    # Tracking categories [S]: at most 2 active per organisation.
    max_active_tracking_categories: int = 2
    # Webhooks: batching delay, retry schedule ([S] immediate retry, then every 15 minutes for
    # 24 hours, then disabled), in sandbox seconds (the time scale applies).
    webhook_batch_seconds: float = 0.2
    webhook_retry_seconds: list[float] = field(default_factory=lambda: [0.0] + [900.0] * 96)
    webhook_timeout_seconds: float = 5.0
    # Intent to receive: how many correctly and badly signed probes are sent.
    webhook_itr_good: int = 2
    webhook_itr_bad: int = 2
    # Granular scopes (2026) [S]: accepted alongside the broad family.
    accept_granular_scopes: bool = True
    accept_broad_scopes: bool = True
    # How long the server waits for any read from a client (request line, headers, body) before
    # answering 400 or closing the connection; taken when the server starts.
    read_timeout_seconds: float = 30.0
    # Artificial latency added to each Accounting call (ms), to make concurrency observable.
    latency_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def update(self, values: dict[str, Any]) -> list[str]:
        """Apply known keys from `values`; return the names that were not settings.

        Raises ValueError (and changes nothing) when a value is not of the setting's type: a
        bool for a bool, a whole number for an int, a finite number for a float, text for text,
        a list of numbers for a list; numbers may not be negative, and `time_scale`,
        `max_page_size`, `default_page_size` and `max_elements_per_request` must be positive.
        """
        known = {f.name for f in dataclasses.fields(self)}
        unknown = [k for k in values if k not in known]
        checked = {k: _checked(k, getattr(self, k), v) for k, v in values.items() if k in known}
        for key, value in checked.items():
            setattr(self, key, value)
        return unknown


POSITIVE = {
    "time_scale",
    "read_timeout_seconds",
    "max_page_size",
    "default_page_size",
    "max_elements_per_request",
}


def _checked(name: str, current: Any, value: Any) -> Any:
    def num(v: Any, whole: bool) -> float | int:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"{name} must be a number")
        if whole and not isinstance(v, int):
            raise ValueError(f"{name} must be a whole number")
        if v < 0 or (name in POSITIVE and v <= 0):
            raise ValueError(f"{name} must be {'more than' if name in POSITIVE else 'at least'} 0")
        return v

    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        return value
    if isinstance(current, int):
        return num(value, True)
    if isinstance(current, float):
        return float(num(value, False))
    if isinstance(current, str):
        if not isinstance(value, str):
            raise ValueError(f"{name} must be text")
        if name == "idempotency_in_flight" and value not in ("409", "wait"):
            raise ValueError(f"{name} must be 409 or wait")
        return value
    if isinstance(current, list):
        if not isinstance(value, list):
            raise ValueError(f"{name} must be a list of numbers")
        return [float(num(v, False)) for v in value]
    return value
