"""Connections to Xero organisations: connect (OAuth2 code flow with state and PKCE, through
Authlib), save, disconnect, delete, and the single-flight token refresh (CONN-1..CONN-6).

Contract of `access_token`: returns a token valid for at least XERO_REFRESH_LEEWAY seconds.
Refreshing is single-flight per token set across threads (a lock) and processes (a row lock in
the same transaction that stores the rotated refresh token), so N callers at once make one
refresh call. `invalid_grant` marks the token set and its connections "needs re-authorisation"
and raises ReauthorisationNeeded; nothing queued is dropped.

Every request goes through `transport.client` (recorded in the request log); what an answer
means is decided in `errors`. When a connection becomes usable again (saved, or reconnected)
`connection_ready` is sent; `tasks` answers it by queueing the work that waited for it (CONN-6).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import threading
from contextlib import ExitStack
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from ledgerbridge import crypto
from ledgerbridge.accounts.models import User
from ledgerbridge.xero import transport
from ledgerbridge.xero.endpoints import XeroApp
from ledgerbridge.xero.errors import (
    GrantRevoked,
    ReauthorisationNeeded,
    TokenRefused,
    TransientError,
    XeroError,
    classify,
    removal_problem,
    revocation_problem,
    token_answer,
    transport_failure,
)
from ledgerbridge.xero.models import (
    AuthorisationAttempt,
    Connection,
    ConnectionState,
    TokenSet,
    XeroModule,
)

log = logging.getLogger(__name__)

ATTEMPT_LIFETIME = dt.timedelta(minutes=15)
TOKEN_TIMEOUT = 10.0  # seconds; well under SQLite's busy timeout (settings.py)

# Sent (keyword `connection`) when a saved connection can be used again: saved, or reconnected.
connection_ready = Signal()


class AuthorisationFailed(Exception):
    """The authorisation could not complete; `message` says why and what to do."""

    def __init__(self, message: str, connection: Connection | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.connection = connection


def token_request(app: XeroApp, http: httpx.Client, form: dict[str, str]) -> dict[str, Any]:
    """POST the token endpoint (client credentials in the body, as Xero's SDK sends them).

    Returns the token; raises TokenRefused (GrantRevoked) with Xero's `error` code, or
    TransientError."""
    data = {**form, "client_id": app.client_id, "client_secret": app.client_secret}
    try:
        response = http.post(
            app.token_url,
            data=data,
            headers={"Accept": "application/json"},
            # Short: on SQLite a refresh holds the write lock while it waits (`access_token`).
            timeout=min(settings.XERO_TIMEOUT, TOKEN_TIMEOUT),
        )
    except httpx.TransportError as exc:
        raise transport_failure(exc) from exc
    return token_answer(response.status_code, response.content)


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT we received straight from Xero's token endpoint (not verified:
    used only to learn which authorisation event and user the token belongs to)."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return data if isinstance(data, dict) else {}
    except (IndexError, ValueError):
        return {}


# --- connect ----------------------------------------------------------------------------------


def create_connection(name: str) -> Connection:
    name = name.strip()
    if not name:
        raise AuthorisationFailed("Enter a display name for the connection.")
    if Connection.objects.filter(name__iexact=name).exists():
        raise AuthorisationFailed(f"A connection named {name!r} already exists; pick another name.")
    return Connection.objects.create(name=name)


def start_authorisation(
    connection: Connection, user: User | None, redirect_uri: str, app: XeroApp | None = None
) -> str:
    """Begin "Connect now": returns Xero's authorisation URL (with state and PKCE)."""
    app = app or XeroApp.from_settings()
    if not app.client_id:
        raise AuthorisationFailed(
            "No Xero app is configured: set XERO_CLIENT_ID, XERO_CLIENT_SECRET and "
            "XERO_REDIRECT_URI, or run the Xero sandbox (make demo does)."
        )
    state = generate_token(43)
    verifier = generate_token(64)
    AuthorisationAttempt.objects.create(
        state=state,
        code_verifier_enc=crypto.encrypt(verifier),
        connection=connection,
        started_by=user,
    )
    return str(
        prepare_grant_uri(
            app.authorize_url,
            app.client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=app.scopes,
            state=state,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
    )


def _claim_attempt(state: str, user: User | None) -> AuthorisationAttempt:
    """Use an attempt once: an unknown, expired, replayed or someone else's state is refused."""
    if not state:
        raise AuthorisationFailed("Xero's answer carried no state; start again with Connect now.")
    attempt = AuthorisationAttempt.objects.select_related("connection").filter(state=state).first()
    if attempt is None:
        raise AuthorisationFailed(
            "This authorisation answer does not match any Connect now we started; start again."
        )
    if user is not None and attempt.started_by_id not in (None, user.pk):
        raise AuthorisationFailed(
            "This Connect now was started by another user; press Connect now yourself.",
            attempt.connection,
        )
    fresh_after = timezone.now() - ATTEMPT_LIFETIME
    claimed = AuthorisationAttempt.objects.filter(
        pk=attempt.pk, used_at__isnull=True, created_at__gte=fresh_after
    ).update(used_at=timezone.now())
    if not claimed:
        raise AuthorisationFailed(
            "This authorisation answer was already used or has expired; press Connect now again.",
            attempt.connection,
        )
    return attempt


def complete_authorisation(
    params: dict[str, str],
    redirect_uri: str,
    app: XeroApp | None = None,
    user: User | None = None,
) -> list[Connection]:
    """Finish the flow from Xero's redirect (`user`, who is back, must be who started it).

    Returns the connections it filled in: the one that
    started it first, then one per further organisation the login granted. None is saved yet
    (CONN-4); a failure changes no connection."""
    app = app or XeroApp.from_settings()
    attempt = _claim_attempt(params.get("state", ""), user)
    connection = attempt.connection
    if params.get("error"):
        detail = params.get("error_description") or params["error"]
        if params["error"] == "access_denied":
            detail = "the connection was cancelled on Xero's consent page"
        raise AuthorisationFailed(f"Xero did not connect: {detail}.", connection)
    code = params.get("code", "")
    if not code:
        raise AuthorisationFailed(
            "Xero's answer carried no code; press Connect now again.", connection
        )
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": crypto.decrypt(attempt.code_verifier_enc),
    }
    with transport.client(connection=connection) as http:
        return _finish(app, http, connection, form)


def _finish(
    app: XeroApp, http: httpx.Client, connection: Connection, form: dict[str, str]
) -> list[Connection]:
    try:
        token = token_request(app, http, form)
    except TokenRefused as exc:
        raise AuthorisationFailed(
            f"Xero refused the authorisation code ({exc.error}): it may have been used already "
            "or expired. Press Connect now again.",
            connection,
        ) from exc
    except TransientError as exc:
        raise AuthorisationFailed(f"{exc.message} Try again.", connection) from exc

    claims = jwt_claims(str(token["access_token"]))
    event_id = str(claims.get("authentication_event_id") or "")
    tenants = _granted_tenants(app, str(token["access_token"]), event_id, http)
    if not tenants:
        raise AuthorisationFailed(
            "Xero granted no organisation; pick one and try again.", connection
        )
    linked = _link_tenants(connection, token, claims, event_id, tenants)
    for target in linked:
        if target.saved:  # reconnected: work that waited for it carries on (CONN-6)
            connection_ready.send(sender=Connection, connection=target)
    if connection not in linked:
        names = ", ".join(c.name for c in linked)
        if connection.tenant_id:
            reason = (
                f"{connection.name} is for {connection.tenant_name}, but Xero granted other "
                f"organisations; see {names}."
            )
        else:
            reason = f"That organisation is already connected as {names}; its tokens were renewed."
        raise AuthorisationFailed(reason, connection)
    return linked


def _granted_tenants(
    app: XeroApp, access_token: str, event_id: str, http: httpx.Client
) -> list[dict[str, Any]]:
    params = {"authEventId": event_id} if event_id else {}
    try:
        response = http.get(
            app.connections_url,
            params=params,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
    except httpx.TransportError as exc:
        failure = transport_failure(exc)
        raise AuthorisationFailed(f"{failure.message} Try again.") from exc
    if error := classify(response.status_code, response.headers, response.content):
        raise AuthorisationFailed(f"Xero did not list the organisations: {error.message}")
    data = response.json()
    return [t for t in data if t.get("tenantType", "ORGANISATION") == "ORGANISATION"] or data


@transaction.atomic
def _link_tenants(
    connection: Connection,
    token: dict[str, Any],
    claims: dict[str, Any],
    event_id: str,
    tenants: list[dict[str, Any]],
) -> list[Connection]:
    now = timezone.now()
    token_set = TokenSet(xero_user_id=str(claims.get("xero_userid") or ""), auth_event_id=event_id)
    token_set.store(token, now)
    token_set.save()
    first = connection.tenant_id
    ordered = sorted(tenants, key=lambda t: t["tenantId"] != first) if first else tenants
    linked: list[Connection] = []
    for tenant in ordered:
        tenant_id = str(tenant["tenantId"])
        target = Connection.objects.select_for_update().filter(tenant_id=tenant_id).first()
        if target is None:
            if not linked and not connection.tenant_id:
                target = Connection.objects.select_for_update().get(pk=connection.pk)
            else:
                target = Connection(name=_free_name(str(tenant.get("tenantName") or tenant_id)))
        previous = target.token_set_id
        target.tenant_id = tenant_id
        target.tenant_name = str(tenant.get("tenantName") or "")
        target.tenant_type = str(tenant.get("tenantType") or "ORGANISATION")
        target.xero_connection_id = str(tenant.get("id") or "")
        target.token_set = token_set
        target.connected_at = now
        target.state = ConnectionState.CONNECTED if target.saved else ConnectionState.DISCONNECTED
        target.last_error = ""
        target.save()
        linked.append(target)
        if previous and previous != token_set.pk:
            _drop_unused_token_set(previous)
    return linked


def _free_name(base: str) -> str:
    name, n = base[:90], 2
    while Connection.objects.filter(name__iexact=name).exists():
        name, n = f"{base[:90]} ({n})", n + 1
    return name


def _drop_unused_token_set(token_set_id: int) -> None:
    if not Connection.objects.filter(token_set_id=token_set_id).exists():
        TokenSet.objects.filter(pk=token_set_id).delete()


def save_connection(connection: Connection) -> Connection:
    """Save a connection that finished the flow (CONN-4); until then it stays disconnected."""
    if not connection.tenant_id or connection.token_set_id is None:
        raise AuthorisationFailed("Connect to an organisation first, then save.", connection)
    connection.saved = True
    connection.state = (
        ConnectionState.NEEDS_REAUTH
        if connection.token_set and connection.token_set.needs_reauth_since
        else ConnectionState.CONNECTED
    )
    connection.save(update_fields=["saved", "state"])
    if connection.state == ConnectionState.CONNECTED:
        connection_ready.send(sender=Connection, connection=connection)
    return connection


def set_module_enabled(enabled: bool) -> XeroModule:
    module = XeroModule.get()
    module.enabled = enabled
    module.save()
    return module


def general_settings_unlocked() -> bool:
    """CONN-1: general settings can be configured once at least one tenant is connected."""
    return Connection.objects.filter(saved=True, state=ConnectionState.CONNECTED).exists()


# --- tokens -----------------------------------------------------------------------------------

_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(token_set_id: int) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(token_set_id, threading.Lock())


def access_token(
    token_set_id: int,
    *,
    stale: str | None = None,
    app: XeroApp | None = None,
    http: httpx.Client | None = None,
) -> str:
    """A valid access token for the token set, refreshing it first if needed (single-flight).

    `stale`: a token Xero just refused with 401; it is refreshed unless someone already did.
    """
    leeway = settings.XERO_REFRESH_LEEWAY
    current = TokenSet.objects.filter(pk=token_set_id).first()
    if current is None:  # disconnected or reconnected since the caller looked
        raise ReauthorisationNeeded("The Xero connection was disconnected: connect it again.")
    if current.needs_reauth_since:
        raise ReauthorisationNeeded("The Xero connection needs re-authorisation: connect it again.")
    if not current.expires_within(leeway) and (stale is None or current.access_token != stale):
        return current.access_token
    with _lock_for(token_set_id), ExitStack() as stack:
        if http is None:
            http = stack.enter_context(transport.client(connection=_owner(token_set_id)))
        try:
            # The refresh's log row is written after this transaction, even if it rolls back.
            with transport.deferred_log(), transaction.atomic():
                row = TokenSet.objects.select_for_update().get(pk=token_set_id)
                if row.needs_reauth_since:
                    raise ReauthorisationNeeded(
                        "The Xero connection needs re-authorisation: connect it again."
                    )
                if not row.expires_within(leeway) and (stale is None or row.access_token != stale):
                    return row.access_token  # another thread or process refreshed it meanwhile
                return _refresh(row, app or XeroApp.from_settings(), http)
        except GrantRevoked as exc:
            # Recorded after the refresh transaction rolled back, so that it sticks.
            mark_needs_reauth(token_set_id, f"Xero refused the refresh ({exc.error}).")
            raise ReauthorisationNeeded(
                f"Xero refused to refresh the connection's tokens ({exc.error}): connect it again."
            ) from exc


def _owner(token_set_id: int) -> Connection | None:
    """The connection a token set serves, when it serves exactly one (for the request log)."""
    owners = list(Connection.objects.filter(token_set_id=token_set_id)[:2])
    return owners[0] if len(owners) == 1 else None


def _refresh(row: TokenSet, app: XeroApp, http: httpx.Client) -> str:
    if not row.refresh_token:
        raise ReauthorisationNeeded("This connection has no refresh token; connect it again.")
    try:
        # A lost answer leaves the old refresh token valid for 30 minutes: TransientError
        # propagates and the next caller retries with it.
        body = token_request(
            app, http, {"grant_type": "refresh_token", "refresh_token": row.refresh_token}
        )
    except GrantRevoked:
        raise
    except TokenRefused as exc:
        if exc.error == "invalid_client":
            raise XeroError(
                "Xero refused the app's credentials (invalid_client): check XERO_CLIENT_ID and "
                "XERO_CLIENT_SECRET. The connection itself is still good."
            ) from exc
        raise XeroError(f"Xero refused to refresh the token ({exc.error}).") from exc
    now = timezone.now()
    row.store(body, now)
    row.refreshed_at = now
    row.refresh_count += 1
    row.save()
    log.info("refreshed Xero token set %s", row.pk)
    return row.access_token


def mark_needs_reauth(token_set_id: int, reason: str) -> None:
    """CONN-6: every saved connection on this token set now needs a person to reconnect."""
    now = timezone.now()
    TokenSet.objects.filter(pk=token_set_id).update(needs_reauth_since=now)
    Connection.objects.filter(token_set_id=token_set_id, saved=True).update(
        state=ConnectionState.NEEDS_REAUTH, last_error=reason, last_error_at=now
    )


@transaction.atomic
def rotate_secrets() -> int:
    """Re-encrypt every stored Xero secret with the newest key; returns how many rows."""
    count = 0
    for row in TokenSet.objects.select_for_update():
        row.access_token_enc = crypto.rotate(row.access_token_enc)
        if row.refresh_token_enc:
            row.refresh_token_enc = crypto.rotate(row.refresh_token_enc)
        row.save(update_fields=["access_token_enc", "refresh_token_enc"])
        count += 1
    for attempt in AuthorisationAttempt.objects.select_for_update():
        attempt.code_verifier_enc = crypto.rotate(attempt.code_verifier_enc)
        attempt.save(update_fields=["code_verifier_enc"])
        count += 1
    return count


# --- disconnect and delete --------------------------------------------------------------------


def disconnect(connection: Connection, app: XeroApp | None = None) -> Connection:
    """Remove Xero's connection and forget the tokens (CONN-5). Linked records are untouched.

    The refresh token is revoked only when no other connection belongs to the same Xero user:
    revoking removes every organisation that user granted the app (XERO-FACTS 1).
    """
    app = app or XeroApp.from_settings()
    token_set = connection.token_set
    problems = []
    if token_set is not None and token_set.needs_reauth_since:
        problems.append(
            "Xero's side was not removed because the connection needed re-authorisation; "
            "remove Ledgerbridge under Settings > Connected apps in Xero"
        )
    elif token_set is not None:
        with transport.client(connection=connection) as http:
            problems.extend(_remove_from_xero(connection, token_set, app, http))
    with transaction.atomic():
        now = timezone.now()
        connection.state = ConnectionState.DISCONNECTED
        connection.saved = False
        connection.token_set = None
        connection.xero_connection_id = ""
        connection.disconnected_at = now
        connection.last_error = "; ".join(problems)
        connection.last_error_at = now if problems else None
        connection.save()
        if token_set is not None:
            _drop_unused_token_set(token_set.pk)
    return connection


def _remove_from_xero(
    connection: Connection, token_set: TokenSet, app: XeroApp, http: httpx.Client
) -> list[str]:
    """Remove Xero's connection and, when nothing else needs the login, revoke its token."""
    problems: list[str] = []
    try:
        token = access_token(token_set.pk, app=app, http=http)
        if connection.xero_connection_id:
            answer = http.delete(
                app.connection_url(connection.xero_connection_id),
                headers={"Authorization": f"Bearer {token}"},
            )
            if problem := removal_problem(answer.status_code):
                problems.append(problem)
        # Revoking removes EVERY connection this Xero user gave the app, whichever token set
        # holds it (XERO-FACTS 1), so revoke only when the user has no other connection here.
        others = Connection.objects.exclude(pk=connection.pk)
        same_user = (
            others.filter(token_set__xero_user_id=token_set.xero_user_id)
            if token_set.xero_user_id
            else others.filter(token_set=token_set)
        )
        fresh = TokenSet.objects.get(pk=token_set.pk)  # access_token() may have rotated it
        if not same_user.exists() and fresh.refresh_token:
            revoked = http.post(
                app.revocation_url,
                data={"token": fresh.refresh_token, "client_id": app.client_id,
                      "client_secret": app.client_secret},
            )  # fmt: skip
            if problem := revocation_problem(revoked.status_code):
                problems.append(problem)
    except XeroError as exc:
        problems.append(exc.message)
    except httpx.TransportError as exc:
        problems.append(transport_failure(exc).message)
    return problems


def delete_connection(connection: Connection, app: XeroApp | None = None) -> None:
    """Disconnect if needed, then delete the connection. Records linked to it keep their data."""
    if connection.token_set_id is not None:
        disconnect(connection, app)
    connection.delete()
