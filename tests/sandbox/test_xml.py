"""XML bodies and answers (issue 10): Xero accepts XML on every write and answers XML unless the
client asks for JSON [S] XERO-FACTS (added 2026-12-01: community clients in Ruby, PHP and Python
send only XML; error bodies as quoted in xeroizer#86). The conformance check reads every XML
body back into JSON by the spec's schemas and validates it like a JSON one."""

from __future__ import annotations

from typing import Any

import defusedxml.ElementTree as SafeET
import httpx

from .conftest import Api

XML = {"Content-Type": "application/xml"}
BAD = {"X-Test-Invalid": "deliberate"}


def send(api: Api, method: str, path: str, xml: str, json_answer: bool = False, **kw: Any) -> Any:
    headers = kw.pop("headers", None) or api.headers(**XML)
    if not json_answer:
        headers.pop("Accept")
    return api.http.request(
        method, "/api.xro/2.0/" + path, content=xml.encode(), headers=headers, **kw
    )


def tree(answer: httpx.Response) -> Any:
    assert answer.headers["content-type"].startswith("text/xml"), answer.headers
    return SafeET.fromstring(answer.content)


def test_xml_contacts_answered_in_json_when_asked_and_in_xml_otherwise(api: Api) -> None:
    as_json = send(
        api,
        "PUT",
        "Contacts",
        "<Contacts><Contact><Name>Xml One</Name></Contact></Contacts>",
        json_answer=True,
    )
    assert as_json.status_code == 200, as_json.text
    assert as_json.json()["Contacts"][0]["Name"] == "Xml One"
    as_xml = send(
        api,
        "PUT",
        "Contacts",
        "<Contact><Name>Xml Two</Name><EmailAddress>two@example.com</EmailAddress></Contact>",
    )
    root = tree(as_xml)
    assert root.tag == "Response" and root.findtext("Status") == "OK"
    contact = root.find("Contacts/Contact")
    assert contact.findtext("Name") == "Xml Two" and contact.findtext("ContactID")
    assert contact.findtext("UpdatedDateUTC").startswith("20")  # ISO in XML, not /Date()/
    listed = api.http.get(
        "/api.xro/2.0/Contacts", headers={k: v for k, v in api.headers().items() if k != "Accept"}
    )
    assert {c.findtext("Name") for c in tree(listed).iter("Contact")} >= {"Xml One", "Xml Two"}


def test_xml_items_invoices_credit_notes_purchase_orders_and_payments(api: Api) -> None:
    item = send(
        api,
        "PUT",
        "Items",
        "<Items><Item><Code>XML-1</Code><Name>Xml item</Name>"
        "<SalesDetails><UnitPrice>12.50</UnitPrice><AccountCode>200</AccountCode></SalesDetails>"
        "<IsSold>true</IsSold></Item></Items>",
    )
    assert float(tree(item).findtext("Items/Item/SalesDetails/UnitPrice")) == 12.5
    lines = (
        "<LineItems><LineItem><Description>Xml work</Description><Quantity>2</Quantity>"
        "<UnitAmount>100</UnitAmount><AccountCode>200</AccountCode><TaxType>OUTPUT2</TaxType>"
        "</LineItem></LineItems>"
    )
    invoice = send(
        api,
        "PUT",
        "Invoices",
        "<Invoices><Invoice><Type>ACCREC</Type><Contact><Name>Xml Buyer</Name></Contact>"
        f"<Date>2026-11-24</Date><Status>AUTHORISED</Status>{lines}</Invoice></Invoices>",
    )
    made = tree(invoice).find("Invoices/Invoice")
    assert float(made.findtext("Total")) == 230 and made.findtext("Status") == "AUTHORISED"
    assert made.findtext("Date") == "2026-11-24T00:00:00"
    invoice_id = made.findtext("InvoiceID")
    note = send(
        api,
        "PUT",
        "CreditNotes",
        "<CreditNotes><CreditNote><Type>ACCRECCREDIT</Type><Contact><Name>Xml Buyer</Name>"
        f"</Contact>{lines}</CreditNote></CreditNotes>",
        json_answer=True,
    )
    assert note.json()["CreditNotes"][0]["Total"] == 230
    order = send(
        api,
        "PUT",
        "PurchaseOrders",
        "<PurchaseOrders><PurchaseOrder><Contact><Name>Xml Supplier</Name></Contact>"
        "<LineItems><LineItem><Description>Cable</Description><Quantity>1</Quantity>"
        "<UnitAmount>20</UnitAmount><AccountCode>300</AccountCode></LineItem></LineItems>"
        "</PurchaseOrder></PurchaseOrders>",
    )
    assert tree(order).findtext("PurchaseOrders/PurchaseOrder/Status") == "DRAFT"
    payment = send(
        api,
        "PUT",
        "Payments",
        f"<Payments><Payment><Invoice><InvoiceID>{invoice_id}</InvoiceID></Invoice>"
        "<Account><Code>090</Code></Account><Amount>30</Amount><Date>2026-11-25</Date>"
        "</Payment></Payments>",
        json_answer=True,
    )
    assert payment.status_code == 200, payment.text
    assert payment.json()["Payments"][0]["Amount"] == 30


def test_xml_validation_errors_come_back_as_an_api_exception(api: Api) -> None:
    """xeroizer#86: ApiException / Elements / DataContractBase xsi:type="Invoice" /
    ValidationErrors."""
    answer = send(
        api,
        "PUT",
        "Invoices",
        "<Invoices><Invoice><Type>ACCREC</Type><Contact><Name>Xml Bad</Name></Contact>"
        "<LineItems><LineItem><Description>x</Description><Quantity>1</Quantity>"
        "<UnitAmount>10</UnitAmount><AccountCode>999</AccountCode></LineItem></LineItems>"
        "</Invoice></Invoices>",
    )
    assert answer.status_code == 400
    root = tree(answer)
    assert root.tag == "ApiException" and root.findtext("Type") == "ValidationException"
    element = root.find("Elements/DataContractBase")
    xsi = "{http://www.w3.org/2001/XMLSchema-instance}type"
    assert element.get(xsi) == "Invoice"
    assert "does not match a recognised account" in element.findtext(
        "ValidationErrors/ValidationError/Message"
    )


def test_unreadable_or_dangerous_xml_is_400(api: Api) -> None:
    """Malformed XML, and XML with a DTD or entities (refused by defusedxml), are a 400
    PostDataInvalidException (XERO-FACTS 5, ErrorNumber 14) and nothing is written."""
    bombs = [
        "<Contacts><Contact><Name>Broken</Contact></Contacts>",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        "<Contacts><Contact><Name>&b;</Name></Contact></Contacts>",
    ]
    for xml in bombs:
        answer = send(
            api, "PUT", "Contacts", xml, json_answer=True, headers=api.headers(**XML, **BAD)
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["Type"] == "PostDataInvalidException"
