"""The sandbox object: owns state, clock, limits, faults, webhooks; routes every HTTP request."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import threading
import time
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import oauth, tokens, wire, xmlbody
from . import seed as seeding
from .clock import Clock
from .faults import BEFORE, FaultQueue, fault_response
from .http import Request, Response, html_response, json_response, text_response
from .idempotency import IdempotencyCache, fingerprint
from .limits import RateLimiter
from .settings import SandboxSettings
from .store import AccessToken, Org, Store

log = logging.getLogger("xero_sandbox")
API_PREFIX = "/api.xro/2.0/"
ADMIN_PREFIX = "/_sandbox/"
NOT_FOUND = "The resource you're looking for cannot be found"

# Which scopes open which endpoint family, for reading and for writing (broad and granular 2026).
SCOPES: dict[str, tuple[set[str], set[str]]] = {
    "settings": (
        {"accounting.settings", "accounting.settings.read"},
        {"accounting.settings"},
    ),
    "contacts": (
        {"accounting.contacts", "accounting.contacts.read"},
        {"accounting.contacts"},
    ),
    "invoices": (
        {
            "accounting.transactions",
            "accounting.transactions.read",
            "accounting.invoices",
            "accounting.invoices.read",
        },
        {"accounting.transactions", "accounting.invoices"},
    ),
    "items": (
        {
            "accounting.settings",
            "accounting.settings.read",
            "accounting.invoices",
            "accounting.invoices.read",
        },
        {"accounting.settings", "accounting.invoices"},
    ),
    "payments": (
        {
            "accounting.transactions",
            "accounting.transactions.read",
            "accounting.payments",
            "accounting.payments.read",
        },
        {"accounting.transactions", "accounting.payments"},
    ),
}
GRANULAR = {
    "accounting.invoices",
    "accounting.invoices.read",
    "accounting.payments",
    "accounting.payments.read",
}
ZONES = {
    "NEWZEALANDSTANDARDTIME": "Pacific/Auckland",
    "AUSEASTERNSTANDARDTIME": "Australia/Sydney",
    "GMTSTANDARDTIME": "Europe/London",
}
BROAD = {"accounting.transactions", "accounting.transactions.read"}


@dataclass
class Ctx:
    """One Accounting call: the sandbox, the organisation, the calling app and the request."""

    sb: Sandbox
    org: Org
    client_id: str
    req: Request
    # While a batch element is being written: its webhook events (sent only if it succeeds) and
    # copies of the records it changed in place (put back if it fails).
    pending_events: list[tuple[str, str, str, dict[str, Any] | None]] | None = None
    touched: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    # Warnings of the element being written (Xero's `Warnings`, e.g. SentToContact on a draft PO).
    warnings: list[str] = field(default_factory=list)

    def emit(
        self,
        category: str,
        event_type: str,
        resource_id: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        """A webhook event; held back while an element is still being written."""
        if self.pending_events is not None:
            self.pending_events.append((category, event_type, resource_id, data))
        else:
            self.sb.emit(self.org, category, event_type, resource_id, data)

    def remember(self, record: dict[str, Any]) -> None:
        """Keep a copy of `record` before changing it in place, so a failing element undoes it."""
        if not any(r is record for r, _ in self.touched):
            self.touched.append((record, copy.deepcopy(record)))

    @property
    def unitdp(self) -> int:
        return 4 if self.req.q("unitdp") == "4" else 2

    def now_ms(self) -> int:
        return self.sb.clock.now_ms()

    def today(self) -> dt.date:
        """Today in the organisation's timezone (Xero's default document date)."""
        zone = ZONES.get(self.org.timezone, "UTC")
        try:
            return self.sb.clock.now().astimezone(zoneinfo.ZoneInfo(zone)).date()
        except zoneinfo.ZoneInfoNotFoundError:
            return self.sb.clock.today()


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": wire.new_id(),
        "Extensions": {},
    }


class Sandbox:
    """A whole Xero: identity, API and admin, in one object. Thread-safe."""

    def __init__(
        self, settings: SandboxSettings | None = None, data_path: Path | None = None
    ) -> None:
        from .webhooks import Webhooks

        self.settings = settings or SandboxSettings()
        self.clock = Clock(self.settings.time_scale)
        self.store = Store(self.settings, self.clock)
        self.limiter = RateLimiter(self.settings, self.clock)
        self.idempotency = IdempotencyCache(self.settings, self.clock)
        self.faults = FaultQueue()
        self.webhooks = Webhooks(self)
        self.data_path = data_path
        self.base_url = ""
        self.signing_key = tokens.opaque(32)
        self._persist_lock = threading.Lock()

    @property
    def issuer(self) -> str:
        return self.base_url or "http://xero-sandbox"

    def persist(self) -> None:
        if self.data_path is None:
            return
        with self._persist_lock:
            self.store.save(self.data_path)

    # --- auth helpers ---------------------------------------------------------------------

    def bearer(self, req: Request) -> AccessToken | None:
        auth = req.header("authorization") or ""
        if not auth.lower().startswith("bearer "):
            return None
        access = self.store.access_tokens.get(auth[7:].strip())
        if access is None or access.expires <= self.clock.now_ts():
            return None
        return access

    def unauthorized(self, detail: str, headers: dict[str, str] | None = None) -> Response:
        return json_response(401, problem(401, "Unauthorized", detail), headers)

    def _token_problem(self, req: Request) -> Response:
        auth = req.header("authorization") or ""
        stale = self.store.access_tokens.get(auth[7:].strip()) if len(auth) > 7 else None
        if stale is not None:
            when = dt.datetime.fromtimestamp(stale.expires, tz=dt.UTC)
            return self.unauthorized(f"TokenExpired: token expired at {when:%m/%d/%Y %H:%M:%S}")
        return self.unauthorized("AuthenticationUnsuccessful")

    def tenant_allowed(self, access: AccessToken, tenant_id: str) -> bool:
        if tenant_id not in self.store.orgs:
            return False
        if access.tenant_id is not None:
            return access.tenant_id == tenant_id
        return any(
            c.client_id == access.client_id
            and c.user_id == access.user_id
            and c.tenant_id == tenant_id
            for c in self.store.connections.values()
        )

    def scope_ok(self, access: AccessToken, family: str, write: bool) -> bool:
        allowed = SCOPES[family][1 if write else 0]
        granted = set(access.scopes)
        if not self.settings.accept_granular_scopes:
            granted -= GRANULAR
        if not self.settings.accept_broad_scopes:
            granted -= BROAD
        return bool(allowed & granted)

    # --- routing ----------------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        path = req.path
        if path == "/identity/connect/authorize":
            return oauth.authorize(self, req)
        if path == "/connect/token" and req.method == "POST":
            return oauth.token(self, req)
        if path == "/connect/revocation" and req.method == "POST":
            return oauth.revoke(self, req)
        lower = path.lower().rstrip("/")
        if lower == "/connections" and req.method == "GET":
            return oauth.connections(self, req, None)
        if lower.startswith("/connections/") and req.method == "DELETE":
            return oauth.connections(self, req, path.rstrip("/").rsplit("/", 1)[1])
        if path.startswith(API_PREFIX):
            return self.accounting(req, path[len(API_PREFIX) :])
        if path.startswith(ADMIN_PREFIX):
            from . import admin

            return admin.handle(self, req, path[len(ADMIN_PREFIX) :])
        if path == "/":
            return html_response(
                200, "<!doctype html><title>Xero sandbox</title><h1>Xero sandbox</h1>"
            )
        return text_response(404, NOT_FOUND)

    def accounting(self, req: Request, rest: str) -> Response:
        """One Accounting API call: token, tenant, route, scope, limits, faults, idempotency."""
        from .api.router import resolve

        with self.store.lock:
            access = self.bearer(req)
            if access is None:
                return self._token_problem(req)
            tenant_id = req.header("xero-tenant-id") or ""
            if not tenant_id and access.tenant_id is not None:
                # [P] /faq/custom-integration: a custom connection's token is bound to one
                # organisation, so the header may be left out.
                tenant_id = access.tenant_id
            if not self.tenant_allowed(access, tenant_id):
                return json_response(403, problem(403, "Forbidden", "AuthenticationUnsuccessful"))
        route = resolve(req.method, [p for p in rest.split("/") if p])
        if route is not None and not self.scope_ok(access, route[0], req.method != "GET"):
            return self.unauthorized(
                "AuthorizationUnsuccessful",
                {"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
            )
        decision = self.limiter.acquire(tenant_id, access.client_id)
        if not decision.allowed:
            return Response(429, b"", None, decision.headers)
        try:
            if route is None:  # unknown paths count against the limits too
                response = text_response(404, NOT_FOUND)
            else:
                response = self._run(req, access, tenant_id, route[1], route[2])
        except Exception:
            # A bug of ours still answers as Xero's 500 does, and with the limit headers.
            log.exception("unhandled error on %s %s", req.method, req.path)
            response = fault_response("500", 0)
        finally:
            self.limiter.release(tenant_id)
        response.headers.update(decision.headers)
        return as_requested(req, response)

    def _run(
        self, req: Request, access: AccessToken, tenant_id: str, handler: Any, args: list[str]
    ) -> Response:
        key = req.header("idempotency-key")
        keyed_write = key is not None and req.method in ("PUT", "POST")
        fault = self.faults.take(tenant_id, keyed_write)
        if fault is not None and fault.kind in BEFORE:
            return fault_response(fault.kind, fault.seconds)
        if len(req.body) > self.settings.max_body_bytes:
            return text_response(413, "The request was too large")
        if self.settings.latency_ms:
            time.sleep(self.settings.latency_ms / 1000)
        entry = None
        if key is not None and keyed_write:
            if not key or len(key) > self.settings.idempotency_key_max:
                return _validation_message("Idempotency-Key must be 1 to 128 characters")
            query = "&".join(f"{k}={v}" for k, vs in sorted(req.query.items()) for v in vs)
            print_ = fingerprint(req.method, req.path.lower(), query, tenant_id, req.body)
            outcome, entry = self.idempotency.begin(access.client_id, key, print_)
            if outcome == "conflict":
                return _validation_message(
                    f"Idempotency Key {key} is used with a different request"
                )
            if outcome == "in_flight":
                return json_response(
                    409,
                    {
                        "ErrorNumber": 10,
                        "Type": "ValidationException",
                        "Message": f"Idempotency Key {key} is used by a request still in "
                        "progress",  # [U] our words
                    },
                )
            if outcome == "replay" and entry.response is not None:
                cached = entry.response
                response = Response(
                    cached.status, cached.body, cached.content_type, dict(cached.headers)
                )
                return self._maybe_drop(fault, response)
        try:
            with self.store.lock:
                org = self.store.orgs[tenant_id]
                try:
                    response = handler(Ctx(self, org, access.client_id, req), *args)
                except wire.MalformedGuid:
                    response = fault_response("500", 0)
            if req.method != "GET":
                self.persist()
            if fault is not None and fault.kind == "slow_after_commit":
                time.sleep(fault.seconds)  # still in flight: its key is not answered yet
        except BaseException:
            if entry is not None and key is not None:
                self.idempotency.abandon(access.client_id, key, entry)
            raise
        if entry is not None:
            self.idempotency.finish(entry, response)
        return self._maybe_drop(fault, response)

    @staticmethod
    def _maybe_drop(fault: Any, response: Response) -> Response:
        """Apply an after-commit fault to the real answer (the key keeps the real one)."""
        if fault is None:
            return response
        if fault.kind == "drop_after_commit":
            response.drop = True
        elif fault.kind in ("500_after_commit", "503_after_commit"):
            return fault_response(fault.kind, 0)
        return response

    def info(self) -> dict[str, Any]:
        """The start-up line: URL, the two demo apps, the webhook key and the organisations."""
        store = self.store
        with store.lock:
            standard = next((a for a in store.apps.values() if a.kind == "standard"), None)
            custom = next((a for a in store.apps.values() if a.kind == "custom"), None)
            return {
                "url": self.base_url,
                "client_id": standard.client_id if standard else None,
                "client_secret": standard.client_secret if standard else None,
                "custom_client_id": custom.client_id if custom else None,
                "custom_client_secret": custom.client_secret if custom else None,
                "webhook_key": store.webhook.get("key"),
                "tenants": [{"tenantId": o.tenant_id, "name": o.name} for o in store.orgs.values()],
                "login": {"email": seeding.DEMO_EMAIL, "password": seeding.DEMO_PASSWORD},
            }

    def reset(self, seed: int, counts: dict[str, int] | None = None, empty: bool = False) -> None:
        """Forget everything and seed again (the same seed gives the same credentials and IDs)."""
        with self.store.lock:
            self.store.clear()
            self.limiter.reset()
            self.idempotency.reset()
            self.faults.clear()
            if empty:
                seeding.base_setup(self, seed)
            else:
                seeding.seed_default(self, seed, counts)
        self.persist()

    def emit(
        self,
        org: Org,
        category: str,
        event_type: str,
        resource_id: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.webhooks.enqueue(org.tenant_id, category, event_type, resource_id, data)


def as_requested(req: Request, response: Response) -> Response:
    """Xero answers JSON only to `Accept: application/json`, XML otherwise [S] (XERO-FACTS,
    added 2026-12-01); JSON answers of the Accounting API are rewritten as XML when needed."""
    media = (response.content_type or "").split(";")[0]
    if media != "application/json" or not response.body or xmlbody.wants_json(req.header("accept")):
        return response
    resource = req.path[len(API_PREFIX) :].split("/")[0]
    kind = xmlbody.LISTS.get(next((k for k in xmlbody.LISTS if k.lower() == resource.lower()), ""))
    body = xmlbody.render(json.loads(response.body), kind)
    return Response(
        response.status,
        body,
        "text/xml; charset=utf-8",
        response.headers,
        response.drop,
        response.delay,
    )


def _validation_message(message: str) -> Response:
    return json_response(
        400, {"ErrorNumber": 10, "Type": "ValidationException", "Message": message}
    )
