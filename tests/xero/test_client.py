"""The Xero client against the sandbox's injected faults: no write is ever lost or duplicated;
limits, refreshes and validation errors are handled as `errors.py` decides."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from ledgerbridge.xero.errors import (
    AccessDenied,
    DailyLimitReached,
    RateLimited,
    TransientError,
    ValidationFailed,
)
from ledgerbridge.xero.limits import Budgets, Limits
from ledgerbridge.xero.models import Connection, TokenSet

from .helpers import FakeClock, admin_call, connect, fast_client
from .spec import SpecViolation, check_request

pytestmark = pytest.mark.django_db


def contacts_named(client, name: str) -> list[dict]:
    body = client.get("/Contacts", params={"where": f'Name=="{name}"', "page": 1, "pageSize": 100})
    return body["Contacts"]


@pytest.mark.parametrize("fault", ["500", "503", "timeout", "drop_after_commit", "429"])
def test_injected_faults_never_lose_or_duplicate_a_write(xero_settings, sandbox, fault):
    connection = connect(sandbox, "Books")
    admin_call(
        sandbox, "POST", "faults", kind=fault, count=2, tenant_id=connection.tenant_id, seconds=1
    )
    clock = FakeClock()
    with fast_client(connection, clock, timeout=0.5) as client:
        answer = client.put(
            "/Contacts",
            {"Contacts": [{"Name": f"Fault {fault} Ltd"}]},
            params={"summarizeErrors": "false"},
        )
        assert answer["Contacts"][0]["StatusAttributeString"] == "OK"
        assert len(contacts_named(client, f"Fault {fault} Ltd")) == 1
    assert clock.slept  # it backed off or waited before retrying


def test_retries_are_capped_and_the_error_is_kept_on_the_connection(xero_settings, sandbox):
    connection = connect(sandbox, "Books")
    admin_call(sandbox, "POST", "faults", kind="503", count=10, tenant_id=connection.tenant_id)
    clock = FakeClock()
    with pytest.raises(TransientError), fast_client(connection, clock) as client:
        client.put("/Contacts", {"Contacts": [{"Name": "Never"}]})
    assert len(clock.slept) == 5  # six attempts, five back-offs
    # Exponential with jitter: the n-th wait is between half and all of 0.5 * 2**(n-1) seconds.
    for n, waited in enumerate(clock.slept, start=1):
        full = 0.5 * 2 ** (n - 1)
        assert full / 2 <= waited <= full
    connection.refresh_from_db()
    assert "Xero had a problem (503)" in connection.last_error
    admin_call(sandbox, "DELETE", "faults")
    with fast_client(connection) as client:
        assert contacts_named(client, "Never") == []


def test_an_expired_access_token_is_refreshed_once_on_401(xero_settings, sandbox):
    connection = connect(sandbox, "Books")
    admin_call(sandbox, "POST", "clock", advance_seconds=31 * 60)  # Xero's token expired
    with fast_client(connection) as client:
        assert client.get("/Organisation")["Organisations"]
    assert TokenSet.objects.get().refresh_count == 1


def test_day_limit_pauses_only_that_organisation_visibly(xero_settings, sandbox):
    nz = connect(sandbox, "NZ", "Demo Company (NZ)")
    au = connect(sandbox, "AU", "Demo Company (AU)")
    admin_call(sandbox, "POST", "settings", day_limit=2)
    with fast_client(nz) as client:
        client.get("/Organisation")
        client.get("/Organisation")
        with pytest.raises(DailyLimitReached):
            client.get("/Organisation")
    nz.refresh_from_db()
    assert nz.paused_until and nz.paused_until > dt.datetime.now(dt.UTC)
    assert "daily" in nz.last_error
    with pytest.raises(DailyLimitReached, match="paused until"), fast_client(nz) as client:
        client.get("/Organisation")  # fails fast, without calling Xero
    admin_call(sandbox, "POST", "settings", day_limit=5000)
    with fast_client(au) as client:
        assert client.get("/Organisation")["Organisations"][0]["Name"] == "Demo Company (AU)"


def test_validation_errors_carry_each_elements_messages(xero_settings, sandbox):
    connection = connect(sandbox, "Books")
    with fast_client(connection) as client:
        client.put("/Contacts", {"Contacts": [{"Name": "Acme"}]})
        with pytest.raises(ValidationFailed) as caught:
            client.put(
                "/Contacts", {"Contacts": [{"Name": "Acme"}]}, params={"summarizeErrors": "true"}
            )
        assert "already assigned to another contact" in caught.value.elements[0].messages[0]
        # With summarizeErrors=false the answer is 200 and each element carries its status.
        mixed = client.put(
            "/Contacts",
            {"Contacts": [{"Name": "Acme"}, {"Name": "Beta"}]},
            params={"summarizeErrors": "false"},
        )
        assert [c["StatusAttributeString"] for c in mixed["Contacts"]] == ["ERROR", "OK"]


def test_every_write_carries_an_idempotency_key_and_the_quota_is_recorded(
    xero_settings, sandbox, spec_checked
):
    connection = connect(sandbox, "Books")
    sent: list[httpx.Request] = []
    with fast_client(connection) as client:
        client.http.event_hooks["request"].append(sent.append)
        client.post("/Contacts", {"Contacts": [{"Name": "Keyed"}]})
        client.get("/Organisation")
    writes = [r for r in sent if r.method in {"PUT", "POST"} and "/api.xro/" in r.url.path]
    assert writes and all(0 < len(r.headers["Idempotency-Key"]) <= 128 for r in writes)
    connection = Connection.objects.get(pk=connection.pk)
    assert connection.minute_remaining is not None and connection.minute_remaining < 60
    assert connection.day_remaining is not None and connection.last_call_at is not None
    assert "POST /api.xro/2.0/Contacts" in spec_checked
    assert "GET /api.xro/2.0/Organisation" in spec_checked


def test_reads_stream_page_by_page_with_if_modified_since(xero_settings, sandbox):
    connection = connect(sandbox, "Books")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    with fast_client(connection) as client:
        client.put("/Contacts", {"Contacts": [{"Name": f"Paged {i:02d}"} for i in range(25)]})
        sent: list[httpx.Request] = []
        client.http.event_hooks["request"].append(sent.append)
        pages = list(
            client.pages(
                "/Contacts",
                "Contacts",
                page_size=10,
                if_modified_since=since,
                params={"where": 'Name.StartsWith("Paged")'},
            )
        )
    assert [len(p) for p in pages] == [10, 10, 5]
    assert len(sent) == 3 and all("If-Modified-Since" in r.headers for r in sent)


def test_the_spec_oracle_refuses_a_request_xero_would_not_accept():
    bad = httpx.Request(
        "GET",
        "http://sandbox/api.xro/2.0/Contacts",
        params={"page": "first"},
        headers={"xero-tenant-id": "x"},
    )
    with pytest.raises(SpecViolation, match="first"):
        check_request(bad)
    no_tenant = httpx.Request("GET", "http://sandbox/api.xro/2.0/Contacts")
    with pytest.raises(SpecViolation, match="xero-tenant-id"):
        check_request(no_tenant)
    good = httpx.Request(
        "GET",
        "http://sandbox/api.xro/2.0/Contacts",
        params={"page": "2"},
        headers={"xero-tenant-id": "x"},
    )
    assert check_request(good) == "accounting"


def test_back_off_is_capped(xero_settings, sandbox):
    connection = connect(sandbox, "Books")
    admin_call(sandbox, "POST", "faults", kind="500", count=3, tenant_id=connection.tenant_id)
    clock = FakeClock()
    with fast_client(connection, clock, backoff_base=10, backoff_cap=12) as client:
        client.get("/Organisation")
    assert len(clock.slept) == 3 and max(clock.slept) <= 12 and clock.slept[-1] >= 6


def test_a_write_is_not_retried_past_the_idempotency_window(xero_settings, sandbox):
    connection = connect(sandbox, "Books")
    admin_call(sandbox, "POST", "faults", kind="503", count=5, tenant_id=connection.tenant_id)
    clock = FakeClock()
    with (
        pytest.raises(TransientError, match="idempotency window"),
        fast_client(connection, clock, backoff_base=200, backoff_cap=400) as client,
    ):
        client.put("/Contacts", {"Contacts": [{"Name": "Late Ltd"}]})
    assert sum(clock.slept) > 300 and len(clock.slept) < 5


def test_a_missing_permission_is_not_mistaken_for_a_revoked_grant(xero_settings, sandbox):
    xero_settings.XERO_SCOPES = "openid offline_access accounting.settings"
    connection = connect(sandbox, "Books")
    with fast_client(connection) as client:
        with pytest.raises(AccessDenied, match="not granted the permission"):
            client.get("/Contacts")
        assert client.get("/Organisation")["Organisations"]  # the grant still works
    connection.refresh_from_db()
    assert connection.state == "connected"
    assert TokenSet.objects.get().refresh_count == 0


def test_a_wrong_client_secret_is_configuration_not_reauthorisation(xero_settings, sandbox):
    from ledgerbridge.xero.connections import access_token
    from ledgerbridge.xero.errors import XeroError

    connection = connect(sandbox, "Books")
    TokenSet.objects.update(expires_at=dt.datetime.now(dt.UTC))
    xero_settings.XERO_CLIENT_SECRET = "wrong"
    with pytest.raises(XeroError, match="XERO_CLIENT_SECRET"):
        access_token(connection.token_set_id)
    connection.refresh_from_db()
    assert connection.state == "connected" and TokenSet.objects.get().needs_reauth_since is None


def test_a_client_outliving_a_disconnect_says_reconnect(xero_settings, sandbox):
    from ledgerbridge.xero import connections
    from ledgerbridge.xero.errors import ReauthorisationNeeded

    connection = connect(sandbox, "Books")
    client = fast_client(connection)
    connections.disconnect(Connection.objects.get(pk=connection.pk))
    with pytest.raises(ReauthorisationNeeded, match="disconnected"), client:
        client.get("/Organisation")


def test_a_limit_that_stops_a_retry_after_a_lost_answer_is_uncertain_not_unsent(
    xero_settings, sandbox
):
    """The first attempt reached Xero (the answer was lost); the minute is then full. The caller
    must hear "it may have been made" (so the engine reads back before sending again), never
    "nothing was sent" (which would send it again blind)."""
    connection = connect(sandbox, "Books")
    admin_call(
        sandbox, "POST", "faults", kind="drop_after_commit", count=1,
        tenant_id=connection.tenant_id,
    )  # fmt: skip
    clock = FakeClock()
    pool = Budgets(Limits(per_minute=1), clock, clock.sleep)
    with (
        pytest.raises(TransientError, match="may or may not have been made"),
        fast_client(connection, clock, budget_pool=pool, patience=1.0) as client,
    ):
        client.put("/Contacts", {"Contacts": [{"Name": "Landed Ltd"}]})
    with fast_client(connection) as client:
        assert len(contacts_named(client, "Landed Ltd")) == 1  # it had landed


def test_a_patient_client_hands_back_a_long_wait_as_rate_limited_having_sent_nothing(
    xero_settings, sandbox
):
    connection = connect(sandbox, "Books")
    clock = FakeClock()
    pool = Budgets(Limits(per_minute=1), clock, clock.sleep)
    with fast_client(connection, clock, budget_pool=pool, patience=1.0) as client:
        client.get("/Organisation")
        with pytest.raises(RateLimited) as limited:
            client.put("/Contacts", {"Contacts": [{"Name": "Later Ltd"}]})
        assert limited.value.problem == "minute"
        assert 55 < limited.value.retry_after <= 60
        assert limited.value.message.startswith("Waiting for Xero's limit:")
        assert not clock.slept  # it did not sit out the minute
        assert contacts_named_after(clock, client, "Later Ltd") == []


def contacts_named_after(clock: FakeClock, client, name: str) -> list[dict]:
    clock.sleep(61)  # the minute has passed: the read may go
    return contacts_named(client, name)
