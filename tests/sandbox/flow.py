"""The authorisation-code flow driven with a plain HTTP client (no browser), for several tests."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import urllib.parse
from typing import Any

import httpx

REDIRECT = "http://127.0.0.1:9/callback"
SCOPES = (
    "openid profile email offline_access accounting.settings accounting.contacts "
    "accounting.transactions"
)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_params(
    info: dict[str, Any], challenge: str, state: str, scope: str = SCOPES
) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": info["client_id"],
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def hidden_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", page))


def consent(
    http: httpx.Client,
    info: dict[str, Any],
    tenant_index: int = 0,
    scope: str = SCOPES,
    password: str = "sandbox",
) -> tuple[dict[str, str], str]:
    """Log in and consent; return the redirect's query parameters and the PKCE verifier."""
    verifier, challenge = pkce_pair()
    state = secrets.token_hex(8)
    page = http.get(
        "/identity/connect/authorize", params=authorize_params(info, challenge, state, scope)
    )
    assert page.status_code == 200 and "Log in to Xero" in page.text
    form = hidden_fields(page.text)
    form.update(
        {
            "email": "demo@example.com",
            "password": password,
            "action": "allow",
            "tenant_id": info["tenants"][tenant_index]["tenantId"],
        }
    )
    answer = http.post("/identity/connect/authorize", data=form)
    if answer.status_code != 302:
        return {"page": answer.text}, verifier
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert query["state"] == state
    return query, verifier


def exchange(http: httpx.Client, info: dict[str, Any], code: str, verifier: str) -> httpx.Response:
    return http.post(
        "/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
        },
    )


def connect(http: httpx.Client, info: dict[str, Any], tenant_index: int = 0) -> dict[str, Any]:
    query, verifier = consent(http, info, tenant_index)
    answer = exchange(http, info, query["code"], verifier)
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens
