"""Multi-currency against the sandbox over HTTP: an organisation's base and enabled currencies
come across (and stay fresh), contacts bring their default currency, a USD invoice for an NZD
organisation with USD enabled reaches Xero in USD with its amounts exact and shows Xero's rate
and the totals in NZD, and one in a currency the organisation has not enabled is refused with
the fix named: on save, or, if the currencies changed after saving, held back by the engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ledgerbridge.accounts.models import ApiToken, User
from ledgerbridge.billing.services import issue_invoice, update_invoice
from ledgerbridge.cli import main
from ledgerbridge.customers.models import Customer
from ledgerbridge.customers.services import create_customer, update_customer
from ledgerbridge.purchasing.services import raise_purchase_order
from ledgerbridge.sync.models import Organisation, SyncState
from ledgerbridge.xero import connections
from ledgerbridge.xero.compare import compare
from ledgerbridge.xero.imports import run_import, start_import
from ledgerbridge.xero.imports.currencies import refresh_due
from ledgerbridge.xero.models import ImportStatus
from ledgerbridge.xero.tasks import refresh_currencies_task

from .documents import DAY, in_xero, lines, link, make_world, push
from .helpers import REDIRECT_URI, admin_call, connect, consent, fast_client

pytestmark = pytest.mark.django_db

FIX = (
    "enable it in Xero (Settings > Currencies), then refresh currencies under "
    "Configuration > Integrations > Xero > NZ books"
)


@pytest.fixture
def nz(xero_settings, sandbox):
    return connect(sandbox, "NZ books", "Demo Company (NZ)")


@pytest.fixture
def world(nz) -> dict[str, Any]:
    return make_world(nz)


def enable(sandbox, connection, code: str, rate: str) -> None:
    """A Xero user enables a currency, at a rate (units of it per 1 NZD)."""
    path = f"organisations/{connection.tenant_id}/currencies"
    admin_call(sandbox, "POST", path, Code=code, Rate=rate)


def refresh(connection) -> Any:
    """What "Refresh currencies" does, carried out as the worker would."""
    run = start_import(connection, "currencies", background=False)
    with fast_client(connection) as client:
        return run_import(run.pk, client=client)


def codes(connection) -> set[str]:
    org = Organisation.objects.get(remote_id=connection.tenant_id)
    return set(org.currencies.values_list("code", flat=True))


def web_client(user: User) -> Client:
    web = Client()
    web.force_login(user)
    return web


def api_client(user: User) -> Client:
    return Client(headers={"Authorization": f"Bearer {ApiToken.issue(user, 'tests')[1]}"})


def test_cur_currencies_are_imported_and_one_enabled_in_xero_appears_on_refresh(
    nz, sandbox, admin, capsys
):
    web = web_client(admin)
    page = web.get(reverse("xero:connection", args=[nz.pk])).content.decode()
    assert "Refresh currencies" in page and "<dd data-base-currency>Not known yet" in page
    answer = web.post(reverse("xero:xero_imports:start", args=[nz.pk, "currencies"]))
    assert answer.status_code == 302
    (run,) = [r for r in nz.imports.all() if r.kind == "currencies"]
    with fast_client(nz) as client:
        done = run_import(run.pk, client=client)
    assert done.status == ImportStatus.DONE and done.created == 1, done.message
    org = Organisation.objects.get(remote_id=nz.tenant_id)
    assert org.base_currency == "NZD" and codes(nz) == {"NZD"}

    enable(sandbox, nz, "USD", "0.6")
    assert codes(nz) == {"NZD"}  # not until refreshed
    # The command line's import is the same refresh.
    assert main(["xero", "import", "currencies", "--connection", "NZ books"]) == 0
    assert "done: 1 created, 1 updated, 0 skipped" in capsys.readouterr().out
    assert codes(nz) == {"NZD", "USD"}
    page = unescape(web.get(reverse("xero:connection", args=[nz.pk])).content.decode())
    assert "<dd data-base-currency>NZD</dd>" in page
    assert '<span title="United States Dollar">USD</span>' in page
    listed = api_client(admin).get(f"/api/v1/currencies/?organisation={org.pk}").json()
    assert listed[0]["base_currency"] == "NZD"
    assert [c["code"] for c in listed[0]["currencies"]] == ["NZD", "USD"]
    # So does the REST API.
    started = api_client(admin).post(
        f"/api/v1/xero/connections/{nz.pk}/imports",
        {"kind": "currencies"},
        content_type="application/json",
    )
    assert started.status_code == 202 and started.json()["kind"] == "currencies"


def test_cur_currencies_come_across_on_connect_and_stay_fresh_by_the_periodic_poll(
    nz, sandbox, django_capture_on_commit_callbacks
):
    url = connections.start_authorisation(nz, None, REDIRECT_URI)
    with django_capture_on_commit_callbacks(execute=True):
        connections.complete_authorisation(consent(sandbox, url, "Demo Company (NZ)"), REDIRECT_URI)
    queued = DBTaskResult.objects.filter(task_path=refresh_currencies_task.module_path)
    assert queued.get().args_kwargs["args"] == [nz.pk]  # reconnecting queued the refresh
    assert refresh_currencies_task.call(nz.pk) is True  # what the worker then runs
    assert codes(nz) == {"NZD"}

    enable(sandbox, nz, "AUD", "1.1")
    assert refresh_due(client_for=fast_client) == 0  # refreshed moments ago: not due
    hours_ago = timezone.now() - dt.timedelta(hours=7)
    Organisation.objects.filter(remote_id=nz.tenant_id).update(currencies_refreshed_at=hours_ago)
    assert refresh_due(client_for=fast_client) == 1
    assert codes(nz) == {"NZD", "AUD"}


def test_cur_contact_import_takes_the_xero_default_currency_else_the_base_currency(
    nz, world, sandbox
):
    enable(sandbox, nz, "USD", "0.6")
    refresh(nz)
    with fast_client(nz) as client:
        made = client.put(
            "/Contacts",
            {
                "Contacts": [
                    {"Name": "Dollar Dental", "AccountNumber": "USD-1", "DefaultCurrency": "USD"},
                    {"Name": "Kiwi Dental", "AccountNumber": "NZD-1"},
                ]
            },
        )["Contacts"]
    run = start_import(nz, "customers", params={"ids": [c["ContactID"] for c in made]})
    with fast_client(nz) as client:
        assert run_import(run.pk, client=client).created == 2
    assert Customer.objects.get(name="Dollar Dental").currency == "USD"
    assert Customer.objects.get(name="Kiwi Dental").currency == "NZD"
    # Sent back, each is what Xero holds: Compare with Xero finds nothing to fix.
    with fast_client(nz) as client:
        result = compare(nz, client)
    assert result.clean, [d.words() for d in result.differences]


def test_cur_a_usd_invoice_for_an_nzd_organisation_reaches_xero_in_usd_with_exact_amounts(
    nz, world, sandbox, admin
):
    enable(sandbox, nz, "USD", "0.6")
    refresh(nz)
    update_customer(world["customer"], {"currency": "USD"})
    invoice = issue_invoice(
        world["customer"],
        lines(world, ("Firewall", "2", "49.995"), ("Setup", "1.5", "120")),
        date=DAY,
        status="AUTHORISED",
    )
    assert invoice.currency == "USD"  # the customer's currency
    outcome = push(nz, world["org"])
    assert outcome.failed == 0 and link(invoice).state == SyncState.SYNCED, link(invoice).reason
    xero = in_xero(nz, f"/Invoices/{link(invoice).remote_id}")
    assert xero["CurrencyCode"] == "USD" and Decimal(str(xero["CurrencyRate"])) == Decimal("0.6")
    assert [Decimal(str(li["UnitAmount"])) for li in xero["LineItems"]] == [
        Decimal("49.995"),
        Decimal(120),
    ]
    assert (Decimal(str(xero["SubTotal"])), Decimal(str(xero["Total"]))) == (
        invoice.subtotal,
        invoice.total,
    )  # exact, in USD: nothing converted
    contact = in_xero(nz, f"/Contacts/{link(world['customer'], 'customer').remote_id}")
    assert contact["DefaultCurrency"] == "USD"  # the customer's currency went too
    with fast_client(nz) as client:
        assert compare(nz, client).clean  # what we would send is what Xero holds

    page = unescape(
        web_client(admin).get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    )
    base_total = (invoice.total / Decimal("0.6")).quantize(Decimal("0.01"))
    assert 'id="total-currency">USD<' in page
    assert "<dt>Xero's rate</dt><dd>0.6 USD to 1 NZD</dd>" in page
    assert f"total {base_total} NZD" in page


def test_cur_a_usd_invoice_is_refused_on_save_when_usd_is_not_enabled_naming_the_fix(
    nz, world, admin
):
    refresh(nz)  # NZD only
    with pytest.raises(ValidationError) as caught:
        issue_invoice(
            world["customer"], lines(world, ("Work", "1", "10")), date=DAY, currency="USD"
        )
    assert caught.value.message_dict["currency"] == [f"USD is not enabled in NZ books: {FIX}."]
    answer = api_client(admin).post(
        "/api/v1/invoices/",
        {
            "customer": world["customer"].pk,
            "date": DAY.isoformat(),
            "currency": "USD",
            "lines": [{"description": "Work", "quantity": "1", "unit_price": "10",
                       "tax_rate": world["gst"].pk}],
        },
        content_type="application/json",
    )  # fmt: skip
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "currency", "message": f"USD is not enabled in NZ books: {FIX}."}
    ]


def test_cur_a_document_whose_currency_is_not_enabled_when_sent_is_held_back_naming_the_fix(
    nz, world, sandbox
):
    # Saved before the organisation's currencies were known (nothing to check against)...
    invoice = issue_invoice(
        world["customer"], lines(world, ("Work", "1", "10")), date=DAY, currency="USD"
    )
    order = raise_purchase_order(
        world["supplier"], lines(world, ("Parts", "1", "10")), date=DAY, currency="USD"
    )
    refresh(nz)  # ...and they say NZD only.
    outcome = push(nz, world["org"])
    assert outcome.calls == 0 and outcome.not_eligible == 2
    for document, kind in ((invoice, "invoice"), (order, "purchase_order")):
        held = link(document, kind)
        assert held.state == SyncState.NOT_ELIGIBLE and not held.remote_id
        assert held.reason == f"Its currency, USD, is not enabled in NZ books: {FIX}."
    # The fix: enable it in Xero, refresh; both go by themselves.
    enable(sandbox, nz, "USD", "0.5")
    refresh(nz)
    assert push(nz, world["org"]).synced == 2
    assert (
        in_xero(nz, f"/PurchaseOrders/{link(order, 'purchase_order').remote_id}")["CurrencyCode"]
        == "USD"
    )


def test_cur_the_currency_cannot_change_once_the_invoice_is_in_xero(nz, world, sandbox, admin):
    enable(sandbox, nz, "USD", "0.6")
    refresh(nz)
    invoice = issue_invoice(world["customer"], lines(world, ("Work", "1", "10")), date=DAY)
    assert invoice.currency == "NZD"  # the organisation's base currency

    def change(currency: str | None) -> Any:
        return update_invoice(
            invoice,
            lines(world, ("Work", "1", "10")),
            date=DAY,
            due_date=None,
            status=invoice.status,
            reference="",
            amount_type=invoice.amount_type,
            currency=currency,
        )

    assert change("USD").currency == "USD"  # overridable while it is not in Xero
    assert change("NZD").currency == "NZD"
    assert push(nz, world["org"]).synced == 1
    with pytest.raises(ValidationError) as caught:
        change("USD")
    assert caught.value.message_dict["currency"] == [
        f"Invoice {invoice.number} is already in NZ books in NZD, and its currency cannot "
        "change there: keep NZD, or delete it and raise a new one in USD."
    ]
    api = api_client(admin)
    body = {
        "date": DAY.isoformat(),
        "currency": "USD",
        "lines": [{"description": "Work", "quantity": "1", "unit_price": "10",
                   "tax_rate": world["gst"].pk, "item_code": world["codes"][0]}],
    }  # fmt: skip
    refused = api.put(f"/api/v1/invoices/{invoice.pk}", body, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "currency"
    kept = api.put(
        f"/api/v1/invoices/{invoice.pk}",
        {k: v for k, v in body.items() if k != "currency"},
        content_type="application/json",
    )
    assert kept.status_code == 200 and kept.json()["currency"] == "NZD"
    form = web_client(admin).get(reverse("billing:invoice_edit", args=[invoice.pk]))
    assert "It is in NZ books already, so its currency cannot change." in unescape(
        form.content.decode()
    )


def test_cur_the_api_refuses_bad_currency_codes_naming_currency(nz, world, admin):
    refresh(nz)
    api = api_client(admin)
    for bad in ("usd", "US", "USDX", "U$D"):
        answer = api.post(
            "/api/v1/customers/",
            {"name": f"Bad {bad}", "currency": bad},
            content_type="application/json",
        )
        assert answer.status_code in (400, 422), answer.json()
        assert [e["field"] for e in answer.json()["errors"]] == ["currency"]
        assert "three capital letters" in answer.json()["errors"][0]["message"]
    refused = api.post(
        "/api/v1/customers/",
        {"name": "Euro Ltd", "currency": "EUR"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "currency", "message": f"EUR is not enabled in NZ books: {FIX}."}
    ]
    made = api.post(
        "/api/v1/customers/",
        {"name": "Kiwi Ltd", "currency": "NZD"},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["currency"] == "NZD"
    assert create_customer({"name": "Plain Ltd"}).currency == ""  # the base currency
    order = api.post(
        "/api/v1/purchase-orders/",
        {
            "supplier": world["supplier"].pk,
            "date": DAY.isoformat(),
            "currency": "nzd",
            "lines": [{"description": "Parts", "quantity": "1", "unit_price": "5",
                       "tax_rate": world["gst"].pk}],
        },
        content_type="application/json",
    )  # fmt: skip
    assert order.status_code in (400, 422) and order.json()["errors"][0]["field"] == "currency"
