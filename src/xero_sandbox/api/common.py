"""Shared Accounting API behaviour: envelopes, date rendering, list queries and batched writes."""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable, Iterable
from typing import Any

from .. import wire
from ..core import NOT_FOUND, Ctx
from ..http import Response, json_response, text_response
from . import where as where_lang

DATE_KEYS = (
    "Date",
    "DueDate",
    "DeliveryDate",
    "ExpectedArrivalDate",
    "FullyPaidOnDate",
    "ExpectedPaymentDate",
    "PlannedPaymentDate",
)
Record = dict[str, Any]
# upsert(ctx, element, existing-or-None, is_put) -> (stored record or None, error messages)
Upsert = Callable[[Ctx, Record, Record | None, bool], tuple[Record | None, list[str]]]


class ElementError(Exception):
    """A validation failure of one element, with Xero's message."""


def envelope(key: str, items: list[Record], extra: dict[str, Any] | None = None) -> Record:
    body: Record = {
        "Id": wire.new_id(),
        "Status": "OK",
        "ProviderName": "Xero Sandbox",
        "DateTimeUTC": wire.ms_envelope(0),
    }
    body.update(extra or {})
    body[key] = items
    return body


def ok(ctx: Ctx, key: str, items: list[Record], extra: dict[str, Any] | None = None) -> Response:
    body = envelope(key, items, extra)
    body["DateTimeUTC"] = wire.ms_envelope(ctx.now_ms())
    return json_response(200, body)


def not_found() -> Response:
    return text_response(404, NOT_FOUND)


def render_dates(record: Record) -> Record:
    """Turn stored ISO dates and ms timestamps into Xero's /Date(...)/ forms."""
    out = dict(record)
    for key in DATE_KEYS:
        value = out.get(key)
        if isinstance(value, str) and value and not value.startswith("/Date("):
            day = dt.date.fromisoformat(value)
            out[key] = wire.ms_date(day)
            if key in ("Date", "DueDate"):
                out[key + "String"] = wire.date_string(day)
    if isinstance(out.get("UpdatedDateUTC"), int):
        out["UpdatedDateUTC"] = wire.ms_timestamp(out["UpdatedDateUTC"])
    if isinstance(out.get("CreatedDateUTC"), int):
        out["CreatedDateUTC"] = wire.ms_timestamp(out["CreatedDateUTC"])
    return out


def validation_error(elements: list[Record]) -> Response:
    return json_response(
        400,
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": elements,
        },
    )


def bad_request(message: str) -> Response:
    return validation_error([{"ValidationErrors": [{"Message": message}]}])


def csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def filter_list(
    ctx: Ctx,
    records: Iterable[Record],
    id_field: str,
    modified: bool = True,
    archived_field: tuple[str, str] | None = None,
) -> list[Record] | Response:
    """IDs, If-Modified-Since, includeArchived, where and order; paging is done by `page_of`."""
    req = ctx.req
    rows = list(records)
    # IDs= is read as Xero reads GUIDs: any case, with or without hyphens.
    ids = {where_lang.normal_guid(i) or i.lower() for i in csv(req.q("IDs"))}
    if ids:
        rows = [r for r in rows if str(r.get(id_field, "")).lower() in ids]
    since = req.header("if-modified-since")
    if modified and since:
        stamp = wire.parse_http_datetime(since)
        if stamp is not None:
            rows = [r for r in rows if r.get("UpdatedDateUTC", 0) > stamp * 1000]
    if archived_field and req.q("includeArchived") not in ("true", "True"):
        field, value = archived_field
        if not ids:
            rows = [r for r in rows if r.get(field) != value]
    where = req.q("where")
    if where:
        try:
            predicate = where_lang.parse(where)
            rows = [r for r in rows if predicate(r) is True]
        except where_lang.WhereError as exc:
            return bad_request(str(exc))
    order_spec = req.q("order")
    if order_spec:
        rows = where_lang.order(rows, order_spec)
    return rows


def page_of(ctx: Ctx, rows: list[Record]) -> tuple[list[Record], Record | None] | Response:
    """Apply page/pageSize. Returns the rows and the pagination block (None when unpaged), or a
    400 when either is not a whole number."""
    page_text = ctx.req.q("page")
    if page_text is None:
        return rows, None
    settings = ctx.sb.settings
    size_text = ctx.req.q("pageSize")
    if not page_text.strip().isdigit() or (size_text and not size_text.strip().isdigit()):
        return bad_request("page and pageSize must be whole numbers.")  # [U] our words
    page = max(1, int(page_text))
    size = int(size_text or settings.default_page_size)
    size = max(1, min(size, settings.max_page_size))
    start = (page - 1) * size
    block = {
        "page": page,
        "pageSize": size,
        "pageCount": math.ceil(len(rows) / size),
        "itemCount": len(rows),
    }
    return rows[start : start + size], block


def read_error(message: str) -> Response:
    """Xero's answer to a body it cannot read [S] (pyxero#214: ErrorNumber 14)."""
    return json_response(
        400, {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message}
    )


def elements_of(ctx: Ctx, key: str) -> list[Any] | Response:
    """The elements of a write body: {"Key": [...]} or a single bare object.

    Elements that are not objects are kept, so the batch refuses each of them on its own.
    """
    try:
        body = ctx.req.data()
    except (ValueError, UnicodeDecodeError):
        return read_error("The request body could not be read as JSON or XML")
    if isinstance(body, dict) and isinstance(body.get(key), list):
        elements: list[Any] = body[key]
    elif isinstance(body, dict) and body:
        elements = [body]
    else:
        return bad_request("The request body is empty")
    cap = ctx.sb.settings.max_elements_per_request
    if len(elements) > cap:
        # [S] Xero takes at most 500 elements a request; the message is ours [U].
        return bad_request(f"No more than {cap} elements can be sent in one request.")
    return elements


def summarize(ctx: Ctx) -> bool:
    value = ctx.req.q("summarizeErrors")
    if value is None:
        return ctx.sb.settings.summarize_errors_default
    return value.lower() != "false"


NOT_AN_OBJECT = "The element is not an object."  # [U] our words


def put_message(id_field: str) -> str:
    """[U] our words: Xero's text for a PUT naming an existing record is not known."""
    return f"PUT only creates: the {id_field} names an existing record; use POST to update it."


def batch_write(
    ctx: Ctx,
    key: str,
    id_field: str,
    elements: list[Any],
    find: Callable[[Record], Record | None],
    upsert: Upsert,
    render: Callable[[Ctx, Record], Record],
    is_put: bool,
) -> Response:
    """Apply every element, each all-or-nothing; answer per element or summarised.

    An element that fails leaves no trace (no contact it named is created, no record it touched
    is changed, no webhook event is sent); an element that raises is undone before the error
    goes on.
    """
    results: list[Record] = []
    failed: list[Record] = []
    summarised = summarize(ctx)
    # [S] a summarised 400 still keeps the valid siblings; the setting can roll them back.
    backup = None
    if summarised and not ctx.sb.settings.summarised_creates_valid_siblings:
        backup = copy.deepcopy(vars(ctx.org))
    for element in elements:
        if not isinstance(element, dict):
            echo = _failed_echo(key, {}, [NOT_AN_OBJECT])
            failed.append(echo)
            results.append(echo)
            continue
        existing = find(element)
        if (
            is_put
            and existing is not None
            and element.get(id_field)
            and not ctx.sb.settings.put_updates_existing
        ):
            # [P] SPEC: PUT is create-only (createInvoices vs updateOrCreateInvoices).
            echo = _failed_echo(key, element, [put_message(id_field)])
            failed.append(echo)
            results.append(echo)
            continue
        saved = _snapshot(ctx.org)
        ctx.pending_events, ctx.touched, ctx.warnings = [], [], []
        if existing is not None:
            ctx.remember(existing)
        try:
            record, errors = upsert(ctx, element, existing, is_put)
        except BaseException:
            _undo(ctx, saved)
            raise
        events, ctx.pending_events = ctx.pending_events, None
        if errors or record is None:
            _undo(ctx, saved)
            echo = _failed_echo(key, element if record is None else record, errors)
            failed.append(echo)
            results.append(echo)
            continue
        for event in events:
            ctx.emit(*event)
        rendered = render(ctx, record)
        if ctx.warnings:
            rendered["Warnings"] = [{"Message": m} for m in ctx.warnings]
        if not summarised:
            rendered["StatusAttributeString"] = "WARNING" if ctx.warnings else "OK"
        results.append(rendered)
    ctx.touched = []
    if summarised and failed:
        if backup is not None:
            vars(ctx.org).update(backup)
        return validation_error(failed)
    return ok(ctx, key, results)


def _finite(value: Any) -> Any:
    """The echo of a client's element, with NaN and infinities as text (JSON cannot carry them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _failed_echo(key: str, shown: Record, errors: list[str]) -> Record:
    echo: Record = _finite(shown)
    echo["ValidationErrors"] = [{"Message": m} for m in errors]
    echo["StatusAttributeString"] = "ERROR"
    echo["HasErrors" if key in ("Invoices", "CreditNotes") else "HasValidationErrors"] = True
    return echo


def _snapshot(org: Any) -> dict[str, Any]:
    """Shallow copies of the organisation's collections and counters (cheap; enough to forget
    records an element created, together with `Ctx.touched` for records it changed in place)."""
    return {name: dict(value) for name, value in vars(org).items() if isinstance(value, dict)}


def _undo(ctx: Ctx, saved: dict[str, Any]) -> None:
    for name, value in saved.items():
        current = getattr(ctx.org, name)
        current.clear()
        current.update(value)
    for record, before in reversed(ctx.touched):
        record.clear()
        record.update(before)
    ctx.pending_events = None
    ctx.touched = []
