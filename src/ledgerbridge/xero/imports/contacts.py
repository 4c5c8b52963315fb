"""Customers and suppliers from Xero contacts (CUST-2..6, SUP-1), page by page."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from ledgerbridge.customers.models import Customer, Party
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.models import Organisation, RecordKind
from ledgerbridge.xero import mapping
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.imports.common import (
    IDS_PER_CALL,
    PAGE_SIZE,
    Outcome,
    apply_safely,
    changed_since,
    link_imported,
    note_xero_clock,
    organisation,
    problem,
    record_page,
)
from ledgerbridge.xero.imports.tax_rates import tax_rate_map
from ledgerbridge.xero.matching import match_page
from ledgerbridge.xero.models import ImportKind, ImportRun

PARTY_MODELS: dict[str, type[Party]] = {
    ImportKind.CUSTOMERS: Customer,
    ImportKind.SUPPLIERS: Supplier,
}


def contact_pages(
    run: ImportRun, client: XeroClient
) -> Iterable[tuple[int | None, list[dict[str, Any]], int | None]]:
    """(page number, contacts, total) from Xero: the chosen IDs, or every page from the next."""
    ids = list(run.params.get("ids") or [])
    if ids:
        # Chunks of IDs are numbered like pages, so a resumed run carries on from the next.
        for chunk in range(run.next_page - 1, (len(ids) + IDS_PER_CALL - 1) // IDS_PER_CALL):
            wanted = ids[chunk * IDS_PER_CALL : (chunk + 1) * IDS_PER_CALL]
            body = client.get(
                "/Contacts", params={"IDs": ",".join(wanted), "includeArchived": "true"}
            )
            yield chunk + 1, list(body.get("Contacts") or []), len(ids)
        return
    page = run.next_page
    while True:
        body = client.get(
            "/Contacts",
            # Archived contacts too, so a contact archived in Xero is made inactive here.
            params={"page": page, "pageSize": PAGE_SIZE, "includeArchived": "true"},
            if_modified_since=run.since,
        )
        note_xero_clock(run, body)
        contacts = list(body.get("Contacts") or [])
        pagination = body.get("pagination") or {}
        total = pagination.get("itemCount")
        yield page, contacts, total
        # The last page is the one Xero counts (so an exact multiple of PAGE_SIZE costs no
        # extra call for an empty page), or a short one.
        if len(contacts) < PAGE_SIZE or page >= int(pagination.get("pageCount") or page + 1):
            return
        page += 1


def wanted_contact(data: mapping.ContactData, kind: str, chosen: bool) -> bool:
    """Which contacts a full import takes: customers leave out supplier-only contacts,
    suppliers take contacts Xero marks as suppliers (SUP-1). Chosen contacts always come."""
    if chosen:
        return True
    if kind == ImportKind.SUPPLIERS:
        return data.is_supplier
    return data.is_customer or not data.is_supplier


def import_contacts(
    run: ImportRun, client: XeroClient, progress: Callable[[ImportRun], None]
) -> None:
    model = PARTY_MODELS[run.kind]
    org = organisation(run.xero_tenant_id)
    chosen = bool(run.params.get("ids"))
    tax_map = tax_rate_map(org.pk)
    for page, raw, total in contact_pages(run, client):
        records = [mapping.contact_data(c) for c in raw]
        records = [
            r
            for r in records
            if changed_since(r.updated_at, run.since) and wanted_contact(r, run.kind, chosen)
        ]
        with transaction.atomic():
            counts, problems = apply_safely(
                lambda page_records: apply_contacts(model, org, page_records, tax_map),
                records,
                lambda r: r.name,
            )
            record_page(run, page=page, counts=counts, problems=problems, total=total)
        run.refresh_from_db()
        progress(run)


def apply_contacts(
    model: type[Party],
    org: Organisation,
    records: list[mapping.ContactData],
    tax_map: dict[str, int],
) -> Outcome:
    """Create or update the page's customers (or suppliers) in bulk; returns counts, problems."""
    kind = RecordKind.SUPPLIER if model is Supplier else RecordKind.CUSTOMER
    counts = {"created": 0, "updated": 0, "skipped": 0}
    problems: list[dict[str, str]] = []
    usable = []
    for candidate in records:
        if candidate.problems or not candidate.xero_id:
            counts["skipped"] += 1
            label = candidate.name or candidate.xero_id
            problems.append(problem(label, "; ".join(candidate.problems) or "no ContactID"))
        else:
            usable.append(candidate)
    matches = match_page(
        model,
        kind,
        org.pk,
        [(r.xero_id, r.account_number, r.name) for r in usable],
        "account_number",
    )
    # Every account number a record of this page could end up with, and who holds it in this
    # organisation: Xero's number, or the number a matched record already has.
    wanted = {r.account_number for r in usable if r.account_number}
    wanted |= {m.record.account_number for m in matches if m.record and m.record.account_number}
    held = model._default_manager.filter(organisation=org, account_number__in=wanted)
    owner: dict[str, int] = {n: pk for n, pk in held.values_list("account_number", "pk") if n}
    creates: list[Party] = []
    updates: list[Party] = []
    remote: dict[int, mapping.ContactData] = {}
    for data, match in zip(usable, matches, strict=True):
        party = match.record or model(organisation=org)
        me = party.pk if party.pk else -id(party)
        number = data.account_number or party.account_number or None
        if number and owner.get(number, me) != me:
            problems.append(
                problem(
                    data.name,
                    f"account number {number} is already used by another record here; "
                    "imported without it",
                )
            )
            number = None
        if number:
            owner[number] = me
        party.account_number = number
        party.name = data.name
        party.email = data.email or party.email
        party.phone = data.phone or party.phone
        if any(data.postal.values()):
            for key, value in data.postal.items():
                setattr(party, f"postal_{key}", value)
        if any(data.street.values()):
            for key, value in data.street.items():
                setattr(party, f"street_{key}", value)
        for tax_type, field in (
            (data.sales_tax_type, "sales_tax_rate_id"),
            (data.purchase_tax_type, "purchase_tax_rate_id"),
        ):
            if not tax_type:
                continue
            if tax_type in tax_map:
                setattr(party, field, tax_map[tax_type])  # CUST-6
            else:
                problems.append(
                    problem(
                        data.name,
                        f"tax type {tax_type} is not linked to a tax rate; import tax rates first",
                    )
                )
        party.active = not data.archived
        # Xero's default currency for the contact; else what it had; else the base currency.
        party.currency = data.default_currency or party.currency or org.base_currency
        party.organisation = org
        remote[id(party)] = data
        (updates if match.record else creates).append(party)
    now = timezone.now()
    for party in creates:
        party.created_at = party.updated_at = now
    model._default_manager.bulk_create(creates, batch_size=500)
    fields = [
        "name",
        "account_number",
        "email",
        "phone",
        "active",
        "organisation",
        "sales_tax_rate",
        "purchase_tax_rate",
        "currency",
        "updated_at",
        *(f"postal_{k}" for k in mapping.ADDRESS_FIELDS),
        *(f"street_{k}" for k in mapping.ADDRESS_FIELDS),
    ]
    for party in updates:
        party.updated_at = now
    model._default_manager.bulk_update(updates, fields, batch_size=500)
    link_imported(kind, org.pk, [*creates, *updates], remote)
    counts["created"] += len(creates)
    counts["updated"] += len(updates)
    return counts, problems
