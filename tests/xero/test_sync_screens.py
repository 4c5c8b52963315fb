"""The sync's screens, as an admin and the billing team use them: the settings (SYNC-1..3,
GEN-1, CONN-1), a record's state in words with "Sync now" (SYNC-2), and the connection's
errors tab with Retry and "Re-sync all failed" (ERR-1..3); Xero is the sandbox over HTTP."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from ledgerbridge.customers.models import Customer
from ledgerbridge.sync.models import Link, SyncIssue, SyncSettings, SyncState
from ledgerbridge.sync.services import mark_changed, organisation_for
from ledgerbridge.xero import outbound

from .helpers import connect, fast_client

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def web(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def nz(xero_settings, sandbox):
    return connect(sandbox, "NZ books", "Demo Company (NZ)")


@pytest.fixture
def org(nz):
    return organisation_for("xero", nz.tenant_id, nz.name)


def customer_in(org, **fields: Any) -> Customer:
    with transaction.atomic():
        customer = Customer.objects.create(organisation=org, **fields)
        mark_changed("customer", customer.pk, org.pk)
    return customer


def push(nz, org) -> outbound.Outcome:
    with fast_client(nz) as client:
        return outbound.sync_organisation(org.pk, client=client)


def test_conn_1_settings_wait_for_a_connected_organisation(web, db):
    page = web.get(reverse("xero:sync_settings"))
    assert page.status_code == 200 and "Connect an organisation first" in text(page)
    refused = web.post(reverse("xero:sync_settings"), {"sync_customers": "on"})
    assert refused.status_code == 400
    assert not SyncSettings.get().sync_customers


def test_sync_1_gen_1_settings_saved_and_records_kept_out_are_looked_at_again(web, nz, org):
    customer = customer_in(org, name="Kept Out Ltd", account_number="KO-1")
    push(nz, org)
    assert Link.objects.get(local_id=customer.pk).state == SyncState.NOT_ELIGIBLE
    answer = web.post(
        reverse("xero:sync_settings"),
        {
            "sync_customers": "on",
            "success_message": "on",
            "default_organisation": org.pk,
            "default_invoice_status": "DRAFT",
            "default_purchase_order_status": "DRAFT",
            "invoice_line_text": "description",
            "sync_invoice_statuses": ["SUBMITTED", "AUTHORISED"],
            "allow_number_override": "on",
        },
    )
    assert answer.status_code == 302, text(answer)
    saved = SyncSettings.get()
    assert saved.sync_customers and saved.success_message and saved.default_organisation == org
    assert saved.sync_invoice_statuses == ["SUBMITTED", "AUTHORISED"]
    assert saved.allow_number_override
    assert Link.objects.get(local_id=customer.pk).state == SyncState.PENDING
    assert push(nz, org).synced == 1


def test_sync_2_a_records_page_says_its_state_in_words_and_follows_it(web, nz, org):
    settings = SyncSettings.get()
    settings.sync_customers = settings.success_message = True
    settings.save()
    customer = customer_in(org, name="Followed Ltd", account_number="FOL-1")
    page_url = reverse("customers:settings", args=[customer.pk])
    waiting = text(web.get(page_url))
    assert "Waiting to be sent to Xero: number 1 in its organisation's queue" in waiting
    state_url = reverse("xero:sync_state", args=["customer", customer.pk])
    assert web.get(state_url).json()["state"] == "pending"
    push(nz, org)
    state = web.get(state_url).json()
    assert state["state"] == "synced" and state["success_message"] is True
    assert state["xero_url"].endswith(Link.objects.get(local_id=customer.pk).remote_id)
    synced = text(web.get(page_url))
    assert "In step with NZ books in Xero" in synced and "Open in Xero" in synced


def test_sync_2_gen_1_a_record_of_no_organisation_says_it_is_not_synced(web, db):
    customer = Customer.objects.create(name="Nowhere Ltd", account_number="NW-1")
    page = text(web.get(reverse("customers:settings", args=[customer.pk])))
    assert "It belongs to no organisation, so it is not synced to Xero" in page
    answer = web.post(reverse("xero:sync_now", args=["customer", customer.pk]))
    assert answer.status_code == 302


def test_err_1_2_3_errors_tab_lists_retries_and_resolves(web, nz, org):
    settings = SyncSettings.get()
    settings.sync_customers = True
    settings.save()
    with fast_client(nz) as client:
        taken = client.get("/Contacts", params={"page": 1})["Contacts"][0]["Name"]
    clash = customer_in(org, name=taken, account_number="CLASH-1")
    push(nz, org)
    tab = web.get(reverse("xero:sync_errors", args=[nz.pk]))
    page = text(tab)
    assert f"Customer {taken}" in page and "rename this record" in page
    assert reverse("customers:settings", args=[clash.pk]) in tab.content.decode()
    issue = SyncIssue.objects.get()
    # Fixed, retried from the tab: synced, and the error resolved.
    Customer.objects.filter(pk=clash.pk).update(name="Clash Fixed Ltd")
    retry = web.post(reverse("xero:sync_retry", args=[nz.pk, issue.pk]))
    assert retry.status_code == 302
    assert Link.objects.get(local_id=clash.pk).state == SyncState.PENDING
    push(nz, org)
    issue.refresh_from_db()
    assert issue.resolved_at is not None
    assert "No sync errors" in text(web.get(reverse("xero:sync_errors", args=[nz.pk])))
    resolved = text(web.get(reverse("xero:sync_errors", args=[nz.pk]), {"show": "resolved"}))
    assert f"Customer {taken}" in resolved


def test_err_3_resync_all_failed_puts_every_failed_record_back(web, nz, org):
    settings = SyncSettings.get()
    settings.sync_customers = True
    settings.save()
    with fast_client(nz) as client:
        taken = client.get("/Contacts", params={"page": 1})["Contacts"][0]["Name"]
    failed = [customer_in(org, name=taken, account_number=f"F-{n}") for n in range(2)]
    push(nz, org)
    assert all(Link.objects.get(local_id=c.pk).state == SyncState.FAILED for c in failed)
    web.post(reverse("xero:sync_resync_failed", args=[nz.pk]))
    assert all(Link.objects.get(local_id=c.pk).state == SyncState.PENDING for c in failed)


def test_the_sync_screens_are_for_admins_and_records_for_their_users(
    nz, org, billing_user, technician
):
    customer = customer_in(org, name="Roles Ltd", account_number="ROL-1")
    billing = Client()
    billing.force_login(billing_user)
    assert billing.get(reverse("xero:sync_settings")).status_code == 403
    assert billing.get(reverse("xero:sync_errors", args=[nz.pk])).status_code == 403
    assert (
        billing.get(reverse("xero:sync_state", args=["customer", customer.pk])).status_code == 200
    )
    tech = Client()
    tech.force_login(technician)
    assert tech.get(reverse("xero:sync_state", args=["customer", customer.pk])).status_code == 403
    assert tech.post(reverse("xero:sync_now", args=["customer", customer.pk])).status_code == 403
    assert billing.get(reverse("xero:sync_state", args=["nothing", 1])).status_code == 404


# --- the same through the REST API --------------------------------------------------------------


@pytest.fixture
def api(admin) -> Client:
    from ledgerbridge.accounts.models import ApiToken

    token = ApiToken.issue(admin, "tests")[1]
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_conn_1_sync_1_settings_through_the_api(api, nz, org):
    assert api.get("/api/v1/xero/sync-settings").json()["sync_customers"] is False
    body = {
        "sync_customers": True,
        "sync_suppliers": False,
        "sync_products": True,
        "sync_invoices": False,
        "sync_purchase_orders": False,
        "success_message": False,
        "archive_inactive": True,
        "default_organisation": org.pk,
        "product_linking": False,
        "generate_account_numbers": False,
        "generate_product_codes": False,
        "default_sales_account_code": "200",
        "default_purchase_account_code": "",
    }
    answer = api.put("/api/v1/xero/sync-settings", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    saved = SyncSettings.get()
    assert saved.sync_customers and saved.sync_products and not saved.sync_suppliers
    assert saved.archive_inactive and saved.default_organisation == org
    assert saved.default_sales_account_code == "200"
    wrong = api.put(
        "/api/v1/xero/sync-settings",
        {**body, "default_organisation": 999999},
        content_type="application/json",
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "default_organisation"


def test_sync_2_err_2_state_errors_and_retry_through_the_api(api, nz, org):
    settings = SyncSettings.get()
    settings.sync_customers = True
    settings.save()
    with fast_client(nz) as client:
        taken = client.get("/Contacts", params={"page": 1})["Contacts"][0]["Name"]
    clash = customer_in(org, name=taken, account_number="API-1")
    assert api.get(f"/api/v1/sync/customer/{clash.pk}").json()["state"] == "pending"
    push(nz, org)
    state = api.get(f"/api/v1/sync/customer/{clash.pk}").json()
    assert state["state"] == "failed" and "rename this record" in state["words"]
    errors = api.get(f"/api/v1/xero/connections/{nz.pk}/sync-errors").json()
    assert errors["count"] == 1 and errors["items"][0]["record_id"] == clash.pk
    issue = errors["items"][0]["id"]
    retried = api.post(f"/api/v1/xero/connections/{nz.pk}/sync-errors/{issue}/retry")
    assert retried.status_code == 200
    assert api.post(f"/api/v1/sync/customer/{clash.pk}/sync-now").json()["state"] == "pending"
    nowhere = Customer.objects.create(name="No Org Ltd")
    refused = api.post(f"/api/v1/sync/customer/{nowhere.pk}/sync-now")
    assert refused.status_code == 422
    assert api.get("/api/v1/sync/tax_rate/1").status_code == 422  # not a kind it sends


def test_the_connection_page_shows_what_waits_how_long_and_what_failed(web, nz, org):
    settings = SyncSettings.get()
    settings.sync_customers = True
    settings.save()
    for n in range(120):
        customer_in(org, name=f"Waiting {n:03}", account_number=f"W-{n:03}")
    page = text(web.get(reverse("xero:connection", args=[nz.pk])))
    assert "Waiting to be sent 120 customers" in page
    assert "about 1 minute under Xero's limits" in page  # three calls of 50
    summary = web.get(reverse("xero:sync_summary", args=[nz.pk])).json()
    assert summary["total"] == 120 and summary["waiting"] == [{"kind": "customers", "count": 120}]
    push(nz, org)
    summary = web.get(reverse("xero:sync_summary", args=[nz.pk])).json()
    assert summary["total"] == 0 and summary["failed"] == 0
    assert summary["minute_remaining"] is not None  # the quota Xero reported with its answers
