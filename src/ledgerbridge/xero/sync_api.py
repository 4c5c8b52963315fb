"""REST endpoints of the sync: its settings, each connection's errors and "Compare with Xero"
(admin), and any record's state and "Sync now" (whoever may use the record). The screens'
rules, the same limits (`sync_views`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from ledgerbridge.accounts.permissions import check_area
from ledgerbridge.api_support import ERRORS, Id, Input, ListQuery, TokenAuth, fetch, paged
from ledgerbridge.sync import services as sync
from ledgerbridge.sync.models import SyncIssue, SyncSettings
from ledgerbridge.xero import comparisons
from ledgerbridge.xero.imports.common import organisation
from ledgerbridge.xero.models import Connection
from ledgerbridge.xero.sync_state import RecordState, record_state
from ledgerbridge.xero.sync_views import RECORDS, save_sync_settings

settings_router = Router(tags=["xero sync"], auth=TokenAuth("configuration"))
records_router = Router(tags=["xero sync"], auth=TokenAuth())

Kind = Literal["customer", "supplier", "product", "invoice", "credit_note", "purchase_order"]


class SyncSettingsBody(Schema):
    sync_customers: bool = Field(description="Customers are synced.")
    sync_suppliers: bool
    sync_products: bool
    sync_invoices: bool
    sync_purchase_orders: bool
    success_message: bool = Field(description="A message after each successful sync.")
    archive_inactive: bool = Field(
        description="Archive the Xero contact of an inactive customer or supplier."
    )
    default_organisation: int | None = Field(
        description="The organisation (id) new customers, suppliers and products get."
    )
    product_linking: bool = Field(description="Child products use their parent's codes.")
    generate_account_numbers: bool
    generate_product_codes: bool
    default_sales_account_code: str = Field(max_length=10)
    default_purchase_account_code: str = Field(max_length=10)
    default_invoice_status: Literal["DRAFT", "SUBMITTED", "AUTHORISED"] = Field(
        "DRAFT", description="The status new invoices start in (manual and recurring may differ)."
    )
    default_purchase_order_status: Literal["DRAFT", "SUBMITTED", "AUTHORISED"] = "DRAFT"
    sync_invoice_statuses: list[Literal["DRAFT", "SUBMITTED", "AUTHORISED"]] = Field(
        ["DRAFT", "SUBMITTED", "AUTHORISED"],
        description="Invoices are synced only in these statuses.",
    )
    invoice_line_text: Literal["description", "item", "ticket"] = Field(
        "description",
        description="What a synced invoice line says: its description, its item's name, or "
        "its ticket's reference and summary with the date of the work.",
    )
    default_invoice_item_code: str = Field(
        "", max_length=30, description="The item code of invoice lines that have none."
    )
    default_purchase_order_item_code: str = Field(
        "", max_length=30, description="The item code of purchase-order lines that have none."
    )
    allow_number_override: bool = Field(
        False, description="An invoice may carry a number of its own in Xero (external_number)."
    )


class SyncSettingsIn(SyncSettingsBody, Input):
    pass


def _settings_out(row: SyncSettings) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in SyncSettingsBody.model_fields}
    data["default_organisation"] = row.default_organisation_id
    return data


@settings_router.get("/sync-settings", response={200: SyncSettingsBody, **ERRORS})
def get_sync_settings(request: HttpRequest) -> dict[str, Any]:
    return _settings_out(SyncSettings.get())


@settings_router.put("/sync-settings", response={200: SyncSettingsBody, **ERRORS})
def put_sync_settings(request: HttpRequest, payload: SyncSettingsIn) -> dict[str, Any]:
    """Change the settings (CONN-1: refused with 422 until an organisation is connected)."""
    data = payload.model_dump()
    form_data = {
        name: ("on" if value is True else "" if value is False else value)
        for name, value in data.items()
        if value is not False and value is not None
    }
    return _settings_out(save_sync_settings(form_data))


class IssueOut(Schema):
    id: int
    kind: str
    record_id: int = Field(alias="local_id")
    label: str
    message: str = Field(description="What went wrong, in words that point at the fix.")
    answer: str = Field(description="Xero's own words.")
    sent: dict[str, Any]
    count: int
    first_at: dt.datetime
    last_at: dt.datetime
    resolved_at: dt.datetime | None


class IssuePage(Schema):
    count: int
    items: list[IssueOut]


class IssueQuery(ListQuery):
    resolved: bool = Field(False, description="Resolved errors instead of open ones.")


def _issues(connection: Connection) -> QuerySet[SyncIssue]:
    if not connection.tenant_id:
        return SyncIssue.objects.none()
    return SyncIssue.objects.filter(organisation=organisation(connection.tenant_id))


@settings_router.get(
    "/connections/{connection_id}/sync-errors", response={200: IssuePage, **ERRORS}
)
def list_sync_errors(
    request: HttpRequest, connection_id: Id, params: Query[IssueQuery]
) -> dict[str, Any]:
    """ERR-2: the connection's failed syncs, newest first."""
    connection = fetch(Connection, connection_id, "Connection")
    rows = _issues(connection).filter(resolved_at__isnull=not params.resolved)
    if params.q:
        rows = rows.filter(label__icontains=params.q) | rows.filter(message__icontains=params.q)
    return paged(rows, params)


@settings_router.post(
    "/connections/{connection_id}/sync-errors/{issue_id}/retry",
    response={200: IssueOut, **ERRORS},
)
def retry_sync_error(request: HttpRequest, connection_id: Id, issue_id: Id) -> SyncIssue:
    """ERR-3: send the error's record again."""
    connection = fetch(Connection, connection_id, "Connection")
    issue = _issues(connection).filter(pk=issue_id).first()
    if issue is None:
        raise Http404(f"Sync error {issue_id} does not exist for this connection.")
    sync.send_again(issue.kind, issue.local_id)
    return issue


class CountOut(Schema):
    count: int


@settings_router.post(
    "/connections/{connection_id}/sync-errors/resync", response={200: CountOut, **ERRORS}
)
def resync_failed(request: HttpRequest, connection_id: Id) -> dict[str, int]:
    """Every failed record of the connection's organisation back in its queue."""
    connection = fetch(Connection, connection_id, "Connection")
    if not connection.tenant_id:
        return {"count": 0}
    return {"count": sync.send_failed_again(organisation(connection.tenant_id).pk)}


class StateOut(Schema):
    state: str = Field(description="not_synced, not_eligible, pending, in_flight, synced or failed")
    label: str
    words: str = Field(description="The state in words, with what to do when it cannot sync.")
    remote_id: str
    xero_url: str
    position: int | None = Field(description="Its place in its organisation's queue.")
    estimate_minutes: int | None
    version: int
    synced_version: int
    updated_at: dt.datetime | None


def _record(request: HttpRequest, kind: str, record_id: int) -> Any:
    model, _, area = RECORDS[kind]
    check_area(request.user, area)
    return fetch(model, record_id, kind.capitalize())


@records_router.get("/{kind}/{record_id}", response={200: StateOut, **ERRORS})
def get_sync_state(request: HttpRequest, kind: Kind, record_id: Id) -> RecordState:
    """A customer's, supplier's or product's sync state (SYNC-2)."""
    return record_state(kind, _record(request, kind, record_id))


@records_router.post("/{kind}/{record_id}/sync-now", response={200: StateOut, **ERRORS})
def sync_now(request: HttpRequest, kind: Kind, record_id: Id) -> RecordState:
    """Put the record back at the front of its organisation's queue; 422 when it belongs to
    no organisation (it cannot sync)."""
    record = _record(request, kind, record_id)
    if sync.send_again(kind, record.pk) is None:
        raise ValidationError(
            {"record": [f"{record} belongs to no organisation, so it cannot be synced."]}
        )
    return record_state(kind, record)


class CompareIn(Input):
    fix: bool = Field(
        False,
        description="Also repair what differs: send our version of each differing record "
        "again, and link Xero records that match ours exactly.",
    )


class FieldDifferenceOut(Schema):
    field: str
    ours: str
    xero: str


class DifferenceOut(Schema):
    kind: str
    problem: Literal["missing", "twice", "differs", "unlinked", "still_there", "refused"]
    problem_label: str
    label: str
    local_id: int | None = Field(description="The PSA record's id.")
    remote_id: str = Field(description="The Xero record's id.")
    fields: list[FieldDifferenceOut]
    fix: Literal["send", "link", ""] = Field(
        description="What fix does: send ours again, link the Xero record, or nothing (a "
        "person decides)."
    )
    words: str


class ComparisonOut(Schema):
    id: int
    connection: int
    status: Literal["queued", "running", "done", "failed"]
    status_label: str
    fix: bool
    phase: str
    done: int
    total: int | None
    percent: int | None
    finished: bool
    message: str = Field(description="The outcome in words (or why it failed).")
    read: dict[str, int] = Field(description="Xero records read, per kind.")
    checked: dict[str, int] = Field(description="PSA records compared, per kind.")
    waiting: dict[str, int] = Field(description="Not compared: waiting to be sent.")
    difference_count: int
    differences: list[DifferenceOut] = Field(description="The first 5,000 differences.")
    fixed: dict[str, int] = Field(description="With fix: how many were sent, linked, left.")
    calls: int = Field(description="Calls made to Xero.")
    created_at: dt.datetime
    finished_at: dt.datetime | None


@settings_router.post(
    "/connections/{connection_id}/compare", response={202: ComparisonOut, **ERRORS}
)
def start_comparison(
    request: HttpRequest, connection_id: Id, payload: CompareIn
) -> Status[dict[str, Any]]:
    """Compare with Xero: queue a comparison of the connection's organisation for the
    worker (one at a time: one already queued or running is returned); follow it with GET.
    422 when the connection is not connected."""
    connection = fetch(Connection, connection_id, "Connection")
    run = comparisons.start(connection, fix=payload.fix)
    return Status(202, comparisons.progress_json(run))


@settings_router.get(
    "/connections/{connection_id}/compare", response={200: ComparisonOut, **ERRORS}
)
def latest_comparison(request: HttpRequest, connection_id: Id) -> dict[str, Any]:
    """The connection's latest comparison, with its progress or its differences; 404 when it
    was never compared."""
    connection = fetch(Connection, connection_id, "Connection")
    run = connection.comparisons.first()
    if run is None:
        raise Http404(f"{connection.name} was never compared with Xero; POST to start.")
    return comparisons.progress_json(run)
