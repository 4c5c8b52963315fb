"""The crash campaign: while real `ledgerbridge worker` processes push invoices (and credit notes
against some of them, to be allocated) to the sandbox,
the worker is killed with SIGKILL at random moments, 10 times, and started again; meanwhile the
sandbox drops connections after committing, answers 500 after committing, and sends bursts of
429s. Afterwards "Compare with Xero" finds no difference, and an independent check reading the
sandbox's own export confirms every invoice exists exactly once and equals the PSA's, and every
credit note exists once, allocated exactly once to its invoice for its total.

CRASH_INVOICES sets the size (300 here, so `make test` stays inside CI's time; `make
crash-campaign` runs the full 2,000). PostgreSQL only: the run of `make test` against it."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from ledgerbridge.billing.credit_notes import issue_credit_note, lines_to_credit
from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import CreditNote, DocumentStatus, Invoice
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.catalog.models import TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.customers.services import create_customer
from ledgerbridge.sync.models import Link, SyncSettings, SyncState
from ledgerbridge.sync.services import organisation_for
from ledgerbridge.xero.compare import compare
from ledgerbridge.xero.imports import run_import, start_import

from .helpers import admin_call, connect, database_url, fast_client
from .links import by_xero_id

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

INVOICES = int(os.environ.get("CRASH_INVOICES", "300"))
CUSTOMERS = 20
KILLS = 10
SEED = int(os.environ.get("CRASH_SEED", "20261202"))


@pytest.fixture
def campaign(xero_settings, sandbox, tmp_path: Path) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        pytest.skip("the crash campaign runs in make test's PostgreSQL run")
    nz = connect(sandbox, "NZ books", "Demo Company (NZ)")
    org = organisation_for("xero", nz.tenant_id, nz.name)
    run = start_import(nz, "tax-rates", background=False)
    with fast_client(nz) as client:
        run_import(run.pk, client=client)
        codes = [i["Code"] for i in client.get("/Items")["Items"] if i.get("Code")][:3]
    settings = SyncSettings.get()
    settings.sync_customers = settings.sync_invoices = True
    settings.default_organisation = org
    settings.save()
    # The organisation's limits as Xero's, on a clock ten times as fast, so retries and
    # back-offs are real but the campaign fits in CI's time.
    admin_call(sandbox, "POST", "settings", time_scale=10, latency_ms=150)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LEDGERBRIDGE_DATA_DIR": str(tmp_path),
        "LEDGERBRIDGE_FERNET_KEYS": ",".join(xero_settings.FERNET_KEYS),
        "XERO_CLIENT_ID": xero_settings.XERO_CLIENT_ID,
        "XERO_CLIENT_SECRET": xero_settings.XERO_CLIENT_SECRET,
        "XERO_SANDBOX_URL": sandbox.url,
        "XERO_MINUTE_SECONDS": "6",
        "WORKER_HEARTBEAT_SECONDS": "0.5",
        "WORKER_DEAD_AFTER_SECONDS": "3",
        "WORKER_RECOVERY_INTERVAL_SECONDS": "0.5",
        "PERIODIC_INTERVAL_SECONDS": "2",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return {
        "nz": nz,
        "org": org,
        "codes": codes,
        "gst": by_xero_id(TaxRate, "OUTPUT2"),
        "env": env,
        "sandbox": sandbox,
        "log": tmp_path / "workers.log",
    }


def raise_invoices(campaign: dict[str, Any]) -> list[Invoice]:
    rng = random.Random(SEED)
    gst, codes = campaign["gst"], campaign["codes"]
    customers = [
        create_customer(
            {
                "name": f"Crash Customer {n:02}",
                "account_number": f"CR-{n:02}",
                "sales_tax_rate": gst,
            }
        )
        for n in range(CUSTOMERS)
    ]
    made = []
    for n in range(INVOICES):
        lines = [
            LineData(
                f"Work {n}.{i}",
                Decimal(rng.randint(1, 40)) / 4,
                Decimal(rng.randint(100, 99999)) / 100,
                gst.pk,
                item_code=codes[i % len(codes)],
            )
            for i in range(3)
        ]
        with transaction.atomic():
            made.append(
                issue_invoice(
                    customers[n % CUSTOMERS],
                    lines,
                    date=dt.date(2026, 11, 2),
                    status=DocumentStatus.AUTHORISED if n % 3 == 0 else DocumentStatus.DRAFT,
                )
            )
    return made


def raise_credit_notes(invoices: list[Invoice]) -> list[CreditNote]:
    """Credit for the first line of every fifth authorised invoice, to be allocated to it."""
    authorised = [i for i in invoices if i.status == DocumentStatus.AUTHORISED][::5]
    made = []
    for invoice in authorised:
        first = invoice.lines.order_by("position", "id").first()
        assert first is not None
        made.append(
            issue_credit_note(
                invoice.customer,
                lines_to_credit(invoice, [first.pk]),
                date=dt.date(2026, 11, 3),
                invoice=invoice,
                reason="Crash campaign credit",
                status=DocumentStatus.AUTHORISED,
            )
        )
    return made


def number(value: Any) -> Decimal:
    """A figure from the sandbox's export (its decimals are kept as {"$decimal": "…"})."""
    if isinstance(value, dict):
        return Decimal(value["$decimal"])
    return Decimal(str(value))


def start_worker(campaign: dict[str, Any]) -> subprocess.Popen[bytes]:
    with campaign["log"].open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ledgerbridge.cli", "worker", "--interval", "0.2"],
            env=campaign["env"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def unsettled() -> int:
    return (
        Link.objects.filter(kind__in=["customer", "invoice", "credit_note", "allocation"])
        .exclude(state=SyncState.SYNCED)
        .count()
    )


def plant_faults(sandbox: Any, rng: random.Random) -> None:
    """Faults after the commit (the change is made, the answer is lost or an error) and a
    burst of 429s, for the next calls."""
    admin_call(sandbox, "POST", "faults", kind="drop_after_commit", count=1)
    admin_call(sandbox, "POST", "faults", kind="500_after_commit", count=1)
    admin_call(sandbox, "POST", "faults", kind="429", count=rng.randint(2, 4))


def test_killed_workers_and_a_faulty_xero_leave_every_invoice_in_xero_once_and_equal(campaign):
    sandbox, log = campaign["sandbox"], campaign["log"]
    made = raise_invoices(campaign)
    notes = raise_credit_notes(made)
    rng = random.Random(SEED)
    kills = 0
    while kills < KILLS and unsettled():
        plant_faults(sandbox, rng)
        worker = start_worker(campaign)
        time.sleep(rng.uniform(1.0, 4.0))  # a random moment: mid-batch, mid-lookup, idle
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        kills += 1
    assert kills == KILLS, "the push finished before the campaign did: raise CRASH_INVOICES"
    admin_call(sandbox, "DELETE", "faults")
    final = start_worker(campaign)
    try:
        deadline = time.monotonic() + 600
        while unsettled() and time.monotonic() < deadline:
            time.sleep(1)
        assert not unsettled(), log.read_text()[-5000:]
    finally:
        final.send_signal(signal.SIGTERM)
        final.wait(timeout=60)

    # "Compare with Xero" finds no difference.
    with fast_client(campaign["nz"]) as client:
        result = compare(campaign["nz"], client)
    assert result.clean, [d.words() for d in result.differences[:20]]
    assert result.checked["invoice"] == INVOICES

    # And an independent check, reading the sandbox's own records: each invoice exactly once,
    # with our contact, lines, codes, tax types and totals.
    held = admin_call(sandbox, "GET", f"organisations/{campaign['nz'].tenant_id}/export")
    live = [i for i in held["invoices"].values() if i.get("Status") not in ("DELETED", "VOIDED")]
    numbers = Counter(i.get("InvoiceNumber") for i in live)
    by_number = {i["InvoiceNumber"]: i for i in live}
    contacts = {c["ContactID"]: c for c in held["contacts"].values()}
    customers = {c.pk: c for c in Customer.objects.all()}
    for invoice in made:
        assert numbers[invoice.number] == 1, invoice.number
        xero = by_number[invoice.number]
        contact = contacts[xero["Contact"]["ContactID"]]
        assert contact["AccountNumber"] == customers[invoice.customer_id].account_number
        assert xero["Status"] == invoice.status
        ours = list(invoice.lines.order_by("position", "id"))
        assert len(xero["LineItems"]) == len(ours)
        for line, theirs in zip(ours, xero["LineItems"], strict=True):
            assert number(theirs["Quantity"]) == line.quantity
            assert number(theirs["UnitAmount"]) == line.unit_price
            assert (theirs["ItemCode"], theirs["TaxType"]) == (line.item_code, "OUTPUT2")
        assert number(xero["Total"]) == invoice.total
    # Each credit note exactly once, allocated exactly once to its invoice, for its total;
    # the invoice's amount credited is that, in Xero and here.
    live_notes = [
        n for n in held["credit_notes"].values() if n.get("Status") not in ("DELETED", "VOIDED")
    ]
    note_numbers = Counter(n.get("CreditNoteNumber") for n in live_notes)
    notes_by_number = {n["CreditNoteNumber"]: n for n in live_notes}
    by_id = {i["InvoiceID"]: i for i in live}
    for note in notes:
        assert note_numbers[note.number] == 1, note.number
        xero = notes_by_number[note.number]
        assert (xero["Type"], number(xero["Total"])) == ("ACCRECCREDIT", note.total)
        (allocation,) = xero["Allocations"]
        credited = by_id[allocation["Invoice"]["InvoiceID"]]
        assert credited["InvoiceNumber"] == note.invoice.number
        assert number(allocation["Amount"]) == note.total
        assert number(credited["AmountCredited"]) == note.total
        note.invoice.refresh_from_db()
        assert note.invoice.amount_credited == note.total
    crash_contacts = Counter(
        c.get("AccountNumber")
        for c in contacts.values()
        if str(c.get("AccountNumber", "")).startswith("CR-")
    )
    assert len(crash_contacts) == CUSTOMERS and set(crash_contacts.values()) == {1}
