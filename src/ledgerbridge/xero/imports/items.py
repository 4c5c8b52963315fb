"""Products from Xero items (PROD-1..4): one call (GET /Items has no paging), applied in
chunks numbered like pages so an interrupted run resumes from the next chunk."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import F

from ledgerbridge.catalog.models import Product, ProductGroup
from ledgerbridge.sync.models import Organisation, RecordKind
from ledgerbridge.xero import mapping
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.imports.common import (
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
from ledgerbridge.xero.models import ImportRun


def import_products(
    run: ImportRun, client: XeroClient, progress: Callable[[ImportRun], None]
) -> None:
    """GET /Items has no paging: one call, applied in chunks of PAGE_SIZE."""
    org = organisation(run.xero_tenant_id)
    group = ProductGroup.objects.get(pk=run.params["product_group"])
    ids = set(run.params.get("ids") or [])
    body = client.get("/Items", if_modified_since=None if ids else run.since)
    note_xero_clock(run, body)
    records = [mapping.item_data(i) for i in body.get("Items") or []]
    records = [
        r for r in records if (r.xero_id in ids if ids else changed_since(r.updated_at, run.since))
    ]
    tax_map = tax_rate_map(org.pk)
    first = True
    # Chunks are numbered like pages, so a resumed run carries on from the next one.
    for chunk in range(run.next_page - 1, (len(records) + PAGE_SIZE - 1) // PAGE_SIZE):
        start = chunk * PAGE_SIZE
        with transaction.atomic():
            counts, problems = apply_safely(
                lambda page_records: apply_items(org, group, page_records, tax_map),
                records[start : start + PAGE_SIZE],
                lambda r: r.name,
            )
            record_page(run, page=chunk + 1, counts=counts, problems=problems, total=len(records))
            if not first:  # one API call, however many chunks
                ImportRun.objects.filter(pk=run.pk).update(api_calls=F("api_calls") - 1)
        first = False
        run.refresh_from_db()
        progress(run)
    if not records:
        record_page(run, page=None, counts={}, problems=[], total=0)


def apply_items(
    org: Organisation,
    group: ProductGroup,
    records: list[mapping.ItemData],
    tax_map: dict[str, int],
) -> Outcome:
    """Create or update products from Xero items in bulk (PROD-2, PROD-4)."""
    counts = {"created": 0, "updated": 0, "skipped": 0}
    problems: list[dict[str, str]] = []
    usable = []
    for record in records:
        if record.problems or not record.xero_id:
            counts["skipped"] += 1
            problems.append(
                problem(record.name or record.code, "; ".join(record.problems) or "no ItemID")
            )
        else:
            usable.append(record)
    matches = match_page(
        Product, RecordKind.PRODUCT, org.pk, [(r.xero_id, r.code, r.name) for r in usable], "code"
    )
    owner = dict(
        Product.objects.filter(organisation=org, code__in=[r.code for r in usable]).values_list(
            "code", "pk"
        )
    )
    creates: list[Product] = []
    updates: list[Product] = []
    remote: dict[int, mapping.ItemData] = {}
    for data, match in zip(usable, matches, strict=True):
        product = match.record or Product(organisation=org, group=group)
        if owner.get(data.code, product.pk) != product.pk:
            counts["skipped"] += 1
            problems.append(
                problem(data.name, f"item code {data.code} is already used by another product here")
            )
            continue
        owner[data.code] = product.pk if product.pk else -id(product)
        product.code = data.code
        product.name = data.name
        product.description = data.description or product.description
        product.sales_account_code = data.sales_account_code
        product.purchase_account_code = data.purchase_account_code
        product.unit_price = data.unit_price
        product.unit_cost = data.unit_cost
        for tax_type, field in (
            (data.sales_tax_type, "sales_tax_rate_id"),
            (data.purchase_tax_type, "purchase_tax_rate_id"),
        ):
            if tax_type and tax_type in tax_map:
                setattr(product, field, tax_map[tax_type])
            elif tax_type:
                problems.append(
                    problem(
                        data.name,
                        f"tax type {tax_type} is not linked to a tax rate; import tax rates first",
                    )
                )
        product.organisation = org
        remote[id(product)] = data
        (updates if match.record else creates).append(product)
    Product.objects.bulk_create(creates, batch_size=500)
    Product.objects.bulk_update(
        updates,
        [
            "code",
            "name",
            "description",
            "sales_account_code",
            "purchase_account_code",
            "unit_price",
            "unit_cost",
            "sales_tax_rate",
            "purchase_tax_rate",
            "organisation",
        ],
        batch_size=500,
    )
    link_imported(RecordKind.PRODUCT, org.pk, [*creates, *updates], remote)
    counts["created"] += len(creates)
    counts["updated"] += len(updates)
    return counts, problems
