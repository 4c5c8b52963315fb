"""Fixtures for the sandbox tests: a live server per test and clients that record all traffic."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from xero_sandbox.server import SandboxHandle, start
from xero_sandbox.settings import SandboxSettings

from .conformance import mismatches
from .exchange import Exchange

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(available: bool, what: str) -> None:
    """Skip when a real part is missing on a developer's machine; fail under CI=true."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available", pytrace=False)
    pytest.skip(f"{what} is not available")


# The exchanges of the running test (every recording client appends here); checked against
# Xero's specs when the test ends, then forgotten.
TRAFFIC: list[Exchange] = []


@pytest.fixture(autouse=True)
def traffic_conforms_to_the_spec() -> Iterator[None]:
    """Fail the test if any request it sent, or any answer it got, breaks Xero's OpenAPI specs."""
    start = len(TRAFFIC)
    yield
    mine = TRAFFIC[start:]
    del TRAFFIC[start:]
    found = mismatches(mine)
    assert found == [], "traffic breaks the spec:\n" + "\n".join(found[:40])


def recording_client(base_url: str, **kwargs: Any) -> httpx.Client:
    """An httpx client whose every exchange is kept in TRAFFIC."""

    def on_response(response: httpx.Response) -> None:
        response.read()
        req = response.request
        TRAFFIC.append(
            Exchange(
                req.method,
                str(req.url),
                req.url.path,
                req.url.query.decode(),
                {k.lower(): v for k, v in req.headers.items()},
                req.content,
                response.status_code,
                {k.lower(): v for k, v in response.headers.items()},
                response.content,
            )
        )

    return httpx.Client(base_url=base_url, event_hooks={"response": [on_response]}, **kwargs)


@dataclass
class Api:
    """A recording client already holding a custom-connection token for the first organisation."""

    handle: SandboxHandle
    http: httpx.Client
    token: str
    tenant_id: str
    extra: dict[str, str] = field(default_factory=dict)

    def headers(self, **more: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "xero-tenant-id": self.tenant_id,
            "Accept": "application/json",
            **self.extra,
            **more,
        }

    def get(self, path: str, **kw: Any) -> httpx.Response:
        headers = self.headers(**kw.pop("headers", {}))
        return self.http.get("/api.xro/2.0/" + path, headers=headers, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        headers = self.headers(**kw.pop("headers", {}))
        return self.http.put("/api.xro/2.0/" + path, json=body, headers=headers, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        headers = self.headers(**kw.pop("headers", {}))
        return self.http.post("/api.xro/2.0/" + path, json=body, headers=headers, **kw)

    def admin(self, path: str, body: Any | None = None) -> httpx.Response:
        if body is None:
            return self.http.get("/_sandbox/" + path)
        return self.http.post("/_sandbox/" + path, json=body)


def custom_token(http: httpx.Client, info: dict[str, Any]) -> str:
    answer = http.post(
        "/connect/token",
        data={"grant_type": "client_credentials"},
        auth=(info["custom_client_id"], info["custom_client_secret"]),
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


@pytest.fixture
def settings() -> SandboxSettings:
    return SandboxSettings()


@pytest.fixture
def sandbox(settings: SandboxSettings) -> Iterator[SandboxHandle]:
    """A fresh sandbox on a free port (seed 7), stopped after the test."""
    handle = start(host="127.0.0.1", port=0, seed=7, settings=settings)
    yield handle
    handle.stop()


@pytest.fixture
def api(sandbox: SandboxHandle) -> Iterator[Api]:
    with recording_client(sandbox.url, timeout=10) as http:
        yield Api(
            sandbox, http, custom_token(http, sandbox.info), sandbox.info["tenants"][0]["tenantId"]
        )
