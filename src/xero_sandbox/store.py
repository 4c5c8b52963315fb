"""In-memory state of the whole sandbox (apps, users, tokens, organisations) and its JSON file."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .clock import Clock
from .settings import SandboxSettings


@dataclass
class App:
    client_id: str
    client_secret: str
    name: str
    kind: str = "standard"  # "standard" (authorisation code) or "custom" (client credentials)
    redirect_uris: list[str] = field(default_factory=list)  # empty: any redirect URI
    custom_tenant_id: str | None = None
    custom_scopes: list[str] = field(default_factory=list)


@dataclass
class User:
    user_id: str
    email: str
    password: str
    name: str


@dataclass
class Connection:
    id: str
    client_id: str
    user_id: str
    tenant_id: str
    auth_event_id: str
    created_ms: int
    updated_ms: int


@dataclass
class AuthCode:
    code: str
    client_id: str
    user_id: str
    redirect_uri: str
    scopes: list[str]
    auth_event_id: str
    expires: float
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    nonce: str | None = None


@dataclass
class AccessToken:
    token: str
    client_id: str
    user_id: str | None
    scopes: list[str]
    expires: float
    auth_event_id: str | None = None
    tenant_id: str | None = None  # custom connections are bound to one organisation


@dataclass
class RefreshToken:
    token: str
    client_id: str
    user_id: str
    scopes: list[str]
    last_used: float
    successor: str | None = None
    rotated_at: float | None = None
    revoked: bool = False


@dataclass
class Org:
    tenant_id: str
    name: str
    region: str
    short_code: str
    created_ms: int
    base_currency: str
    timezone: str
    counters: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    tax_rates: dict[str, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    tracking: dict[str, dict[str, Any]] = field(default_factory=dict)
    branding: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    purchase_orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    credit_notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Currencies enabled besides the base currency: Code -> {Code, Description, _rate}.
    currencies: dict[str, dict[str, Any]] = field(default_factory=dict)

    def next_number(self, kind: str) -> int:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return self.counters[kind]


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$decimal"}:
            return Decimal(value["$decimal"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class Store:
    """Everything the sandbox knows. One re-entrant lock guards it: hold it to read or write."""

    def __init__(self, settings: SandboxSettings, clock: Clock) -> None:
        self.lock = threading.RLock()
        self.settings = settings
        self.clock = clock
        self.seed = 0
        self.apps: dict[str, App] = {}
        self.users: dict[str, User] = {}
        self.orgs: dict[str, Org] = {}
        self.connections: dict[str, Connection] = {}
        self.codes: dict[str, AuthCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.webhook: dict[str, Any] = {}

    def clear(self) -> None:
        with self.lock:
            self.apps.clear()
            self.users.clear()
            self.orgs.clear()
            self.connections.clear()
            self.codes.clear()
            self.access_tokens.clear()
            self.refresh_tokens.clear()
            self.webhook = {}

    def org(self, tenant_id: str) -> Org | None:
        return self.orgs.get(tenant_id)

    def user_by_email(self, email: str) -> User | None:
        for user in self.users.values():
            if user.email.lower() == email.lower():
                return user
        return None

    # Persistence --------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            encoded: dict[str, Any] = _encode(
                {
                    "seed": self.seed,
                    "apps": [dataclasses.asdict(a) for a in self.apps.values()],
                    "users": [dataclasses.asdict(u) for u in self.users.values()],
                    "orgs": [dataclasses.asdict(o) for o in self.orgs.values()],
                    "connections": [dataclasses.asdict(c) for c in self.connections.values()],
                    "access_tokens": [dataclasses.asdict(t) for t in self.access_tokens.values()],
                    "refresh_tokens": [dataclasses.asdict(t) for t in self.refresh_tokens.values()],
                    "webhook": self.webhook,
                }
            )
        return encoded

    def restore(self, data: dict[str, Any]) -> None:
        data = _decode(data)
        with self.lock:
            self.clear()
            self.seed = int(data.get("seed", 0))
            self.apps = {a["client_id"]: App(**a) for a in data.get("apps", [])}
            self.users = {u["user_id"]: User(**u) for u in data.get("users", [])}
            self.orgs = {o["tenant_id"]: Org(**o) for o in data.get("orgs", [])}
            self.connections = {c["id"]: Connection(**c) for c in data.get("connections", [])}
            self.access_tokens = {
                t["token"]: AccessToken(**t) for t in data.get("access_tokens", [])
            }
            self.refresh_tokens = {
                t["token"]: RefreshToken(**t) for t in data.get("refresh_tokens", [])
            }
            self.webhook = data.get("webhook", {})

    def save(self, path: Path) -> None:
        """Write the state atomically (temporary file, then rename), readable by this user only
        (mode 0600): it holds access and refresh tokens in clear."""
        payload = json.dumps(self.snapshot(), indent=1, sort_keys=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a .tmp left by an older version keeps its mode through O_CREAT
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
        os.replace(tmp, path)

    def load(self, path: Path) -> bool:
        if not path.exists():
            return False
        self.restore(json.loads(path.read_text(encoding="utf-8")))
        return True
