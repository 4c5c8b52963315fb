"""Admin API, CLI and persistence: organisations per region, reset, clock, export, --data."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from xero_sandbox.server import SandboxHandle, start

from .conftest import Api, custom_token, recording_client


def test_create_organisations_in_each_region_with_generated_data(api: Api) -> None:
    expected = {
        "AU": ("OUTPUT", 10.0, "AUD"),
        "NZ": ("OUTPUT2", 15.0, "NZD"),
        "UK": ("OUTPUT2", 20.0, "GBP"),
    }
    for region, (tax_type, rate, currency) in expected.items():
        made = api.admin(
            "organisations",
            {
                "name": f"Org {region}",
                "region": region,
                "contacts": 12,
                "items": 4,
                "tracking_categories": 2,
                "branding_themes": 2,
                "invoices": 6,
            },
        )
        assert made.status_code == 201
        tenant = made.json()["tenantId"]
        state = api.admin(f"organisations/{tenant}/export").json()
        assert state["base_currency"] == currency and state["region"] == region
        assert len(state["contacts"]) == 12 and len(state["items"]) == 4
        assert len(state["invoices"]) == 6 and len(state["branding"]) == 3
        assert len(state["tracking"]) == 2
        rate_record = state["tax_rates"][tax_type]
        assert float(rate_record["EffectiveRate"]["$decimal"]) == rate
        codes = {a["Code"] for a in state["accounts"].values()}
        assert {"090", "200", "610", "800", "820", "860"} <= codes
    assert api.admin("organisations", {"region": "US"}).status_code == 400


def test_reset_restores_the_seeded_world_with_the_same_credentials(api: Api) -> None:
    before = api.admin("info").json()
    api.put("Contacts", {"Contacts": [{"Name": "Temporary"}]})
    after = api.admin("reset", {}).json()
    assert after["client_id"] == before["client_id"]
    assert after["tenants"] == before["tenants"]
    token = custom_token(api.http, after)
    api.token = token
    names = [c["Name"] for c in api.get("Contacts").json()["Contacts"]]
    assert "Temporary" not in names


def test_clock_moves_and_scales(api: Api) -> None:
    now = api.admin("clock").json()["now"]
    moved = api.admin("clock", {"advance_seconds": 86_400}).json()
    assert moved["now"] - now >= 86_400
    scaled = api.admin("clock", {"scale": 60}).json()
    assert scaled["scale"] == 60
    time.sleep(0.1)
    assert api.admin("clock").json()["now"] - scaled["now"] >= 5


def test_xero_user_edits_a_contact_even_archived(api: Api) -> None:
    contact = api.put("Contacts", {"Contacts": [{"Name": "Edited"}]}).json()["Contacts"][0]
    base = f"organisations/{api.tenant_id}/contacts/{contact['ContactID']}"
    assert api.admin(f"{base}/archive", {}).json()["ContactStatus"] == "ARCHIVED"
    edited = api.admin(f"{base}/edit", {"EmailAddress": "new@example.com"}).json()
    assert edited["EmailAddress"] == "new@example.com" and edited["ContactStatus"] == "ARCHIVED"


def test_xero_user_voids_an_invoice(api: Api) -> None:
    contact = api.put("Contacts", {"Contacts": [{"Name": "Voided"}]}).json()["Contacts"][0]
    line = {"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}
    invoice = api.put(
        "Invoices",
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Status": "AUTHORISED",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": [line],
                }
            ]
        },
    ).json()["Invoices"][0]
    base = f"organisations/{api.tenant_id}/invoices/{invoice['InvoiceID']}"
    assert api.admin(f"{base}/void", {}).json()["Status"] == "VOIDED"
    assert api.get(f"Invoices/{invoice['InvoiceID']}").json()["Invoices"][0]["Status"] == "VOIDED"


def test_state_survives_a_restart_with_data_file(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.json"
    first = start(seed=3, data=data)
    try:
        with recording_client(first.url) as http:
            headers = {
                "Authorization": f"Bearer {custom_token(http, first.info)}",
                "xero-tenant-id": first.info["tenants"][0]["tenantId"],
                "Accept": "application/json",
            }
            http.put("/api.xro/2.0/Contacts", headers=headers, json={"Name": "Persistent"})
    finally:
        first.stop()
    second = start(seed=3, data=data)
    try:
        assert second.info["client_id"] == first.info["client_id"]
        with recording_client(second.url) as http:
            headers = {
                "Authorization": f"Bearer {custom_token(http, second.info)}",
                "xero-tenant-id": second.info["tenants"][0]["tenantId"],
                "Accept": "application/json",
            }
            names = [
                c["Name"]
                for c in http.get("/api.xro/2.0/Contacts", headers=headers).json()["Contacts"]
            ]
        assert "Persistent" in names
    finally:
        second.stop()


def test_cli_prints_one_json_line_first(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "xero_sandbox", "--port", "0", "--seed", "5", "--time-scale", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        info = json.loads(line)
        assert set(info) >= {
            "url",
            "client_id",
            "client_secret",
            "custom_client_id",
            "custom_client_secret",
            "webhook_key",
            "tenants",
        }
        assert info["tenants"][0]["name"] == "Demo Company (NZ)"
        with recording_client(info["url"]) as http:
            assert http.get("/_sandbox/clock").json()["scale"] == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()


def test_same_seed_same_credentials(sandbox: SandboxHandle) -> None:
    other = start(seed=7)
    try:
        assert other.info["client_secret"] == sandbox.info["client_secret"]
        assert other.info["tenants"] == sandbox.info["tenants"]
    finally:
        other.stop()
