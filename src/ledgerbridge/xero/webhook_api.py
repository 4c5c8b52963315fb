"""REST endpoints of the webhooks (admin): each connection's switches and inbox, Replay and
"Catch up since…", and the app's signing key (write-only). The webhooks tab's rules."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from ledgerbridge.api_support import ERRORS, Date, Id, Input, ListQuery, TokenAuth, fetch, paged
from ledgerbridge.xero import webhooks
from ledgerbridge.xero.models import Connection, WebhookEvent, WebhookKey
from ledgerbridge.xero.tasks import catch_up_task

router = Router(tags=["xero webhooks"], auth=TokenAuth("configuration"))


class SwitchesBody(Schema):
    contacts_created: bool
    contacts_updated: bool
    invoices_created: bool
    invoices_updated: bool


class SwitchesIn(SwitchesBody, Input):
    pass


class WebhooksOut(SwitchesBody):
    endpoint: str = Field(description="The path to register in Xero (on this server).")
    key_saved: bool = Field(description="Whether a signing key is saved (it is never shown).")
    intent_passed_at: dt.datetime | None
    last_delivery_at: dt.datetime | None


def _webhooks_out(connection: Connection) -> dict[str, Any]:
    key = WebhookKey.get()
    return {
        **{name.removeprefix("wh_"): getattr(connection, name) for name in webhooks.SWITCHES},
        "endpoint": reverse("xero:webhook_endpoint"),
        "key_saved": bool(key.signing_key),
        "intent_passed_at": key.intent_passed_at,
        "last_delivery_at": key.last_delivery_at,
    }


@router.get("/connections/{connection_id}/webhooks", response={200: WebhooksOut, **ERRORS})
def get_webhooks(request: HttpRequest, connection_id: Id) -> dict[str, Any]:
    """Which events the organisation applies, and the app's webhook."""
    return _webhooks_out(fetch(Connection, connection_id, "Connection"))


@router.put("/connections/{connection_id}/webhooks", response={200: WebhooksOut, **ERRORS})
def put_webhooks(request: HttpRequest, connection_id: Id, payload: SwitchesIn) -> dict[str, Any]:
    """Switch each kind of event on or off for the organisation."""
    connection = fetch(Connection, connection_id, "Connection")
    for name, value in payload.model_dump().items():
        setattr(connection, f"wh_{name}", value)
    connection.save(update_fields=[f"wh_{name}" for name in payload.model_dump()])
    return _webhooks_out(connection)


class KeyIn(Input):
    signing_key: str = Field(..., min_length=1, max_length=200)


@router.put("/webhook-key", response={204: None, **ERRORS})
def put_webhook_key(request: HttpRequest, payload: KeyIn) -> Status[None]:
    """Save the app's webhook signing key (stored encrypted, never returned)."""
    webhooks.save_key(payload.signing_key)
    return Status(204, None)


class EventOut(Schema):
    id: int
    category: str
    event_type: str = Field(description="CREATE, UPDATE, or POLL (found by the catch-up)")
    resource_id: str
    event_date: str
    status: Literal["received", "applied", "ignored", "failed"]
    reason: str = Field(description="Why it was ignored, or the error.")
    received_at: dt.datetime
    applied_at: dt.datetime | None


class EventPage(Schema):
    count: int
    items: list[EventOut]


class EventQuery(ListQuery):
    status: Literal["received", "applied", "ignored", "failed"] | None = None


def _events(connection: Connection) -> QuerySet[WebhookEvent]:
    return WebhookEvent.objects.filter(tenant_id=connection.tenant_id or "-")


@router.get("/connections/{connection_id}/webhook-events", response={200: EventPage, **ERRORS})
def list_webhook_events(
    request: HttpRequest, connection_id: Id, params: Query[EventQuery]
) -> dict[str, Any]:
    """The organisation's inbox, newest first."""
    rows = _events(fetch(Connection, connection_id, "Connection"))
    if params.status:
        rows = rows.filter(status=params.status)
    if params.q:
        rows = rows.filter(resource_id__icontains=params.q)
    return paged(rows, params)


@router.post(
    "/connections/{connection_id}/webhook-events/{event_id}/replay",
    response={200: EventOut, **ERRORS},
)
def replay_webhook_event(request: HttpRequest, connection_id: Id, event_id: Id) -> WebhookEvent:
    """Apply the event again (the worker does)."""
    event = _events(fetch(Connection, connection_id, "Connection")).filter(pk=event_id).first()
    if event is None:
        raise Http404(f"Webhook event {event_id} does not exist for this connection.")
    webhooks.replay(event)
    event.refresh_from_db()
    return event


class CatchUpIn(Input):
    since: Date = Field(description="Read what Xero changed since this day.")


class QueuedOut(Schema):
    queued: bool


@router.post(
    "/connections/{connection_id}/webhook-events/catch-up", response={202: QueuedOut, **ERRORS}
)
def catch_up(
    request: HttpRequest, connection_id: Id, payload: CatchUpIn
) -> Status[dict[str, bool]]:
    """Queue a read of what Xero changed since `since` into the inbox (422 when the
    connection is not connected)."""
    connection = fetch(Connection, connection_id, "Connection")
    if not connection.is_connected:
        raise ValidationError({"connection": [f"{connection.name} is not connected: connect it."]})
    since = dt.datetime.combine(payload.since, dt.time(), tzinfo=dt.UTC)
    catch_up_task.enqueue(connection.pk, since.isoformat())
    return Status(202, {"queued": True})
