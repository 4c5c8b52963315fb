"""The request log: every attempt to reach Xero is recorded, with no token or secret in it; the
connection's page and the REST API show it filtered by status; it is pruned by age."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from html import unescape
from urllib.parse import parse_qsl

import httpx
import pytest
from django.db import connection as db
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ledgerbridge.accounts.models import ApiToken
from ledgerbridge.worker import PERIODIC
from ledgerbridge.xero import connections, transport
from ledgerbridge.xero.errors import ReauthorisationNeeded, TransientError
from ledgerbridge.xero.imports import run_import, start_import
from ledgerbridge.xero.models import Connection, RequestLog, TokenSet
from ledgerbridge.xero.tasks import prune_request_log

from .helpers import REDIRECT_URI, FakeClock, admin_call, connect, consent, fast_client

pytestmark = pytest.mark.django_db

SECRET_FIELDS = {
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "code",
    "code_verifier",
    "token",
}


class Tap(httpx.BaseTransport):
    """Keeps every request and answer as it really crossed the wire (the test's oracle)."""

    def __init__(self, inner: httpx.BaseTransport, *, seen: list[tuple[httpx.Request, bytes]]):
        self.inner, self.seen = inner, seen

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        raw = b"".join(response.iter_raw())
        response.close()
        self.seen.append((request, raw))
        return httpx.Response(
            response.status_code, headers=response.headers, stream=httpx.ByteStream(raw)
        )


def secrets_in(seen: list[tuple[httpx.Request, bytes]]) -> set[str]:
    """Every token and secret that crossed the wire, read from the raw traffic."""
    found: set[str] = set()
    for request, answer in seen:
        if auth := request.headers.get("authorization"):
            found.add(auth.split(" ", 1)[1])
        for key, value in parse_qsl(request.content.decode(), keep_blank_values=True):
            if key in SECRET_FIELDS:
                found.add(value)
        try:
            body = json.loads(answer)
        except ValueError:
            continue
        if isinstance(body, dict):
            found.update(str(body[k]) for k in SECRET_FIELDS if body.get(k))
    return {s for s in found if s}


@pytest.fixture
def tapped() -> Iterator[list[tuple[httpx.Request, bytes]]]:
    seen: list[tuple[httpx.Request, bytes]] = []
    with transport.install_transport_wrapper(lambda inner: Tap(inner, seen=seen)):
        yield seen


def logged_text(row: RequestLog) -> str:
    return " ".join(
        str(getattr(row, f.attname)) for f in RequestLog._meta.concrete_fields if f.attname
    )


def test_no_token_or_secret_reaches_the_log_for_exchange_refresh_api_and_revocation(
    xero_settings, sandbox, tapped
):
    connection = connections.create_connection("Books")
    url = connections.start_authorisation(connection, None, REDIRECT_URI)
    connections.complete_authorisation(consent(sandbox, url), REDIRECT_URI)
    connection.refresh_from_db()
    connections.save_connection(connection)
    TokenSet.objects.update(expires_at=timezone.now())  # the next call refreshes first
    with fast_client(connection) as client:
        client.get("/Organisation")
        client.put("/Contacts", {"Contacts": [{"Name": "Logged Ltd"}]})
    connections.disconnect(Connection.objects.get(pk=connection.pk))

    rows = list(RequestLog.objects.order_by("pk"))
    assert [(r.method, r.path.split("/connections/")[0]) for r in rows] == [
        ("POST", "/connect/token"),  # the code exchange
        ("GET", "/connections"),
        ("POST", "/connect/token"),  # the refresh
        ("GET", "/api.xro/2.0/Organisation"),
        ("PUT", "/api.xro/2.0/Contacts"),
        ("DELETE", ""),  # DELETE /connections/{id}
        ("POST", "/connect/revocation"),
    ]
    assert all(r.connection_id == connection.pk and r.status in (200, 204) for r in rows)
    secrets = secrets_in(tapped)
    # The code, the verifier, the client secret, two access, two refresh and two id tokens.
    assert len(secrets) >= 8 and xero_settings.XERO_CLIENT_SECRET in secrets
    for row in rows:
        text = logged_text(row)
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{row}: {leaked}"
    exchange, _, refresh, _, put, _, revocation = rows
    assert "grant_type=authorization_code" in exchange.request_excerpt
    assert "code_verifier=[redacted]" in exchange.request_excerpt
    assert '"access_token":"[redacted]"' in exchange.response_excerpt
    assert "grant_type=refresh_token" in refresh.request_excerpt
    assert "token=[redacted]" in revocation.request_excerpt
    assert put.idempotency_key and "Logged Ltd" in put.request_excerpt
    assert put.tenant_id == connection.tenant_id and "Logged Ltd" in put.response_excerpt


def test_a_refused_refresh_is_logged_although_its_transaction_rolls_back(xero_settings, sandbox):
    connection = connect(sandbox, "Books")
    token_set = TokenSet.objects.get()
    # The grant is revoked in Xero (by the user, outside Ledgerbridge).
    httpx.post(
        f"{sandbox.url}/connect/revocation",
        data={
            "token": token_set.refresh_token,
            "client_id": xero_settings.XERO_CLIENT_ID,
            "client_secret": xero_settings.XERO_CLIENT_SECRET,
        },
    )
    TokenSet.objects.update(expires_at=timezone.now())
    with pytest.raises(ReauthorisationNeeded):
        connections.access_token(token_set.pk)
    refused = RequestLog.objects.get(path="/connect/token", status=400)
    assert refused.connection_id == connection.pk
    assert "invalid_grant" in refused.response_excerpt


class Correlating(httpx.BaseTransport):
    """Stands in for Xero's xero-correlation-id header, which the sandbox does not send."""

    def __init__(self, inner: httpx.BaseTransport, *, ids: list[str]) -> None:
        self.inner, self.ids = inner, ids

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.ids.append(str(uuid.uuid4()))
        response.headers["xero-correlation-id"] = self.ids[-1]
        return response


def test_every_attempt_of_a_run_is_a_row(xero_settings, sandbox):
    connection = connect(sandbox, "Books")
    ids: list[str] = []
    admin_call(sandbox, "POST", "faults", kind="503", count=1, tenant_id=connection.tenant_id)
    before = RequestLog.objects.count()
    with (
        transport.install_transport_wrapper(lambda inner: Correlating(inner, ids=ids)),
        fast_client(connection) as client,
    ):
        client.put("/Contacts", {"Contacts": [{"Name": "Twice Ltd"}]})
    failed, done = RequestLog.objects.order_by("pk")[before:]
    assert (failed.status, done.status) == (503, 200)
    assert failed.idempotency_key == done.idempotency_key != ""  # one call, two attempts
    assert [failed.correlation_id, done.correlation_id] == ids
    assert failed.failed and not done.failed and done.duration_ms >= 0

    # An answer that never came: no status, the error instead.
    admin_call(
        sandbox, "POST", "faults", kind="drop_after_commit", count=6, tenant_id=connection.tenant_id
    )
    with pytest.raises(TransientError), fast_client(connection, FakeClock()) as client:
        client.get("/Organisation")
    dropped = RequestLog.objects.filter(status__isnull=True)
    assert dropped.count() == 6 and all(r.error for r in dropped)
    admin_call(sandbox, "DELETE", "faults")

    # An import run: each page it read is a row of the organisation.
    before = RequestLog.objects.count()
    run = start_import(connection, "tax-rates", background=False)
    with fast_client(connection) as client:
        run_import(run.pk, client=client)
    rows = RequestLog.objects.order_by("pk")[before:]
    assert [(r.method, r.path, r.status) for r in rows] == [("GET", "/api.xro/2.0/TaxRates", 200)]
    assert rows[0].tenant_id == connection.tenant_id


def _fail_inserts_into_the_log() -> None:
    table = RequestLog._meta.db_table
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER refuse_log BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'the log is refused'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION refuse_log() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'the log is refused'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse_log BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_log()"
            )


def test_a_log_that_cannot_be_written_never_breaks_the_request(xero_settings, sandbox, caplog):
    connection = connect(sandbox, "Books")
    _fail_inserts_into_the_log()  # rolled back with the test's transaction
    with fast_client(connection) as client:
        assert client.get("/Organisation")["Organisations"]
        client.put("/Contacts", {"Contacts": [{"Name": "Still Ltd"}]})
    assert "could not write the Xero request log" in caplog.text
    connection.refresh_from_db()
    assert connection.last_call_at is not None  # the caller's own writes went on


def test_redaction_by_key_and_by_value():
    secret = "s3cr3t-" + "x" * 40
    basic = "Basic " + base64.b64encode(b"client-id:the-client-secret").decode()
    request = httpx.Request(
        "POST",
        "https://identity.xero.com/connect/token?code=abc123&state=fine",
        headers={"Authorization": basic},
        data={"grant_type": "refresh_token", "refresh_token": secret, "scope": "openid"},
    )
    answer = httpx.Response(
        400,
        json={
            "error": "invalid_grant",
            "detail": f"token {secret} and the-client-secret are no good; eyJa.eyJb.sig",
            "nested": [{"AccessToken": "short1"}],
        },
    )
    sent, received = transport.excerpts(request, answer)
    for text in (sent, received):
        assert secret not in text and "the-client-secret" not in text and "eyJa" not in text
    assert "short1" not in received and "invalid_grant" in received
    assert "code=%5Bredacted%5D" in sent or "code=[redacted]" in sent
    assert "state=fine" in sent and "grant_type=refresh_token" in sent and "scope=openid" in sent
    # Ids are not tokens: a GUID and an idempotency key stay readable.
    guid = str(uuid.uuid4())
    assert guid in transport.redact_text(f"ContactID {guid} key {uuid.uuid4().hex}", set())


# --- the connection's page and the REST API ---------------------------------------------------


def _rows(connection: Connection) -> None:
    for status, error in [(200, ""), (201, ""), (404, ""), (429, ""), (503, ""), (None, "Reset")]:
        RequestLog.objects.create(
            connection=connection,
            tenant_id=connection.tenant_id,
            method="GET",
            path=f"/api.xro/2.0/Status{status}",
            status=status,
            error=error,
        )


@pytest.fixture
def logged(db) -> Connection:
    connection = Connection.objects.create(name="Books", tenant_id="t-1")
    _rows(connection)
    other = Connection.objects.create(name="Other", tenant_id="t-2")
    RequestLog.objects.create(connection=other, method="GET", path="/api.xro/2.0/Other", status=500)
    return connection


@pytest.mark.parametrize(
    ("shown", "statuses"),
    [
        ("all", {"200", "201", "404", "429", "503", "None"}),
        ("errors", {"404", "429", "503", "None"}),
        ("2xx", {"200", "201"}),
        ("4xx", {"404", "429"}),
        ("429", {"429"}),
        ("5xx", {"503"}),
        ("no-answer", {"None"}),
        ("nonsense", {"200", "201", "404", "429", "503", "None"}),
    ],
)
def test_the_connections_page_shows_its_requests_filtered_by_status(logged, admin, shown, statuses):
    web = Client()
    web.force_login(admin)
    answer = web.get(reverse("xero:connection", args=[logged.pk]), {"requests": shown})
    page = unescape(answer.content.decode())
    assert answer.status_code == 200
    section = page.split('id="requests"', 1)[1]
    listed = {s for s in ("200", "201", "404", "429", "503", "None") if f"Status{s}" in section}
    assert listed == statuses
    assert "/api.xro/2.0/Other" not in section  # another connection's requests are not here


def test_the_request_log_over_the_api(logged, admin):
    web = Client()
    headers = {"Authorization": f"Bearer {ApiToken.issue(admin, 't')[1]}"}
    url = f"/api/v1/xero/connections/{logged.pk}/requests"
    answer = web.get(url, {"status": "errors"}, headers=headers).json()
    assert answer["count"] == 4
    assert {i["status"] for i in answer["items"]} == {404, 429, 503, None}
    assert web.get(url, {"status": "bad"}, headers=headers).status_code == 422
    assert web.get(url, {"q": "Status2"}, headers=headers).json()["count"] == 2


def test_the_log_is_pruned_by_age_by_periodic_work(logged, settings):
    settings.XERO_REQUEST_LOG_DAYS = 7
    old = timezone.now() - dt.timedelta(days=7, minutes=1)
    RequestLog.objects.filter(path__endswith="Status200").update(at=old)
    kept = RequestLog.objects.count() - 1
    assert prune_request_log in PERIODIC
    assert prune_request_log.call() == 1
    assert RequestLog.objects.count() == kept
    assert prune_request_log.call() == 0
