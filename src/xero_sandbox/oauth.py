"""Xero identity: the login and consent page, /connect/token, /connect/revocation, /connections."""

from __future__ import annotations

import base64
import binascii
import html
import urllib.parse
from typing import TYPE_CHECKING

from . import tokens, wire
from .http import Request, Response, html_response, json_response, redirect, text_response
from .store import AuthCode, Connection

if TYPE_CHECKING:
    from .core import Sandbox

KNOWN_SCOPES = {
    "openid",
    "profile",
    "email",
    "offline_access",
    "paymentservices",
    "accounting.transactions",
    "accounting.transactions.read",
    "accounting.contacts",
    "accounting.contacts.read",
    "accounting.settings",
    "accounting.settings.read",
    "accounting.attachments",
    "accounting.attachments.read",
    "accounting.journals.read",
    "accounting.reports.read",
    "accounting.budgets.read",
    "accounting.invoices",
    "accounting.invoices.read",
    "accounting.payments",
    "accounting.payments.read",
    "accounting.banktransactions",
    "accounting.banktransactions.read",
    "accounting.manualjournals",
    "accounting.manualjournals.read",
    "accounting.classicexpenses",
    "accounting.classicexpenses.read",
    "accounting.reports.profitandloss.read",
    "accounting.reports.balancesheet.read",
}


def _error(status: int, error: str, description: str | None = None) -> Response:
    body: dict[str, str] = {"error": error}
    if description:
        body["error_description"] = description
    return json_response(status, body)


def _page(title: str, body: str) -> Response:
    return html_response(
        200,
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        "<style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto}label{display:block;"
        "margin:.6rem 0}.err{color:#b00}</style></head>"
        f"<body><h1>{title}</h1>{body}</body></html>",
    )


def _client_auth(sb: Sandbox, req: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    auth = req.header("authorization") or ""
    if auth.lower().startswith("basic "):
        try:
            pair = base64.b64decode(auth[6:]).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, secret = pair.partition(":")
        return urllib.parse.unquote(client_id), urllib.parse.unquote(secret)
    return form.get("client_id"), form.get("client_secret")


# --- authorise ---------------------------------------------------------------------------


def authorize(sb: Sandbox, req: Request) -> Response:
    """GET shows the login and organisation picker; POST consents (or cancels) and redirects."""
    params = req.form() if req.method == "POST" else {k: v[-1] for k, v in req.query.items()}
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    state = params.get("state")
    with sb.store.lock:
        app = sb.store.apps.get(client_id)
        if app is None or app.kind != "standard":
            return _page("Error", "<p class='err'>unauthorized_client: unknown client_id</p>")
        if app.redirect_uris and redirect_uri not in app.redirect_uris:
            return _page("Error", "<p class='err'>Invalid redirect_uri</p>")

    def back(**values: str) -> Response:
        if state is not None:
            values["state"] = state
        sep = "&" if "?" in redirect_uri else "?"
        return redirect(redirect_uri + sep + urllib.parse.urlencode(values))

    if params.get("response_type") != "code":
        return back(error="unsupported_response_type")
    scopes = params.get("scope", "").split()
    if not scopes or any(s not in KNOWN_SCOPES for s in scopes):
        return back(error="invalid_scope")
    method = params.get("code_challenge_method")
    if params.get("code_challenge") and method not in (None, "", "S256"):
        return back(error="invalid_request", error_description="code_challenge_method")
    if req.method == "POST":
        if params.get("action") == "cancel":
            return back(error="access_denied")
        return _consent(sb, params, scopes, back)
    return _login_form(sb, params, "")


def _login_form(sb: Sandbox, params: dict[str, str], problem: str) -> Response:
    hidden = "".join(
        f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>"
        for k, v in params.items()
        if k not in ("email", "password", "tenant_id", "action")
    )
    with sb.store.lock:
        orgs = list(sb.store.orgs.values())
    options = "".join(
        f"<label><input type='radio' name='tenant_id' value='{o.tenant_id}'"
        f"{' checked' if i == 0 else ''}> {html.escape(o.name)}</label>"
        for i, o in enumerate(orgs)
    )
    err = f"<p class='err' role='alert'>{html.escape(problem)}</p>" if problem else ""
    return _page(
        "Log in to Xero",
        f"{err}<form method='post' action='/identity/connect/authorize'>{hidden}"
        "<label>Email <input name='email' type='email' autocomplete='username'></label>"
        "<label>Password <input name='password' type='password'></label>"
        f"<fieldset><legend>Choose an organisation to connect</legend>{options}</fieldset>"
        "<button type='submit' name='action' value='allow'>Allow access</button> "
        "<button type='submit' name='action' value='cancel'>Cancel</button></form>",
    )


def _consent(sb: Sandbox, params: dict[str, str], scopes: list[str], back: object) -> Response:
    store = sb.store
    with store.lock:
        user = store.user_by_email(params.get("email", ""))
        if user is None or user.password != params.get("password"):
            return _login_form(sb, params, "Your email or password is incorrect")
        tenant_id = params.get("tenant_id", "")
        if tenant_id not in store.orgs:
            return _login_form(sb, params, "Choose an organisation")
        now_ms = sb.clock.now_ms()
        event_id = wire.new_id()
        existing = next(
            (
                c
                for c in store.connections.values()
                if c.client_id == params["client_id"]
                and c.user_id == user.user_id
                and c.tenant_id == tenant_id
            ),
            None,
        )
        if existing is None:
            conn_id = wire.new_id()
            store.connections[conn_id] = Connection(
                conn_id, params["client_id"], user.user_id, tenant_id, event_id, now_ms, now_ms
            )
        else:
            existing.auth_event_id, existing.updated_ms = event_id, now_ms
        code = tokens.opaque(24)
        store.codes[code] = AuthCode(
            code=code,
            client_id=params["client_id"],
            user_id=user.user_id,
            redirect_uri=params.get("redirect_uri", ""),
            scopes=scopes,
            auth_event_id=event_id,
            expires=sb.clock.now_ts() + sb.settings.auth_code_seconds,
            code_challenge=params.get("code_challenge") or None,
            code_challenge_method=params.get("code_challenge_method") or None,
            nonce=params.get("nonce") or None,
        )
    sb.persist()
    assert callable(back)
    result: Response = back(code=code, scope=" ".join(scopes), session_state=tokens.opaque(8))
    return result


# --- token -------------------------------------------------------------------------------


def token(sb: Sandbox, req: Request) -> Response:
    """POST /connect/token: authorization_code, refresh_token and client_credentials grants."""
    form = req.form()
    client_id, secret = _client_auth(sb, req, form)
    grant = form.get("grant_type")
    store = sb.store
    with store.lock:
        app = store.apps.get(client_id or "")
        if app is None:
            return _error(400, "invalid_client")
        public = not secret
        if secret and not tokens_equal(secret, app.client_secret):
            return _error(400, "invalid_client")
        now = sb.clock.now_ts()
        if grant == "authorization_code":
            code = store.codes.pop(form.get("code", ""), None)
            if code is None or code.client_id != app.client_id or code.expires < now:
                return _error(400, "invalid_grant")
            # RFC 6749 4.1.3, as Xero does: the redirect_uri the code was issued for must be sent.
            if form.get("redirect_uri") != code.redirect_uri:
                return _error(400, "invalid_grant")
            if code.code_challenge:
                verifier = form.get("code_verifier", "")
                if not verifier or tokens.pkce_s256(verifier) != code.code_challenge:
                    return _error(400, "invalid_grant")
            elif public:
                return _error(400, "invalid_client")
            answer = tokens.issue(
                sb, app, code.user_id, code.scopes, code.auth_event_id, nonce=code.nonce
            )
        elif grant == "refresh_token":
            rotated = tokens.rotate(sb, app, form.get("refresh_token", ""), now)
            if rotated is None:
                return _error(400, "invalid_grant")
            answer = rotated
        elif grant == "client_credentials":
            if public:
                return _error(400, "invalid_client")
            if app.kind != "custom" or app.custom_tenant_id is None:
                return _error(400, "unauthorized_client")
            requested = form.get("scope", "").split() or app.custom_scopes
            if any(s not in app.custom_scopes for s in requested):
                return _error(400, "invalid_scope")
            answer = tokens.issue(sb, app, None, requested, None, tenant_id=app.custom_tenant_id)
        else:
            return _error(400, "unsupported_grant_type")
    sb.persist()
    return json_response(200, answer, {"Cache-Control": "no-store", "Pragma": "no-cache"})


def tokens_equal(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def revoke(sb: Sandbox, req: Request) -> Response:
    """POST /connect/revocation: revoke a refresh token and remove that user's connections."""
    form = req.form()
    client_id, secret = _client_auth(sb, req, form)
    store = sb.store
    with store.lock:
        app = store.apps.get(client_id or "")
        if app is None or (secret is not None and not tokens_equal(secret, app.client_secret)):
            return _error(400, "invalid_client")
        found = store.refresh_tokens.get(form.get("token", ""))
        if found is not None and found.client_id == app.client_id:
            for rt in store.refresh_tokens.values():
                if rt.client_id == app.client_id and rt.user_id == found.user_id:
                    rt.revoked = True
            for key in [
                k
                for k, c in store.connections.items()
                if c.client_id == app.client_id and c.user_id == found.user_id
            ]:
                del store.connections[key]
    sb.persist()
    return Response(200, b"", None)


# --- connections -------------------------------------------------------------------------


def connections(sb: Sandbox, req: Request, conn_id: str | None) -> Response:
    """GET /connections lists this token's connections; DELETE /connections/{id} removes one."""
    store = sb.store
    with store.lock:
        access = sb.bearer(req)
        if access is None:
            return sb.unauthorized("AuthenticationUnsuccessful")
        mine = [
            c
            for c in store.connections.values()
            if c.client_id == access.client_id
            and (access.user_id is None or c.user_id == access.user_id)
        ]
        if req.method == "DELETE":
            target = next((c for c in mine if c.id == conn_id), None)
            if target is None:
                return text_response(404, "")
            del store.connections[target.id]
            sb.persist()
            return Response(204, b"", None)
        event = req.q("authEventId")
        rows = [
            {
                "id": c.id,
                "authEventId": c.auth_event_id,
                "tenantId": c.tenant_id,
                "tenantType": "ORGANISATION",
                "tenantName": store.orgs[c.tenant_id].name,
                "createdDateUtc": wire.iso_utc7(c.created_ms),
                "updatedDateUtc": wire.iso_utc7(c.updated_ms),
            }
            for c in mine
            if c.tenant_id in store.orgs and (event is None or c.auth_event_id == event)
        ]
    return json_response(200, rows)
