"""Reads as Xero answers them (issue 10): the `where` grammar, IDs in any GUID form, unpadded
dates, and UpdatedDateUTCString with its zone."""

from __future__ import annotations

import re
from typing import Any

from .conftest import Api

DELIBERATE = {"X-Test-Invalid": "deliberate"}


def put_invoice(api: Api, name: str, day: str, amount: int, **extra: Any) -> dict[str, Any]:
    body = {
        "Type": "ACCREC",
        "Contact": {"Name": name},
        "Date": day,
        "LineItems": [
            {"Description": "x", "Quantity": 1, "UnitAmount": amount, "AccountCode": "200"}
        ],
        **extra,
    }
    answer = api.put("Invoices", {"Invoices": [body]})
    assert answer.status_code == 200, answer.text
    made: dict[str, Any] = answer.json()["Invoices"][0]
    return made


def numbers(api: Api, where: str) -> set[str]:
    answer = api.get("Invoices", params={"where": where})
    assert answer.status_code == 200, (where, answer.text)
    return {i["InvoiceNumber"] for i in answer.json()["Invoices"] if i["InvoiceNumber"] >= "W"}


def test_where_accepts_xeros_documented_grammar(api: Api) -> None:
    """XERO-FACTS 4 and the SPEC's `where` examples (Status=="DRAFT", IsSold==true, ...), with
    Xero's operators, keywords and method names in any case, Guid(), DateTime(), nested fields
    and parentheses."""
    abc = put_invoice(api, "Abc Ltd", "2026-01-05", 50, InvoiceNumber="W-1", Reference="r1")
    put_invoice(api, "Xyz Ltd", "2026-02-10", 200, InvoiceNumber="W-2", Status="AUTHORISED")
    put_invoice(api, "abd Ltd", "2026-03-15", 100, InvoiceNumber="W-3")
    contact_id = abc["Contact"]["ContactID"]
    cases = {
        'Status=="DRAFT"&&Type=="ACCREC"': {"W-1", "W-3"},
        'Status == "DRAFT" AND Type == "ACCREC"': {"W-1", "W-3"},
        'Status = "AUTHORISED"': {"W-2"},
        'Status != "DRAFT"': {"W-2"},
        'Status=="AUTHORISED"||InvoiceNumber=="W-1"': {"W-1", "W-2"},
        'Status=="AUTHORISED" OR InvoiceNumber=="W-1"': {"W-1", "W-2"},
        'Status=="AUTHORISED" or InvoiceNumber=="W-1"': {"W-1", "W-2"},
        "Total >= 115": {"W-2", "W-3"},
        "Total<115": {"W-1"},
        "Total<=57.5": {"W-1"},
        "Total>57.5": {"W-2", "W-3"},
        "Reference != null": {"W-1"},
        'Contact.Name.StartsWith("Ab")': {"W-1"},
        'Contact.Name.startswith("Ab")': {"W-1"},
        'Contact.Name.ToLower().StartsWith("ab")': {"W-1", "W-3"},
        'Contact.Name.Contains("yz")': {"W-2"},
        'Contact.Name.EndsWith("d Ltd")': {"W-3"},
        f'Contact.ContactID==Guid("{contact_id.upper()}")': {"W-1"},
        f'Contact.ContactID=Guid("{contact_id}")': {"W-1"},
        "Date >= DateTime(2026, 02, 10)": {"W-2", "W-3"},
        "Date<DateTime(2026,2,10)": {"W-1"},
        '(Status=="AUTHORISED" || Total==57.5) && Date>DateTime(2026,1,31)': {"W-2"},
        '!(Status=="DRAFT")': {"W-2"},
    }
    for where, expected in cases.items():
        assert numbers(api, where) == expected, where


def test_where_that_cannot_be_read_names_the_position(api: Api) -> None:
    """A clause Xero cannot read is a 400 (XERO-FACTS 5), never a silent empty list."""
    for where, position in (
        ('Status=="DRAFT" AND', 20),
        ('Status=="DRAFT" Type=="ACCREC"', 17),
        ('Name.Frobnicate("x")', 6),
        ('Status=="DRAFT', 9),
        ("(Status==1", 11),
    ):
        answer = api.get("Invoices", params={"where": where})
        assert answer.status_code == 400, where
        message = answer.json()["Elements"][0]["ValidationErrors"][0]["Message"]
        assert f"position {position}" in message, (where, message)


def test_ids_accept_guids_without_hyphens_and_in_any_case(api: Api) -> None:
    """Xero reads GUIDs in any case, with or without hyphens (.NET Guid parsing)."""
    made = put_invoice(api, "Ids Ltd", "2026-01-05", 10)
    contact = made["Contact"]["ContactID"]
    for form in (contact.upper(), contact.replace("-", ""), contact.replace("-", "").upper()):
        # The spec types IDs as uuid (hyphenated); Xero reads the other forms too.
        listed = api.get("Contacts", params={"IDs": form}, headers=DELIBERATE).json()["Contacts"]
        assert [c["ContactID"] for c in listed] == [contact], form


def test_unpadded_purchase_order_dates_are_read(api: Api) -> None:
    """GET /PurchaseOrders DateFrom/DateTo (SPEC: type string, e.g. 2015-12-01): an unpadded
    2026-1-5 is read as 5 January, not ignored; an unreadable date is a 400."""
    line = {"Description": "x", "Quantity": 1, "UnitAmount": 5, "AccountCode": "300"}
    for day in ("2026-01-04", "2026-01-05", "2026-01-12"):
        body = {"Contact": {"Name": "Dates Ltd"}, "Date": day, "LineItems": [line]}
        assert api.put("PurchaseOrders", {"PurchaseOrders": [body]}).status_code == 200
    listed = api.get("PurchaseOrders", params={"DateFrom": "2026-1-5", "DateTo": "2026-1-11"})
    assert [p["DateString"][:10] for p in listed.json()["PurchaseOrders"]] == ["2026-01-05"]
    assert api.get("PurchaseOrders", params={"DateFrom": "soon"}).status_code == 400


def test_updated_date_utc_string_carries_its_zone(api: Api) -> None:
    """SPEC examples: UpdatedDateUTCString: 2019-03-05T18:59:06Z."""
    made = put_invoice(api, "Zone Ltd", "2026-01-05", 10)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", made["UpdatedDateUTCString"])
