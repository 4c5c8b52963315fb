"""What each Xero answer means, decided once (XERO-FACTS 2 and 5).

    XeroError
    +-- TransientError           5xx, timeouts, dropped connections: back off, retry (capped)
    |   +-- XeroBusy             a wait would pass the deadline of a call a person waits for
    +-- RateLimited              429 minute (or concurrent/app): wait Retry-After, retry
    |   +-- DailyLimitReached    429 day: pause this organisation until its reset
    +-- ReauthorisationNeeded    401 after one refresh, or invalid_grant: a person reconnects
    +-- AccessDenied             403: organisation not connected to the app, or scope missing
    +-- NotFound                 404 (a plain-text body)
    +-- ValidationFailed         400 ValidationException: each element's messages, for a person
    +-- PermanentError           any other 4xx: retrying cannot help

`classify` turns an Accounting API or /connections answer into one of these (or None for
success); `token_answer`, `removal_problem` and `revocation_problem` do the same for the identity
service and disconnecting, and `transport_failure` for an answer that never came. Nothing else in
the code looks at status codes.

    TokenRefused                 the token service refused a grant (its `error` code)
    +-- GrantRevoked             invalid_grant / unauthorized_client: a person must connect again
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx


class XeroError(Exception):
    """Base of every Xero failure. `message` is written for a person."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body


class TransientError(XeroError):
    retryable = True


class XeroBusy(TransientError):
    """Xero cannot answer before the deadline of a call a person is waiting for (its limit for
    the organisation is used up, or it asked us to wait): try again in `retry_after` seconds."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, problem: str = "", **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after
        self.problem = problem  # a budget wait: "minute", "appminute" or "concurrent"


class RateLimited(XeroError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float, problem: str, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after
        self.problem = problem


class DailyLimitReached(RateLimited):
    retryable = False


class ReauthorisationNeeded(XeroError):
    pass


class AccessDenied(XeroError):
    pass


class NotFound(XeroError):
    pass


class PermanentError(XeroError):
    pass


@dataclass(frozen=True)
class ElementError:
    """One element of a batch that Xero refused, with its messages."""

    index: int
    messages: tuple[str, ...]
    element: Mapping[str, Any] = field(default_factory=dict)


class ValidationFailed(XeroError):
    def __init__(self, message: str, *, elements: list[ElementError], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.elements = elements


def _retry_after(headers: Mapping[str, str], default: float) -> float:
    try:
        return max(0.0, float(headers.get("retry-after", default)))
    except ValueError:
        return default


def element_errors(elements: Sequence[Mapping[str, Any]]) -> list[ElementError]:
    """The elements that carry ValidationErrors (summarised 400s, or summarizeErrors=false)."""
    found = []
    for index, element in enumerate(elements):
        messages = tuple(
            str(v.get("Message", "")) for v in element.get("ValidationErrors") or [] if v
        )
        if messages or element.get("StatusAttributeString") == "ERROR":
            clean = {k: v for k, v in element.items() if k != "ValidationErrors"}
            found.append(ElementError(index, messages or ("Xero refused this record.",), clean))
    return found


def classify(status: int, headers: Mapping[str, str], body: bytes) -> XeroError | None:
    """The meaning of one answer from Xero; None when it succeeded."""
    if 200 <= status < 300:
        return None
    text = body.decode("utf-8", "replace")
    lower = {k.lower(): v for k, v in headers.items()}
    if status == 429:
        problem = lower.get("x-rate-limit-problem", "").lower() or "minute"
        wait = _retry_after(lower, 60.0)
        if problem == "day":
            return DailyLimitReached(
                f"Xero's daily limit for this organisation is used up; it resets in about "
                f"{wait / 3600:.1f} hours.",
                retry_after=wait,
                problem=problem,
                status=status,
                body=text,
            )
        return RateLimited(
            f"Xero's {problem} limit was reached; waiting {wait:.0f}s.",
            retry_after=wait,
            problem=problem,
            status=status,
            body=text,
        )
    if status >= 500:
        return TransientError(f"Xero had a problem ({status}); retrying.", status=status, body=text)
    if status == 409:
        # The same Idempotency-Key while its first request is still being worked on: the
        # change may be under way, so the same request (same key) is tried again later.
        return TransientError(
            "Xero is still working on this change; trying again shortly.", status=status, body=text
        )
    payload: Any = None
    try:
        payload = json.loads(text) if text.strip() else None
    except ValueError:
        payload = None
    challenge = lower.get("www-authenticate", "")
    if status == 401 and "insufficient_scope" in challenge:
        # A permission the connection was not granted (XERO-FACTS 5): reconnecting with the
        # right scopes fixes it; refreshing the token does not, and the grant is still good.
        wanted = challenge.split("scope=", 1)[1].strip('" ') if "scope=" in challenge else ""
        return AccessDenied(
            "Xero refused: this connection was not granted the permission "
            f"{wanted or 'this call needs'}. Reconnect it to grant it.",
            status=status,
            body=text,
        )
    if status == 401:
        detail = payload.get("Detail", "") if isinstance(payload, dict) else text
        return ReauthorisationNeeded(
            f"Xero did not accept the connection's credentials ({detail or 'unauthorised'}).",
            status=status,
            body=text,
        )
    if status == 403:
        return AccessDenied(
            "Xero refused access to this organisation: it may have been disconnected from "
            "Ledgerbridge in Xero, or a permission (scope) is missing. Connect it again.",
            status=status,
            body=text,
        )
    if status == 404:
        return NotFound(
            f"Xero has no such record ({text.strip()[:200]}).", status=status, body=text
        )
    if status == 400 and isinstance(payload, dict):
        elements = element_errors(list(payload.get("Elements") or []))
        if elements:
            summary = "; ".join(m for e in elements for m in e.messages)
            return ValidationFailed(summary, elements=elements, status=status, body=text)
        message = str(
            payload.get("Message") or payload.get("Detail") or "Xero refused the request."
        )
        return ValidationFailed(message, elements=[], status=status, body=text)
    return PermanentError(
        f"Xero refused the request ({status}): {text[:300]}", status=status, body=text
    )


# Xero's validation messages, and what a person does about each (XERO-FACTS 5).
_FIXES: tuple[tuple[str, str], ...] = (
    (
        "is already assigned to another contact",
        "Xero already has another active contact with this name: rename this record, or link "
        "it to that contact by importing it from Xero.",
    ),
    (
        "account number already exists",
        "Xero already has a contact with this account number: change the account number, or "
        "link this record to that contact by importing it from Xero.",
    ),
    (
        "archived contact",
        "The contact is archived in Xero, and Xero does not let archived contacts be changed: "
        "restore it in Xero (or make this record active here with archiving on), then retry.",
    ),
    (
        "does not match a recognised account",
        "That accounts code is not an account of this organisation in Xero: correct the "
        "accounts code, then retry.",
    ),
    (
        "already exists",
        "Xero already has a record with this code: change the code, or link the record by "
        "importing it from Xero.",
    ),
    (
        "taxtype code",
        "The tax rate is not one Xero accepts here: link the tax rate to another of the "
        "organisation's Xero tax rates (Configuration > Tax rates), then retry.",
    ),
)


def in_words(messages: Sequence[str], label: str) -> str:
    """Xero's refusal of one record, said so that a person knows what to fix."""
    said = "; ".join(m.strip() for m in messages if m.strip()) or "Xero refused it."
    lowered = said.lower()
    fix = next((text for needle, text in _FIXES if needle in lowered), "")
    return f'{label}: Xero said "{said}" {fix}'.strip()


class TokenRefused(Exception):
    """Xero's token service refused a grant; `error` is its code (invalid_grant, …)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class GrantRevoked(TokenRefused):
    """The refresh token is no longer valid: a person must connect again."""


GRANT_REVOKED = frozenset({"invalid_grant", "unauthorized_client"})


def transport_failure(exc: httpx.TransportError) -> TransientError:
    """An answer that never came (timeout, refused or dropped connection): retryable."""
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(f"Xero did not answer in time ({exc.__class__.__name__}).")
    return TransientError(f"The connection to Xero failed ({exc.__class__.__name__}).")


def token_answer(status: int, body: bytes) -> dict[str, Any]:
    """The token service's answer to a grant (code exchange or refresh): the token, or raise
    TransientError (5xx: the old refresh token stays valid), GrantRevoked or TokenRefused."""
    if status >= 500 or status == 429:
        raise TransientError(f"Xero's token service had a problem ({status}).", status=status)
    try:
        payload = json.loads(body) if body.strip() else {}
    except ValueError:
        payload = {}
    if status == 200 and isinstance(payload, dict) and "access_token" in payload:
        return payload
    code = str(payload.get("error") or "") if isinstance(payload, dict) else ""
    code = code or f"HTTP {status}"
    raise GrantRevoked(code) if code in GRANT_REVOKED else TokenRefused(code)


def removal_problem(status: int) -> str | None:
    """DELETE /connections/{id} on disconnect: None when Xero's connection is gone (404: it
    already was), else what to tell the person."""
    if status in (200, 204, 404):
        return None
    return f"Xero answered {status} to the removal"


def revocation_problem(status: int) -> str | None:
    """POST /connect/revocation: None when the refresh token is revoked."""
    if status == 200:
        return None
    return f"Xero answered {status} to the revocation"
