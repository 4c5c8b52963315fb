"""Compare with Xero, field by field: what we would send against what Xero holds, with Xero's
own spellings (dates, decimals, keyed lists, tracking in any order)."""

from __future__ import annotations

from ledgerbridge.xero.compare import differences

OURS = {
    "InvoiceID": "ours-1",
    "Type": "ACCREC",
    "Contact": {"ContactID": "c-1"},
    "Date": "2026-11-02",
    "Status": "AUTHORISED",
    "LineItems": [
        {
            "LineItemID": "l-1",
            "Description": "Work",
            "Quantity": 1.5,
            "UnitAmount": 120.0,
            "ItemCode": "LAB",
            "TaxType": "OUTPUT2",
            "Tracking": [{"Name": "Region", "Option": "North"}, {"Name": "Dept", "Option": "IT"}],
        }
    ],
}
XERO = {
    "InvoiceID": "ours-1",
    "Type": "ACCREC",
    "Contact": {"ContactID": "c-1", "Name": "Acme"},
    "Date": "/Date(1793577600000+0000)/",
    "DateString": "2026-11-02T00:00:00",
    "Status": "AUTHORISED",
    "LineItems": [
        {
            "LineItemID": "x-9",
            "Description": "Work",
            "Quantity": "1.5000",
            "UnitAmount": 120,
            "ItemCode": "LAB",
            "TaxType": "OUTPUT2",
            "LineAmount": 180,
            "Tracking": [{"Name": "Dept", "Option": "IT"}, {"Name": "Region", "Option": "North"}],
        }
    ],
}


def test_the_same_invoice_in_xeros_spelling_has_no_difference():
    assert differences(OURS, XERO) == []


def test_each_changed_field_is_named_with_both_values():
    held = {
        **XERO,
        "Contact": {"ContactID": "c-2"},
        "DateString": "2026-11-03T00:00:00",
        "Status": "DRAFT",
        "LineItems": [
            {
                **XERO["LineItems"][0],
                "Quantity": 2,
                "TaxType": "NONE",
                "Tracking": [{"Name": "Region", "Option": "South"}],
            },
            {"Description": "Extra"},
        ],
    }
    found = {name: (ours, theirs) for name, ours, theirs in differences(OURS, held)}
    assert found["Contact.ContactID"] == ("c-1", "c-2")  # whose invoice it is counts
    assert found["Date"] == ("2026-11-02", "2026-11-03")  # Xero's day, as a day
    assert found["Status"] == ("AUTHORISED", "DRAFT")
    assert found["LineItems count"] == ("1", "2")
    assert found["LineItems[1].Quantity"] == ("1.5", "2")
    assert found["LineItems[1].TaxType"] == ("OUTPUT2", "NONE")
    assert found["LineItems[1].Tracking"] == ("Dept: IT, Region: North", "Region: South")
    assert "InvoiceID" not in found and "LineItems[1].LineItemID" not in found


def test_contact_lists_are_compared_by_their_type():
    ours = {
        "Name": "Acme",
        "Addresses": [
            {"AddressType": "POBOX", "City": "Auckland"},
            {"AddressType": "STREET", "City": ""},
        ],
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "555"}],
    }
    held = {
        "Name": "Acme",
        "Addresses": [
            {"AddressType": "STREET"},
            {"AddressType": "POBOX", "City": "Wellington"},
        ],
        "Phones": [{"PhoneType": "MOBILE"}, {"PhoneType": "DEFAULT", "PhoneNumber": "555"}],
    }
    assert differences(ours, held) == [("Addresses[POBOX].City", "Auckland", "Wellington")]
