"""The admin API (not Xero's, under /_sandbox/): seed, reset, clock, faults, Xero-user actions."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from . import seed as seeding
from . import wire
from .faults import Fault
from .http import Request, Response, json_response

if TYPE_CHECKING:
    from .core import Sandbox


class AdminInputError(ValueError):
    """Admin input that cannot be used: answered 400 {"error": message}, nothing changed."""


def _body(req: Request) -> dict[str, Any]:
    if not req.body:
        return {}
    try:
        data = json.loads(req.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AdminInputError("the body is not JSON") from exc
    if not isinstance(data, dict):
        raise AdminInputError("the body must be a JSON object")
    return data


def _error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})


def number(body: dict[str, Any], key: str, default: float, minimum: float = 0.0) -> float:
    """A finite number >= minimum (or > 0 when minimum is 0 and key names a scale)."""
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AdminInputError(f"{key} must be a number")
    if value < minimum:
        raise AdminInputError(f"{key} must be at least {minimum:g}")
    return float(value)


def integer(body: dict[str, Any], key: str, default: int, minimum: int = 0) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise AdminInputError(f"{key} must be an integer")
    if value < minimum:
        raise AdminInputError(f"{key} must be at least {minimum}")
    return value


def handle(sb: Sandbox, req: Request, rest: str) -> Response:
    try:
        return _handle(sb, req, rest)
    except AdminInputError as exc:
        return _error(400, str(exc))


def _handle(sb: Sandbox, req: Request, rest: str) -> Response:
    parts = [p for p in rest.split("/") if p]
    body = _body(req)
    method = req.method
    if parts == ["info"]:
        return json_response(200, sb.info())
    if parts == ["reset"] and method == "POST":
        counts = body.get("counts")
        if counts is not None:
            if not isinstance(counts, dict):
                raise AdminInputError("counts must be an object")
            counts = {k: integer(counts, k, 0) for k in counts}
        seed = integer(body, "seed", sb.store.seed, minimum=-(2**63))
        sb.reset(seed, counts, bool(body.get("empty")))
        return json_response(200, sb.info())
    if parts == ["settings"]:
        if method == "POST":
            try:
                unknown = sb.settings.update(body)
            except ValueError as exc:
                raise AdminInputError(str(exc)) from exc
            if "time_scale" in body:
                sb.clock.set_scale(float(body["time_scale"]))
            if unknown:
                return _error(400, f"unknown settings: {', '.join(unknown)}")
        return json_response(200, sb.settings.to_dict())
    if parts == ["clock"]:
        if method == "POST":
            scale = number(body, "scale", 1.0) if "scale" in body else None
            if scale is not None and scale <= 0:
                raise AdminInputError("scale must be more than 0")
            advance = number(body, "advance_seconds", 0.0)
            now = number(body, "now", 0.0) if "now" in body else None
            if scale is not None:
                sb.clock.set_scale(scale)
                sb.settings.time_scale = scale
            if advance:
                sb.clock.advance(advance)
            if now is not None:
                sb.clock.set_now(now)
        return json_response(200, {"now": sb.clock.now_ts(), "scale": sb.clock.scale})
    if parts == ["faults"]:
        if method == "DELETE":
            sb.faults.clear()
        elif method == "POST":
            tenant = body.get("tenant_id")
            if tenant is not None and not isinstance(tenant, str):
                raise AdminInputError("tenant_id must be a string")
            try:
                sb.faults.add(
                    Fault(
                        str(body.get("kind")),
                        integer(body, "count", 1, minimum=1),
                        tenant,
                        number(body, "seconds", 10.0),
                    )
                )
            except AdminInputError:
                raise
            except ValueError as exc:
                return _error(400, str(exc))
        return json_response(200, {"pending": sb.faults.pending()})
    if parts == ["webhook"]:
        if method == "POST":
            if "key" in body:
                sb.store.webhook["key"] = str(body["key"])
            return json_response(200, sb.webhooks.subscribe(str(body.get("url") or "")))
        return json_response(200, sb.webhooks.status())
    if parts == ["organisations"] and method == "POST":
        return _create_org(sb, body)
    if len(parts) >= 2 and parts[0] == "organisations":
        return _org_action(sb, parts[1], parts[2:], method, body)
    return _error(404, "unknown admin path")


def _create_org(sb: Sandbox, body: dict[str, Any]) -> Response:
    counts = {
        k: integer(body, k, 0)
        for k in ("contacts", "items", "tracking_categories", "branding_themes", "invoices")
    }
    try:
        org = seeding.create_org(
            sb, str(body.get("name") or "New Organisation"), str(body.get("region") or "NZ")
        )
    except ValueError as exc:
        return _error(400, str(exc))
    seeding.populate(sb, org, counts, sb.store.seed)
    sb.persist()
    return json_response(201, {"tenantId": org.tenant_id, "name": org.name, "region": org.region})


def _org_action(
    sb: Sandbox, tenant_id: str, rest: list[str], method: str, body: dict[str, Any]
) -> Response:
    from .api import contacts, invoices, payments
    from .api.common import render_dates
    from .core import Ctx

    org = sb.store.orgs.get(tenant_id)
    if org is None:
        return _error(404, "unknown organisation")
    if rest == ["export"]:
        with sb.store.lock:
            state = sb.store.snapshot()
        data = next(o for o in state["orgs"] if o["tenant_id"] == tenant_id)
        return json_response(200, data)
    if rest == ["limits"]:
        return json_response(200, sb.limiter.stats(tenant_id))
    if rest == ["currencies"] and method == "POST":
        from .api import currencies

        with sb.store.lock:
            try:
                made = currencies.admin_set(org, body)
            except ValueError as exc:
                raise AdminInputError(str(exc)) from exc
        sb.persist()
        return json_response(200, made)
    if len(rest) != 3 or method != "POST":
        return _error(404, "unknown admin path")
    kind, record_id, action = rest
    ctx = Ctx(sb, org, "xero-user", Request("POST", "/", {}, {}))
    with sb.store.lock:
        if kind == "contacts":
            existing = org.contacts.get(record_id.lower())
            if existing is None:
                return _error(404, "unknown contact")
            if action == "archive":
                element = {"ContactStatus": "ARCHIVED"}
            elif action == "edit":
                element = {k: v for k, v in body.items() if k in contacts.WRITABLE}
                # A Xero user can edit an archived contact, unlike the API.
                element.setdefault("ContactStatus", existing.get("ContactStatus", "ACTIVE"))
            else:
                return _error(404, "unknown contact action")
            record, errors = contacts.upsert(ctx, element, existing, False)
            result = render_dates(record) if record else None
        elif kind == "invoices":
            invoice = org.invoices.get(record_id.lower())
            if invoice is None:
                return _error(404, "unknown invoice")
            errors = []
            if action in ("approve", "void"):
                status = "AUTHORISED" if action == "approve" else "VOIDED"
                record, errors = invoices.upsert(
                    ctx, {"InvoiceID": invoice["InvoiceID"], "Status": status}, invoice, False
                )
            elif action == "pay":
                try:
                    amount = wire.to_decimal(body.get("amount"), invoice["AmountDue"])
                except ValueError as exc:
                    raise AdminInputError("amount must be a number") from exc
                bank = next(a for a in org.accounts.values() if a["Type"] == "BANK")
                record, errors = payments.upsert(
                    ctx,
                    {
                        "Invoice": {"InvoiceID": invoice["InvoiceID"]},
                        "Amount": amount,
                        "Account": {"Code": bank["Code"]},
                        "Date": body.get("date"),
                    },
                    None,
                    True,
                )
            else:
                return _error(404, "unknown invoice action")
            result = render_dates(invoice)
        else:
            return _error(404, "unknown record kind")
    if errors:
        return json_response(400, {"errors": errors})
    sb.persist()
    return json_response(200, {k: v for k, v in (result or {}).items() if not k.startswith("_")})
