"""Token minting: JWT-shaped access and id tokens, opaque refresh tokens, seeded secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict[str, Any], key: str) -> str:
    """An HS256 JWT. Xero signs with RS256; clients here must treat tokens as opaque."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def opaque(nbytes: int = 32) -> str:
    return secrets.token_hex(nbytes)


def derived(seed: int, label: str, length: int = 32) -> str:
    """A stable value from the seed (demo credentials are reproducible, nothing is committed)."""
    return hashlib.sha256(f"xero-sandbox:{seed}:{label}".encode()).hexdigest()[:length].upper()


def derived_guid(seed: int, label: str) -> str:
    h = hashlib.sha256(f"xero-sandbox-guid:{seed}:{label}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def pkce_s256(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())
