"""What the Xero integration adds to the product's screens, through `ledgerbridge.integrations`:
the Xero panel on customers, suppliers and products (CUST-5, SUP-1, PROD-4), the tax-rate link
panel and action (TAX-2), and the Xero line on an invoice (CUST-1). Connected in `apps.py`."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ledgerbridge import integrations
from ledgerbridge.sync.models import Organisation, RecordKind
from ledgerbridge.sync.services import link_of
from ledgerbridge.xero.models import Connection, ConnectionState
from ledgerbridge.xero.sync_state import organisation_of, record_state

RECORD_KINDS = (RecordKind.CUSTOMER, RecordKind.SUPPLIER, RecordKind.PRODUCT)


def organisation_label(organisation: Organisation | None) -> str:
    """The organisation as people here know it: its connection's name (and Xero's name when
    different), or a plain statement that its connection was deleted."""
    if organisation is None:
        return ""
    connection = Connection.objects.filter(tenant_id=organisation.remote_id).first()
    if connection is None:
        return f"{organisation.name} (connection deleted)"
    if connection.tenant_name and connection.tenant_name != connection.name:
        return f"{connection.name} ({connection.tenant_name})"
    return connection.name


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            pairs.extend(_flatten(value, f"{prefix}{key}."))
        elif value not in (None, ""):
            pairs.append((f"{prefix}{key}", str(value)))
    return pairs


def xero_panel(kind: str, record: Model) -> SafeString:
    """The "Xero" panel for a customer, supplier or product: its organisation, Xero ID, last
    change in Xero and the data last brought from Xero; "Not linked to Xero" otherwise."""
    link = link_of(kind, record.pk)
    linked = link is not None and bool(link.remote_id)
    context = {
        "record": record,
        "linked": linked,
        "link": link,
        "organisation": organisation_label(link.organisation) if link is not None else "",
        "data": _flatten(dict(link.snapshot or {})) if link is not None else [],
        "product": kind == RecordKind.PRODUCT,
    }
    return SafeString(render_to_string("xero/import_record_panel.html", context))


BADGES = {
    "synced": "yes",
    "failed": "no",
    "pending": "SUBMITTED",
    "in_flight": "SUBMITTED",
    "not_eligible": "DRAFT",
    "not_synced": "DRAFT",
}
AREAS = {RecordKind.CUSTOMER: "customers", RecordKind.SUPPLIER: "suppliers"}


def sync_panel(kind: str, record: Model, request: Any) -> SafeString:
    """The record's sync state in words, "Open in Xero", "Sync now", updated live (SYNC-2)."""
    state = record_state(kind, record)
    context = {
        "state": state,
        "badge": BADGES.get(state.state, "DRAFT"),
        "state_url": reverse("xero:sync_state", args=[kind, record.pk]),
        "sync_url": reverse("xero:sync_now", args=[kind, record.pk]),
        "can_sync": organisation_of(record) is not None,
        "request_path": request.get_full_path() if request is not None else "",
    }
    return SafeString(render_to_string("xero/sync_panel.html", context, request=request))


def _record_panel(
    sender: str, record: Any, request: Any = None, where: str = "", **_: Any
) -> SafeString | str:
    if sender in RECORD_KINDS:
        if where == "details":  # a customer's details tab: its sync state; Xero's data is on
            return sync_panel(sender, record, request)  # the settings tab (CUST-5)
        return format_html("{}{}", sync_panel(sender, record, request), xero_panel(sender, record))
    if sender == RecordKind.TAX_RATE:
        return _tax_rate_panel(record)
    if sender == RecordKind.INVOICE:
        return format_html("{}{}", _invoice_line(record), _document_panel(sender, record, request))
    if sender == RecordKind.PURCHASE_ORDER:
        return _document_panel(sender, record, request)
    return ""


def connected_organisations(rate: Any) -> Any:
    """Connections a tax rate may be linked through: connected ones, or only its own."""
    found = Connection.objects.filter(state=ConnectionState.CONNECTED, saved=True).exclude(
        tenant_id=""
    )
    if rate.organisation_id is not None:
        # A rate's organisation never changes; only the Xero tax rate it is linked to may.
        found = found.filter(tenant_id=rate.organisation.remote_id)
    return found


def _tax_rate_panel(rate: Any) -> str:
    """The "Link to Xero" step under an existing tax rate's form (TAX-2)."""
    if rate.is_zero_rate:
        return ""
    link = link_of(RecordKind.TAX_RATE, rate.pk)
    if link is not None and link.remote_id:
        name = (link.snapshot or {}).get("Name") or link.remote_id
        state = format_html("Linked to {} in {}.", name, organisation_label(link.organisation))
    else:
        state = format_html("{}", "Not linked to a Xero tax rate yet.")
    return format_html(
        '<section class="panel" id="xero-link"><h2>Xero</h2><p>{} '
        '<a class="button" href="{}">Link to Xero…</a></p></section>',
        state,
        reverse("xero:taxrate_link", args=[rate.pk]),
    )


def _tax_rate_actions(sender: str, record: Any, **_: Any) -> list[tuple[str, str]]:
    if sender != RecordKind.TAX_RATE or record.is_zero_rate:
        return []
    return [("Link to Xero…", reverse("xero:taxrate_link", args=[record.pk]))]


def _after_create(sender: str, record: Any, **_: Any) -> str | None:
    """TAX-2: a new tax rate goes straight on to linking when an organisation is connected."""
    if sender == RecordKind.TAX_RATE and connected_organisations(record).exists():
        return reverse("xero:taxrate_link", args=[record.pk])
    return None


def _document_panel(kind: str, document: Any, request: Any) -> SafeString:
    """An invoice's or purchase order's Xero details: its sync state and Xero's number ("not
    set" until a sync succeeds, with why it will not try), INV-7."""
    link = link_of(kind, document.pk)
    number = str((link.snapshot or {}).get("InvoiceNumber") or "") if link is not None else ""
    number = number or (str(link.snapshot.get("PurchaseOrderNumber") or "") if link else "")
    return format_html(
        '{}<section class="panel" id="xero-number"><dl class="facts"><dt>Xero number</dt>'
        "<dd>{}</dd></dl></section>",
        sync_panel(kind, document, request),
        number or "not set",
    )


def _invoice_line(invoice: Any) -> SafeString:
    """CUST-1 on the invoice: whether its customer is linked to a Xero contact."""
    customer = invoice.customer
    link = link_of(RecordKind.CUSTOMER, customer.pk)
    if link is not None and link.remote_id:
        text = format_html("{}", "The customer is linked to a Xero contact.")
    else:
        text = format_html(
            '<span class="badge no">will not sync</span> {} is not linked to a Xero contact; '
            "import it from Xero first.",
            customer.name,
        )
    return format_html(
        '<section class="panel" id="invoice-xero"><dl class="facts"><dt>Xero</dt><dd>{}</dd>'
        "</dl></section>",
        text,
    )


def connect() -> None:
    """Plug the integration into the product's screens (called once, from `apps.py`)."""
    integrations.record_panels.connect(_record_panel, dispatch_uid="xero.panels")
    integrations.record_actions.connect(_tax_rate_actions, dispatch_uid="xero.actions")
    integrations.next_after_create.connect(_after_create, dispatch_uid="xero.next")
