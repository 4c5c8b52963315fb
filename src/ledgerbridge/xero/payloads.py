"""What each kind of record becomes in Xero, or why it does not go (in words that point at the
fix): customers and suppliers as contacts, products as items, invoices and purchase orders
with their lines (codes, tax types, tracking). The sync engine (`outbound`) sends them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from ledgerbridge.billing.models import (
    CreditNote,
    CreditNoteKind,
    DocumentStatus,
    Invoice,
    InvoiceKind,
)
from ledgerbridge.billing.tracking import resolved_tracking
from ledgerbridge.catalog.models import Product
from ledgerbridge.purchasing.models import PurchaseOrder
from ledgerbridge.sync.currencies import enabled_codes, how_to_enable
from ledgerbridge.sync.models import Link, Organisation, RecordKind, SyncSettings
from ledgerbridge.sync.services import remote_ids
from ledgerbridge.tracking.models import TrackingSettings
from ledgerbridge.xero import mapping

CHOOSE = "(Configuration > Integrations > Xero > Sync settings)"


class NotEligible(Exception):
    """Why a record does not sync, in words that point at the fix."""


@dataclass
class Context:
    settings: SyncSettings
    organisation: Organisation
    tax_types: dict[int, str] = field(default_factory=dict)
    snapshot: dict[str, Any] | None = None  # what Xero held of the record being built
    # Xero contact ids of the parties of the batch being built, read once per batch
    # (`note_contacts`); a party not here is looked up on its own.
    contacts: dict[tuple[str, int], str] = field(default_factory=dict)
    placeholders: dict[int, str] | None = None  # tracking's, read once per run

    def tracking_on(self) -> bool:
        if self.placeholders is None:
            self.placeholders = dict(TrackingSettings.get().placeholders())
        return bool(self.placeholders)


PARTY_OF: dict[str, tuple[str, str]] = {
    RecordKind.INVOICE: (RecordKind.CUSTOMER, "customer_id"),
    RecordKind.CREDIT_NOTE: (RecordKind.CUSTOMER, "customer_id"),
    RecordKind.PURCHASE_ORDER: (RecordKind.SUPPLIER, "supplier_id"),
}


def note_contacts(kind: str, records: Iterable[Any], ctx: Context) -> None:
    """Read the Xero contact ids of a batch of documents' parties at once."""
    ctx.contacts.clear()
    if kind not in PARTY_OF:
        return
    party_kind, attribute = PARTY_OF[kind]
    ids = {getattr(record, attribute) for record in records}
    for local_id, remote in remote_ids(party_kind, list(ids)).items():
        ctx.contacts[(party_kind, local_id)] = remote


def party(kind: str) -> Callable[[Any, Link, Context], dict[str, Any]]:
    def build(party: Any, link: Link, ctx: Context) -> dict[str, Any]:
        noun = "Customers" if kind == RecordKind.CUSTOMER else "Suppliers"
        if not ctx.settings.syncs(kind):
            raise NotEligible(
                f"{noun} are not chosen for sync (Configuration > Integrations > Xero > Sync)."
            )
        if not party.account_number:
            raise NotEligible("It has no account number: give it one to sync it to Xero.")
        return mapping.contact_payload(
            party,
            remote_id=link.remote_id,
            tax_types=ctx.tax_types,
            archive=ctx.settings.archive_inactive,
            currency=contact_currency(party, link, ctx),
        )

    return build


def product(product: Product, link: Link, ctx: Context) -> dict[str, Any]:
    if not ctx.settings.sync_products:
        raise NotEligible(
            "Products are not chosen for sync (Configuration > Integrations > Xero > Sync)."
        )
    if ctx.settings.product_linking and product.parent_id:
        raise NotEligible("It is a child product: invoice lines use its parent's codes.")
    if not product.code:
        raise NotEligible("It has no product code: give it one to sync it to Xero.")
    if not product.sales_account_code:
        raise NotEligible("It has no sales accounts code: give it one to sync it to Xero.")
    return mapping.item_payload(product, remote_id=link.remote_id, tax_types=ctx.tax_types)


def loader(
    model: Any, *related: str, prefetch: Sequence[Any] = ()
) -> Callable[[Sequence[int]], dict[int, Any]]:
    """Records by id, with the related rows their payloads read (a few queries per batch,
    not a few per record)."""
    return lambda ids: (
        model._default_manager.select_related(*related)
        .prefetch_related(*prefetch)
        .in_bulk(list(ids))
    )


def document_lines(line_model: Any, *related: str) -> Any:
    """The prefetch of a batch of documents' lines, with what building them reads."""
    rows = line_model._default_manager.select_related(*related).order_by("position", "id")
    if hasattr(line_model, "tracking_options"):
        rows = rows.prefetch_related("tracking_options__category")
    return Prefetch("lines", queryset=rows)


def _lines(
    document: Any, lines: Sequence[Any], ctx: Context, default_code: str, *, tracked: bool
) -> list[mapping.LineOut]:
    """The document's lines for Xero. A line whose tax rate is not linked, or that has no item
    code (and no default), stops the document, naming the line, its product or charge rate,
    and the fix (TAX-1, PROD-1, SYNC-4, INV-6)."""
    sent_before = list((ctx.snapshot or {}).get("LineItems") or [])
    out = []
    for index, line in enumerate(lines):
        what = _line_label(index, line)
        tax_type = ctx.tax_types.get(line.tax_rate_id)
        if not tax_type:
            raise NotEligible(
                f"{what} uses the tax rate {line.tax_rate}, which is not linked to a Xero tax "
                f"rate of {ctx.organisation}: link it under Configuration > Tax rates."
            )
        code = _item_code(line, ctx) or default_code
        if not code:
            raise NotEligible(
                f"{what} has no Xero item code: give it one, or set a default item code {CHOOSE}."
            )
        tracking = (
            tuple((option.category.name, option.name) for _, option in resolved_tracking(line))
            if tracked and ctx.tracking_on()
            else ()
        )
        earlier = sent_before[index] if index < len(sent_before) else {}
        out.append(
            mapping.LineOut(
                description=line_text(line, ctx.settings.invoice_line_text if tracked else ""),
                quantity=line.quantity,
                unit_amount=line.unit_price,
                item_code=code,
                tax_type=tax_type,
                tracking=tracking,
                line_item_id=str(earlier.get("LineItemID") or ""),
            )
        )
    if not out:
        raise NotEligible("It has no lines: Xero needs at least one.")
    return out


def line_text(line: Any, choice: str) -> str:
    """INV-10: what a synced invoice line says, as the setting chooses. Falls back to the
    line's description where the choice has nothing to say (no item, no ticket)."""
    if choice == "item":
        named = line.product or getattr(line, "charge_rate", None)
        return str(getattr(named, "name", "") or line.description)
    if choice == "ticket" and hasattr(line, "time_entries"):
        entries = list(line.time_entries.select_related("ticket").order_by("date", "id"))
        if entries:
            tickets = {e.ticket_id: e.ticket for e in entries}
            said = "; ".join(f"{t.reference} {t.title}" for t in tickets.values())
            first, last = entries[0].date, entries[-1].date
            when = first.isoformat() if first == last else f"{first} to {last}"
            return f"{said} ({when})"[:4000]
    return str(line.description)


def _line_label(index: int, line: Any) -> str:
    label = f"Line {index + 1} ({line.description[:60]}"
    if line.product_id:
        label += f", product {line.product}"
    if getattr(line, "charge_rate_id", None):
        label += f", charge rate {line.charge_rate}"
    return label + ")"


def _item_code(line: Any, ctx: Context) -> str:
    """The line's code; a child product's line takes its parent's (GEN-3)."""
    product = line.product
    if ctx.settings.product_linking and product is not None and product.parent_id:
        return str(product.parent.code or line.item_code)
    return str(line.item_code)


def _contact(kind: str, party_id: int, document: Any, noun: str, ctx: Context) -> str:
    remote = ctx.contacts.get((kind, party_id)) or remote_ids(kind, [party_id]).get(party_id, "")
    if not remote:
        party = getattr(document, noun)
        raise NotEligible(
            f"Its {noun} {party} is not linked to a Xero contact yet: sync {noun}s "
            "(they go first), or import it from Xero."
        )
    return remote


def _ordered(document: Any) -> list[Any]:
    """The document's lines in order (prefetched by the loader, or read now)."""
    return sorted(document.lines.all(), key=lambda line: (line.position, line.pk))


def check_currency(record: Any, ctx: Context, *, default: str | None = None) -> str:
    """The currency a document (invoice, purchase order, credit note…) is sent in: its own,
    else the organisation's base currency (`default` instead, when given); "" when neither is
    known (Xero then takes its base currency). A currency the organisation has not enabled, as
    its currencies were last refreshed, is never sent: NotEligible names the fix."""
    code = str(getattr(record, "currency", "") or "")
    if code:
        enabled = enabled_codes(ctx.organisation.pk)
        if enabled is not None and code not in enabled:
            raise NotEligible(
                f"Its currency, {code}, is not enabled in {ctx.organisation}: "
                f"{how_to_enable(ctx.organisation)}."
            )
        return code
    return ctx.organisation.base_currency if default is None else default


def contact_currency(party: Any, link: Link, ctx: Context) -> str:
    """The DefaultCurrency a contact is sent with: the party's (blank: the base currency), left
    out when that is the base currency and Xero holds no other for it (Xero takes the base
    currency then, and an imported contact without one stays as Xero has it)."""
    base = ctx.organisation.base_currency
    code = check_currency(party, ctx, default="") or base
    held = str((link.snapshot or {}).get("DefaultCurrency") or "")
    if not code or (code == base and held in ("", code)):
        return ""
    return code


SENDABLE = {DocumentStatus.DRAFT, DocumentStatus.SUBMITTED, DocumentStatus.AUTHORISED}


def _check_sales(document: Any, ctx: Context, noun: str) -> None:
    """Whether a sales document goes, by the invoices' choice and statuses (credit notes go
    with invoices)."""
    if not ctx.settings.sync_invoices:
        raise NotEligible(f"Invoices (and their credit notes) are not chosen for sync {CHOOSE}.")
    if document.status not in SENDABLE:
        raise NotEligible(f"It is {document.get_status_display().lower()}: Xero keeps it as is.")
    allowed = [str(s) for s in ctx.settings.sync_invoice_statuses or []]
    if document.status not in allowed:
        said = ", ".join(s.lower() for s in allowed) or "no status"
        raise NotEligible(
            f"It is {document.get_status_display().lower()}; {noun} are synced once they are "
            f"{said} {CHOOSE}."
        )


def invoice(document: Invoice, link: Link, ctx: Context) -> dict[str, Any]:
    """A sales invoice (INV-1, TRK-5, INV-8): labour, recurring and manual alike."""
    _check_sales(document, ctx, "invoices")
    contact = _contact(RecordKind.CUSTOMER, document.customer_id, document, "customer", ctx)
    currency = check_currency(document, ctx)
    out = _lines(
        document, _ordered(document), ctx, ctx.settings.default_invoice_item_code, tracked=True
    )
    theme = document.branding_theme
    return mapping.invoice_payload(
        document,
        remote_id=link.remote_id,
        contact_id=contact,
        lines=out,
        status=str(document.status),
        number=invoice_number(document, ctx.settings),
        branding_theme_id=theme.remote_id if theme is not None else "",
        currency=currency,
    )


def invoice_number(document: Invoice, settings: SyncSettings) -> str:
    """The number Xero shows: the invoice's own, or its override while the setting allows one
    (INV-2)."""
    if document.external_number and (
        settings.allow_number_override or document.kind == InvoiceKind.ACCOUNTS
    ):  # one made in Xero keeps Xero's number
        return document.external_number
    return document.number


def credit_note(document: CreditNote, link: Link, ctx: Context) -> dict[str, Any]:
    """A sales credit note, sent as invoices are (the same choice, statuses and lines). Once
    Xero has allocated any of it, Xero refuses changes to it, and so it is not sent again."""
    _check_sales(document, ctx, "credit notes")
    held = ctx.snapshot or {}
    if held.get("Allocations") or held.get("Status") == "PAID":
        raise NotEligible(
            "Its credit is allocated in Xero, and Xero refuses changes to it: remove the "
            "allocation in Xero to change it."
        )
    contact = _contact(RecordKind.CUSTOMER, document.customer_id, document, "customer", ctx)
    currency = check_currency(document, ctx)
    out = _lines(
        document, _ordered(document), ctx, ctx.settings.default_invoice_item_code, tracked=True
    )
    theme = document.branding_theme
    number = document.number
    if document.kind == CreditNoteKind.ACCOUNTS and document.external_number:
        number = document.external_number  # one made in Xero keeps Xero's number
    return mapping.credit_note_payload(
        document,
        remote_id=link.remote_id,
        contact_id=contact,
        lines=out,
        status=str(document.status),
        number=number,
        branding_theme_id=theme.remote_id if theme is not None else "",
        currency=currency,
    )


PO_SENDABLE = {DocumentStatus.DRAFT, DocumentStatus.SUBMITTED, DocumentStatus.AUTHORISED}


def purchase_order(document: PurchaseOrder, link: Link, ctx: Context) -> dict[str, Any]:
    """A purchase order for a linked supplier (PO-1)."""
    if not ctx.settings.sync_purchase_orders:
        raise NotEligible(f"Purchase orders are not chosen for sync {CHOOSE}.")
    if document.status not in PO_SENDABLE:
        raise NotEligible(f"It is {document.get_status_display().lower()}: Xero keeps it as is.")
    contact = _contact(RecordKind.SUPPLIER, document.supplier_id, document, "supplier", ctx)
    currency = check_currency(document, ctx)
    out = _lines(
        document, _ordered(document), ctx, ctx.settings.default_purchase_order_item_code,
        tracked=False,
    )  # fmt: skip
    return mapping.purchase_order_payload(
        document,
        remote_id=link.remote_id,
        contact_id=contact,
        lines=out,
        status=str(document.status),
        number=document.number,
        currency=currency,
    )


def totals_differ(document: Any, element: dict[str, Any]) -> str:
    """Xero's totals against ours, to the cent; "" when they agree."""
    ours = {"SubTotal": document.subtotal, "TotalTax": document.total_tax, "Total": document.total}
    diffs = []
    for name, mine in ours.items():
        theirs = mapping.to_decimal(element.get(name), Decimal("NaN"))
        if theirs.is_nan() or theirs != mine:
            said = "nothing" if theirs.is_nan() else f"{theirs:.2f}"
            diffs.append(f"{name} {mine} here, {said} in Xero")
    return "; ".join(diffs)


# What a document deleted here becomes in Xero, by the status Xero holds (INV-9); a paid
# invoice or a billed order cannot be removed.
DELETED_AS: dict[str, dict[str, str]] = {
    RecordKind.INVOICE: {"DRAFT": "DELETED", "SUBMITTED": "DELETED", "AUTHORISED": "VOIDED"},
    RecordKind.CREDIT_NOTE: {"DRAFT": "DELETED", "SUBMITTED": "DELETED", "AUTHORISED": "VOIDED"},
    RecordKind.PURCHASE_ORDER: {
        "DRAFT": "DELETED",
        "SUBMITTED": "DELETED",
        "AUTHORISED": "DELETED",
    },
}
