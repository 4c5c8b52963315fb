"""Benchmark (issue 5): import 20,000 contacts and 5,000 items from one sandbox organisation, on
SQLite and on PostgreSQL, and print the figures. Not a test: nothing here passes or fails.

The parent process serves the Xero sandbox (rate limits raised so they do not dominate) with
the generated organisations. Every measured import runs in a fresh child process on a fresh,
migrated database, connected to the organisation the way a person connects (consent on the
sandbox's login page), with its tax rates imported first, as a real set-up would. So each
child's peak memory is its own: `maxrss` (resource.getrusage) after the import less before it.
The 2,000-versus-20,000 comparison is measured twice: by maxrss, and by tracemalloc's peak
(Python allocations only, in separate runs since tracemalloc slows everything down).

Run: `make bench` or `python -m bench` (all benchmarks) or `python -m bench.import_bench`.
BENCH_QUICK=1 uses small organisations; BENCH_PROFILE=/tmp/prof writes a cProfile of each
measured import to /tmp/prof.<kind> (the figures are then slower).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIRECT_URI = "http://127.0.0.1:8000/configuration/integrations/xero/callback/"
BIG = {"name": "Bench 20k Ltd", "contacts": 20_000, "items": 5_000}
SMALL = {"name": "Bench 2k Ltd", "contacts": 2_000, "items": 500}
if os.environ.get("BENCH_QUICK"):  # a quick look while changing the benchmark itself
    BIG = {"name": "Bench 20k Ltd", "contacts": 3_000, "items": 500}
    SMALL = {"name": "Bench 2k Ltd", "contacts": 300, "items": 50}


# --- the sandbox and its organisations (parent) ----------------------------------------------


def start_sandbox() -> Any:
    from xero_sandbox.server import start
    from xero_sandbox.settings import SandboxSettings

    limits = SandboxSettings(
        minute_limit=1_000_000,
        day_limit=1_000_000,
        concurrent_limit=100,
        app_minute_limit=1_000_000,
    )
    return start(seed=11, settings=limits)


def add_organisation(handle: Any, name: str, contacts: int, items: int) -> str:
    """An organisation with `contacts` contacts (with address and phone) and `items` items,
    made by the sandbox's own code. Its contact upsert checks name uniqueness against every
    contact (quadratic), so contacts are made a thousand at a time and then put together; the
    names are unique by construction."""
    from xero_sandbox import seed as seeding
    from xero_sandbox.api import contacts as sandbox_contacts
    from xero_sandbox.core import Ctx
    from xero_sandbox.http import Request

    sb = handle.sandbox
    org = seeding.create_org(sb, name, "NZ")
    ctx = Ctx(sb, org, "seed", Request("PUT", "/", {}, {}))
    with sb.store.lock:
        made: dict[str, Any] = {}
        kept = org.contacts
        for start in range(0, contacts, 1000):
            org.contacts = {}
            for i in range(start, min(contacts, start + 1000)):
                record, errors = sandbox_contacts.upsert(ctx, _contact(i), None, True)
                assert record is not None, errors
            made.update(org.contacts)
        org.contacts = {**kept, **made}
    seeding.populate(sb, org, {"items": items}, 11)
    return str(org.tenant_id)


def _contact(i: int) -> dict[str, Any]:
    return {
        "Name": f"Bench Customer {i + 1:05d} Limited",
        "AccountNumber": f"B{i + 1:05d}",
        "EmailAddress": f"accounts{i + 1}@customer{i + 1}.example.com",
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": f"555-{i:05d}", "PhoneAreaCode": "09"}],
        "Addresses": [
            {
                "AddressType": "POBOX",
                "AddressLine1": f"PO Box {i + 1}",
                "City": "Auckland",
                "PostalCode": f"{1000 + i % 9000}",
                "Country": "New Zealand",
            },
            {
                "AddressType": "STREET",
                "AddressLine1": f"{i % 300 + 1} Queen Street",
                "City": "Auckland",
                "PostalCode": "1010",
                "Country": "New Zealand",
            },
        ],
    }


# --- databases (parent) ----------------------------------------------------------------------


def postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
        return None
    except Exception as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def new_database(vendor: str, workdir: Path) -> tuple[str, Any]:
    """A fresh, empty database: its URL and how to drop it."""
    if vendor == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.sqlite3"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    import psycopg

    name = f"lb_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", drop


# --- one measured import (child) -------------------------------------------------------------


def measure(
    handle: Any,
    vendor: str,
    org: dict[str, Any],
    kind: str,
    workdir: Path,
    fernet_key: str,
    trace: bool = False,
) -> dict[str, Any]:
    """Run one import in a fresh process on a fresh database; its figures."""
    url, drop = new_database(vendor, workdir)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ledgerbridge.settings",
        "DATABASE_URL": url,
        "LEDGERBRIDGE_DATA_DIR": str(workdir),
        "LEDGERBRIDGE_FERNET_KEYS": fernet_key,
        "XERO_CLIENT_ID": handle.info["client_id"],
        "XERO_CLIENT_SECRET": handle.info["client_secret"],
        "XERO_SANDBOX_URL": handle.url,
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
        args = [kind, org["name"], "trace" if trace else "rss"]
        child = subprocess.run(
            [sys.executable, "-m", "bench.import_bench", "--child", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode:
            raise RuntimeError(f"the import failed: {child.stderr[-3000:]}")
        figures: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
        figures["database"] = "SQLite" if vendor == "sqlite" else "PostgreSQL"
        return figures
    finally:
        drop()


def child(kind: str, org_name: str, mode: str) -> None:
    import django

    django.setup()
    import cProfile
    import gc
    import tracemalloc

    import httpx

    from ledgerbridge.catalog.models import ProductGroup
    from ledgerbridge.xero import connections
    from ledgerbridge.xero.client import XeroClient
    from ledgerbridge.xero.imports import run_import, start_import

    class CountingClient(XeroClient):
        calls = 0
        waited = 0.0

        def get(self, *args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return super().get(*args, **kwargs)
            finally:
                self.calls += 1
                self.waited += time.perf_counter() - began

    connection = connections.create_connection("Bench")
    url = connections.start_authorisation(connection, None, REDIRECT_URI)
    params = consent(url, org_name, json.loads(os.environ["BENCH_LOGIN"]))
    connections.complete_authorisation(params, REDIRECT_URI)
    connection.refresh_from_db()
    connections.save_connection(connection)
    run_import(start_import(connection, "tax-rates", background=False).pk)
    limits = (
        f"{os.environ['XERO_SANDBOX_URL']}/_sandbox/organisations/{connection.tenant_id}/limits"
    )
    params_ = {}
    if kind == "products":
        params_["product_group"] = ProductGroup.objects.create(name="Bench").pk
    run = start_import(connection, kind, params=params_, background=False)

    calls_before = httpx.get(limits).json()["day_count"]  # the sandbox's count of API calls
    gc.collect()
    peak_reset = _reset_peak_rss()
    rss_before = _status_kb("VmRSS") if peak_reset else _maxrss_kb()
    if mode == "trace":
        tracemalloc.start()
    profile_to = os.environ.get("BENCH_PROFILE")  # a file: cProfile the import into it
    profiler = cProfile.Profile() if profile_to else None
    with CountingClient(connection) as client:
        began = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        run = run_import(run.pk, client=client)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(f"{profile_to}.{kind}")
        seconds = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] if mode == "trace" else None
    tracemalloc.stop()
    rss_after = _status_kb("VmHWM") if peak_reset else _maxrss_kb()
    assert run.status == "done", run.message
    calls_after = httpx.get(limits).json()["day_count"]
    print(
        json.dumps(
            {
                "kind": kind,
                "organisation": org_name,
                "mode": mode,
                "records": run.processed,
                "created": run.created,
                "skipped": run.skipped,
                "problems": len(run.problems),
                "pages": run.pages_done,
                "api_calls": run.api_calls,
                "client_calls": client.calls,
                "sandbox_calls": calls_after - calls_before,
                "seconds": seconds,
                "xero_seconds": client.waited,
                "rss_delta_mb": (rss_after - rss_before) / 1024,
                "rss_measure": "VmHWM" if peak_reset else "maxrss",
                "tracemalloc_peak_mb": None if peak is None else peak / 2**20,
            }
        )
    )


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux: write 5 to clear_refs), so the
    peak measured is the import's own, not the set-up's; False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def _maxrss_kb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def consent(authorize_url: str, tenant_name: str, login: dict[str, str]) -> dict[str, str]:
    """What a person does on the sandbox's login page (as the tests' helper does)."""
    import httpx

    with httpx.Client() as http:
        page = http.get(authorize_url)
        page.raise_for_status()
        form = {
            unescape(n): unescape(v)
            for n, v in re.findall(
                r"<input type='hidden' name='([^']*)' value='([^']*)'>", page.text
            )
        }
        tenants = {
            unescape(name).strip(): value
            for value, name in re.findall(
                r"name='tenant_id' value='([^']*)'[^>]*>([^<]*)</label>", page.text
            )
        }
        form.update(
            email=login["email"],
            password=login["password"],
            tenant_id=tenants[tenant_name],
            action="allow",
        )
        base = f"{urlsplit(authorize_url).scheme}://{urlsplit(authorize_url).netloc}"
        answer = http.post(f"{base}/identity/connect/authorize", data=form)
    return dict(parse_qsl(urlsplit(answer.headers["location"]).query))


# --- the report (parent) ---------------------------------------------------------------------


def main() -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    print("Import benchmark (issue 5): Ledgerbridge importing from an in-process Xero sandbox")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)")
    handle = start_sandbox()
    try:
        began = time.perf_counter()
        orgs = []
        for spec in (BIG, SMALL):
            tenant = add_organisation(handle, spec["name"], spec["contacts"], spec["items"])
            orgs.append({**spec, "tenant_id": tenant})
        big, small = orgs
        print(
            f"Generated the organisations in {time.perf_counter() - began:.1f} s: "
            f"{big['contacts']:,} contacts + {big['items']:,} items, and "
            f"{small['contacts']:,} contacts + {small['items']:,} items. Sandbox rate limits "
            "raised; Ledgerbridge's own budget (60 calls a minute) unchanged."
        )
        vendors = ["sqlite"]
        why_not = postgres_reachable()
        if why_not is None:
            vendors.append("postgres")
        rows = []
        with tempfile.TemporaryDirectory(prefix="lb-bench-") as tmp:
            workdir = Path(tmp)
            for vendor in vendors:
                for kind in ("customers", "products"):
                    rows.append(measure(handle, vendor, big, kind, workdir, key))
                    print(f"  measured {kind} on {rows[-1]['database']}", flush=True)
            memory = [
                measure(handle, "sqlite", org, "customers", workdir, key, trace=trace)
                for trace in (False, True)
                for org in (small, big)
            ]
        print_report(rows, memory, why_not)
    finally:
        handle.stop()


def print_report(
    rows: list[dict[str, Any]], memory: list[dict[str, Any]], why_not: str | None
) -> None:
    print()
    head = (
        f"{'database':<11}{'import':<11}{'records':>8}{'pages':>7}{'API calls':>10}"
        f"{'seconds':>9}{'rec/s':>8}{'local s':>9}{'local rec/s':>12}{'peak MB':>9}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        local = max(r["seconds"] - r["xero_seconds"], 1e-9)
        print(
            f"{r['database']:<11}{r['kind']:<11}{r['records']:>8,}{r['pages']:>7}"
            f"{r['client_calls']:>10}{r['seconds']:>9.2f}{r['records'] / r['seconds']:>8,.0f}"
            f"{local:>9.2f}{r['records'] / local:>12,.0f}{r['rss_delta_mb']:>9.1f}"
        )
    if why_not is not None:
        print(f"PostgreSQL skipped: not reachable at {PG_ADMIN_URL} ({why_not}).")
    print()
    print("records: records Xero gave and the import processed. pages: pages the run recorded")
    print("(products: GET /Items is one unpaged call, applied in chunks of 1,000). API calls:")
    print("calls the import made to Xero (the run's own count and the sandbox's agree: ")
    print(
        ", ".join(
            f"{r['database']} {r['kind']} run={r['api_calls']} sandbox={r['sandbox_calls']}"
            for r in rows
        )
        + ")."
    )
    measure_name = rows[0].get("rss_measure", "maxrss")
    print("seconds: wall time of run_import. local s: less the time inside XeroClient.get (HTTP")
    print("to the sandbox, which builds the JSON, plus decoding it). peak MB: the process's peak")
    if measure_name == "VmHWM":
        print("resident memory during the import (VmHWM, reset just before it) less its resident")
        print("memory at the start, in a fresh process.")
    else:
        print("resident memory (getrusage maxrss) after the import less before it; the set-up's")
        print("own peak may hide part of the import's (clear_refs was not writable).")
    print()
    rss_small, rss_big, tm_small, tm_big = memory
    small, big = f"{rss_small['records']:,}", f"{rss_big['records']:,}"
    print(f"Peak memory, customers import, SQLite: {small} versus {big} contacts")
    print(f"{'measure':<34}{small:>10}{big:>10}{'difference':>12}")
    for label, a, b in (
        (
            f"peak RSS above start (MB, {rss_big['rss_measure']})",
            rss_small["rss_delta_mb"],
            rss_big["rss_delta_mb"],
        ),
        (
            "tracemalloc peak (MB, Python only)",
            tm_small["tracemalloc_peak_mb"],
            tm_big["tracemalloc_peak_mb"],
        ),
    ):
        print(f"{label:<34}{a:>10.1f}{b:>10.1f}{b - a:>+12.1f}")
    print(
        f"Target: at 20,000 no more than 50 MB above 2,000; seconds there: "
        f"{rss_small['seconds']:.2f} and {rss_big['seconds']:.2f}."
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
    else:
        main()
