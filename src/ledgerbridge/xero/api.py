"""REST endpoints for Configuration > Integrations > Xero (admin only): the module switch and
connections. Everything but the browser's trip to Xero's login page is here: `authorise`
answers the URL to send a person to; Xero sends them back to the screens' callback."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from ledgerbridge.api_support import (
    ERRORS,
    Id,
    Input,
    ListQuery,
    TokenAuth,
    current_user,
    fetch,
    paged,
)
from ledgerbridge.xero import connections as service
from ledgerbridge.xero.connections import AuthorisationFailed
from ledgerbridge.xero.models import Connection, XeroModule

router = Router(tags=["xero"], auth=TokenAuth("configuration"))


class ModuleIn(Input):
    enabled: bool


class ModuleOut(Schema):
    enabled: bool
    general_settings_unlocked: bool = Field(
        description="CONN-1: true once at least one organisation is connected and saved."
    )


class ConnectionIn(Input):
    name: str = Field(..., min_length=1, max_length=100, description="The display name.")


class ConnectionOut(Schema):
    id: int
    name: str
    tenant_id: str
    tenant_name: str
    state: str = Field(description="connected, needs_reauth or disconnected")
    saved: bool
    awaiting_save: bool = Field(description="CONN-4: finished the flow, not saved yet.")
    scopes: list[str]
    connected_at: dt.datetime | None
    minute_remaining: int | None
    day_remaining: int | None
    app_minute_remaining: int | None
    paused_until: dt.datetime | None
    last_call_at: dt.datetime | None
    last_error: str


class ConnectionPage(Schema):
    count: int
    items: list[ConnectionOut]


class AuthorisationOut(Schema):
    authorisation_url: str = Field(description="Send the person here; Xero returns them.")


def _refused(exc: AuthorisationFailed) -> ValidationError:
    return ValidationError(exc.message)


@router.get("/module", response={200: ModuleOut, **ERRORS})
def get_module(request: HttpRequest) -> dict[str, bool]:
    return {
        "enabled": XeroModule.get().enabled,
        "general_settings_unlocked": service.general_settings_unlocked(),
    }


@router.put("/module", response={200: ModuleOut, **ERRORS})
def put_module(request: HttpRequest, payload: ModuleIn) -> dict[str, bool]:
    service.set_module_enabled(payload.enabled)
    return get_module(request)


@router.get("/connections", response={200: ConnectionPage, **ERRORS})
def list_connections(request: HttpRequest, params: Query[ListQuery]) -> dict[str, object]:
    rows = Connection.objects.select_related("token_set")
    if params.q:
        rows = rows.filter(Q(name__icontains=params.q) | Q(tenant_name__icontains=params.q))
    return paged(rows, params)


@router.post("/connections", response={201: ConnectionOut, **ERRORS})
def create_connection(request: HttpRequest, payload: ConnectionIn) -> Status[Connection]:
    if not XeroModule.get().enabled:
        raise ValidationError("Enable the Xero integration first (PUT /xero/module).")
    try:
        return Status(201, service.create_connection(payload.name))
    except AuthorisationFailed as exc:
        raise ValidationError({"name": [exc.message]}) from exc


@router.get("/connections/{connection_id}", response={200: ConnectionOut, **ERRORS})
def get_connection(request: HttpRequest, connection_id: Id) -> Connection:
    return fetch(Connection, connection_id, "Connection")


@router.post("/connections/{connection_id}/authorise", response={200: AuthorisationOut, **ERRORS})
def authorise(request: HttpRequest, connection_id: Id) -> dict[str, str]:
    """Start "Connect now" (CONN-3): the URL of Xero's login and organisation picker."""
    connection = fetch(Connection, connection_id, "Connection")
    if not XeroModule.get().enabled:
        raise ValidationError("Enable the Xero integration first (PUT /xero/module).")
    callback = settings.XERO_REDIRECT_URI or request.build_absolute_uri(reverse("xero:callback"))
    try:
        url = service.start_authorisation(connection, current_user(request), callback)
        return {"authorisation_url": url}
    except AuthorisationFailed as exc:
        raise _refused(exc) from exc


@router.post("/connections/{connection_id}/save", response={200: ConnectionOut, **ERRORS})
def save(request: HttpRequest, connection_id: Id) -> Connection:
    try:
        return service.save_connection(fetch(Connection, connection_id, "Connection"))
    except AuthorisationFailed as exc:
        raise _refused(exc) from exc


@router.post("/connections/{connection_id}/disconnect", response={200: ConnectionOut, **ERRORS})
def disconnect(request: HttpRequest, connection_id: Id) -> Connection:
    """CONN-5: revoke and remove Xero's connection; records linked to it are kept."""
    return service.disconnect(fetch(Connection, connection_id, "Connection"))


@router.delete("/connections/{connection_id}", response={204: None, **ERRORS})
def delete(request: HttpRequest, connection_id: Id) -> Status[None]:
    service.delete_connection(fetch(Connection, connection_id, "Connection"))
    return Status(204, None)
