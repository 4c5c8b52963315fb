"""The one seam where every request to Xero or its identity service leaves Ledgerbridge.

`client()` is the only place an httpx client for Xero is made. Its transport is, from the
outside in:

    RecordingTransport     writes one `RequestLog` row per attempt (after the answer)
      wrappers             `install_transport_wrapper` (tests: the OpenAPI spec checker)
        httpx.HTTPTransport  the network

Contract of the request log: every attempt that reaches the transport is recorded with its
status or the error on the way, its duration, Xero's correlation id and an excerpt of both
sides from which every token and secret is removed (`redact`). The row is written after the
answer, in its own short transaction, so no database lock is held while Xero is waited for;
inside `deferred_log()` it is written when that block ends (after the caller's transaction, so a
rollback cannot lose it). A failed write is logged and never fails the request.
"""

from __future__ import annotations

import base64
import contextvars
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from django.conf import settings
from django.db import transaction

from ledgerbridge.xero.models import Connection, RequestLog

log = logging.getLogger(__name__)

Wrapper = Callable[[httpx.BaseTransport], httpx.BaseTransport]
EXCERPT_CHARS = 1000
REDACTED = "[redacted]"
CORRELATION_HEADER = "xero-correlation-id"

_wrappers: list[Wrapper] = []
_wrappers_lock = threading.Lock()


@contextmanager
def install_transport_wrapper(wrapper: Wrapper) -> Iterator[None]:
    """Put `wrapper` between every Xero client made inside the block and the network.

    For tests (the spec checker) and diagnostics: `wrapper(inner)` returns a transport that
    handles each request, usually by passing it on to `inner`. Clients made before the block
    keep the transport they were made with."""
    with _wrappers_lock:
        _wrappers.append(wrapper)
    try:
        yield
    finally:
        with _wrappers_lock:
            _wrappers.remove(wrapper)


def client(
    *,
    connection: Connection | None = None,
    timeout: float | None = None,
) -> httpx.Client:
    """An httpx client for Xero whose every attempt is recorded against `connection`.

    `timeout` defaults to XERO_TIMEOUT (a single call may pass a shorter one)."""
    network = httpx.HTTPTransport()
    inner: httpx.BaseTransport = network
    with _wrappers_lock:
        wrappers = list(_wrappers)
    for wrap in wrappers:
        inner = wrap(inner)
    recording = RecordingTransport(
        inner,
        network=network,
        connection_id=connection.pk if connection is not None else None,
        tenant_id=connection.tenant_id if connection is not None else "",
    )
    return httpx.Client(
        transport=recording,
        timeout=settings.XERO_TIMEOUT if timeout is None else timeout,
    )


# --- recording --------------------------------------------------------------------------------


@dataclass
class _Pending:
    rows: list[RequestLog]


_deferred: contextvars.ContextVar[_Pending | None] = contextvars.ContextVar(
    "xero_request_log_deferred", default=None
)


@contextmanager
def deferred_log() -> Iterator[None]:
    """Hold the log rows of requests made inside until the block ends, then write them.

    Wrap a transaction that sends requests (the token refresh does) in this, so that a
    rollback does not take the record of the attempt with it."""
    if _deferred.get() is not None:  # an outer block writes them
        yield
        return
    pending = _Pending([])
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
        for row in pending.rows:
            _write(row)


def _write(row: RequestLog) -> None:
    try:
        # A savepoint inside a caller's transaction: a refused insert cannot break it.
        with transaction.atomic():
            if row.connection_id is not None and not (
                Connection.objects.filter(pk=row.connection_id).exists()
            ):
                row.connection_id = None  # deleted meanwhile; the tenant id still says whose
            row.save()
    except Exception:
        log.exception("could not write the Xero request log for %s %s", row.method, row.path)


def _record(row: RequestLog) -> None:
    pending = _deferred.get()
    if pending is not None:
        pending.rows.append(row)
    else:
        _write(row)


class RecordingTransport(httpx.BaseTransport):
    """Passes each request on and records the attempt in the request log."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        network: httpx.BaseTransport | None = None,
        connection_id: int | None,
        tenant_id: str,
    ) -> None:
        self.inner = inner
        self.network = network  # closed too, whether or not a wrapper passes close() on
        self.connection_id = connection_id
        self.tenant_id = tenant_id

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        try:
            response = self.inner.handle_request(request)
            try:
                raw = b"".join(response.iter_raw())  # the whole answer, so its time counts
            finally:
                response.close()
        except Exception as exc:
            self._record(request, started, None, error=f"{type(exc).__name__}: {exc}")
            raise
        answer = httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
        )
        self._record(request, started, answer, error="")
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.inner.close()
        if self.network is not None and self.network is not self.inner:
            self.network.close()

    def _record(
        self,
        request: httpx.Request,
        started: float,
        response: httpx.Response | None,
        *,
        error: str,
    ) -> None:
        try:
            row = RequestLog(
                connection_id=self.connection_id,
                tenant_id=request.headers.get("xero-tenant-id", self.tenant_id)[:64],
                method=request.method[:10],
                host=request.url.host[:255],
                path=request.url.path[:500],
                idempotency_key=request.headers.get("idempotency-key", "")[:128],
                status=response.status_code if response is not None else None,
                error=redact_text(error, secrets_of(request))[:500],
                duration_ms=max(0, round((time.monotonic() - started) * 1000)),
                correlation_id=(
                    response.headers.get(CORRELATION_HEADER, "")[:64] if response else ""
                ),
            )
            row.request_excerpt, row.response_excerpt = excerpts(request, response)
        except Exception:
            log.exception("could not describe a Xero request for the log")
            return
        _record(row)


# --- redaction --------------------------------------------------------------------------------

# Keys whose values are secrets wherever they appear (form fields, JSON, query parameters).
SECRET_KEYS = frozenset(
    {
        "authorization",
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "client_secret",
        "code",
        "code_verifier",
        "assertion",
        "client_assertion",
        "password",
    }
)
_SECRET_WORDS = ("token", "secret", "password", "verifier")
# Values that look like tokens even where no key says so: JWTs, bearer/basic credentials, and
# long opaque strings (refresh tokens are 64 hex characters; ids such as GUIDs are shorter).
_TOKEN_LIKE = re.compile(
    r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
    r"|(?i:\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]+"
    r"|(?<![A-Za-z0-9_.~+=-])(?=[A-Za-z_.~+=-]*[0-9])(?=[0-9_.~+=-]*[A-Za-z])"
    r"[A-Za-z0-9_.~+=-]{40,}"
)


def secret_key(key: str) -> bool:
    lower = key.lower()
    return lower in SECRET_KEYS or any(word in lower for word in _SECRET_WORDS)


def secrets_of(request: httpx.Request) -> set[str]:
    """Every secret value the request carries: its credentials and its secret fields."""
    found: set[str] = set()
    if settings.XERO_CLIENT_SECRET:
        found.add(settings.XERO_CLIENT_SECRET)
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, credential = authorization.partition(" ")
        found.update({authorization, credential})
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credential).decode("utf-8", "replace")
            except ValueError:
                decoded = ""
            found.update(part for part in decoded.split(":", 1)[1:] if part)
    for key, value in request.url.params.multi_items():
        if secret_key(key):
            found.add(value)
    if len(request.content) <= PARSE_LIMIT:
        content_type = request.headers.get("content-type", "")
        found.update(_secret_values(_parse(content_type, request.content)))
    return {s for s in found if len(s) >= 4}


def _secret_values(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            if secret_key(str(key)) and isinstance(value, str):
                yield value
            else:
                yield from _secret_values(value)
    elif isinstance(data, list):
        for item in data:
            yield from _secret_values(item)


def _parse(content_type: str, body: bytes) -> Any:
    """A body as data (JSON or a form), or its text."""
    text = body.decode("utf-8", "replace")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text, keep_blank_values=True))
    if kind.endswith("json") or text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _redact_data(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            key: REDACTED if secret_key(str(key)) else _redact_data(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [_redact_data(item) for item in data]
    return data


def redact_text(text: str, known: set[str]) -> str:
    """`text` with every known secret value and everything token-like replaced."""
    for secret in sorted(known, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _TOKEN_LIKE.sub(REDACTED, text)


# A body longer than this is not parsed whole for its excerpt: a page of a thousand contacts
# would cost more to redact than to fetch. Its start is redacted as text instead.
PARSE_LIMIT = 64 * 1024
_JSON_PAIR = re.compile(r'"([^"\\]{1,64})"(\s*:\s*)"((?:[^"\\]|\\.)*)"')


def _redact_json_text(text: str) -> str:
    def pair(match: re.Match[str]) -> str:
        if secret_key(match.group(1)):
            return f'"{match.group(1)}"{match.group(2)}"{REDACTED}"'
        return match.group(0)

    return _JSON_PAIR.sub(pair, text)


def redact(content_type: str, body: bytes, known: set[str]) -> str:
    """A body for the log: secret fields by key, then secret values and token-like strings."""
    if not body:
        return ""
    if len(body) > PARSE_LIMIT:
        head = body[: EXCERPT_CHARS * 4].decode("utf-8", "replace")
        return redact_text(_redact_json_text(head), known)
    data = _redact_data(_parse(content_type, body))
    if isinstance(data, str):
        text = _redact_json_text(data)
    elif content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        text = urlencode(data, safe="[]")
    else:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)
    return redact_text(text, known)


def excerpts(request: httpx.Request, response: httpx.Response | None) -> tuple[str, str]:
    """The request's query and body, and the answer's body: redacted, cut to EXCERPT_CHARS."""
    known = secrets_of(request)
    parts = []
    if request.url.query:
        query = [(k, REDACTED if secret_key(k) else v) for k, v in request.url.params.multi_items()]
        parts.append("?" + redact_text(urlencode(query, safe="[]"), known))
    body = redact(request.headers.get("content-type", ""), request.content, known)
    if body:
        parts.append(body)
    sent = "\n".join(parts)
    answer = ""
    if response is not None:
        received = response.read()
        answer_known = set(known)
        if len(received) <= PARSE_LIMIT:
            content_type = response.headers.get("content-type", "")
            answer_known.update(_secret_values(_parse(content_type, received)))
        answer = redact(response.headers.get("content-type", ""), received, answer_known)
    return _cut(sent), _cut(answer)


def _cut(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
