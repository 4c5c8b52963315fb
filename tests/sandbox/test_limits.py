"""Rate limits, concurrency under 20 clients, Idempotency-Key replay, body size, fault injection."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from xero_sandbox.settings import SandboxSettings

from .conftest import Api, recording_client


def test_every_answer_carries_the_limit_headers(api: Api) -> None:
    first = api.get("Contacts")
    second = api.get("Nope/Thing")  # 404s count too
    assert first.headers["X-MinLimit-Remaining"] == "59"
    assert first.headers["X-DayLimit-Remaining"] == "4999"
    assert first.headers["X-AppMinLimit-Remaining"] == "9999"
    assert second.status_code == 404 and second.headers["X-MinLimit-Remaining"] == "58"


@pytest.fixture
def settings() -> SandboxSettings:
    return SandboxSettings(minute_limit=60, latency_ms=40)


def test_limits_hold_exactly_under_20_concurrent_clients(api: Api) -> None:
    """200 attempts from 20 threads: exactly 60 succeed, never more than 5 run at once."""
    results: list[tuple[int, str | None, str | None]] = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=api.handle.url, timeout=10) as http:
            for _ in range(10):
                while True:
                    answer = http.get("/api.xro/2.0/Contacts", headers=api.headers())
                    problem = answer.headers.get("X-Rate-Limit-Problem")
                    if problem == "concurrent":
                        time.sleep(0.01)
                        continue
                    with lock:
                        results.append(
                            (
                                answer.status_code,
                                problem,
                                answer.headers.get("X-MinLimit-Remaining"),
                            )
                        )
                    break

    threads = [threading.Thread(target=client) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ok = [r for r in results if r[0] == 200]
    refused = [r for r in results if r[0] == 429]
    assert len(ok) == 60 and len(refused) == 140
    assert {r[1] for r in refused} == {"minute"}
    # Each admitted call saw a distinct remaining count: 59, 58, ..., 0.
    assert sorted(int(r[2] or -1) for r in ok) == list(range(60))
    stats = api.admin(f"organisations/{api.tenant_id}/limits").json()
    assert stats["max_in_flight"] == 5
    assert stats["max_calls_in_a_minute_window"] == 60


def test_minute_limit_answers_429_with_retry_after_and_time_scale(api: Api) -> None:
    api.admin("settings", {"minute_limit": 3, "latency_ms": 0, "time_scale": 600})
    for _ in range(3):
        assert api.get("Contacts").status_code == 200
    refused = api.get("Contacts")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert refused.headers["X-MinLimit-Remaining"] == "0"
    assert int(refused.headers["Retry-After"]) == 1
    time.sleep(0.15)  # a sandbox minute is 0.1 s at this scale
    assert api.get("Contacts").status_code == 200


def test_day_and_app_limits(api: Api) -> None:
    api.admin("settings", {"day_limit": 2, "latency_ms": 0})
    api.get("Contacts")
    api.get("Contacts")
    refused = api.get("Contacts")
    assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "day"
    assert int(refused.headers["Retry-After"]) > 80_000
    api.admin("settings", {"day_limit": 5000, "app_minute_limit": 2})
    api.handle.sandbox.limiter.reset()
    api.get("Contacts")
    api.get("Contacts")
    app = api.get("Contacts")
    assert app.status_code == 429 and app.headers["X-Rate-Limit-Problem"] == "appminute"


def test_idempotency_key_replays_and_refuses_a_different_request(api: Api) -> None:
    api.admin("settings", {"latency_ms": 0})
    body = {"Contacts": [{"Name": "Once Only"}]}
    first = api.put("Contacts", body, headers={"Idempotency-Key": "k-1"})
    again = api.put("Contacts", body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    names = [c["Name"] for c in api.get("Contacts").json()["Contacts"]]
    assert names.count("Once Only") == 1
    other = api.put(
        "Contacts", {"Contacts": [{"Name": "Else"}]}, headers={"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 400
    assert other.json()["Message"] == "Idempotency Key k-1 is used with a different request"
    # Errors are replayed too, and the key expires after its window (6 minutes).
    bad = api.put("Contacts", {"Contacts": [{"Name": ""}]}, headers={"Idempotency-Key": "k-2"})
    assert (
        api.put("Contacts", {"Contacts": [{"Name": ""}]}, headers={"Idempotency-Key": "k-2"}).text
        == bad.text
    )
    api.handle.sandbox.clock.advance(361)
    fresh = api.put("Contacts", body, headers={"Idempotency-Key": "k-1"})
    assert fresh.status_code == 400  # runs again: the name is now taken


def test_body_over_3_5_mb_is_refused(api: Api) -> None:
    api.admin("settings", {"latency_ms": 0})
    huge = {"Contacts": [{"Name": "Big", "Website": "x" * 3_600_000}]}
    assert api.put("Contacts", huge).status_code == 413


def test_fault_injection(api: Api) -> None:
    api.admin("settings", {"latency_ms": 0})
    api.admin("faults", {"kind": "500", "count": 2})
    assert api.get("Contacts").status_code == 500
    assert api.get("Contacts").json()["Type"] == "UnknownErrorException"
    assert api.get("Contacts").status_code == 200
    api.admin("faults", {"kind": "503"})
    assert api.get("Contacts").status_code == 503
    api.admin("faults", {"kind": "429"})
    limited = api.get("Contacts")
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    api.admin("faults", {"kind": "drop_after_commit"})
    with pytest.raises(httpx.TransportError):
        api.put("Contacts", {"Contacts": [{"Name": "Committed Anyway"}]})
    names = [c["Name"] for c in api.get("Contacts").json()["Contacts"]]
    assert "Committed Anyway" in names
    api.admin("faults", {"kind": "timeout", "seconds": 0.5})
    with (
        recording_client(api.handle.url, timeout=0.2) as short,
        pytest.raises(httpx.TimeoutException),
    ):
        short.get("/api.xro/2.0/Contacts", headers=api.headers())
    assert api.admin("faults", {"kind": "bogus"}).status_code == 400


def test_limits_hold_over_several_scaled_minutes(api: Api) -> None:
    """20 clients for 2.5 s at 60x: each 1-second "minute" admits at most 10 calls."""
    api.admin("settings", {"minute_limit": 10, "latency_ms": 20, "time_scale": 60})
    admitted: list[int] = []
    lock = threading.Lock()
    stop = time.monotonic() + 2.5

    def client() -> None:
        with httpx.Client(base_url=api.handle.url, timeout=10) as http:
            while time.monotonic() < stop:
                answer = http.get("/api.xro/2.0/Organisation", headers=api.headers())
                if answer.status_code == 200:
                    with lock:
                        admitted.append(int(answer.headers["X-MinLimit-Remaining"]))
                else:
                    assert answer.status_code == 429
                    time.sleep(0.01)

    threads = [threading.Thread(target=client) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = api.admin(f"organisations/{api.tenant_id}/limits").json()
    assert stats["max_in_flight"] <= 5
    assert stats["max_calls_in_a_minute_window"] == 10
    assert 20 <= len(admitted) <= 30  # two full windows, a third at most
    assert admitted.count(0) == len(admitted) // 10


def _names(api: Api) -> list[str]:
    return [c["Name"] for c in api.get("Contacts").json()["Contacts"]]


@pytest.mark.parametrize("kind,status", [("500_after_commit", 500), ("503_after_commit", 503)])
def test_error_after_the_change_is_committed(api: Api, kind: str, status: int) -> None:
    """XERO-FACTS 10 (uncertain writes): a 500/503 can come after Xero made the change. The
    change is there, and a retry with the same Idempotency-Key gets the real answer."""
    api.admin("faults", {"kind": kind})
    body = {"Contacts": [{"Name": f"Made {kind}"}]}
    failed = api.put("Contacts", body, headers={"Idempotency-Key": kind})
    assert failed.status_code == status
    assert _names(api).count(f"Made {kind}") == 1
    retried = api.put("Contacts", body, headers={"Idempotency-Key": kind})
    assert retried.status_code == 200
    assert retried.json()["Contacts"][0]["Name"] == f"Made {kind}"
    assert _names(api).count(f"Made {kind}") == 1


def test_idempotency_store_down_is_500_and_nothing_is_done(api: Api) -> None:
    """XERO-FACTS 3 [S]: if the idempotency store is down, a keyed write answers 500. Calls
    without a key are not hit."""
    api.admin("faults", {"kind": "idempotency_down"})
    assert api.get("Contacts").status_code == 200
    down = api.put("Contacts", {"Contacts": [{"Name": "Keyed"}]}, headers={"Idempotency-Key": "d"})
    assert down.status_code == 500 and down.json()["Type"] == "UnknownErrorException"
    assert "Keyed" not in _names(api)
    again = api.put("Contacts", {"Contacts": [{"Name": "Keyed"}]}, headers={"Idempotency-Key": "d"})
    assert again.status_code == 200


def _in_flight_replay(api: Api) -> tuple[httpx.Response, httpx.Response]:
    """Send a keyed write that is held after its commit, and replay its key while it is held."""
    api.admin("faults", {"kind": "slow_after_commit", "seconds": 1.5})
    body = {"Contacts": [{"Name": "In Flight"}]}
    results: dict[str, httpx.Response] = {}

    def first() -> None:
        with recording_client(api.handle.url, timeout=30) as other:
            results["first"] = other.put(
                "/api.xro/2.0/Contacts",
                json=body,
                headers=api.headers(**{"Idempotency-Key": "held"}),
            )

    thread = threading.Thread(target=first)
    thread.start()
    deadline = time.monotonic() + 20
    org = api.handle.sandbox.store.orgs[api.tenant_id]
    while not any(c["Name"] == "In Flight" for c in list(org.contacts.values())):  # committed
        assert time.monotonic() < deadline
        time.sleep(0.02)
    replay = api.put("Contacts", body, headers={"Idempotency-Key": "held"})
    thread.join()
    return results["first"], replay


def test_replay_while_the_first_request_is_in_flight_is_409(api: Api) -> None:
    """[U] Xero's answer is not documented; the sandbox follows the IETF Idempotency-Key draft
    (409 Conflict) by default, and the change is made once."""
    first, replay = _in_flight_replay(api)
    assert first.status_code == 200
    assert replay.status_code == 409 and "still in progress" in replay.json()["Message"]
    assert _names(api).count("In Flight") == 1


def test_replay_while_in_flight_can_wait_for_the_first_answer(api: Api) -> None:
    api.admin("settings", {"idempotency_in_flight": "wait"})
    first, replay = _in_flight_replay(api)
    assert first.status_code == replay.status_code == 200
    assert replay.json()["Contacts"] == first.json()["Contacts"]
    assert _names(api).count("In Flight") == 1
