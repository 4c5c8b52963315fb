"""Every Xero answer is sorted once, by `errors.classify` (XERO-FACTS 2 and 5)."""

from __future__ import annotations

import json

import pytest

from ledgerbridge.xero.errors import (
    AccessDenied,
    DailyLimitReached,
    NotFound,
    PermanentError,
    RateLimited,
    ReauthorisationNeeded,
    TransientError,
    ValidationFailed,
    classify,
)


def test_success_is_not_an_error():
    assert classify(200, {}, b"{}") is None
    assert classify(204, {}, b"") is None


def test_minute_429_waits_retry_after_and_is_retryable():
    error = classify(429, {"X-Rate-Limit-Problem": "minute", "Retry-After": "17"}, b"")
    assert isinstance(error, RateLimited) and not isinstance(error, DailyLimitReached)
    assert error.retry_after == 17 and error.retryable


def test_day_429_pauses_and_is_not_retried():
    error = classify(429, {"x-rate-limit-problem": "day", "retry-after": "66975"}, b"")
    assert isinstance(error, DailyLimitReached) and not error.retryable
    assert "18.6 hours" in error.message


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(status):
    assert isinstance(classify(status, {}, b"oops"), TransientError)


def test_401_403_404():
    body = json.dumps(
        {"Title": "Unauthorized", "Status": 401, "Detail": "TokenExpired: token expired"}
    )
    assert isinstance(classify(401, {}, body.encode()), ReauthorisationNeeded)
    assert isinstance(classify(403, {}, b'{"Detail":"AuthenticationUnsuccessful"}'), AccessDenied)
    missing = classify(404, {}, b"The resource you're looking for cannot be found")
    assert isinstance(missing, NotFound) and "cannot be found" in missing.message


def test_validation_exception_keeps_each_elements_messages():
    body = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [
            {"Name": "Ok Ltd"},
            {
                "Name": "Dup",
                "ValidationErrors": [
                    {"Message": "The contact name Dup is already assigned to another contact."}
                ],
            },
        ],
    }
    error = classify(400, {}, json.dumps(body).encode())
    assert isinstance(error, ValidationFailed)
    assert [(e.index, e.messages) for e in error.elements] == [
        (1, ("The contact name Dup is already assigned to another contact.",))
    ]
    assert error.elements[0].element == {"Name": "Dup"}


def test_other_client_errors_are_permanent():
    assert isinstance(classify(405, {}, b"no"), PermanentError)
    assert isinstance(classify(400, {}, b"not json"), PermanentError)


def test_a_replay_of_a_key_still_in_flight_is_retried_with_the_same_key():
    """The sandbox answers 409 to an Idempotency-Key whose first request is still being worked
    on (docs/sandbox.md; Xero's behaviour is undocumented): retry later, never give up."""
    error = classify(409, {}, b'{"Message": "in progress"}')
    assert isinstance(error, TransientError) and error.retryable
