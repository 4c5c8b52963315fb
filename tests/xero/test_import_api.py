"""Imports and tax-rate links over the REST API (admin only), against the sandbox over HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from ledgerbridge.accounts.models import ApiToken
from ledgerbridge.catalog.models import TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.xero import connections
from ledgerbridge.xero.imports import run_import
from ledgerbridge.xero.models import ImportRun, ImportStatus

from .helpers import connect, fast_client
from .links import in_tenant, tax_type, tenant

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, user: Any) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {ApiToken.issue(user, 't')[1]}"}

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        send = getattr(self.client, method)
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return send(f"/api/v1/xero{path}", **kwargs)


def fields(answer: Any) -> list[str | None]:
    return [e["field"] for e in answer.json()["errors"]]


@pytest.fixture
def nz(xero_settings, sandbox, monkeypatch):
    return connect(sandbox, "NZ books", "Demo Company (NZ)")


def test_only_admins_start_and_read_imports(billing_user, technician, nz):
    for user in (billing_user, technician):
        api = Api(user)
        for method, path, body in [
            ("post", f"/connections/{nz.pk}/imports", {"kind": "customers"}),
            ("get", "/imports", None),
            ("get", "/imports/1", None),
            ("get", f"/connections/{nz.pk}/xero-tax-rates", None),
            ("post", f"/connections/{nz.pk}/tax-rate-links", {"tax_rate": 1, "tax_type": "X"}),
        ]:
            answer = api(method, path, body)
            assert answer.status_code == 403, (method, path)
            assert "configuration" in answer.json()["detail"]
    assert not ImportRun.objects.exists()
    assert Client().get("/api/v1/xero/imports").status_code == 401


def test_start_an_import_in_the_background_and_follow_its_progress_and_outcome(
    admin, nz, django_capture_on_commit_callbacks
):
    api = Api(admin)
    with django_capture_on_commit_callbacks(execute=True):
        answer = api("post", f"/connections/{nz.pk}/imports", {"kind": "customers"})
    assert answer.status_code == 202, answer.json()
    run = answer.json()
    assert (run["kind"], run["status"], run["connection_id"]) == ("customers", "queued", nz.pk)
    assert run["tenant_id"] == nz.tenant_id and run["total"] is None and not run["finished"]
    assert DBTaskResult.objects.count() == 1  # queued for the worker after commit

    # The same request while it is unfinished resumes the same run, never a second one.
    again = api("post", f"/connections/{nz.pk}/imports", {"kind": "customers"})
    assert again.status_code == 202 and again.json()["id"] == run["id"]

    with fast_client(nz) as client:  # what the worker does
        run_import(run["id"], client=client)
    shown = api("get", f"/imports/{run['id']}").json()
    saved = in_tenant(Customer, nz.tenant_id).count()
    assert shown["status"] == "done" and shown["finished"] and shown["finished_at"]
    assert shown["created"] == saved > 0 and shown["processed"] >= saved
    assert shown["pages_done"] == shown["api_calls"] >= 1 and shown["total"] >= saved
    assert "created" in shown["message"]

    listed = api("get", f"/imports?connection={nz.pk}&kind=customers&status=done").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == run["id"]
    assert api("get", "/imports?kind=products").json() == {"count": 0, "items": []}
    assert api("get", "/imports?status=failed").json()["count"] == 0
    assert api("get", f"/imports?connection={nz.pk + 1}").json()["count"] == 0


def test_an_imports_problems_name_the_record_and_the_reason(admin, nz, customer, gst):
    gst.percentage = Decimal(12)  # no Xero rate of 12 %: kept unlinked, as it is in use
    gst.save()
    api = Api(admin)
    run = api("post", f"/connections/{nz.pk}/imports", {"kind": "tax-rates"}).json()
    with fast_client(nz) as client:
        run_import(run["id"], client=client)
    shown = api("get", f"/imports/{run['id']}").json()
    assert shown["status"] == "done"
    assert any(p["record"] == "GST" and "Acme Dental" in p["reason"] for p in shown["problems"])


def test_bad_import_requests_name_the_field_and_are_never_a_server_error(
    admin, nz, product_group, xero_settings, sandbox
):
    api = Api(admin)
    path = f"/connections/{nz.pk}/imports"
    unknown = api("post", path, {"kind": "invoices"})
    assert unknown.status_code == 422 and fields(unknown) == ["kind"]
    assert "customers" in unknown.json()["errors"][0]["message"]
    no_group = api("post", path, {"kind": "products"})
    assert no_group.status_code == 422 and fields(no_group) == ["product_group"]
    missing_group = api("post", path, {"kind": "products", "product_group": 999999})
    assert missing_group.status_code == 422 and fields(missing_group) == ["product_group"]
    group_elsewhere = api("post", path, {"kind": "customers", "product_group": product_group.pk})
    assert group_elsewhere.status_code == 422 and fields(group_elsewhere) == ["product_group"]
    ids_on_tracking = api("post", path, {"kind": "tracking", "ids": ["abc"]})
    assert ids_on_tracking.status_code == 422 and fields(ids_on_tracking) == ["ids"]
    extra = api("post", path, {"kind": "customers", "since": "2020-01-01"})
    assert extra.status_code == 422 and fields(extra) == ["since"]
    assert api("post", "/connections/999999/imports", {"kind": "customers"}).status_code == 404
    unknown_run = api("get", "/imports/999999")
    assert unknown_run.status_code == 404 and "Import run 999999" in unknown_run.json()["detail"]
    bad_filter = api("get", "/imports?kind=invoices")
    assert bad_filter.status_code == 422 and fields(bad_filter) == ["kind"]
    assert not ImportRun.objects.exists()

    products = api("post", path, {"kind": "products", "product_group": product_group.pk})
    assert products.status_code == 202
    assert products.json()["params"] == {"product_group": product_group.pk}

    # A connection that is not connected (here: disconnected) cannot import: 422, not 500.
    connections.disconnect(nz)
    refused = api("post", path, {"kind": "customers"})
    assert refused.status_code == 422 and "not connected" in refused.json()["detail"]
    assert api("get", f"/connections/{nz.pk}/xero-tax-rates").status_code == 422


def test_tax_2_link_a_tax_rate_to_one_of_the_organisations_live_xero_rates(admin, nz, gst):
    api = Api(admin)
    live = api("get", f"/connections/{nz.pk}/xero-tax-rates")
    assert live.status_code == 200
    by_type = {r["tax_type"]: r for r in live.json()}
    assert by_type["OUTPUT2"]["name"] == "GST on Income"
    assert Decimal(by_type["OUTPUT2"]["percentage"]) == Decimal(15)

    linked = api(
        "post", f"/connections/{nz.pk}/tax-rate-links", {"tax_rate": gst.pk, "tax_type": "OUTPUT2"}
    )
    assert linked.status_code == 200, linked.json()
    assert linked.json()["xero_tax_type"] == "OUTPUT2"
    assert linked.json()["xero_name"] == "GST on Income"
    gst.refresh_from_db()
    assert (tenant(gst), tax_type(gst)) == (nz.tenant_id, "OUTPUT2")

    other = TaxRate.objects.create(name="Another GST", percentage=Decimal(15))
    links = f"/connections/{nz.pk}/tax-rate-links"
    clash = api("post", links, {"tax_rate": other.pk, "tax_type": "OUTPUT2"})
    assert clash.status_code == 422 and fields(clash) == ["tax_type"]
    assert "already linked to GST" in clash.json()["detail"]
    not_in_xero = api("post", links, {"tax_rate": other.pk, "tax_type": "NOPE"})
    assert not_in_xero.status_code == 422 and fields(not_in_xero) == ["tax_type"]
    assert "OUTPUT2" in not_in_xero.json()["errors"][0]["message"]
    no_rate = api("post", links, {"tax_rate": 999999, "tax_type": "OUTPUT2"})
    assert no_rate.status_code == 422 and fields(no_rate) == ["tax_rate"]
    zero = TaxRate.objects.get(is_zero_rate=True)
    refused = api("post", links, {"tax_rate": zero.pk, "tax_type": "ZERORATED"})
    assert refused.status_code == 422 and fields(refused) == ["tax_rate"]


def test_tax_2_api_merges_a_twin_and_confirms_a_percentage_change_when_asked(
    admin, nz, customer, gst
):
    api = Api(admin)
    links = f"/connections/{nz.pk}/tax-rate-links"
    assert api("post", links, {"tax_rate": gst.pk, "tax_type": "OUTPUT2"}).status_code == 200
    mine = TaxRate.objects.create(name="Sales tax", percentage=Decimal(15))
    clash = api("post", links, {"tax_rate": mine.pk, "tax_type": "OUTPUT2"})
    assert clash.status_code == 422 and fields(clash) == ["tax_type"]
    assert "Merge GST into Sales tax" in clash.json()["detail"]
    merged = api("post", links, {"tax_rate": mine.pk, "tax_type": "OUTPUT2", "merge_twin": True})
    assert merged.status_code == 200, merged.json()
    assert not TaxRate.objects.filter(pk=gst.pk).exists()
    customer.refresh_from_db()
    assert customer.sales_tax_rate == mine and tax_type(mine) == "OUTPUT2"

    other = TaxRate.objects.create(name="Levy", percentage=Decimal(15))
    asked = api("post", links, {"tax_rate": other.pk, "tax_type": "ZERORATED"})
    assert asked.status_code == 422 and fields(asked) == ["confirm_percentage_change"]
    assert "Levy is 15% but Zero Rated in Xero is 0%" in asked.json()["detail"]
    assert tax_type(other) == ""
    body = {"tax_rate": other.pk, "tax_type": "ZERORATED", "confirm_percentage_change": True}
    assert api("post", links, body).status_code == 200
    assert tax_type(other) == "ZERORATED"


def test_imports_left_waiting_show_when_they_resume(admin, nz):
    api = Api(admin)
    run = api("post", f"/connections/{nz.pk}/imports", {"kind": "customers"}).json()
    ImportRun.objects.filter(pk=run["id"]).update(
        status=ImportStatus.WAITING, message="Xero's day limit was reached."
    )
    shown = api("get", f"/imports/{run['id']}").json()
    assert shown["status"] == "waiting" and not shown["finished"]
    assert "resume_after" in shown
