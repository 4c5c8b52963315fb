"""Import screens: start imports, preview Xero records before importing, follow a run live.

The importer (customers, suppliers, products) is one of the few screens that calls Xero during
a request, because CUST-4 asks for a live list: exactly one call per page view, read only. What
each row would do is computed with `matching.match_page`, the rule the import itself uses, and
nothing is written until a person presses Import; the import then runs as background work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ledgerbridge.accounts.models import User
from ledgerbridge.accounts.permissions import area_required
from ledgerbridge.catalog.models import ProductGroup
from ledgerbridge.screens import MAX_QUERY, apply_errors
from ledgerbridge.sync.models import RecordKind
from ledgerbridge.xero import endpoints, mapping
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.errors import XeroError
from ledgerbridge.xero.imports import linked_model, open_run, start_import, wanted_contact
from ledgerbridge.xero.imports.common import organisation
from ledgerbridge.xero.matching import match_page
from ledgerbridge.xero.models import (
    Connection,
    ImportKind,
    ImportRun,
    ImportStatus,
    ImportWatermark,
)
from ledgerbridge.xero.views import xero_unavailable

SECTION = "Configuration"
PER_PAGE = 100  # Xero's default page of contacts; items are paged here the same way
MAX_IDS = 1000
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
RECORD_KINDS = (ImportKind.CUSTOMERS, ImportKind.SUPPLIERS, ImportKind.PRODUCTS)
BUTTON_KINDS = (
    ImportKind.TAX_RATES,
    ImportKind.TRACKING,
    ImportKind.BRANDING,
    ImportKind.CURRENCIES,
)
CODE_FIELD = {
    ImportKind.CUSTOMERS: "account_number",
    ImportKind.SUPPLIERS: "account_number",
    ImportKind.PRODUCTS: "code",
}
SYNC_KIND = {
    ImportKind.CUSTOMERS: RecordKind.CUSTOMER,
    ImportKind.SUPPLIERS: RecordKind.SUPPLIER,
    ImportKind.PRODUCTS: RecordKind.PRODUCT,
}
EDIT_URL = {
    ImportKind.CUSTOMERS: "customers:settings",
    ImportKind.SUPPLIERS: "suppliers:edit",
    ImportKind.PRODUCTS: "catalog:product_edit",
}
STATUS_BADGE = {
    ImportStatus.QUEUED: "DRAFT",
    ImportStatus.RUNNING: "yes",
    ImportStatus.WAITING: "SUBMITTED",
    ImportStatus.DONE: "PAID",
    ImportStatus.FAILED: "no",
}


class Refused(Exception):
    """A request this screen cannot act on; answered with `status` and a message for a person."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _refuse(request: HttpRequest, error: Refused) -> HttpResponse:
    return render(
        request,
        "xero/import_refused.html",
        {"message": error.message, "section": SECTION},
        status=error.status,
    )


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _connection(pk: int) -> Connection:
    connection = Connection.objects.filter(pk=pk).first()
    if connection is None:
        raise Refused("There is no such Xero connection; it may have been deleted.", 404)
    return connection


def _kind(value: str, allowed: tuple[ImportKind, ...]) -> ImportKind:
    if value not in {k.value for k in allowed}:
        names = ", ".join(k.value for k in allowed)
        raise Refused(f"There is no import of “{value[:50]}” here; choose one of {names}.", 404)
    return ImportKind(value)


# --- starting the whole-organisation imports (tax rates, tracking, branding) -----------------


@require_POST
@area_required("configuration")
def start(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The connection page's buttons: queue the import and go to its run page (TAX-3, TRK-2)."""
    try:
        connection = _connection(pk)
        chosen = _kind(kind, BUTTON_KINDS)
        run = start_import(connection, chosen, user=_user(request))
    except Refused as exc:
        return _refuse(request, exc)
    except ValidationError as exc:
        return _refuse(request, Refused(" ".join(exc.messages), 409))
    messages.success(request, f"{chosen.label} import queued for {connection}.")
    return redirect("xero:xero_imports:run", run_id=run.pk)


# --- the importer: a live page of Xero records and what importing each would do ---------------


@dataclass
class Row:
    """One Xero record on the importer's page."""

    xero_id: str
    name: str
    code: str
    email: str = ""
    price: Decimal | None = None
    roles: str = ""
    problems: list[str] = field(default_factory=list)
    note: str = ""  # why "Import all" leaves it out, if it does
    record: Model | None = None
    how: str = ""
    url: str = ""

    @property
    def importable(self) -> bool:
        return not self.problems and bool(self.xero_id)


@dataclass
class Preview:
    rows: list[Row]
    page: int
    has_next: bool
    page_count: int | None
    total: int | None


def _contacts_page(client: XeroClient, kind: str, q: str, page: int) -> Preview:
    params: dict[str, Any] = {"page": page, "pageSize": PER_PAGE}
    if q:
        params["searchTerm"] = q
    body = client.get(endpoints.CONTACTS, params=params)
    raw = list(body.get("Contacts") or [])
    rows = []
    for contact in raw:
        data = mapping.contact_data(contact)
        roles = [
            r for r, yes in (("customer", data.is_customer), ("supplier", data.is_supplier)) if yes
        ]
        note = ""
        if not wanted_contact(data, kind, chosen=False):
            note = (
                "Import all leaves it out: Xero does not mark it as a supplier."
                if kind == ImportKind.SUPPLIERS
                else "Import all leaves it out: Xero marks it as a supplier only."
            )
        rows.append(
            Row(
                xero_id=data.xero_id,
                name=data.name,
                code=data.account_number or "",
                email=data.email,
                roles=", ".join(roles),
                problems=data.problems,
                note=note,
            )
        )
    pagination = body.get("pagination") or {}
    page_count = pagination.get("pageCount")
    return Preview(
        rows=rows,
        page=page,
        has_next=page < int(page_count) if page_count else len(raw) >= PER_PAGE,
        page_count=int(page_count) if page_count else None,
        total=int(pagination["itemCount"]) if pagination.get("itemCount") is not None else None,
    )


def _items_page(client: XeroClient, q: str, page: int) -> Preview:
    # GET /Items has no paging: one call, then search and page here.
    body = client.get(endpoints.ITEMS)
    items = [mapping.item_data(i) for i in body.get("Items") or []]
    for word in q.lower().split():
        items = [i for i in items if word in f"{i.code} {i.name} {i.description}".lower()]
    start_at = (page - 1) * PER_PAGE
    rows = [
        Row(
            xero_id=i.xero_id,
            name=i.name,
            code=i.code,
            price=i.unit_price,
            problems=i.problems,
        )
        for i in items[start_at : start_at + PER_PAGE]
    ]
    pages = max(1, -(-len(items) // PER_PAGE))
    return Preview(rows, page, page < pages, pages, len(items))


def preview(connection: Connection, kind: ImportKind, q: str, page: int) -> Preview:
    """One page of the organisation's Xero records, each with what importing it would do.
    Calls Xero once and writes nothing; raises XeroError when Xero cannot answer, XeroBusy
    when it cannot before XERO_DEADLINE_SECONDS (a person is waiting)."""
    with XeroClient.interactive(connection) as client:
        if kind == ImportKind.PRODUCTS:
            result = _items_page(client, q, page)
        else:
            result = _contacts_page(client, kind, q, page)
    usable = [r for r in result.rows if r.importable]
    org = organisation(connection.tenant_id)
    matches = match_page(
        linked_model(kind),
        SYNC_KIND[kind],
        org.pk,
        [(r.xero_id, r.code or None, r.name) for r in usable],
        CODE_FIELD[kind],
    )
    # A code another record of this organisation already holds: as the import decides it.
    code_field = CODE_FIELD[kind]
    holders = dict(
        linked_model(kind)
        ._default_manager.filter(
            organisation=org,
            **{f"{code_field}__in": [r.code for r in usable if r.code]},
        )
        .values_list(code_field, "pk")
    )
    for row, match in zip(usable, matches, strict=True):
        if match.record is not None:
            row.record, row.how = match.record, match.how
            row.url = reverse(EDIT_URL[kind], args=[match.record.pk])
        holder = holders.get(row.code) if row.code else None
        if holder is not None and holder != (match.record.pk if match.record else None):
            if kind == ImportKind.PRODUCTS:
                row.problems.append(f"item code {row.code} is already used by another product here")
            else:
                clash = (
                    f"Account number {row.code} is already used by another record here; "
                    "it would be imported without it."
                )
                row.note = f"{row.note} {clash}".strip()
    return result


class ImportForm(forms.Form):
    """What "Import selected" / "Import all" posts; the product group only for products."""

    action = forms.ChoiceField(choices=[("selected", "Import selected"), ("all", "Import all")])
    product_group = forms.ModelChoiceField(
        ProductGroup.objects.all(),
        required=False,  # start_import decides (PROD-3), so the rule lives in one place
        label="Product group",
        help_text="Imported products join this group.",
    )

    def __init__(self, *args: Any, products: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not products:
            del self.fields["product_group"]


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1").strip() or "1"
    if not raw.isdecimal() or not 1 <= int(raw) <= 100_000:
        raise Refused(f"“{raw[:20]}” is not a page number; pages are numbered from 1.")
    return int(raw)


def _chosen_ids(request: HttpRequest) -> list[str]:
    ids = list(dict.fromkeys(request.POST.getlist("ids")))
    if len(ids) > MAX_IDS:
        raise Refused(f"Select at most {MAX_IDS} records at once, or use Import all.")
    bad = [i for i in ids if not GUID.match(i)]
    if bad:
        raise Refused(f"“{bad[0][:60]}” is not a Xero record ID; nothing was imported.")
    return ids


@require_http_methods(["GET", "POST"])
@area_required("configuration")
def importer(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """CUST-4, SUP-1, PROD-2/3: list a page of Xero records with what each would do; POST
    queues "Import selected" or "Import all" and goes to the run's page."""
    try:
        connection = _connection(pk)
        chosen = _kind(kind, RECORD_KINDS)
        if not connection.is_connected:
            raise Refused(f"{connection} is not connected; connect and save it first.", 409)
        q = request.GET.get("q", "").strip()[:MAX_QUERY]
        page = _page_number(request)
        products = chosen == ImportKind.PRODUCTS
        form = ImportForm(request.POST if request.method == "POST" else None, products=products)
        selected: list[str] = []
        if request.method == "POST":
            selected = _chosen_ids(request)
            if form.is_valid():
                params: dict[str, Any] = {}
                if form.cleaned_data["action"] == "selected":
                    if not selected:
                        form.add_error(None, "Select at least one record, or press Import all.")
                    params["ids"] = selected
                if products:
                    group = form.cleaned_data.get("product_group")
                    params["product_group"] = group.pk if group else None
                if not form.errors:
                    try:
                        run = start_import(connection, chosen, params=params, user=_user(request))
                    except ValidationError as exc:
                        apply_errors(form, exc)
                    else:
                        messages.success(request, f"{chosen.label} import queued.")
                        return redirect("xero:xero_imports:run", run_id=run.pk)
    except Refused as exc:
        return _refuse(request, exc)

    context: dict[str, Any] = {
        "connection": connection,
        "kind": chosen,
        "form": form,
        "q": q,
        "selected": set(selected),
        "open_run": open_run(connection, chosen),
        "watermark": ImportWatermark.objects.filter(
            xero_tenant_id=connection.tenant_id, kind=chosen
        ).first(),
        "section": SECTION,
    }
    status = 400 if form.errors else 200
    try:
        context["preview"] = preview(connection, chosen, q, page)
    except XeroError as exc:
        unavailable = xero_unavailable(request, exc, "Xero could not list the records")
        context["unavailable"] = unavailable
        if unavailable["busy"]:
            status = unavailable["status"]
    return render(request, "xero/import_records.html", context, status=status)


# --- a run: its page and the JSON the page polls ----------------------------------------------


def run_facts(run: ImportRun) -> dict[str, Any]:
    """The run's progress and outcome, as the run page shows them and its script polls them."""
    percent = None
    if run.total:
        percent = min(100, round(100 * run.processed / run.total))
    elif run.finished:
        percent = 100
    return {
        "id": run.pk,
        "kind": run.kind,
        "kind_label": run.get_kind_display(),
        "status": run.status,
        "status_label": (
            "Waiting for the connection"  # CONN-6: no limit to wait out; a person reconnects
            if run.status == ImportStatus.WAITING and run.resume_after is None
            else run.get_status_display()
        ),
        "badge": STATUS_BADGE[ImportStatus(run.status)],
        "finished": run.finished,
        "total": run.total,
        "processed": run.processed,
        "percent": percent,
        "created": run.created,
        "updated": run.updated,
        "skipped": run.skipped,
        "message": run.message,
        "resume_after": run.resume_after.isoformat() if run.resume_after else None,
        "problems": list(run.problems or []),
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def _run(run_id: int) -> ImportRun:
    run = ImportRun.objects.select_related("connection", "started_by").filter(pk=run_id).first()
    if run is None:
        raise Refused("There is no such import run.", 404)
    return run


@require_GET
@area_required("configuration")
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    try:
        run = _run(run_id)
    except Refused as exc:
        return _refuse(request, exc)
    organisation = (
        str(run.connection) if run.connection else f"organisation {run.xero_tenant_id} (deleted)"
    )
    context = {
        "run": run,
        "facts": run_facts(run),
        "organisation": organisation,
        "section": SECTION,
        "importer_kind": run.kind if run.kind in {k.value for k in RECORD_KINDS} else "",
    }
    return render(request, "xero/import_run.html", context)


@require_GET
@area_required("configuration")
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        return JsonResponse({"error": "There is no such import run."}, status=404)
    response = JsonResponse(run_facts(run))
    response["Cache-Control"] = "no-store"
    return response
