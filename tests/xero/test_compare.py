"""Compare with Xero, against the sandbox over HTTP: nothing found when the organisation is in
step; each kind of difference planted in Xero found record by record and field by field; the
fix repairs what it can and says what a person must decide. On the screen, through the REST API
and with `ledgerbridge xero compare`."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.accounts.models import ApiToken
from ledgerbridge.billing.models import DocumentStatus
from ledgerbridge.billing.services import delete_invoice, issue_invoice
from ledgerbridge.catalog.services import create_product
from ledgerbridge.cli import main
from ledgerbridge.customers.services import update_customer
from ledgerbridge.sync.models import Link, SyncSettings, SyncState
from ledgerbridge.xero import comparisons, payloads
from ledgerbridge.xero.compare import (
    DIFFERS,
    MISSING,
    REFUSED,
    STILL_THERE,
    TWICE,
    UNLINKED,
    compare,
    fix,
)
from ledgerbridge.xero.imports.tax_rates import tax_type_of
from ledgerbridge.xero.models import Comparison, ComparisonStatus

from .documents import DAY, in_xero, lines, link, make_world, push
from .helpers import admin_call, connect, fast_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def nz(xero_settings, sandbox):
    return connect(sandbox, "NZ books", "Demo Company (NZ)")


@pytest.fixture
def world(nz) -> dict[str, Any]:
    return make_world(nz)


def run_compare(nz) -> Any:
    with fast_client(nz) as client:
        return compare(nz, client)


def found(result, problem: str, label: str) -> Any:
    hits = [d for d in result.differences if d.problem == problem and d.label == label]
    assert len(hits) == 1, [(d.problem, d.label, d.words()) for d in result.differences]
    return hits[0]


def test_each_planted_difference_is_found_and_the_fix_repairs_it(nz, world, sandbox, product_group):
    invoices = [
        issue_invoice(
            world["customer"],
            lines(world, (f"Work {n}", "2", "50")),
            date=DAY,
            status=DocumentStatus.AUTHORISED if n == 0 else DocumentStatus.DRAFT,
        )
        for n in range(3)
    ]
    product = create_product(
        {
            "name": "Cable",
            "code": "CMP-CABLE",
            "group": product_group,
            "sales_account_code": "200",
            "sales_price": 9,
        }
    )
    push(nz, world["org"])
    clean = run_compare(nz)
    assert clean.clean, [d.words() for d in clean.differences]
    assert clean.checked["invoice"] == 3 and clean.checked["customer"] == 1
    assert clean.checked["product"] == 1
    changed, deleted, doubled = invoices
    customer = world["customer"]

    # In Xero: the contact renamed, a line's quantity changed, an item deleted, a draft
    # deleted, an invoice present twice (as an old integration's double send leaves it).
    contact_id = link(customer, "customer").remote_id
    admin_call(
        sandbox, "POST", f"organisations/{nz.tenant_id}/contacts/{contact_id}/edit", Name="Renamed"
    )
    held = in_xero(nz, f"/Invoices/{link(changed).remote_id}")
    held["LineItems"][0]["Quantity"] = 5
    for amount in ("LineAmount", "TaxAmount"):  # Xero works them out again
        held["LineItems"][0].pop(amount, None)
    with fast_client(nz) as client:
        client.post("/Invoices", {"Invoices": [{
            "InvoiceID": held["InvoiceID"], "LineItems": held["LineItems"]}]})  # fmt: skip
        client.post("/Invoices", {"Invoices": [{
            "InvoiceID": link(deleted).remote_id, "Status": "DELETED"}]})  # fmt: skip
        client.request("DELETE", f"/Items/{link(product, 'product').remote_id}")
    store = sandbox.sandbox.store
    with store.lock:
        org = store.orgs[nz.tenant_id]
        original = org.invoices[link(doubled).remote_id.lower()]
        twin_id = str(uuid.uuid4())
        org.invoices[twin_id] = {**original, "InvoiceID": twin_id}
    # Here: an invoice Xero made from our send whose answer was lost (so it is not linked).
    lost = issue_invoice(world["customer"], lines(world, ("Lost answer", "1", "80")), date=DAY)
    ctx = payloads.Context(SyncSettings.get(), world["org"], tax_type_of(world["org"].pk))
    body = payloads.invoice(lost, link(lost), ctx)
    with fast_client(nz) as client:
        client.post("/Invoices", {"Invoices": [body]}, params={"unitdp": 4})

    result = run_compare(nz)
    renamed = found(result, DIFFERS, f"Customer {customer.name}")
    assert ("Name", customer.name, "Renamed") in renamed.fields
    quantity = found(result, DIFFERS, f"Invoice {changed.number}")
    assert [(f, Decimal(o), Decimal(x)) for f, o, x in quantity.fields if "Quantity" in f] == [
        ("LineItems[1].Quantity", 2, 5)
    ]
    assert ("Total", "115.00", "287.50") in quantity.fields
    item = found(result, MISSING, f"Product {product}")
    assert item.fix == "send" and "no such record" in item.words()
    gone = found(result, MISSING, f"Invoice {deleted.number}")
    assert gone.fix == "" and "holds it as deleted" in gone.words()
    twice = found(result, TWICE, f"Invoice {doubled.number}")
    assert twin_id in twice.words() and twice.fix == ""
    unlinked = found(result, UNLINKED, f"Invoice {lost.number}")
    assert unlinked.fix == "link" and "matches ours exactly" in unlinked.words()
    assert len(result.differences) == 6

    done = fix(result)
    assert (done.sent, done.linked, done.left) == (3, 1, 2)
    assert link(lost).remote_id == unlinked.remote_id
    push(nz, world["org"])
    after = run_compare(nz)
    # What a person decides is left: which of the two goes, and the draft deleted in Xero.
    assert sorted((d.problem, d.label) for d in after.differences) == [
        (MISSING, f"Invoice {deleted.number}"),
        (TWICE, f"Invoice {doubled.number}"),
    ]
    with fast_client(nz) as client:
        client.post("/Invoices", {"Invoices": [{"InvoiceID": twin_id, "Status": "DELETED"}]})
    delete_invoice(deleted)
    push(nz, world["org"])
    assert run_compare(nz).clean
    # The item was made again; the lost invoice was linked, not sent twice.
    assert link(product, "product").remote_id not in ("", item.remote_id)
    numbers = [
        i["InvoiceNumber"]
        for i in admin_call(sandbox, "GET", f"organisations/{nz.tenant_id}/export")[
            "invoices"
        ].values()
        if i.get("Status") not in ("DELETED", "VOIDED")
    ]
    assert numbers.count(lost.number) == 1


def test_compare_on_the_screen_in_the_api_and_on_the_command_line(nz, world, admin, capsys):
    invoice = issue_invoice(world["customer"], lines(world, ("Work", "1", "10")), date=DAY)
    push(nz, world["org"])
    with fast_client(nz) as client:
        client.post("/Invoices", {"Invoices": [{
            "InvoiceID": link(invoice).remote_id, "Reference": "Typed in Xero"}]})  # fmt: skip

    # The API starts a run for the worker (202) and shows its progress and outcome.
    token = ApiToken.issue(admin, "tests")[1]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    started = api.post(f"/api/v1/xero/connections/{nz.pk}/compare", {}, "application/json")
    assert started.status_code == 202 and started.json()["status"] == "queued"
    run_id = started.json()["id"]
    with fast_client(nz) as client:
        comparisons.run(run_id, client=client)
    shown = api.get(f"/api/v1/xero/connections/{nz.pk}/compare").json()
    assert shown["status"] == "done" and shown["difference_count"] == 1
    (difference,) = shown["differences"]
    assert difference["label"] == f"Invoice {invoice.number}"
    assert {"field": "Reference", "ours": "", "xero": "Typed in Xero"} in difference["fields"]
    missing = api.get("/api/v1/xero/connections/999999/compare")
    assert missing.status_code == 404

    # The connection's page lists it, and offers to fix.
    web = Client()
    web.force_login(admin)
    page = re.sub(r"\s+", " ", web.get(reverse("xero:connection", args=[nz.pk])).content.decode())
    assert "Compare with Xero" in page and f"Invoice {invoice.number}" in page
    assert "Reference: (none) here, Typed in Xero in Xero" in page
    answer = web.post(reverse("xero:compare", args=[nz.pk]))
    assert answer.status_code == 302  # queued for the worker

    # The command line compares in the foreground, then fixes with --fix.
    code = main(["xero", "compare", "--connection", "NZ books"])
    out = capsys.readouterr().out
    assert code == 1 and f"Invoice {invoice.number}" in out and "Typed in Xero" in out
    assert main(["xero", "compare", "--connection", "NZ books", "--fix"]) == 1
    assert Link.objects.get(kind="invoice", local_id=invoice.pk).state == SyncState.PENDING
    push(nz, world["org"])
    assert main(["xero", "compare", "--connection", "NZ books"]) == 0
    assert "No difference" in capsys.readouterr().out
    bad = main(["xero", "compare", "--connection", "Nope"])
    assert bad == 1 and "no Xero connection named 'Nope'" in capsys.readouterr().err
    assert not Comparison.objects.filter(status=ComparisonStatus.QUEUED).exists()


def test_refused_records_and_deletions_xero_kept_are_differences_too(nz, world, sandbox):
    invoice = issue_invoice(
        world["customer"],
        lines(world, ("Paid in Xero", "1", "10")),
        date=DAY,
        status=DocumentStatus.AUTHORISED,
    )
    push(nz, world["org"])
    remote = link(invoice).remote_id
    admin_call(sandbox, "POST", f"organisations/{nz.tenant_id}/invoices/{remote}/pay")
    delete_invoice(invoice)  # what we knew of it was unpaid; Xero keeps it, paid
    with fast_client(nz) as client:
        taken = client.get("/Contacts", params={"page": 1})["Contacts"][0]["Name"]
    update_customer(world["customer"], {"name": taken})
    push(nz, world["org"])  # Xero refuses the name, and the void of a paid invoice

    result = run_compare(nz)
    refused = found(result, REFUSED, f"Customer {taken}")
    assert refused.fix == "send" and "Xero said" in refused.words()
    kept = found(result, STILL_THERE, f"Deleted invoice {invoice.number}")
    assert kept.fix == "send" and kept.remote_id == remote
    fix(result)
    tombstone = Link.objects.get(kind="invoice", remote_id=remote)
    assert tombstone.deleted_at is not None and tombstone.state == SyncState.PENDING
    assert link(world["customer"], "customer").state == SyncState.PENDING
