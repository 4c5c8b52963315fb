"""Imports from Xero: tax rates, customers, suppliers, products, tracking categories and
branding themes (TAX-1..3, CUST-1..6, SUP-1, PROD-1..4, TRK-2).

Contract of `run_import(run_id)`:
- streams Xero's pages (pageSize 1000 where Xero pages) into bulk upserts, one transaction per
  page that also records the run's progress, so memory stays flat and a crash loses at most the
  page in flight;
- idempotent: records are matched by their Xero ID first (see `matching`), so running it again,
  or resuming an interrupted run from its next page, never makes a duplicate;
- incremental: sends the watermark as If-Modified-Since and filters again locally (Xero
  compares by date only); the watermark moves, to when the run started, only when a complete
  import finishes, so nothing changed meanwhile is missed;
- a record Xero gives that cannot be imported (no name, over-long fields, a clashing code, an
  unlinked tax type) is reported with its reason and the rest goes on;
- minute limits are waited out by the client; a day limit leaves the run "waiting" and a task
  resumes it when the organisation's budget resets.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model, Q
from django.utils import timezone

from ledgerbridge.accounts.models import User
from ledgerbridge.catalog.models import Product, ProductGroup, TaxRate
from ledgerbridge.customers.models import Customer, Party
from ledgerbridge.deletion import delete_unless_used
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.xero import mapping
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.errors import DailyLimitReached, ReauthorisationNeeded, XeroError
from ledgerbridge.xero.matching import match_page
from ledgerbridge.xero.models import (
    BrandingTheme,
    Connection,
    ImportKind,
    ImportRun,
    ImportStatus,
    ImportWatermark,
    TrackingCategory,
    TrackingOption,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
IDS_PER_CALL = 50  # Xero's IDs= filter is limited by URL length to about 50 GUIDs
# A running run silent this long was interrupted (its process died) and may be taken over.
STALE_AFTER = dt.timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS)
# The watermark is Xero's own clock at the run's first answer, less a second; without that
# answer (nothing was read), our clock less a margin for the two clocks' difference.
XERO_CLOCK_MARGIN = dt.timedelta(seconds=1)
OUR_CLOCK_MARGIN = dt.timedelta(minutes=5)
MAX_PROBLEMS = 500
PARTY_MODELS: dict[str, type[Party]] = {
    ImportKind.CUSTOMERS: Customer,
    ImportKind.SUPPLIERS: Supplier,
}


# --- starting and running -------------------------------------------------------------------


def open_run(connection: Connection, kind: str) -> ImportRun | None:
    """An unfinished run of this kind for this organisation, if one exists (to resume it)."""
    return (
        ImportRun.objects.filter(xero_tenant_id=connection.tenant_id, kind=kind)
        .exclude(status__in=[ImportStatus.DONE, ImportStatus.FAILED])
        .first()
    )


@transaction.atomic
def start_import(
    connection: Connection,
    kind: str,
    *,
    params: dict[str, Any] | None = None,
    user: User | None = None,
    background: bool = True,
) -> ImportRun:
    """Create an import run (or return the unfinished one for the same kind and parameters,
    which then resumes) and, with `background`, queue it for the worker after commit."""
    params = dict(params or {})
    if kind not in ImportKind.values:
        raise ValidationError({"kind": [f"Choose one of {', '.join(ImportKind.values)}."]})
    if not connection.is_connected:
        raise ValidationError(f"{connection} is not connected; connect and save it first.")
    if kind == ImportKind.PRODUCTS:
        group_id = params.get("product_group")
        if not group_id or not ProductGroup.objects.filter(pk=group_id).exists():
            raise ValidationError(
                {"product_group": ["Choose the product group imported products join (PROD-3)."]}
            )
    existing = open_run(connection, kind)
    if existing is not None and existing.params == params:
        run = existing
    else:
        since = None
        watermark = ImportWatermark.objects.filter(
            xero_tenant_id=connection.tenant_id, kind=kind
        ).first()
        if watermark and not params.get("ids") and not params.get("full"):
            since = watermark.since
        run = ImportRun.objects.create(
            xero_tenant_id=connection.tenant_id,
            connection=connection,
            kind=kind,
            params=params,
            since=since,
            started_by=user,
        )
    if background:
        from ledgerbridge.xero.tasks import run_import_task

        transaction.on_commit(lambda: run_import_task.enqueue(run.pk))
    return run


def _claim(run_id: int) -> bool:
    """Take the run for this process, unless another live process has it (one UPDATE, so two
    workers handed the same run cannot both take it)."""
    now = timezone.now()
    claimable = (
        Q(status__in=[ImportStatus.QUEUED, ImportStatus.WAITING])
        | Q(status=ImportStatus.RUNNING, heartbeat_at__lte=now - STALE_AFTER)
        | Q(status=ImportStatus.RUNNING, heartbeat_at__isnull=True)
    )
    taken = ImportRun.objects.filter(claimable, pk=run_id).update(
        status=ImportStatus.RUNNING, heartbeat_at=now, resume_after=None
    )
    return bool(taken)


def run_import(
    run_id: int,
    *,
    client: XeroClient | None = None,
    progress: Callable[[ImportRun], None] | None = None,
) -> ImportRun:
    """Carry out (or resume) an import run; see the module docstring for the contract."""
    if not _claim(run_id):
        return ImportRun.objects.get(pk=run_id)
    run = ImportRun.objects.get(pk=run_id)
    if run.started_at is None:
        ImportRun.objects.filter(pk=run.pk).update(started_at=timezone.now())
        run.refresh_from_db()
    connection = Connection.objects.filter(tenant_id=run.xero_tenant_id).first()
    try:
        if connection is None or not connection.is_connected:
            raise ReauthorisationNeeded("The organisation is not connected; connect it again.")
        own = client is None
        xero = client or XeroClient(connection)
        try:
            HANDLERS[run.kind](run, xero, progress or (lambda r: None))
        finally:
            if own:
                xero.close()
    except DailyLimitReached as exc:
        return _wait(run, exc.retry_after, exc.message)
    except ReauthorisationNeeded as exc:
        # CONN-6: nothing is lost; the run waits and resumes when reconnected and restarted.
        return _finish(run, ImportStatus.WAITING, f"Waiting for the connection: {exc.message}")
    except XeroError as exc:
        return _finish(run, ImportStatus.FAILED, exc.message)
    except Exception as exc:
        log.exception("import %s failed", run.pk)
        return _finish(run, ImportStatus.FAILED, f"The import stopped unexpectedly: {exc}")
    run.refresh_from_db()
    # A run that left records behind (skipped, or without their tax rates) keeps the old
    # watermark, so importing again after fixing the cause brings those records.
    if not run.params.get("ids") and not run.problems:
        if run.xero_started_at is not None:
            since = run.xero_started_at - XERO_CLOCK_MARGIN
        else:
            since = (run.started_at or timezone.now()) - OUR_CLOCK_MARGIN
        ImportWatermark.objects.update_or_create(
            xero_tenant_id=run.xero_tenant_id, kind=run.kind, defaults={"since": since}
        )
    # What it looked at, whatever Xero's count included (e.g. supplier-only contacts).
    ImportRun.objects.filter(pk=run.pk).update(total=F("processed"))
    return _finish(run, ImportStatus.DONE, _summary(run))


def _summary(run: ImportRun) -> str:
    run.refresh_from_db()
    return (
        f"{run.get_kind_display()}: {run.created} created, {run.updated} updated, "
        f"{run.skipped} skipped."
    )


def _finish(run: ImportRun, status: str, message: str) -> ImportRun:
    ImportRun.objects.filter(pk=run.pk).update(
        status=status,
        message=message,
        heartbeat_at=timezone.now(),
        finished_at=timezone.now() if status in (ImportStatus.DONE, ImportStatus.FAILED) else None,
    )
    run.refresh_from_db()
    return run


def _wait(run: ImportRun, seconds: float, message: str) -> ImportRun:
    from ledgerbridge.xero.tasks import run_import_task

    when = timezone.now() + dt.timedelta(seconds=seconds)
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.WAITING,
        resume_after=when,
        heartbeat_at=timezone.now(),
        message=f"{message} It resumes by itself at {when:%Y-%m-%d %H:%M} UTC.",
    )
    run_import_task.using(run_after=when).enqueue(run.pk)
    run.refresh_from_db()
    return run


def _record_page(
    run: ImportRun,
    *,
    page: int | None,
    counts: dict[str, int],
    problems: list[dict[str, str]],
    total: int | None = None,
) -> None:
    """Store a page's outcome on the run (call inside the page's transaction)."""
    fields: dict[str, Any] = {
        "processed": F("processed") + sum(counts.values()),
        "created": F("created") + counts.get("created", 0),
        "updated": F("updated") + counts.get("updated", 0),
        "skipped": F("skipped") + counts.get("skipped", 0),
        "api_calls": F("api_calls") + 1,
        "pages_done": F("pages_done") + 1,
        "heartbeat_at": timezone.now(),
    }
    if page is not None:
        fields["next_page"] = page + 1
    if total is not None:
        fields["total"] = total
    if problems:
        current = list(ImportRun.objects.filter(pk=run.pk).values_list("problems", flat=True).get())
        fields["problems"] = (current + problems)[:MAX_PROBLEMS]
    ImportRun.objects.filter(pk=run.pk).update(**fields)


def _note_xero_clock(run: ImportRun, body: dict[str, Any]) -> None:
    """Keep Xero's time of the run's first answer (the next run's If-Modified-Since)."""
    when = mapping.parse_date(body.get("DateTimeUTC"))
    if when is not None and run.xero_started_at is None:
        ImportRun.objects.filter(pk=run.pk, xero_started_at__isnull=True).update(
            xero_started_at=when
        )
        run.xero_started_at = when


Outcome = tuple[dict[str, int], list[dict[str, str]]]
R = TypeVar("R")


def apply_safely(
    apply: Callable[[list[R]], Outcome], records: list[R], label: Callable[[R], str]
) -> Outcome:
    """Apply a page in bulk; if the database refuses it (a clash the checks did not foresee),
    apply it record by record, each in its own savepoint, and report the ones refused, so one
    record never stops the page or the import."""
    try:
        with transaction.atomic():
            return apply(records)
    except IntegrityError:
        pass
    counts = {"created": 0, "updated": 0, "skipped": 0}
    problems: list[dict[str, str]] = []
    for record in records:
        try:
            with transaction.atomic():
                one, issues = apply([record])
        except IntegrityError as exc:
            counts["skipped"] += 1
            problems.append(_problem(label(record), f"could not be saved here: {exc}"))
        else:
            for key, value in one.items():
                counts[key] = counts.get(key, 0) + value
            problems.extend(issues)
    return counts, problems


def _problem(label: str, reason: str) -> dict[str, str]:
    return {"record": label[:300], "reason": reason}


def _changed_since(updated: dt.datetime | None, since: dt.datetime | None) -> bool:
    # Xero compares If-Modified-Since by date only, so we filter again on the timestamp.
    return since is None or updated is None or updated >= since


# --- tax rates (TAX-1..3) -------------------------------------------------------------------


def xero_tax_rates(client: XeroClient) -> list[mapping.TaxRateData]:
    """The organisation's active Xero tax rates, read live (TAX-2's picker)."""
    body = client.get("/TaxRates")
    rates = [mapping.tax_rate_data(r) for r in body.get("TaxRates") or []]
    return [r for r in rates if r.status == "ACTIVE" and r.tax_type]


def link_tax_rate(rate: TaxRate, tenant_id: str, tax_type: str, xero_name: str = "") -> TaxRate:
    """TAX-2: link a tax rate to one of its organisation's Xero tax rates."""
    if rate.is_zero_rate:
        raise ValidationError("The zero tax rate is not linked to an organisation.")
    if rate.xero_tenant_id and rate.xero_tenant_id != tenant_id:
        raise ValidationError({"xero_tenant_id": ["A tax rate's organisation cannot change."]})
    clash = (
        TaxRate.objects.filter(xero_tenant_id=tenant_id, xero_tax_type=tax_type)
        .exclude(pk=rate.pk)
        .first()
    )
    if clash is not None:
        raise ValidationError({"xero_tax_type": [f"{tax_type} is already linked to {clash.name}."]})
    same_name = TaxRate.objects.filter(xero_tenant_id=tenant_id, name__iexact=rate.name)
    if same_name.exclude(pk=rate.pk).exists():
        raise ValidationError(
            {
                "tax_rate": [
                    f"That organisation already has a tax rate named {rate.name}; rename one."
                ]
            }
        )
    rate.xero_tenant_id, rate.xero_tax_type, rate.xero_name = tenant_id, tax_type, xero_name
    rate.save(update_fields=["xero_tenant_id", "xero_tax_type", "xero_name"])
    return rate


def _import_tax_rates(
    run: ImportRun, client: XeroClient, progress: Callable[[ImportRun], None]
) -> None:
    tenant = run.xero_tenant_id
    rates = xero_tax_rates(client)
    counts = {"created": 0, "updated": 0, "skipped": 0}
    problems: list[dict[str, str]] = []
    with transaction.atomic():
        existing = {r.xero_tax_type: r for r in TaxRate.objects.filter(xero_tenant_id=tenant)}
        names = {r.name.lower() for r in existing.values()}
        for data in rates:
            rate = existing.get(data.tax_type)
            if rate is None:
                name = (
                    data.name
                    if data.name.lower() not in names
                    else f"{data.name} ({data.tax_type})"
                )
                rate = TaxRate(xero_tenant_id=tenant, xero_tax_type=data.tax_type, name=name[:100])
                counts["created"] += 1
            else:
                counts["updated"] += 1
            names.add(rate.name.lower())
            rate.percentage = min(max(data.percentage, Decimal(0)), Decimal(100))
            rate.xero_name = data.name
            rate.save()
        # TAX-1: a link to a Xero tax rate that is no longer active would fail at sync time.
        active = {data.tax_type for data in rates}
        for stale in TaxRate.objects.filter(xero_tenant_id=tenant).exclude(
            xero_tax_type__in=active
        ):
            problems.append(
                _problem(
                    stale.name,
                    f"its Xero tax rate {stale.xero_tax_type} is no longer "
                    "active in Xero; link it to another or stop using it",
                )
            )
        # TAX-3: rates assigned to no organisation go, except the zero rate and rates in use.
        for orphan in TaxRate.objects.filter(xero_tenant_id="", is_zero_rate=False):
            try:
                delete_unless_used(orphan, f"Tax rate {orphan.name}", "so it was kept.")
            except ValidationError as exc:
                problems.append(_problem(orphan.name, " ".join(exc.messages)))
        run.total = len(rates)
        _record_page(run, page=None, counts=counts, problems=problems, total=len(rates))
    progress(run)


# --- customers and suppliers (CUST, SUP) ----------------------------------------------------


def _contact_pages(
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
        _note_xero_clock(run, body)
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


def _import_contacts(
    run: ImportRun, client: XeroClient, progress: Callable[[ImportRun], None]
) -> None:
    model = PARTY_MODELS[run.kind]
    tenant = run.xero_tenant_id
    chosen = bool(run.params.get("ids"))
    tax_map = dict(
        TaxRate.objects.filter(xero_tenant_id=tenant)
        .exclude(xero_tax_type="")
        .values_list("xero_tax_type", "pk")
    )
    for page, raw, total in _contact_pages(run, client):
        records = [mapping.contact_data(c) for c in raw]
        records = [
            r
            for r in records
            if _changed_since(r.updated_at, run.since) and wanted_contact(r, run.kind, chosen)
        ]
        with transaction.atomic():
            counts, problems = apply_safely(
                lambda page_records: apply_contacts(model, tenant, page_records, tax_map),
                records,
                lambda r: r.name,
            )
            _record_page(run, page=page, counts=counts, problems=problems, total=total)
        run.refresh_from_db()
        progress(run)


def apply_contacts(
    model: type[Party], tenant: str, records: list[mapping.ContactData], tax_map: dict[str, int]
) -> tuple[dict[str, int], list[dict[str, str]]]:
    """Create or update the page's customers (or suppliers) in bulk; returns counts, problems."""
    counts = {"created": 0, "updated": 0, "skipped": 0}
    problems: list[dict[str, str]] = []
    usable = []
    for candidate in records:
        if candidate.problems or not candidate.xero_id:
            counts["skipped"] += 1
            label = candidate.name or candidate.xero_id
            problems.append(_problem(label, "; ".join(candidate.problems) or "no ContactID"))
        else:
            usable.append(candidate)
    matches = match_page(
        model, tenant, [(r.xero_id, r.account_number, r.name) for r in usable], "account_number"
    )
    # Every account number a record of this page could end up with, and who holds it in this
    # organisation: Xero's number, or the number a matched record already has.
    wanted = {r.account_number for r in usable if r.account_number}
    wanted |= {m.record.account_number for m in matches if m.record and m.record.account_number}
    held = model._default_manager.filter(xero_tenant_id=tenant, account_number__in=wanted)
    owner: dict[str, int] = {n: pk for n, pk in held.values_list("account_number", "pk") if n}
    creates: list[Party] = []
    updates: list[Party] = []
    for data, match in zip(usable, matches, strict=True):
        party = match.record or model(xero_tenant_id=tenant)
        me = party.pk if party.pk else -id(party)
        number = data.account_number or party.account_number or None
        if number and owner.get(number, me) != me:
            problems.append(
                _problem(
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
                    _problem(
                        data.name,
                        f"tax type {tax_type} is not linked to a tax rate; import tax rates first",
                    )
                )
        party.active = not data.archived
        party.xero_tenant_id = tenant
        party.xero_id = data.xero_id
        party.xero_data = data.snapshot
        party.xero_updated_at = data.updated_at
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
        "xero_tenant_id",
        "xero_id",
        "xero_data",
        "xero_updated_at",
        "sales_tax_rate",
        "purchase_tax_rate",
        "updated_at",
        *(f"postal_{k}" for k in mapping.ADDRESS_FIELDS),
        *(f"street_{k}" for k in mapping.ADDRESS_FIELDS),
    ]
    for party in updates:
        party.updated_at = now
    model._default_manager.bulk_update(updates, fields, batch_size=500)
    counts["created"] += len(creates)
    counts["updated"] += len(updates)
    return counts, problems


# --- products (PROD) ------------------------------------------------------------------------


def _import_products(
    run: ImportRun, client: XeroClient, progress: Callable[[ImportRun], None]
) -> None:
    """GET /Items has no paging: one call, applied in chunks of PAGE_SIZE."""
    tenant = run.xero_tenant_id
    group = ProductGroup.objects.get(pk=run.params["product_group"])
    ids = set(run.params.get("ids") or [])
    body = client.get("/Items", if_modified_since=None if ids else run.since)
    _note_xero_clock(run, body)
    records = [mapping.item_data(i) for i in body.get("Items") or []]
    records = [
        r for r in records if (r.xero_id in ids if ids else _changed_since(r.updated_at, run.since))
    ]
    tax_map = dict(
        TaxRate.objects.filter(xero_tenant_id=tenant)
        .exclude(xero_tax_type="")
        .values_list("xero_tax_type", "pk")
    )
    first = True
    # Chunks are numbered like pages, so a resumed run carries on from the next one.
    for chunk in range(run.next_page - 1, (len(records) + PAGE_SIZE - 1) // PAGE_SIZE):
        start = chunk * PAGE_SIZE
        with transaction.atomic():
            counts, problems = apply_safely(
                lambda page_records: apply_items(tenant, group, page_records, tax_map),
                records[start : start + PAGE_SIZE],
                lambda r: r.name,
            )
            _record_page(run, page=chunk + 1, counts=counts, problems=problems, total=len(records))
            if not first:  # one API call, however many chunks
                ImportRun.objects.filter(pk=run.pk).update(api_calls=F("api_calls") - 1)
        first = False
        run.refresh_from_db()
        progress(run)
    if not records:
        _record_page(run, page=None, counts={}, problems=[], total=0)


def apply_items(
    tenant: str, group: ProductGroup, records: list[mapping.ItemData], tax_map: dict[str, int]
) -> tuple[dict[str, int], list[dict[str, str]]]:
    """Create or update products from Xero items in bulk (PROD-2, PROD-4)."""
    counts = {"created": 0, "updated": 0, "skipped": 0}
    problems: list[dict[str, str]] = []
    usable = []
    for record in records:
        if record.problems or not record.xero_id:
            counts["skipped"] += 1
            problems.append(
                _problem(record.name or record.code, "; ".join(record.problems) or "no ItemID")
            )
        else:
            usable.append(record)
    matches = match_page(Product, tenant, [(r.xero_id, r.code, r.name) for r in usable], "code")
    owner = dict(
        Product.objects.filter(
            xero_tenant_id=tenant, code__in=[r.code for r in usable]
        ).values_list("code", "pk")
    )
    creates: list[Product] = []
    updates: list[Product] = []
    for data, match in zip(usable, matches, strict=True):
        product = match.record or Product(xero_tenant_id=tenant, group=group)
        if owner.get(data.code, product.pk) != product.pk:
            counts["skipped"] += 1
            problems.append(
                _problem(
                    data.name, f"item code {data.code} is already used by another product here"
                )
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
                    _problem(
                        data.name,
                        f"tax type {tax_type} is not linked to a tax rate; import tax rates first",
                    )
                )
        product.xero_tenant_id = tenant
        product.xero_id = data.xero_id
        product.xero_data = data.snapshot
        product.xero_updated_at = data.updated_at
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
            "xero_tenant_id",
            "xero_id",
            "xero_data",
            "xero_updated_at",
        ],
        batch_size=500,
    )
    counts["created"] += len(creates)
    counts["updated"] += len(updates)
    return counts, problems


# --- tracking categories (TRK-2) and branding themes ----------------------------------------


def _import_tracking(
    run: ImportRun, client: XeroClient, progress: Callable[[ImportRun], None]
) -> None:
    tenant = run.xero_tenant_id
    body = client.get("/TrackingCategories")
    counts = {"created": 0, "updated": 0, "skipped": 0}
    with transaction.atomic():
        seen = []
        for raw in body.get("TrackingCategories") or []:
            category, made = TrackingCategory.objects.update_or_create(
                xero_tenant_id=tenant,
                xero_id=str(raw["TrackingCategoryID"]),
                defaults={
                    "name": str(raw.get("Name") or "")[:100],
                    "status": str(raw.get("Status") or "ACTIVE"),
                },
            )
            counts["created" if made else "updated"] += 1
            seen.append(category.pk)
            listed = [str(o["TrackingOptionID"]) for o in raw.get("Options") or []]
            category.options.exclude(xero_id__in=listed).update(status="REMOVED")
            for option in raw.get("Options") or []:
                TrackingOption.objects.update_or_create(
                    category=category,
                    xero_id=str(option["TrackingOptionID"]),
                    defaults={
                        "name": str(option.get("Name") or "")[:100],
                        "status": str(option.get("Status") or "ACTIVE"),
                    },
                )
        TrackingCategory.objects.filter(xero_tenant_id=tenant).exclude(pk__in=seen).update(
            status="REMOVED"
        )
        _record_page(run, page=None, counts=counts, problems=[], total=len(seen))
    progress(run)


def _import_branding(
    run: ImportRun, client: XeroClient, progress: Callable[[ImportRun], None]
) -> None:
    tenant = run.xero_tenant_id
    body = client.get("/BrandingThemes")
    counts = {"created": 0, "updated": 0, "skipped": 0}
    with transaction.atomic():
        seen = []
        for raw in body.get("BrandingThemes") or []:
            theme, made = BrandingTheme.objects.update_or_create(
                xero_tenant_id=tenant,
                xero_id=str(raw["BrandingThemeID"]),
                defaults={
                    "name": str(raw.get("Name") or "")[:255],
                    "sort_order": int(raw.get("SortOrder") or 0),
                    "logo_url": str(raw.get("LogoUrl") or "")[:500],
                },
            )
            counts["created" if made else "updated"] += 1
            seen.append(theme.pk)
        BrandingTheme.objects.filter(xero_tenant_id=tenant).exclude(pk__in=seen).delete()
        _record_page(run, page=None, counts=counts, problems=[], total=len(seen))
    progress(run)


HANDLERS: dict[str, Callable[[ImportRun, XeroClient, Callable[[ImportRun], None]], None]] = {
    ImportKind.TAX_RATES: _import_tax_rates,
    ImportKind.CUSTOMERS: _import_contacts,
    ImportKind.SUPPLIERS: _import_contacts,
    ImportKind.PRODUCTS: _import_products,
    ImportKind.TRACKING: _import_tracking,
    ImportKind.BRANDING: _import_branding,
}


def linked_model(kind: str) -> type[Model]:
    """The product model an import kind fills."""
    models: dict[str, type[Model]] = {ImportKind.PRODUCTS: Product, **PARTY_MODELS}
    return models[kind]
