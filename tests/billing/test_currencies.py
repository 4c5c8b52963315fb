"""Currencies in the product, without Xero: what a customer, supplier and document take, what is
refused (named on `currency`, with the fix), and what the screens show. The round trip through
Xero is in tests/xero/test_currencies.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import Invoice, RecurringInvoice, Sequence
from ledgerbridge.billing.recurring import create_recurring, raise_due_invoices, update_recurring
from ledgerbridge.billing.services import issue_invoice, update_invoice
from ledgerbridge.customers.services import create_customer, update_customer
from ledgerbridge.purchasing.services import raise_purchase_order, update_purchase_order
from ledgerbridge.suppliers.services import update_supplier
from ledgerbridge.sync.currencies import currency_for, document_currency, record_currencies
from ledgerbridge.sync.models import Currency, Link, Organisation, RecordKind, SyncState
from ledgerbridge.sync.services import organisation_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

DAY = dt.date(2026, 11, 2)
FIX = (
    "USD is not enabled in NZ books: enable it in Xero (Settings > Currencies), then refresh "
    "currencies under Configuration > Integrations > Xero > NZ books."
)


@pytest.fixture
def org() -> Organisation:
    """An organisation whose currencies are known: NZD (its base) and AUD."""
    made = organisation_for("xero", "tenant-nz", "NZ books")
    record_currencies(made.pk, "NZD", [("NZD", "New Zealand Dollar"), ("AUD", "Australian")])
    made.refresh_from_db()
    return made


@pytest.fixture
def kiwi(org, customer) -> Any:
    customer.organisation = org
    customer.save()
    return customer


def one_line(gst, price: str = "100") -> list[LineData]:
    return [LineData("Support", Decimal(1), Decimal(price), gst.pk)]


def messages_on(caught: pytest.ExceptionInfo[ValidationError], field: str = "currency") -> str:
    return " ".join(caught.value.message_dict[field])


def test_cur_a_refresh_stores_the_base_and_enabled_currencies_and_removes_what_is_gone(org):
    assert org.base_currency == "NZD" and org.currencies_refreshed_at is not None
    assert set(org.currencies.values_list("code", flat=True)) == {"NZD", "AUD"}
    again = record_currencies(org.pk, "NZD", [("USD", "US Dollar"), ("usd", "bad")])
    assert again.changed and again.removed == 1 and again.skipped == ["usd"]
    # The base currency is always among them, whether Xero lists it or not.
    assert set(Currency.objects.filter(organisation=org).values_list("code", flat=True)) == {
        "NZD",
        "USD",
    }
    assert not record_currencies(org.pk, "NZD", [("USD", "US Dollar")]).changed


def test_cur_a_party_and_its_documents_default_to_its_currency_else_the_base_one(org, kiwi, gst):
    assert kiwi.currency == "" and currency_for(kiwi) == "NZD"
    invoice = issue_invoice(kiwi, one_line(gst), date=DAY)
    assert invoice.currency == "NZD"
    update_customer(kiwi, {"currency": "AUD"})
    assert issue_invoice(kiwi, one_line(gst), date=DAY).currency == "AUD"
    # Given on the document, it wins; amounts stay exactly as entered (nothing is converted).
    chosen = issue_invoice(kiwi, one_line(gst, "49.995"), date=DAY, currency="NZD")
    assert (chosen.currency, chosen.subtotal, chosen.total) == (
        "NZD",
        Decimal("50.00"),
        Decimal("57.50"),
    )


def test_cur_a_currency_not_enabled_is_refused_on_save_with_the_fix_and_nothing_saved(
    org, kiwi, gst
):
    with pytest.raises(ValidationError) as caught:
        issue_invoice(kiwi, one_line(gst), date=DAY, currency="USD")
    assert messages_on(caught) == FIX
    assert not Invoice.objects.exists()
    assert not Sequence.objects.filter(name="invoice", next_value__gt=1).exists()  # no number used
    with pytest.raises(ValidationError) as caught:
        update_customer(kiwi, {"currency": "USD", "name": "Renamed"})
    assert messages_on(caught) == FIX
    kiwi.refresh_from_db()
    assert (kiwi.currency, kiwi.name) == ("", "Acme Dental")  # nothing half-saved


def test_cur_a_code_that_is_not_three_capital_letters_is_refused_everywhere(org, kiwi, gst):
    for bad in ("usd", "US", "US1", "EURO"):
        with pytest.raises(ValidationError) as caught:
            issue_invoice(kiwi, one_line(gst), date=DAY, currency=bad)
        assert "three capital letters" in messages_on(caught)
    with pytest.raises(ValidationError) as caught:
        create_customer({"name": "Lower Ltd", "currency": "nzd"})
    assert "three capital letters" in messages_on(caught)


def test_cur_nothing_is_refused_while_an_organisations_currencies_are_not_known(customer, gst):
    unknown = organisation_for("xero", "tenant-new", "New books")
    update_customer(customer, {"organisation": unknown, "currency": "JPY"})
    invoice = issue_invoice(customer, one_line(gst), date=DAY)
    assert invoice.currency == "JPY"


def test_cur_a_document_may_change_currency_until_it_is_in_the_accounting_system(
    org, kiwi, gst, supplier
):
    invoice = issue_invoice(kiwi, one_line(gst), date=DAY)

    def change(currency: str | None) -> Invoice:
        return update_invoice(
            invoice,
            one_line(gst),
            date=DAY,
            due_date=None,
            status=invoice.status,
            reference="",
            amount_type=invoice.amount_type,
            currency=currency,
        )

    assert change("AUD").currency == "AUD"
    assert change(None).currency == "AUD"  # left out: kept
    assert change("").currency == "NZD"  # blank: the customer's again
    Link.objects.filter(kind=RecordKind.INVOICE, local_id=invoice.pk).update(
        remote_id="abc", state=SyncState.SYNCED
    )
    with pytest.raises(ValidationError) as caught:
        change("AUD")
    assert messages_on(caught) == (
        f"Invoice {invoice.number} is already in NZ books in NZD, and its currency cannot "
        "change there: keep NZD, or delete it and raise a new one in AUD."
    )
    assert change("NZD").currency == change(None).currency == "NZD"  # the same is no change

    supplier.organisation = org
    supplier.save()
    order = raise_purchase_order(supplier, one_line(gst), date=DAY, currency="AUD")
    Link.objects.filter(kind=RecordKind.PURCHASE_ORDER, local_id=order.pk).update(remote_id="x")
    with pytest.raises(ValidationError) as caught:
        update_purchase_order(order, one_line(gst), currency="NZD")
    assert f"Purchase order {order.number} is already in NZ books in AUD" in messages_on(caught)


def test_cur_recurring_invoices_keep_a_currency_and_raise_invoices_in_it(org, kiwi, gst):
    schedule = create_recurring(
        kiwi.pk,
        one_line(gst),
        start_date=DAY,
        interval_unit="month",
        interval_count=1,
        currency="AUD",
    )
    assert schedule.currency == "AUD"
    (raised,) = raise_due_invoices(DAY)
    assert raised.currency == "AUD"
    update_recurring(schedule, one_line(gst), currency=None)
    assert RecurringInvoice.objects.get(pk=schedule.pk).currency == "AUD"  # left out: kept
    with pytest.raises(ValidationError) as caught:
        update_recurring(schedule, one_line(gst), currency="USD")
    assert messages_on(caught) == FIX


def test_cur_the_helper_is_generic_for_any_document_of_a_party(org, kiwi):
    """What a credit note's service calls: `document_currency(party, given, document=...,
    kind=..., label=...)`, for any record with a `currency` and a `pk`."""

    class Note:
        pk = 41
        currency = "AUD"

    assert document_currency(kiwi, None) == "NZD"
    assert document_currency(kiwi, None, document=Note(), kind="credit_note") == "AUD"
    assert document_currency(kiwi, "", document=Note(), kind="credit_note") == "NZD"
    with pytest.raises(ValidationError) as caught:
        document_currency(kiwi, "USD", document=Note(), kind="credit_note", field="header")
    assert caught.value.message_dict["header"] == [FIX]


def test_cur_screens_show_the_currency_beside_totals_and_say_prices_are_used_as_they_are(
    org, kiwi, gst, admin, supplier
):
    web = Client()
    web.force_login(admin)
    aud_invoice = issue_invoice(kiwi, one_line(gst, "10"), date=DAY, currency="AUD")
    issue_invoice(kiwi, one_line(gst, "20"), date=DAY)
    page = web.get(reverse("billing:invoice_detail", args=[aud_invoice.pk])).content.decode()
    assert "<dd data-currency>AUD</dd>" in page and 'id="total-currency">AUD<' in page
    listing = web.get(reverse("billing:invoice_list")).content.decode()
    # Amounts in two currencies are never added up together.
    assert 'in AUD</td><td class="num">11.50</td>' in listing
    assert 'in NZD</td><td class="num">23.00</td>' in listing
    form = web.get(reverse("billing:invoice_create")).content.decode()
    assert "A product&#x27;s price is used as it is" in form or "A product's price" in form
    answer = web.post(
        reverse("billing:invoice_edit", args=[aud_invoice.pk]),
        {
            "date": DAY.isoformat(),
            "status": "DRAFT",
            "amount_type": "Exclusive",
            "currency": "USD",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-description": "Support",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "10",
            "lines-0-tax_rate": gst.pk,
        },
    )
    assert answer.status_code == 400
    assert "USD is not enabled in NZ books" in answer.content.decode().replace("&gt;", ">")
    supplier.organisation = org
    supplier.save()
    update_supplier(supplier, {"currency": "AUD"})
    order = raise_purchase_order(supplier, one_line(gst), date=DAY)
    assert order.currency == "AUD"
    page = web.get(reverse("purchasing:detail", args=[order.pk])).content.decode()
    assert "<dd data-currency>AUD</dd>" in page
