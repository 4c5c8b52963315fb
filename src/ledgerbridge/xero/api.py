"""REST endpoints for Configuration > Integrations > Xero (admin only): the module switch,
connections, imports and tax-rate links. Everything but the browser's trip to Xero's login page
is here: `authorise` answers the URL to send a person to; Xero sends them back to the screens'
callback."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from ledgerbridge.api_support import (
    ERRORS,
    Id,
    Input,
    ListQuery,
    TokenAuth,
    current_user,
    fetch,
    paged,
    resolve_required,
)
from ledgerbridge.catalog.models import TaxRate
from ledgerbridge.xero import connections as service
from ledgerbridge.xero import imports, tax_links
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.connections import AuthorisationFailed
from ledgerbridge.xero.errors import XeroError
from ledgerbridge.xero.imports.tax_rates import xero_tax_rates as read_tax_rates
from ledgerbridge.xero.models import (
    REQUEST_FILTERS,
    Connection,
    ImportKind,
    ImportRun,
    ImportStatus,
    XeroModule,
    filtered_requests,
)

router = Router(tags=["xero"], auth=TokenAuth("configuration"))


class ModuleIn(Input):
    enabled: bool


class ModuleOut(Schema):
    enabled: bool
    general_settings_unlocked: bool = Field(
        description="True once at least one organisation is connected and saved."
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
    awaiting_save: bool = Field(description="Finished the flow, not saved yet.")
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


# --- the request log --------------------------------------------------------------------------

STATUS_FILTERS = ", ".join(REQUEST_FILTERS)


class RequestLogQuery(ListQuery):
    status: str = Field("all", max_length=20, description=f"Which requests: {STATUS_FILTERS}.")

    @field_validator("status", mode="after")
    @classmethod
    def _known_status(cls, value: str) -> str:
        if value not in REQUEST_FILTERS:
            raise ValueError(f"Choose one of {STATUS_FILTERS}")
        return value


class RequestLogOut(Schema):
    id: int
    at: dt.datetime
    tenant_id: str
    method: str
    host: str
    path: str
    idempotency_key: str
    status: int | None = Field(description="Xero's status; null when no answer came (`error`).")
    error: str
    duration_ms: int
    correlation_id: str = Field(description="Xero's xero-correlation-id, for Xero's support.")
    request_excerpt: str = Field(description="Query and body sent, tokens and secrets removed.")
    response_excerpt: str = Field(description="Body received, tokens and secrets removed.")


class RequestLogPage(Schema):
    count: int
    items: list[RequestLogOut]


@router.get("/connections/{connection_id}/requests", response={200: RequestLogPage, **ERRORS})
def list_requests(
    request: HttpRequest, connection_id: Id, params: Query[RequestLogQuery]
) -> dict[str, object]:
    """The connection's recent requests to Xero, newest first (`q` searches the path)."""
    rows = filtered_requests(fetch(Connection, connection_id, "Connection"), params.status)
    if params.q:
        rows = rows.filter(path__icontains=params.q)
    return paged(rows, params)


# --- imports (issue 5) and tax-rate links (TAX-2) --------------------------------------------

KINDS = ", ".join(ImportKind.values)


class ImportIn(Input):
    kind: str = Field(..., max_length=20, description=f"What to import: {KINDS}.")
    product_group: Id | None = Field(
        None, description="Products only: the product group imported products join."
    )
    ids: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        None, max_length=1000, description="Import only these Xero IDs (ContactID or ItemID)."
    )
    full: bool = Field(False, description="Ignore the watermark: read everything again.")

    @field_validator("kind", mode="after")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in ImportKind.values:
            raise ValueError(f"Choose one of {KINDS}")
        return value


class ImportProblem(Schema):
    record: str
    reason: str


class ImportRunOut(Schema):
    id: int
    connection_id: int | None
    tenant_id: str = Field(alias="xero_tenant_id")
    kind: str
    status: str = Field(description="queued, running, waiting, done or failed")
    finished: bool
    params: dict[str, Any]
    since: dt.datetime | None = Field(description="The watermark sent as If-Modified-Since.")
    total: int | None = Field(description="Records Xero has to give; null until known.")
    processed: int
    created: int
    updated: int
    skipped: int
    pages_done: int
    next_page: int
    api_calls: int
    problems: list[ImportProblem]
    message: str = Field(description="The outcome, or why the run waits or failed.")
    resume_after: dt.datetime | None = Field(description="A waiting run resumes by itself then.")
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    heartbeat_at: dt.datetime | None


class ImportRunPage(Schema):
    count: int
    items: list[ImportRunOut]


class ImportQuery(ListQuery):
    connection: Id | None = Field(None, description="Only this connection's runs.")
    kind: ImportKind | None = None
    status: ImportStatus | None = None


class XeroTaxRateOut(Schema):
    tax_type: str
    name: str
    percentage: Decimal


class TaxRateLinkIn(Input):
    tax_rate: Id = Field(..., description="The Ledgerbridge tax rate to link.")
    tax_type: str = Field(
        ..., min_length=1, max_length=50, description="The organisation's Xero TaxType."
    )
    merge_twin: bool = Field(
        False,
        description="When the Xero tax rate is already linked to another tax rate of the "
        "organisation (e.g. one an import created): move that rate's records onto this one, "
        "remove it, and link this one. Without it, such a link is refused (422, tax_type).",
    )
    confirm_percentage_change: bool = Field(
        False,
        description="Link even though the Xero tax rate's percentage differs from this rate's "
        "(the next tax-rate import then sets this rate to Xero's). Without it, such a link is "
        "refused (422, confirm_percentage_change).",
    )


class TaxRateLinkOut(Schema):
    id: int
    name: str
    percentage: Decimal
    xero_tenant_id: str
    xero_tax_type: str
    xero_name: str

    @staticmethod
    def of(rate: TaxRate) -> dict[str, Any]:
        tenant, tax_type, name = tax_links.linked_to(rate)
        return {
            "id": rate.pk,
            "name": rate.name,
            "percentage": rate.percentage,
            "xero_tenant_id": tenant,
            "xero_tax_type": tax_type,
            "xero_name": name,
        }


def _connected(connection_id: int) -> Connection:
    connection = fetch(Connection, connection_id, "Connection")
    if not connection.is_connected:
        raise ValidationError(
            f"{connection.name} is not connected; connect and save it first ({connection.state})."
        )
    return connection


def _live_tax_rates(connection: Connection) -> list[Any]:
    try:
        # The caller waits for this answer: XERO_DEADLINE_SECONDS, then "Xero is busy".
        with XeroClient.interactive(connection) as client:
            return list(read_tax_rates(client))
    except XeroError as exc:
        raise ValidationError(f"Xero did not give the tax rates: {exc.message}") from exc


@router.post("/connections/{connection_id}/imports", response={202: ImportRunOut, **ERRORS})
def start_import(request: HttpRequest, connection_id: Id, payload: ImportIn) -> Status[ImportRun]:
    """Start an import as background work (or resume the unfinished one with the same
    parameters); follow it at GET /xero/imports/{run_id}."""
    connection = _connected(connection_id)
    params: dict[str, Any] = {}
    if payload.kind == ImportKind.PRODUCTS:
        if payload.product_group is None:
            raise ValidationError(
                {"product_group": ["Choose the product group imported products join."]}
            )
        params["product_group"] = payload.product_group
    elif payload.product_group is not None:
        raise ValidationError({"product_group": ["Only a products import takes a group."]})
    if payload.ids:
        if payload.kind not in (ImportKind.CUSTOMERS, ImportKind.SUPPLIERS, ImportKind.PRODUCTS):
            raise ValidationError({"ids": ["Only customers, suppliers and products take ids."]})
        params["ids"] = list(dict.fromkeys(payload.ids))
    if payload.full:
        params["full"] = True
    run = imports.start_import(
        connection, payload.kind, params=params, user=current_user(request), background=True
    )
    return Status(202, run)


@router.get("/imports", response={200: ImportRunPage, **ERRORS})
def list_imports(request: HttpRequest, params: Query[ImportQuery]) -> dict[str, object]:
    rows = ImportRun.objects.all()
    if params.connection is not None:
        rows = rows.filter(connection_id=params.connection)
    if params.kind is not None:
        rows = rows.filter(kind=params.kind)
    if params.status is not None:
        rows = rows.filter(status=params.status)
    if params.q:
        rows = rows.filter(Q(message__icontains=params.q) | Q(connection__name__icontains=params.q))
    return paged(rows, params)


@router.get("/imports/{run_id}", response={200: ImportRunOut, **ERRORS})
def get_import(request: HttpRequest, run_id: Id) -> ImportRun:
    return fetch(ImportRun, run_id, "Import run")


@router.get(
    "/connections/{connection_id}/xero-tax-rates", response={200: list[XeroTaxRateOut], **ERRORS}
)
def xero_tax_rates(request: HttpRequest, connection_id: Id) -> list[Any]:
    """TAX-2: the organisation's active Xero tax rates, read live, to link tax rates to."""
    return _live_tax_rates(_connected(connection_id))


@router.post(
    "/connections/{connection_id}/tax-rate-links", response={200: TaxRateLinkOut, **ERRORS}
)
def link_tax_rate(
    request: HttpRequest, connection_id: Id, payload: TaxRateLinkIn
) -> dict[str, Any]:
    """TAX-2: link a tax rate to one of the organisation's Xero tax rates (checked live)."""
    connection = _connected(connection_id)
    rate = resolve_required(TaxRate, payload.tax_rate, "tax_rate", "Tax rate")
    live = {r.tax_type: r for r in _live_tax_rates(connection)}
    chosen = live.get(payload.tax_type)
    if chosen is None:
        raise ValidationError(
            {
                "tax_type": [
                    f"{connection.name} has no active Xero tax rate {payload.tax_type}; "
                    f"choose one of {', '.join(sorted(live)) or 'none'}."
                ]
            }
        )
    try:
        linked = tax_links.link_tax_rate(
            rate,
            connection.tenant_id,
            chosen.tax_type,
            chosen.name,
            xero_percentage=chosen.percentage,
            merge_twin=payload.merge_twin,
            confirm_percentage_change=payload.confirm_percentage_change,
        )
    except ValidationError as exc:
        # Name the request's fields: a clash is about the tax type, a percentage change about
        # its confirmation, the rest about the rate.
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"tax_rate": exc.messages}
        named = {"tax_type": "tax_type", "merge_twin": "tax_type"}
        named["confirm_percentage_change"] = "confirm_percentage_change"
        answer: dict[str, list[str]] = {}
        for field, messages in fields.items():
            answer.setdefault(named.get(field, "tax_rate"), []).extend(messages)
        raise ValidationError(answer) from exc
    return TaxRateLinkOut.of(linked)
