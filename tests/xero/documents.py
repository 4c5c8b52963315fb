"""A world for document-sync tests against the sandbox: NZ's tax rates linked, everything
chosen for sync, a synced customer and supplier, and two of Xero's own item codes; with helpers
to push, read links and read Xero."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ledgerbridge.billing.documents import LineData
from ledgerbridge.catalog.models import TaxRate
from ledgerbridge.customers.services import create_customer
from ledgerbridge.suppliers.services import create_supplier
from ledgerbridge.sync.models import Link, SyncSettings
from ledgerbridge.sync.services import organisation_for
from ledgerbridge.xero import outbound
from ledgerbridge.xero.imports import run_import, start_import

from .helpers import fast_client
from .links import by_xero_id

DAY = dt.date(2026, 11, 2)


def make_world(nz: Any) -> dict[str, Any]:
    """NZ's tax rates linked, everything chosen for sync, a synced customer and supplier, and
    two of Xero's own item codes."""
    run = start_import(nz, "tax-rates", background=False)
    with fast_client(nz) as client:
        run_import(run.pk, client=client)
        items = client.get("/Items")["Items"]
    org = organisation_for("xero", nz.tenant_id, nz.name)
    settings = SyncSettings.get()
    for name in ("customers", "suppliers", "products", "invoices", "purchase_orders"):
        setattr(settings, f"sync_{name}", True)
    settings.default_organisation = org
    settings.save()
    gst = by_xero_id(TaxRate, "OUTPUT2")
    customer = create_customer(
        {"name": "Invoice Me Ltd", "account_number": "INV-C1", "sales_tax_rate": gst}
    )
    supplier = create_supplier({"name": "Order From Ltd", "account_number": "PO-S1"})
    push(nz, org)
    return {
        "org": org,
        "gst": gst,
        "customer": customer,
        "supplier": supplier,
        "codes": [i["Code"] for i in items if i.get("Code")][:2],
    }


def push(nz, org) -> outbound.Outcome:
    with fast_client(nz) as client:
        return outbound.sync_organisation(org.pk, client=client)


def link(document: Any, kind: str = "invoice") -> Link:
    return Link.objects.get(kind=kind, local_id=document.pk)


def in_xero(nz, path: str) -> dict[str, Any]:
    with fast_client(nz) as client:
        answer = client.get(path, params={"unitdp": 4})
    return next(v[0] for k, v in answer.items() if isinstance(v, list) and v)


def lines(world, *specs: tuple[str, str, str]) -> list[LineData]:
    return [
        LineData(text, Decimal(qty), Decimal(price), world["gst"].pk, item_code=code)
        for text, qty, price, code in ((s[0], s[1], s[2], world["codes"][0]) for s in specs)
    ]
