"""What the Xero integration adds to the product's screens, through `ledgerbridge.integrations`:
the Xero panel on customers, suppliers and products (CUST-5, SUP-1, PROD-4), the tax-rate link
panel and action (TAX-2), the Xero line and "Xero details" of an invoice or purchase order
(CUST-1, INV-2, INV-7), and the refusal to delete a document Xero holds as paid or billed
(INV-9). Connected in `apps.py`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ledgerbridge import integrations
from ledgerbridge.money import round_money
from ledgerbridge.sync.models import Organisation, RecordKind, SyncState
from ledgerbridge.sync.services import link_of
from ledgerbridge.xero import payloads
from ledgerbridge.xero.mapping import parse_date, to_decimal
from ledgerbridge.xero.models import Connection, ConnectionState, EventStatus, WebhookEvent
from ledgerbridge.xero.sync_state import organisation_of, record_state, xero_number

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
        "from_xero": _last_from_xero(link),
    }
    return SafeString(render_to_string("xero/import_record_panel.html", context))


def _last_from_xero(link: Any) -> WebhookEvent | None:
    """WH-2: the last change Xero made to the record that was applied here, if any."""
    if link is None or not link.remote_id:
        return None
    return (
        WebhookEvent.objects.filter(
            tenant_id=link.organisation.remote_id,
            resource_id__iexact=link.remote_id,
            status=EventStatus.APPLIED,
        )
        .order_by("-applied_at")
        .first()
    )


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
        # A document's page keeps following it: Xero's changes (paid, voided) come back.
        "follow": kind in (RecordKind.INVOICE, RecordKind.CREDIT_NOTE, RecordKind.PURCHASE_ORDER),
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
    if sender in (RecordKind.INVOICE, RecordKind.CREDIT_NOTE):
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
    """An invoice's or purchase order's "Xero details" (INV-2, INV-7): its sync state, Xero's
    number ("not set" until a sync succeeds; the sync state says why it will not try), the
    status and payments Xero holds, the branding theme, and any difference between Xero's
    totals and ours, to the cent."""
    link = link_of(kind, document.pk)
    held = dict(link.snapshot or {}) if link is not None and link.remote_id else {}
    facts: list[tuple[str, str]] = []
    if held.get("Status"):
        facts.append(("Status in Xero", str(held["Status"]).capitalize()))
    paid = _paid(held)
    if paid:
        due = to_decimal(held.get("AmountDue"), Decimal(0))
        facts.append(("Paid in Xero", f"{paid:.2f} ({due:.2f} still due)"))
    payments = [p for p in held.get("Payments") or [] if isinstance(p, dict)]
    if payments:
        facts.append(("Payments in Xero", "; ".join(_payment(p) for p in payments)))
    if link is not None:
        facts.extend(_currency_facts(held, link.organisation))
    if kind == RecordKind.CREDIT_NOTE and held:
        applied = to_decimal(held.get("AppliedAmount"), Decimal(0))
        left = to_decimal(held.get("RemainingCredit"), Decimal(0))
        facts.append(("Credit allocated in Xero", f"{applied:.2f} ({left:.2f} still to use)"))
    if kind == RecordKind.CREDIT_NOTE and document.invoice_id is not None:
        allocation = link_of(RecordKind.ALLOCATION, document.pk)
        if allocation is not None:
            facts.append(("Allocation to its invoice", _allocation_words(allocation)))
    if kind in (RecordKind.INVOICE, RecordKind.CREDIT_NOTE):
        theme = document.branding_theme
        facts.append(("Branding theme", theme.name if theme else "The customer's default"))
    differs = ""
    if link is not None and link.state == SyncState.SYNCED and "Total" in held:
        differs = payloads.totals_differ(document, held)
    rows = format_html(
        "<dt>Xero number</dt><dd data-xero-number>{}</dd>{}",
        xero_number(link) or "not set",
        format_html_join("", "<dt>{}</dt><dd>{}</dd>", facts),
    )
    warning = (
        format_html(
            '<p class="row-error" id="xero-totals"><span class="badge no">totals differ</span> '
            "Xero's totals differ from ours: {}.</p>",
            differs,
        )
        if differs
        else ""
    )
    return format_html(
        '{}<section class="panel" id="xero-number"><h2>Xero details</h2>'
        '<dl class="facts">{}</dl>{}</section>',
        sync_panel(kind, document, request),
        rows,
        warning,
    )


def _allocation_words(link: Any) -> str:
    if link.state == SyncState.SYNCED:
        amount = to_decimal((link.snapshot or {}).get("Amount"), Decimal(0))
        return f"{amount:.2f} allocated in Xero"
    return str(link.reason or link.get_state_display())


def _currency_facts(held: dict[str, Any], organisation: Organisation) -> list[tuple[str, str]]:
    """Once Xero holds the document in a currency other than the organisation's base one: the
    rate Xero applied (its CurrencyRate: units of the document's currency per unit of base
    currency) and the totals in the base currency at that rate (Xero's figures; ours stay
    exact in the document's currency)."""
    code = str(held.get("CurrencyCode") or "")
    base = organisation.base_currency
    rate = to_decimal(held.get("CurrencyRate"), Decimal(0))
    if not code or not base or code == base or rate <= 0:
        return []

    def in_base(name: str) -> str:
        return f"{round_money(to_decimal(held.get(name)) / rate)}"

    return [
        ("Xero's rate", f"{rate.normalize():f} {code} to 1 {base}"),
        (
            f"In {base} at Xero's rate",
            f"subtotal {in_base('SubTotal')}, tax {in_base('TotalTax')}, "
            f"total {in_base('Total')} {base}",
        ),
    ]


def _paid(held: dict[str, Any]) -> Decimal:
    """What Xero holds as paid or credited against an invoice, as last seen."""
    return to_decimal(held.get("AmountPaid"), Decimal(0)) + to_decimal(
        held.get("AmountCredited"), Decimal(0)
    )


def _payment(payment: dict[str, Any]) -> str:
    when = parse_date(payment.get("Date"))
    amount = to_decimal(payment.get("Amount"), Decimal(0))
    return f"{amount:.2f} on {when:%Y-%m-%d}" if when else f"{amount:.2f}"


def _deletion_refused(sender: str, record: Any, **_: Any) -> str | None:
    """INV-9: an invoice with payments in Xero can be neither deleted nor voided there, and a
    purchase order Xero holds as billed cannot be deleted; refuse here, with the fix, rather
    than delete ours and fail in Xero. As last seen from Xero (a sync, a webhook, a poll)."""
    if sender not in (RecordKind.INVOICE, RecordKind.CREDIT_NOTE, RecordKind.PURCHASE_ORDER):
        return None
    link = link_of(sender, record.pk)
    if link is None or not link.remote_id:
        return None
    held = link.snapshot or {}
    status = str(held.get("Status") or "")
    if sender == RecordKind.INVOICE:
        paid = _paid(held)
        if status == "PAID" or paid > 0:
            return (
                f"Invoice {record.number} has payments of {paid:.2f} in Xero, so Xero can neither "
                "delete nor void it: remove its payments in Xero first, then delete it here."
            )
    elif sender == RecordKind.CREDIT_NOTE:
        applied = to_decimal(held.get("AppliedAmount"), Decimal(0))
        if status == "PAID" or applied > 0 or held.get("Allocations"):
            return (
                f"Credit note {record.number} has {applied:.2f} of its credit allocated in "
                "Xero, so Xero can neither delete nor void it: remove the allocation in Xero "
                "first, then delete it here."
            )
    elif status == "BILLED":
        return (
            f"Purchase order {record.number} is billed in Xero, which keeps billed purchase "
            "orders: it cannot be deleted."
        )
    return None


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
    integrations.deletion_refused.connect(_deletion_refused, dispatch_uid="xero.deletion")
