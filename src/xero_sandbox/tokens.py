"""Tokens: minting access, refresh and id tokens, refresh rotation and grace, seeded secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import TYPE_CHECKING, Any

from .store import AccessToken, App, RefreshToken

if TYPE_CHECKING:
    from .core import Sandbox


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


def issue(
    sb: Sandbox,
    app: App,
    user_id: str | None,
    scopes: list[str],
    event_id: str | None,
    tenant_id: str | None = None,
    nonce: str | None = None,
) -> dict[str, object]:
    """Mint an access token (and refresh/id tokens when the scopes ask) and store them."""
    now = sb.clock.now_ts()
    lifetime = sb.settings.access_token_seconds
    claims = {
        "nbf": int(now),
        "exp": int(now + lifetime),
        "iss": sb.issuer,
        "aud": f"{sb.issuer}/resources",
        "client_id": app.client_id,
        "sub": user_id or app.client_id,
        "xero_userid": user_id,
        "authentication_event_id": event_id,
        "scope": scopes,
        "jti": opaque(8),
    }
    access = jwt(claims, sb.signing_key)
    store = sb.store
    store.access_tokens[access] = AccessToken(
        access, app.client_id, user_id, scopes, now + lifetime, event_id, tenant_id
    )
    answer: dict[str, object] = {
        "access_token": access,
        "expires_in": lifetime,
        "token_type": "Bearer",
        "scope": " ".join(scopes),
    }
    if user_id and "offline_access" in scopes:
        refresh = opaque(32)
        store.refresh_tokens[refresh] = RefreshToken(refresh, app.client_id, user_id, scopes, now)
        answer["refresh_token"] = refresh
    if user_id and "openid" in scopes:
        user = store.users[user_id]
        id_claims = {
            "iss": sb.issuer,
            "aud": app.client_id,
            "sub": user_id,
            "exp": int(now + 300),
            "iat": int(now),
            "email": user.email,
            "given_name": user.name.split(" ")[0],
            "family_name": user.name.split(" ")[-1],
            "xero_userid": user_id,
        }
        if nonce:
            id_claims["nonce"] = nonce
        answer["id_token"] = jwt(id_claims, app.client_secret or sb.signing_key)
    return answer


def rotate(sb: Sandbox, app: App, presented: str, now: float) -> dict[str, object] | None:
    """Rotate a refresh token; an old one still works for the grace period after rotation."""
    store = sb.store
    old = store.refresh_tokens.get(presented)
    if old is None or old.client_id != app.client_id or old.revoked:
        return None
    if now - old.last_used > sb.settings.refresh_token_idle_days * 86_400:
        return None
    if old.successor is not None:
        assert old.rotated_at is not None
        if now - old.rotated_at > sb.settings.refresh_grace_seconds:
            return None
        # The answer was lost: the unseen successor is replaced by a new one.
        lost = store.refresh_tokens.pop(old.successor, None)
        if lost is not None and lost.successor is not None:
            return None
    answer = issue(sb, app, old.user_id, old.scopes, None)
    old.successor = str(answer["refresh_token"])
    old.rotated_at = now
    return answer
