"""Writes as Xero does them (issue 10): LineAmount checks, the 500-element cap, create-only PUT,
purchase-order rules and failed elements echoed as Xero computed them."""

from __future__ import annotations

from typing import Any

import pytest

from xero_sandbox.settings import SandboxSettings

from .conftest import Api

LINE = {"Description": "Work", "Quantity": 3, "UnitAmount": 10, "AccountCode": "200"}
MISMATCH = "The line total 31.00 does not match the expected line total 30.00"


def accrec(name: str, **line: Any) -> dict[str, Any]:
    return {"Type": "ACCREC", "Contact": {"Name": name}, "LineItems": [{**LINE, **line}]}


def errors_of(element: dict[str, Any]) -> list[str]:
    return [m["Message"] for m in element["ValidationErrors"]]


def test_line_amount_that_xero_computes_otherwise_is_refused(api: Api) -> None:
    """XERO-FACTS "Added 2026-12-01" [S] Xero-NetStandard#147/#74/#412: a supplied LineAmount
    that is not quantity x unit amount (less discount) is refused, per element."""
    summarised = api.put("Invoices", {"Invoices": [accrec("Line Co", LineAmount=31)]})
    assert summarised.status_code == 400
    assert errors_of(summarised.json()["Elements"][0]) == [MISMATCH]
    per_element = api.put(
        "Invoices",
        {"Invoices": [accrec("Line Co", LineAmount=30), accrec("Line Co", LineAmount=31)]},
        params={"summarizeErrors": "false"},
    )
    good, bad = per_element.json()["Invoices"]
    assert good["StatusAttributeString"] == "OK" and good["LineItems"][0]["LineAmount"] == 30
    assert bad["StatusAttributeString"] == "ERROR" and errors_of(bad) == [MISMATCH]
    discounted = api.put(
        "Invoices", {"Invoices": [accrec("Line Co", DiscountRate=10, LineAmount=27)]}
    )
    assert discounted.status_code == 200, discounted.text


def test_line_amount_fills_in_a_missing_unit_amount(api: Api) -> None:
    """SPEC LineItem.LineAmount: with Quantity or UnitAmount left out, Xero works it out."""
    line = {"Description": "Fixed fee", "Quantity": 4, "LineAmount": 50, "AccountCode": "200"}
    answer = api.put(
        "Invoices",
        {"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "Fee"}, "LineItems": [line]}]},
    )
    assert answer.status_code == 200, answer.text
    made = answer.json()["Invoices"][0]["LineItems"][0]
    assert made["UnitAmount"] == 12.5 and made["LineAmount"] == 50


def test_more_than_500_elements_in_one_request_are_refused(api: Api) -> None:
    """XERO-FACTS 3 [S]: at most 500 elements a request; 500 is still accepted."""
    too_many = api.put("Contacts", {"Contacts": [{"Name": f"C{i}"} for i in range(501)]})
    assert too_many.status_code == 400
    assert "No more than 500" in too_many.text
    assert api.get("Contacts", params={"where": 'Name=="C0"'}).json()["Contacts"] == []
    fine = api.put("Contacts", {"Contacts": [{"Name": f"C{i}"} for i in range(500)]})
    assert fine.status_code == 200 and len(fine.json()["Contacts"]) == 500


def test_put_only_creates(api: Api) -> None:
    """XERO-FACTS 3 [P] SPEC: PUT is createInvoices/createContacts, POST updateOrCreate: a PUT
    naming an existing record's ID is refused, and the record is unchanged."""
    contact = api.put("Contacts", {"Contacts": [{"Name": "Put Co"}]}).json()["Contacts"][0]
    again = api.put(
        "Contacts", {"Contacts": [{"ContactID": contact["ContactID"], "Name": "Renamed"}]}
    )
    assert again.status_code == 400
    assert "PUT only creates" in errors_of(again.json()["Elements"][0])[0]
    assert api.get(f"Contacts/{contact['ContactID']}").json()["Contacts"][0]["Name"] == "Put Co"
    posted = api.post(
        "Contacts", {"Contacts": [{"ContactID": contact["ContactID"], "Name": "Renamed"}]}
    )
    assert posted.status_code == 200
    invoice = api.put("Invoices", {"Invoices": [accrec("Put Co")]}).json()["Invoices"][0]
    put_again = api.put(
        "Invoices", {"Invoices": [{**accrec("Put Co"), "InvoiceID": invoice["InvoiceID"]}]}
    )
    assert put_again.status_code == 400


@pytest.mark.parametrize("settings", [SandboxSettings(put_updates_existing=True)])
def test_put_updates_when_the_setting_says_so(api: Api) -> None:
    contact = api.put("Contacts", {"Contacts": [{"Name": "Old"}]}).json()["Contacts"][0]
    again = api.put("Contacts", {"Contacts": [{"ContactID": contact["ContactID"], "Name": "New"}]})
    assert again.status_code == 200 and again.json()["Contacts"][0]["Name"] == "New"


def purchase_order(api: Api, **extra: Any) -> dict[str, Any]:
    body = {
        "Contact": {"Name": "Supplier Ltd"},
        "LineItems": [
            {"Description": "Cable", "Quantity": 1, "UnitAmount": 20, "AccountCode": "300"}
        ],
        **extra,
    }
    answer = api.put("PurchaseOrders", {"PurchaseOrders": [body]})
    assert answer.status_code == 200, answer.text
    made: dict[str, Any] = answer.json()["PurchaseOrders"][0]
    return made


def test_purchase_order_statuses_follow_xeros_rules(api: Api) -> None:
    """XERO-FACTS 6 PurchaseOrder statuses (SPEC): DRAFT/SUBMITTED/AUTHORISED move on, BILLED and
    DELETED are final; a PO cannot be created BILLED."""
    po = purchase_order(api)
    path = f"PurchaseOrders/{po['PurchaseOrderID']}"
    assert api.post(path, {"Status": "SUBMITTED"}).status_code == 200
    assert api.post(path, {"Status": "AUTHORISED"}).status_code == 200
    back = api.post(path, {"Status": "DRAFT"})
    assert back.status_code == 400
    assert errors_of(back.json()["Elements"][0]) == [
        "Purchase order not of valid status for modification"
    ]
    sent = api.post(path, {"SentToContact": True})
    assert sent.json()["PurchaseOrders"][0]["SentToContact"] is True
    assert api.post(path, {"Status": "BILLED"}).status_code == 200
    assert api.post(path, {"Status": "AUTHORISED"}).status_code == 400
    assert api.post(path, {"Reference": "late"}).status_code == 400
    created_billed = api.put(
        "PurchaseOrders", {"PurchaseOrders": [{**_po_body(), "Status": "BILLED"}]}
    )
    assert created_billed.status_code == 400


def test_sent_to_contact_on_a_draft_purchase_order_is_a_warning(api: Api) -> None:
    """SPEC example (PUT PurchaseOrders): "Only AUTHORISED and BILLED purchase orders may have
    SentToContact updated." comes under Warnings; the order is still created."""
    answer = api.put(
        "PurchaseOrders",
        {"PurchaseOrders": [{**_po_body(), "SentToContact": True}]},
        params={"summarizeErrors": "false"},
    )
    made = answer.json()["PurchaseOrders"][0]
    assert made["StatusAttributeString"] == "WARNING" and made["PurchaseOrderID"]
    assert made["SentToContact"] is False
    assert made["Warnings"][0]["Message"].startswith("Only AUTHORISED and BILLED")


def _po_body() -> dict[str, Any]:
    return {
        "Contact": {"Name": "Supplier Ltd"},
        "LineItems": [
            {"Description": "Cable", "Quantity": 1, "UnitAmount": 20, "AccountCode": "300"}
        ],
    }


def test_deleted_purchase_orders_are_listed_unless_the_setting_hides_them(api: Api) -> None:
    """[U] the SPEC's GET /PurchaseOrders neither says nor shows that deleted orders are left
    out (Status=DELETED is just one filter value): they are listed; a setting hides them."""
    po = purchase_order(api)
    api.post(f"PurchaseOrders/{po['PurchaseOrderID']}", {"Status": "DELETED"})
    listed = api.get("PurchaseOrders").json()["PurchaseOrders"]
    assert po["PurchaseOrderID"] in [p["PurchaseOrderID"] for p in listed]
    api.admin("settings", {"po_list_hides_deleted": True})
    hidden = api.get("PurchaseOrders").json()["PurchaseOrders"]
    assert po["PurchaseOrderID"] not in [p["PurchaseOrderID"] for p in hidden]
    asked = api.get("PurchaseOrders", params={"Status": "DELETED"}).json()["PurchaseOrders"]
    assert [p["PurchaseOrderID"] for p in asked] == [po["PurchaseOrderID"]]


def test_failed_elements_echo_the_computed_element(api: Api) -> None:
    """XERO-FACTS 5 / SPEC examples: a failed element comes back as Xero computed it (line IDs,
    tax, totals; the empty GUID as its ID) with its ValidationErrors."""
    answer = api.put(
        "Invoices",
        {"Invoices": [accrec("Echo Co", TaxType="OUTPUT2", LineAmount=31)]},
        params={"summarizeErrors": "false"},
    )
    failed = answer.json()["Invoices"][0]
    assert failed["StatusAttributeString"] == "ERROR"
    assert failed["InvoiceID"] == "00000000-0000-0000-0000-000000000000"
    line = failed["LineItems"][0]
    assert line["LineItemID"] and line["LineAmount"] == 30 and line["TaxAmount"] == 4.5
    assert (failed["SubTotal"], failed["TotalTax"], failed["Total"]) == (30, 4.5, 34.5)
    assert api.get("Contacts", params={"where": 'Name=="Echo Co"'}).json()["Contacts"] == []
