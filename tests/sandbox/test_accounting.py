"""Accounting API: contacts, items, invoices, payments, purchase orders, settings, reads."""

from __future__ import annotations

from typing import Any

from .conftest import Api

NZ_SALES = "OUTPUT2"
# Marks a request that breaks the spec on purpose (the conformance test skips its request check).
DELIBERATE = {"X-Test-Invalid": "deliberate"}


def new_contact(api: Api, name: str, **extra: Any) -> dict[str, Any]:
    answer = api.put("Contacts", {"Contacts": [{"Name": name, **extra}]})
    assert answer.status_code == 200, answer.text
    contact: dict[str, Any] = answer.json()["Contacts"][0]
    return contact


def new_invoice(api: Api, contact_id: str, status: str = "DRAFT", **extra: Any) -> dict[str, Any]:
    line = {
        "Description": "Support",
        "Quantity": 2,
        "UnitAmount": 100,
        "AccountCode": "200",
        "TaxType": NZ_SALES,
    }
    body = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact_id},
        "Status": status,
        "LineItems": [line],
        **extra,
    }
    answer = api.put("Invoices", {"Invoices": [body]})
    assert answer.status_code == 200, answer.text
    invoice: dict[str, Any] = answer.json()["Invoices"][0]
    return invoice


def messages(answer: Any) -> list[str]:
    return [m["Message"] for e in answer.json()["Elements"] for m in e["ValidationErrors"]]


def test_envelope_dates_and_404_text(api: Api) -> None:
    body = api.get("Organisation").json()
    assert body["Status"] == "OK" and body["DateTimeUTC"].startswith("/Date(")
    org = body["Organisations"][0]
    assert org["Version"] == "NZ" and org["BaseCurrency"] == "NZD"
    assert org["CreatedDateUTC"].endswith("+0000)/")
    missing = api.get("Contacts/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/plain")
    assert missing.text == "The resource you're looking for cannot be found"


def test_contacts_unique_names_account_numbers_and_archive(api: Api) -> None:
    contact = new_contact(api, "Zeta Plumbing", AccountNumber="ZP1")
    assert contact["UpdatedDateUTC"].startswith("/Date(") and contact["ContactStatus"] == "ACTIVE"
    assert {a["AddressType"] for a in contact["Addresses"]} == {"POBOX", "STREET"}
    dup = api.put("Contacts", {"Contacts": [{"Name": "Zeta Plumbing"}]})
    assert dup.status_code == 400 and dup.json()["Type"] == "ValidationException"
    assert messages(dup) == [
        "The contact name Zeta Plumbing is already assigned to another contact. The contact "
        "name must be unique across all active contacts."
    ]
    dup_number = api.put("Contacts", {"Contacts": [{"Name": "Other", "AccountNumber": "ZP1"}]})
    assert messages(dup_number) == [
        "The Account Number already exists. Please enter a different Account Number."
    ]
    archived = api.post(f"Contacts/{contact['ContactID']}", {"ContactStatus": "ARCHIVED"})
    assert archived.json()["Contacts"][0]["ContactStatus"] == "ARCHIVED"
    listed = api.get("Contacts").json()["Contacts"]
    assert contact["ContactID"] not in [c["ContactID"] for c in listed]
    with_archived = api.get("Contacts", params={"includeArchived": "true"}).json()["Contacts"]
    assert contact["ContactID"] in [c["ContactID"] for c in with_archived]
    edit = api.post("Contacts", {"Contacts": [{"ContactID": contact["ContactID"], "Name": "Z"}]})
    assert "Archived contacts cannot currently be edited via the API." in messages(edit)[0]
    # Invoices cannot use an archived contact.
    bad = api.put(
        "Invoices",
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": [
                        {"Description": "x", "Quantity": 1, "UnitAmount": 1, "AccountCode": "200"}
                    ],
                }
            ]
        },
    )
    assert bad.status_code == 400 and "archived" in messages(bad)[0]


def test_summarize_errors_false_gives_per_element_results(api: Api) -> None:
    answer = api.put(
        "Contacts",
        {
            "Contacts": [
                {"Name": "Alpha"},
                {"Name": ""},
                {"Name": "Beta", "AccountsReceivableTaxType": "NOPE"},
            ]
        },
        params={"summarizeErrors": "false"},
    )
    assert answer.status_code == 200
    results = answer.json()["Contacts"]
    assert [r["StatusAttributeString"] for r in results] == ["OK", "ERROR", "ERROR"]
    assert results[1]["ValidationErrors"] == [{"Message": "Contact Name cannot be empty."}]
    assert results[2]["ValidationErrors"][0]["Message"] == (
        "The TaxType code NOPE does not exist or cannot be used for this type of transaction."
    )
    # Summarised (default): 400 listing only the bad element; the valid sibling is created.
    summary = api.put("Contacts", {"Contacts": [{"Name": "Gamma"}, {"Name": ""}]})
    assert summary.status_code == 400 and len(summary.json()["Elements"]) == 1
    names = [c["Name"] for c in api.get("Contacts").json()["Contacts"]]
    assert "Gamma" in names


def test_is_customer_and_is_supplier_follow_invoices(api: Api) -> None:
    contact = new_contact(api, "Flags Ltd")
    assert contact["IsCustomer"] is False and contact["IsSupplier"] is False
    new_invoice(api, contact["ContactID"])
    api.put(
        "Invoices",
        {
            "Invoices": [
                {
                    "Type": "ACCPAY",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": [
                        {
                            "Description": "Bill",
                            "Quantity": 1,
                            "UnitAmount": 5,
                            "AccountCode": "300",
                        }
                    ],
                }
            ]
        },
    )
    fresh = api.get(f"Contacts/{contact['ContactID']}").json()["Contacts"][0]
    assert fresh["IsCustomer"] is True and fresh["IsSupplier"] is True


def test_invoice_totals_tax_per_line_and_unitdp(api: Api) -> None:
    contact = new_contact(api, "Rounding Co")
    lines = [
        {
            "Description": f"L{i}",
            "Quantity": 1,
            "UnitAmount": 0.3333,
            "AccountCode": "200",
            "TaxType": NZ_SALES,
        }
        for i in range(3)
    ]
    answer = api.put(
        "Invoices",
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": lines,
                }
            ]
        },
        params={"unitdp": "4"},
    )
    invoice = answer.json()["Invoices"][0]
    # Each line: 0.3333 -> LineAmount 0.33, tax 0.05 (0.0495 rounded per line); totals summed.
    assert [line["LineAmount"] for line in invoice["LineItems"]] == [0.33, 0.33, 0.33]
    assert [line["UnitAmount"] for line in invoice["LineItems"]] == [0.3333] * 3
    assert invoice["SubTotal"] == 0.99 and invoice["TotalTax"] == 0.15 and invoice["Total"] == 1.14
    plain = api.get(f"Invoices/{invoice['InvoiceID']}").json()["Invoices"][0]
    assert plain["LineItems"][0]["UnitAmount"] == 0.33
    inclusive = api.put(
        "Invoices",
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "LineAmountTypes": "Inclusive",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": [
                        {
                            "Description": "x",
                            "Quantity": 1,
                            "UnitAmount": 115,
                            "AccountCode": "200",
                            "TaxType": NZ_SALES,
                        }
                    ],
                }
            ]
        },
    )
    body = inclusive.json()["Invoices"][0]
    assert (body["SubTotal"], body["TotalTax"], body["Total"]) == (100.0, 15.0, 115.0)
    assert invoice["Date"].endswith("+0000)/") and invoice["DateString"].endswith("T00:00:00")


def test_invoice_status_rules(api: Api) -> None:
    contact = new_contact(api, "Status Co")
    draft = new_invoice(api, contact["ContactID"])
    assert draft["InvoiceNumber"].startswith("INV-")
    deleted = api.post(f"Invoices/{draft['InvoiceID']}", {"Status": "DELETED"})
    assert deleted.json()["Invoices"][0]["Status"] == "DELETED"
    authorised = new_invoice(api, contact["ContactID"], "AUTHORISED")
    no_delete = api.post(f"Invoices/{authorised['InvoiceID']}", {"Status": "DELETED"})
    assert messages(no_delete) == ["Invoice not of valid status for modification"]
    back = api.post(f"Invoices/{authorised['InvoiceID']}", {"Status": "DRAFT"})
    assert messages(back) == ["Invoice not of valid status for modification"]
    paid_directly = api.post(f"Invoices/{authorised['InvoiceID']}", {"Status": "PAID"})
    assert paid_directly.status_code == 400
    # Part payment, then VOIDED is refused, then full payment makes it PAID.
    pay = {
        "Invoice": {"InvoiceID": authorised["InvoiceID"]},
        "Account": {"Code": "090"},
        "Amount": 30,
        "Date": "2026-11-20",
    }
    assert api.put("Payments", {"Payments": [pay]}).status_code == 200
    partly = api.get(f"Invoices/{authorised['InvoiceID']}").json()["Invoices"][0]
    assert partly["Status"] == "AUTHORISED" and partly["AmountDue"] == 200.0
    void = api.post(f"Invoices/{authorised['InvoiceID']}", {"Status": "VOIDED"})
    assert messages(void) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."
    ]
    rest = {**pay, "Amount": 200}
    assert api.put("Payments", {"Payments": [rest]}).status_code == 200
    paid = api.get(f"Invoices/{authorised['InvoiceID']}").json()["Invoices"][0]
    assert paid["Status"] == "PAID" and paid["AmountDue"] == 0 and paid["AmountPaid"] == 230.0
    edit = api.post(f"Invoices/{authorised['InvoiceID']}", {"Reference": "changed"})
    assert messages(edit) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."
    ]
    other = new_invoice(api, contact["ContactID"], "AUTHORISED")
    voided = api.post(f"Invoices/{other['InvoiceID']}", {"Status": "VOIDED"})
    assert voided.json()["Invoices"][0]["Status"] == "VOIDED"


def test_invoice_validation_messages(api: Api) -> None:
    contact = new_contact(api, "Valid Co")
    first = new_invoice(api, contact["ContactID"], InvoiceNumber="X-1")
    dup = api.put(
        "Invoices",
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "InvoiceNumber": "X-1",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": first["LineItems"][:1],
                }
            ]
        },
    )
    assert messages(dup) == ["Invoice # must be unique."]
    bill = {
        "Type": "ACCPAY",
        "InvoiceNumber": "B-1",
        "Contact": {"ContactID": contact["ContactID"]},
        "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 1, "AccountCode": "300"}],
    }
    assert api.put("Invoices", {"Invoices": [bill, bill]}).status_code == 200  # ACCPAY: not unique
    line = {"Description": "x", "Quantity": 1, "UnitAmount": 1}
    bad = api.put(
        "Invoices",
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": [
                        {**line, "AccountCode": "999"},
                        {**line, "TaxType": "GST on Income"},
                        {**line, "ItemCode": "NOPE"},
                    ],
                }
            ]
        },
    )
    assert messages(bad) == [
        "Account code '999' has been removed as it does not match a recognised account.",
        "The TaxType code GST on Income does not exist or cannot be used for this type of "
        "transaction.",
        "Item code 'NOPE' is not valid.",
    ]
    no_contact = api.put(
        "Invoices", {"Invoices": [{"Type": "ACCREC", "Contact": {}, "LineItems": [line]}]}
    )
    assert messages(no_contact)[0].startswith("The Contact must contain at least 1")
    no_lines = api.put(
        "Invoices",
        {"Invoices": [{"Type": "ACCREC", "Contact": {"ContactID": contact["ContactID"]}}]},
    )
    assert messages(no_lines) == ["One or more line items must be specified"]


def test_invoice_lists_filters_paging_and_modified_since(api: Api) -> None:
    contact = new_contact(api, "Paging Co")
    made = [new_invoice(api, contact["ContactID"]) for _ in range(5)]
    ids = ",".join(i["InvoiceID"] for i in made[:2])
    assert len(api.get("Invoices", params={"IDs": ids}).json()["Invoices"]) == 2
    by_contact = api.get("Invoices", params={"ContactIDs": contact["ContactID"]}).json()["Invoices"]
    assert len(by_contact) == 5 and "LineItems" not in by_contact[0]  # unpaged: no lines
    page = api.get(
        "Invoices", params={"ContactIDs": contact["ContactID"], "page": 2, "pageSize": 2}
    ).json()
    assert page["pagination"] == {"page": 2, "pageSize": 2, "pageCount": 3, "itemCount": 5}
    assert len(page["Invoices"]) == 2 and "LineItems" in page["Invoices"][0]
    numbers = api.get("Invoices", params={"InvoiceNumbers": made[0]["InvoiceNumber"]}).json()
    assert [i["InvoiceID"] for i in numbers["Invoices"]] == [made[0]["InvoiceID"]]
    where = api.get(
        "Invoices",
        params={
            "where": f'Contact.ContactID==Guid("{contact["ContactID"]}") AND Status=="DRAFT"',
            "order": "InvoiceNumber DESC",
        },
    ).json()["Invoices"]
    assert [i["InvoiceNumber"] for i in where] == sorted(
        (i["InvoiceNumber"] for i in made), reverse=True
    )
    statuses = api.get("Invoices", params={"Statuses": "VOIDED"}).json()["Invoices"]
    assert statuses == []
    api.handle.sandbox.clock.advance(5)
    later = new_invoice(api, contact["ContactID"])
    since = api.handle.sandbox.clock.now().replace(microsecond=0).isoformat()
    api.handle.sandbox.clock.advance(5)
    api.post(f"Invoices/{later['InvoiceID']}", {"Reference": "touched"})
    changed = api.get("Invoices", headers={"If-Modified-Since": since}).json()["Invoices"]
    assert [i["InvoiceID"] for i in changed] == [later["InvoiceID"]]
    assert (
        api.get("Invoices", params={"page": 1, "pageSize": 5000}).json()["pagination"]["pageSize"]
        == 1000
    )


def test_items_codes_prices_and_delete(api: Api) -> None:
    item = {
        "Code": "SUP-1",
        "Name": "Support hour",
        "SalesDetails": {"UnitPrice": 95.12345, "AccountCode": "200", "TaxType": NZ_SALES},
    }
    created = api.put("Items", {"Items": [item]}, params={"unitdp": "4"}).json()["Items"][0]
    assert created["SalesDetails"]["UnitPrice"] == 95.1235
    assert created["IsSold"] is True and created["IsPurchased"] is True
    dup = api.put("Items", {"Items": [item]})
    assert messages(dup) == ["Price List Item with Code ''SUP-1'' already exists"]
    updated = api.post("Items", {"Items": [{"Code": "SUP-1", "Name": "Support hour (remote)"}]})
    assert updated.json()["Items"][0]["ItemID"] == created["ItemID"]
    assert api.get("Items/SUP-1").json()["Items"][0]["Name"] == "Support hour (remote)"
    sold = api.get("Items", params={"where": "IsSold==true"}).json()["Items"]
    assert "SUP-1" in [i["Code"] for i in sold]
    long_code = api.put("Items", {"Items": [{"Code": "X" * 31}]}, headers=DELIBERATE)
    assert long_code.status_code == 400
    assert (
        api.http.delete(
            f"/api.xro/2.0/Items/{created['ItemID']}", headers=api.headers()
        ).status_code
        == 204
    )
    assert api.get(f"Items/{created['ItemID']}").status_code == 404


def test_invoice_line_from_item_and_tracking(api: Api) -> None:
    contact = new_contact(api, "Tracked Co")
    api.put(
        "Items",
        {
            "Items": [
                {
                    "Code": "FW",
                    "Description": "Firewall",
                    "SalesDetails": {"UnitPrice": 40, "AccountCode": "200", "TaxType": NZ_SALES},
                }
            ]
        },
    )
    category = api.get("TrackingCategories").json()["TrackingCategories"][0]
    option = category["Options"][0]
    answer = api.put(
        "Invoices",
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": [
                        {
                            "ItemCode": "FW",
                            "Quantity": 2,
                            "Tracking": [{"Name": category["Name"], "Option": option["Name"]}],
                        }
                    ],
                }
            ]
        },
    )
    line = answer.json()["Invoices"][0]["LineItems"][0]
    assert line["UnitAmount"] == 40 and line["LineAmount"] == 80 and line["TaxAmount"] == 12
    assert (
        line["Description"] == "Firewall"
        and line["Tracking"][0]["TrackingOptionID"] == option["TrackingOptionID"]
    )


def test_tracking_categories_at_most_two_active(api: Api) -> None:
    assert api.put("TrackingCategories", {"Name": "Department"}).status_code == 200
    third = api.put("TrackingCategories", {"Name": "Project"})
    assert third.status_code == 400
    added = api.put(
        f"TrackingCategories/{api.get('TrackingCategories').json()['TrackingCategories'][1]['TrackingCategoryID']}/Options",
        {"Options": [{"Name": "Support"}, {"Name": "Projects"}]},
    )
    assert [o["Name"] for o in added.json()["Options"]] == ["Support", "Projects"]


def test_settings_reads_and_tax_rate_creation(api: Api) -> None:
    rates = api.get("TaxRates").json()["TaxRates"]
    assert {"OUTPUT2", "INPUT2", "NONE", "ZERORATED"} <= {r["TaxType"] for r in rates}
    gst = next(r for r in rates if r["TaxType"] == "OUTPUT2")
    assert gst["EffectiveRate"] == 15.0 and gst["Name"] == "GST on Income"
    assert api.get("TaxRates/OUTPUT2").json()["TaxRates"][0]["TaxType"] == "OUTPUT2"
    custom = api.put(
        "TaxRates",
        {"TaxRates": [{"Name": "Levy", "TaxComponents": [{"Name": "Levy", "Rate": 2.5}]}]},
    )
    assert custom.json()["TaxRates"][0]["TaxType"] == "TAX001"
    accounts = api.get("Accounts").json()["Accounts"]
    assert any(a["SystemAccount"] == "ROUNDING" for a in accounts)
    revenue = api.get("Accounts", params={"where": 'Type=="REVENUE"'}).json()["Accounts"]
    assert {a["Code"] for a in revenue} == {"200", "260", "270"}
    dup = api.put("Accounts", {"Code": "200", "Name": "Sales", "Type": "REVENUE"})
    assert dup.status_code == 400
    themes = api.get("BrandingThemes").json()["BrandingThemes"]
    assert themes[0]["SortOrder"] == 0 and themes[0]["Type"] == "INVOICE"


def test_purchase_orders(api: Api) -> None:
    supplier = new_contact(api, "Ingram")
    po = {
        "Contact": {"ContactID": supplier["ContactID"]},
        "DeliveryInstructions": "Back door",
        "LineItems": [
            {"Description": "Switch", "Quantity": 2, "UnitAmount": 150, "AccountCode": "300"}
        ],
    }
    created = api.put("PurchaseOrders", {"PurchaseOrders": [po]}).json()["PurchaseOrders"][0]
    assert created["PurchaseOrderNumber"] == "PO-0001" and created["Total"] == 345.0
    by_number = api.get("PurchaseOrders/PO-0001").json()["PurchaseOrders"][0]
    assert by_number["PurchaseOrderID"] == created["PurchaseOrderID"]
    # [U] PUT with the number of a live PO updates it (the default setting).
    again = api.put(
        "PurchaseOrders",
        {"PurchaseOrders": [{**po, "PurchaseOrderNumber": "PO-0001", "Reference": "R"}]},
    )
    assert again.json()["PurchaseOrders"][0]["PurchaseOrderID"] == created["PurchaseOrderID"]
    # [P] SPEC example: SentToContact on a draft is a warning; the order is saved, not sent.
    sent = api.post(f"PurchaseOrders/{created['PurchaseOrderID']}", {"SentToContact": True})
    assert sent.status_code == 200
    warned = sent.json()["PurchaseOrders"][0]
    assert warned["Warnings"] == [
        {"Message": "Only AUTHORISED and BILLED purchase orders may have SentToContact updated."}
    ]
    assert warned["SentToContact"] is False
    api.post(f"PurchaseOrders/{created['PurchaseOrderID']}", {"Status": "DELETED"})
    dead = api.post(f"PurchaseOrders/{created['PurchaseOrderID']}", {"Reference": "x"})
    assert messages(dead) == ["Deleted PurchaseOrders cannot be updated"]
    listed = api.get("PurchaseOrders", params={"Status": "DELETED", "page": 1}).json()
    assert listed["pagination"]["itemCount"] == 1


def test_credit_notes_allocate_to_an_invoice(api: Api) -> None:
    contact = new_contact(api, "Credit Co")
    invoice = new_invoice(api, contact["ContactID"], "AUTHORISED")
    line = {
        "Description": "Refund",
        "Quantity": 1,
        "UnitAmount": 50,
        "AccountCode": "200",
        "TaxType": NZ_SALES,
    }
    note = api.put(
        "CreditNotes",
        {
            "CreditNotes": [
                {
                    "Type": "ACCRECCREDIT",
                    "Status": "AUTHORISED",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "LineItems": [line],
                }
            ]
        },
    ).json()["CreditNotes"][0]
    assert note["CreditNoteNumber"] == "CN-0001" and note["Total"] == 57.5
    assert note["RemainingCredit"] == 57.5
    allocated = api.put(
        f"CreditNotes/{note['CreditNoteID']}/Allocations",
        {
            "Allocations": [
                {
                    "Invoice": {"InvoiceID": invoice["InvoiceID"]},
                    "Amount": 57.5,
                    "Date": "2026-11-24",
                }
            ]
        },
    )
    assert allocated.status_code == 200, allocated.text
    after = api.get(f"Invoices/{invoice['InvoiceID']}").json()["Invoices"][0]
    assert after["AmountCredited"] == 57.5 and after["AmountDue"] == 172.5
    assert (
        api.get(f"CreditNotes/{note['CreditNoteID']}").json()["CreditNotes"][0]["Status"] == "PAID"
    )
    edit = api.post(f"Invoices/{invoice['InvoiceID']}", {"Reference": "x"})
    assert messages(edit) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."
    ]
    listed = api.get("CreditNotes", params={"page": 1}).json()
    assert listed["pagination"]["itemCount"] == 1


def test_contact_name_on_a_document_renames_and_bad_guid_is_500(api: Api) -> None:
    contact = new_contact(api, "Old Name")
    line = {"Description": "x", "Quantity": 1, "UnitAmount": 1, "AccountCode": "200"}
    api.put(
        "Invoices",
        {
            "Invoices": [
                {
                    "Type": "ACCREC",
                    "LineItems": [line],
                    "Contact": {"ContactID": contact["ContactID"], "Name": "New Name"},
                }
            ]
        },
    )
    assert api.get(f"Contacts/{contact['ContactID']}").json()["Contacts"][0]["Name"] == "New Name"
    broken = api.put(
        "Invoices",
        {
            "Invoices": [
                {"Type": "ACCREC", "LineItems": [line], "Contact": {"ContactID": "not-a-guid"}}
            ]
        },
    )
    assert broken.status_code == 500 and broken.json()["Type"] == "UnknownErrorException"


def test_custom_connection_lists_its_one_organisation(api: Api) -> None:
    connections = api.http.get("/connections", headers={"Authorization": f"Bearer {api.token}"})
    assert [c["tenantId"] for c in connections.json()] == [api.tenant_id]
