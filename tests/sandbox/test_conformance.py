"""The conformance check itself: it passes on a tour of the API and catches a broken answer."""

from __future__ import annotations

import dataclasses
import json

from .conformance import EXCEPTIONS, SPECS, mismatches
from .conftest import TRAFFIC, Api


def tour(api: Api) -> None:
    """Touch every endpoint family once, so the check means something on its own."""
    for path in (
        "Organisation",
        "Accounts",
        "TaxRates",
        "TrackingCategories",
        "BrandingThemes",
        "Items",
        "Contacts",
        "Invoices",
        "PurchaseOrders",
        "Payments",
    ):
        assert api.get(path).status_code == 200
    contact = api.put(
        "Contacts",
        {"Contacts": [{"Name": "Tour Ltd", "EmailAddress": "t@example.com"}]},
        params={"summarizeErrors": "false"},
    ).json()["Contacts"][0]
    api.get(f"Contacts/{contact['ContactID']}")
    line = {"Description": "Tour", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}
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
    api.get(f"Invoices/{invoice['InvoiceID']}", params={"unitdp": "4"})
    api.get("Invoices", params={"page": "1", "pageSize": "10", "Statuses": "AUTHORISED"})
    api.put(
        "Payments",
        {
            "Payments": [
                {
                    "Invoice": {"InvoiceID": invoice["InvoiceID"]},
                    "Account": {"Code": "090"},
                    "Amount": 5,
                }
            ]
        },
    )
    api.put("Invoices", {"Invoices": [{"Type": "ACCREC", "Contact": {}, "LineItems": [line]}]})
    api.put(
        "PurchaseOrders",
        {"PurchaseOrders": [{"Contact": {"ContactID": contact["ContactID"]}, "LineItems": [line]}]},
    )
    api.get("Contacts/00000000-0000-0000-0000-000000000000")


def test_tour_of_every_endpoint_family_matches_the_official_spec(api: Api) -> None:
    """XERO-FACTS 8: every request and answer validates against xero_accounting.yaml."""
    start = len(TRAFFIC)
    tour(api)
    checked = [ex for ex in TRAFFIC[start:] if not ex.path.startswith("/_sandbox/")]
    assert len(checked) > 15
    assert mismatches(checked) == []
    assert EXCEPTIONS and (SPECS / "xero_accounting.yaml").is_file()


def test_the_check_catches_an_answer_that_breaks_the_spec(api: Api) -> None:
    """The per-test check is not vacuous: a mangled Invoices answer is reported."""
    start = len(TRAFFIC)
    assert api.get("Invoices").status_code == 200
    good = TRAFFIC[start]
    body = json.loads(good.response_body)
    body["Invoices"] = [{"InvoiceID": "not-a-uuid", "Total": "lots"}]
    bad = dataclasses.replace(good, response_body=json.dumps(body).encode())
    assert mismatches([good]) == []
    assert mismatches([bad]) != []


def test_xml_answers_are_checked_against_the_same_schemas(api: Api) -> None:
    """An XML answer is read back into JSON by the spec's schemas and validated: a good one
    passes, one with a broken ContactID is reported."""
    start = len(TRAFFIC)
    headers = {k: v for k, v in api.headers().items() if k != "Accept"}
    answer = api.http.get("/api.xro/2.0/Contacts", headers=headers)
    assert answer.headers["content-type"].startswith("text/xml")
    good = TRAFFIC[start]
    assert mismatches([good]) == []
    first_id = answer.text.split("<ContactID>")[1].split("</ContactID>")[0]
    bad = dataclasses.replace(
        good, response_body=good.response_body.replace(first_id.encode(), b"not-a-uuid")
    )
    assert mismatches([bad]) != []
