"""Benchmark (issue 13): 10,000 labour invoices of 3 lines for 500 customers pushed to one
sandbox organisation, by the sync engine and by a per-save baseline that sends one request per
record as the peers' integrations do, on SQLite and on PostgreSQL. Not a test: nothing here
passes or fails; it prints figures.

The parent serves the Xero sandbox (its rate limits raised, so they do not dominate: the wall
time under Xero's real limits is worked out from the calls made). Each measured push runs in a
fresh child process on a fresh, migrated database, set up the way a person would: connected on
the sandbox's login page, tax rates imported, customers created, time logged and billed (20
rounds of one labour invoice per customer). Ledgerbridge's own minute budget runs on a clock
shortened to XERO_MINUTE_SECONDS=0.05 so the push is not paced at 60 a minute here.

Figures per push: Xero calls (the sandbox's own count), calls per invoice, local CPU
milliseconds per invoice (time.process_time of the child: the sandbox runs in the parent), the
push's peak memory (VmHWM reset just before it), and the wall time it would take under Xero's
real limits (60 calls a minute, 5,000 a day).

Run: `make bench`, `python -m bench` or `python -m bench.sync_bench`. BENCH_QUICK=1: 1,000
invoices for 50 customers; BENCH_ONLY=sqlite:engine (say): that push only; BENCH_PROFILE=/tmp/p
writes a cProfile of each push to /tmp/p.<push> (the figures are then slower).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.import_bench import (
    _reset_peak_rss,
    _status_kb,
    consent,
    new_database,
    postgres_reachable,
)

CUSTOMERS, ROUNDS = 500, 20
if os.environ.get("BENCH_QUICK"):
    CUSTOMERS, ROUNDS = 50, 20
REDIRECT_URI = "http://127.0.0.1:8000/configuration/integrations/xero/callback/"
MINUTE_LIMIT, DAY_LIMIT = 60, 5000


def start_sandbox() -> Any:
    from xero_sandbox.server import start
    from xero_sandbox.settings import SandboxSettings

    limits = SandboxSettings(
        minute_limit=1_000_000,
        day_limit=1_000_000,
        concurrent_limit=100,
        app_minute_limit=1_000_000,
    )
    return start(seed=13, settings=limits)


def add_organisation(handle: Any, name: str) -> str:
    from xero_sandbox import seed as seeding

    org = seeding.create_org(handle.sandbox, name, "NZ")
    seeding.populate(handle.sandbox, org, {"items": 3}, 13)
    return str(org.tenant_id)


def measure(handle: Any, vendor: str, mode: str, org_name: str, workdir: Path, key: str) -> Any:
    url, drop = new_database(vendor, workdir)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ledgerbridge.settings",
        "DATABASE_URL": url,
        "LEDGERBRIDGE_DATA_DIR": str(workdir),
        "LEDGERBRIDGE_FERNET_KEYS": key,
        "XERO_CLIENT_ID": handle.info["client_id"],
        "XERO_CLIENT_SECRET": handle.info["client_secret"],
        "XERO_SANDBOX_URL": handle.url,
        "XERO_MINUTE_SECONDS": "0.05",
        "BENCH_LOGIN": json.dumps(handle.info["login"]),
    }
    try:
        migrated = subprocess.run(
            [sys.executable, "-m", "ledgerbridge.cli", "migrate", "--verbosity", "0"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if migrated.returncode:
            raise RuntimeError(f"migrate failed: {migrated.stderr}")
        child_run = subprocess.run(
            [sys.executable, "-m", "bench.sync_bench", "--child", mode, org_name],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if child_run.returncode:
            raise RuntimeError(f"the push failed: {child_run.stderr[-3000:]}")
        figures: dict[str, Any] = json.loads(child_run.stdout.strip().splitlines()[-1])
        figures["database"] = "SQLite" if vendor == "sqlite" else "PostgreSQL"
        return figures
    finally:
        drop()


# --- the child: set up, then push one way ------------------------------------------------------


def child(mode: str, org_name: str) -> None:
    import django

    django.setup()
    import datetime as dt
    import gc
    from decimal import Decimal

    import httpx
    from django.db import transaction

    from ledgerbridge.billing.labour import bill_time
    from ledgerbridge.catalog.models import ChargeRate, TaxRate
    from ledgerbridge.customers.services import create_customer
    from ledgerbridge.sync.models import Link, SyncSettings, SyncState
    from ledgerbridge.sync.services import organisation_for
    from ledgerbridge.work.models import Ticket, TimeEntry
    from ledgerbridge.xero import connections, outbound
    from ledgerbridge.xero.client import XeroClient
    from ledgerbridge.xero.imports import run_import, start_import

    connection = connections.create_connection("Bench")
    url = connections.start_authorisation(connection, None, REDIRECT_URI)
    params = consent(url, org_name, json.loads(os.environ["BENCH_LOGIN"]))
    connections.complete_authorisation(params, REDIRECT_URI)
    connection.refresh_from_db()
    connections.save_connection(connection)
    run_import(start_import(connection, "tax-rates", background=False).pk)
    org = organisation_for("xero", connection.tenant_id, connection.name)
    settings = SyncSettings.get()
    settings.sync_customers = settings.sync_invoices = True
    settings.default_organisation = org
    settings.save()
    link = Link.objects.get(kind="tax_rate", remote_id="OUTPUT2", organisation=org)
    gst = TaxRate.objects.get(pk=link.local_id)
    with XeroClient(connection) as client:
        codes = [i["Code"] for i in client.get("/Items")["Items"] if i.get("Code")]
    rates = [
        ChargeRate.objects.create(
            name=f"Rate {n}",
            hourly_price=Decimal(120 + 15 * n),
            accounts_code=codes[n % len(codes)],
        )
        for n in range(3)
    ]
    from django.contrib.auth import get_user_model

    agent = get_user_model().objects.create_user(username="bench", password="Bench-Pass-123")
    began = time.perf_counter()
    customers = [
        create_customer(
            {"name": f"Bench Customer {n:04}", "account_number": f"BC{n:04}", "sales_tax_rate": gst}
        )
        for n in range(CUSTOMERS)
    ]
    tickets = [
        Ticket.objects.create(customer=c, title=f"Ticket {t}") for c in customers for t in range(3)
    ]
    day = dt.date(2026, 11, 2)
    for round_ in range(ROUNDS):
        with transaction.atomic():
            entries = TimeEntry.objects.bulk_create(
                TimeEntry(
                    ticket=ticket,
                    agent=agent,
                    date=day,
                    hours=Decimal("0.25") * (1 + (round_ + i) % 8),
                    charge_rate=rates[i % 3],
                    summary=f"Work {round_}.{i}",
                    billable=True,
                )
                for i, ticket in enumerate(tickets)
            )
        bill_time([e.pk for e in entries], date=day)
    setup_seconds = time.perf_counter() - began
    invoices = Link.objects.filter(kind="invoice").count()
    limits = (
        f"{os.environ['XERO_SANDBOX_URL']}/_sandbox/organisations/{connection.tenant_id}/limits"
    )
    calls_before = httpx.get(limits).json()["day_count"]
    gc.collect()
    peak_reset = _reset_peak_rss()
    rss_before = _status_kb("VmRSS") if peak_reset else 0
    import cProfile

    profile_to = os.environ.get("BENCH_PROFILE")  # a file: cProfile the push into it
    profiler = cProfile.Profile() if profile_to else None
    # Our own budgets on the same short clock, and no day limit: the baseline's 10,500 calls
    # would otherwise stop at the day's 5,000 (as they would in Xero: see the last column).
    from ledgerbridge.xero.limits import Budgets, Limits

    minute = float(os.environ["XERO_MINUTE_SECONDS"])
    pool = Budgets(Limits(minute=minute, per_day=10**9))
    cpu_began, wall_began = time.process_time(), time.perf_counter()
    with XeroClient(connection, budget_pool=pool) as client:
        if profiler is not None:
            profiler.enable()
        if mode == "engine":
            outcome = outbound.sync_organisation(org.pk, client=client)
            assert not outcome.held and not outcome.failed, outcome
        else:
            per_save(client, org)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(f"{profile_to}.{mode}")
    cpu = time.process_time() - cpu_began
    wall = time.perf_counter() - wall_began
    rss_after = _status_kb("VmHWM") if peak_reset else 0
    calls = httpx.get(limits).json()["day_count"] - calls_before
    unsynced = Link.objects.exclude(kind="tax_rate").exclude(state=SyncState.SYNCED).count()
    assert unsynced == 0, f"{unsynced} records did not sync"
    print(
        json.dumps(
            {
                "mode": mode,
                "invoices": invoices,
                "customers": CUSTOMERS,
                "calls": calls,
                "cpu_seconds": cpu,
                "wall_seconds": wall,
                "peak_mb": (rss_after - rss_before) / 1024,
                "setup_seconds": setup_seconds,
            }
        )
    )


def per_save(client: Any, org: Any) -> None:
    """What a per-save integration does: as each record is saved, build it and send it alone
    (one request per record), then store the Xero id it got back."""
    from django.utils import timezone

    from ledgerbridge.sync.models import Link, SyncSettings, SyncState
    from ledgerbridge.xero import payloads
    from ledgerbridge.xero.imports.tax_rates import tax_type_of
    from ledgerbridge.xero.outbound import ENDPOINTS

    ctx = payloads.Context(SyncSettings.get(), org, tax_type_of(org.pk))
    for kind in ("customer", "invoice"):
        endpoint = ENDPOINTS[kind]
        for link in Link.objects.filter(organisation=org, kind=kind).order_by("id").iterator():
            record = endpoint.load([link.local_id])[link.local_id]
            body = endpoint.build(record, link, ctx)
            answer = client.post(
                endpoint.path, {endpoint.collection: [body]}, params=endpoint.params
            )
            element = answer[endpoint.collection][0]
            Link.objects.filter(pk=link.pk).update(
                remote_id=str(element[endpoint.id_field]),
                synced_version=link.version,
                state=SyncState.SYNCED,
                updated_at=timezone.now(),
            )


# --- the report ------------------------------------------------------------------------------


def under_real_limits(calls: int) -> str:
    """How long `calls` take at 60 a minute and 5,000 a day (one organisation)."""
    days = math.ceil(calls / DAY_LIMIT) - 1
    minutes = (calls - days * DAY_LIMIT) / MINUTE_LIMIT
    if days:
        return f"{days} day(s) + {minutes:.0f} min"
    return f"{minutes:.1f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def main() -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    invoices = CUSTOMERS * ROUNDS
    print(
        f"Sync benchmark (issue 13): {invoices:,} labour invoices of 3 lines for {CUSTOMERS} "
        "customers, pushed by the engine and by a per-save baseline"
    )
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)")
    handle = start_sandbox()
    rows = []
    try:
        vendors = ["sqlite"]
        why_not = postgres_reachable()
        if why_not is None:
            vendors.append("postgres")
        with tempfile.TemporaryDirectory(prefix="lb-sync-bench-") as tmp:
            only = os.environ.get("BENCH_ONLY", "")  # e.g. "sqlite:engine"
            for vendor in vendors:
                for mode in ("engine", "per-save"):
                    if only and only != f"{vendor}:{mode}":
                        continue
                    name = f"Sync bench {vendor} {mode}"
                    add_organisation(handle, name)
                    rows.append(measure(handle, vendor, mode, name, Path(tmp), key))
                    print(f"  measured {mode} on {rows[-1]['database']}: {rows[-1]}", flush=True)
    finally:
        handle.stop()
    print()
    head = (
        f"{'database':<11}{'push':<10}{'invoices':>9}{'calls':>8}{'calls/inv':>10}"
        f"{'CPU ms/inv':>11}{'peak MB':>9}{'wall s':>8}{'under Xero limits':>20}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['database']:<11}{r['mode']:<10}{r['invoices']:>9,}{r['calls']:>8,}"
            f"{r['calls'] / r['invoices']:>10.4f}{1000 * r['cpu_seconds'] / r['invoices']:>11.2f}"
            f"{r['peak_mb']:>9.1f}{r['wall_seconds']:>8.1f}{under_real_limits(r['calls']):>20}"
        )
    if why_not is not None:
        print(f"PostgreSQL skipped: not reachable ({why_not}).")
    print()
    print("calls: Accounting API calls the push made (the sandbox's count), contacts included.")
    print("CPU ms/inv: the pushing process's CPU time (the sandbox runs in another) per invoice.")
    print("peak MB: peak resident memory during the push less the memory before it.")
    print("under Xero limits: the calls at 60 a minute and 5,000 a day for one organisation.")
    print("Targets for the engine: at most 0.025 calls per invoice, all inside one day's quota,")
    print("at most 5 ms CPU per invoice.")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
