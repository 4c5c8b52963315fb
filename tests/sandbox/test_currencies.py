"""Currencies (issue 10): the base currency, enabling others, and documents in them."""

from __future__ import annotations

from typing import Any

from .conftest import Api


def usd_invoice(**extra: Any) -> dict[str, Any]:
    return {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"Name": "Yankee Ltd"},
                "CurrencyCode": "USD",
                "LineItems": [
                    {"Description": "x", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200"}
                ],
                **extra,
            }
        ]
    }


def test_currencies_list_the_base_and_enabled_ones(api: Api) -> None:
    """SPEC GET/PUT /Currencies: an organisation has its base currency and may enable others."""
    listed = api.get("Currencies").json()["Currencies"]
    assert listed == [{"Code": "NZD", "Description": "New Zealand Dollar"}]
    added = api.put("Currencies", {"Code": "USD", "Description": "United States Dollar"})
    assert added.status_code == 200
    assert added.json()["Currencies"] == [{"Code": "USD", "Description": "United States Dollar"}]
    codes = [
        c["Code"] for c in api.get("Currencies", params={"order": "Code DESC"}).json()["Currencies"]
    ]
    assert codes == ["USD", "NZD"]
    only = api.get("Currencies", params={"where": 'Code=="USD"'}).json()["Currencies"]
    assert [c["Code"] for c in only] == ["USD"]


def test_a_document_in_a_currency_not_enabled_is_refused(api: Api) -> None:
    """[S] integrators' reports: "Organisation is not subscribed to currency USD"; the contact
    it named is not created."""
    answer = api.put("Invoices", usd_invoice())
    assert answer.status_code == 400
    messages = [m["Message"] for m in answer.json()["Elements"][0]["ValidationErrors"]]
    assert messages == ["Organisation is not subscribed to currency USD"]
    assert api.get("Contacts", params={"where": 'Name=="Yankee Ltd"'}).json()["Contacts"] == []


def test_a_foreign_currency_document_gets_the_organisations_rate(api: Api) -> None:
    """SPEC Invoice.CurrencyRate: set from the organisation's rate (admin API) unless sent."""
    assert api.admin(
        f"organisations/{api.tenant_id}/currencies", {"Code": "USD", "Rate": "0.6"}
    ).json() == {"Code": "USD", "Description": "United States Dollar", "Rate": 0.6}
    made = api.put("Invoices", usd_invoice()).json()["Invoices"][0]
    assert made["CurrencyCode"] == "USD" and made["CurrencyRate"] == 0.6 and made["Total"] == 115
    own = api.put("Invoices", usd_invoice(CurrencyRate=0.7)).json()["Invoices"][0]
    assert own["CurrencyRate"] == 0.7
    home = api.put("Invoices", usd_invoice(CurrencyCode="NZD")).json()["Invoices"][0]
    assert home["CurrencyRate"] == 1
    assert api.admin(f"organisations/{api.tenant_id}/currencies", {"Code": "us"}).status_code == 400
