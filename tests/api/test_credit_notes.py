"""Credit notes through the API: against an invoice (some of its lines), standalone, a negative
invoice coming back as a credit note, the customer's balance, and bad input answered 4xx with
the field named and nothing half-saved."""

from __future__ import annotations

from ledgerbridge.billing.models import CreditNote, Invoice
from ledgerbridge.catalog.models import TaxRate
from ledgerbridge.customers.models import Customer

from .conftest import ApiClient, fields_of


def _invoice(api: ApiClient, customer: Customer, gst: TaxRate, status: str = "AUTHORISED") -> dict:
    body = {
        "customer": customer.pk,
        "date": "2026-11-20",
        "status": status,
        "lines": [
            {"description": "Firewall", "quantity": "2", "unit_price": "100", "tax_rate": gst.pk},
            {"description": "Visit", "quantity": "1", "unit_price": "50", "tax_rate": gst.pk},
        ],
    }
    response = api.post("/invoices/", body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_cn_1_credit_some_lines_of_an_invoice_and_see_the_balance(
    billing_api: ApiClient, customer: Customer, gst: TaxRate
) -> None:
    invoice = _invoice(billing_api, customer, gst)
    assert (invoice["document"], invoice["total"], invoice["amount_due"]) == (
        "invoice",
        "287.50",
        "287.50",
    )
    visit = invoice["lines"][1]["id"]
    made = billing_api.post(
        "/credit-notes/",
        {
            "invoice": invoice["id"],
            "invoice_lines": [visit],
            "date": "2026-11-22",
            "status": "AUTHORISED",
            "reason": "Visit not needed",
        },
    )
    assert made.status_code == 201, made.content
    note = made.json()
    assert (note["document"], note["kind"], note["customer"], note["invoice"]) == (
        "credit_note",
        "invoice",
        customer.pk,
        invoice["id"],
    )
    assert note["number"].startswith("CN-") and note["total"] == "57.50"
    assert [line["description"] for line in note["lines"]] == ["Visit"]
    assert note["remaining_credit"] == "57.50"
    listed = billing_api.get("/credit-notes/", invoice=invoice["id"]).json()
    assert [n["id"] for n in listed["items"]] == [note["id"]]
    (balance,) = billing_api.get(f"/credit-notes/balance/{customer.pk}").json()
    assert (balance["owed"], balance["credit"], balance["balance"]) == ("287.50", "57.50", "230.00")
    # More than is left to credit: refused on `lines`, nothing saved.
    refused = billing_api.post("/credit-notes/", {"invoice": invoice["id"], "date": "2026-11-22"})
    assert refused.status_code == 422 and fields_of(refused) == {"lines"}
    assert CreditNote.objects.count() == 1
    # The invoice cannot be deleted under its credit note; the credit note can.
    assert billing_api.delete(f"/invoices/{invoice['id']}").status_code == 409
    assert billing_api.delete(f"/credit-notes/{note['id']}").status_code == 204
    assert billing_api.delete(f"/invoices/{invoice['id']}").status_code == 200


def test_cn_2_a_standalone_credit_note_and_its_bad_input(
    billing_api: ApiClient, customer: Customer, gst: TaxRate
) -> None:
    line = {"description": "Goodwill", "quantity": "1", "unit_price": "20", "tax_rate": gst.pk}
    made = billing_api.post(
        "/credit-notes/", {"customer": customer.pk, "date": "2026-11-22", "lines": [line]}
    )
    assert made.status_code == 201, made.content
    assert (made.json()["kind"], made.json()["total"]) == ("standalone", "23.00")
    note_id = made.json()["id"]
    changed = billing_api.put(
        f"/credit-notes/{note_id}",
        {"date": "2026-11-23", "status": "AUTHORISED", "lines": [{**line, "quantity": "2"}]},
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["total"], changed.json()["status"]) == ("46.00", "AUTHORISED")
    for body, field in (
        ({"date": "2026-11-22", "lines": [line]}, "customer"),
        ({"customer": customer.pk, "date": "2026-11-22"}, "lines"),
        ({"customer": customer.pk, "date": "2026-11-22", "lines": []}, "lines"),
        ({"customer": 999999, "date": "2026-11-22", "lines": [line]}, "customer"),
        ({"invoice": 999999, "date": "2026-11-22"}, "invoice"),
        (
            {"customer": customer.pk, "date": "2026-11-22", "lines": [line], "invoice_lines": [1]},
            "invoice_lines",
        ),
        (
            {"customer": customer.pk, "date": "2026-11-22", "lines": [{**line, "unit_price": "0"}]},
            "lines",
        ),
    ):
        refused = billing_api.post("/credit-notes/", body)
        assert 400 <= refused.status_code < 500, (body, refused.content)
        assert field in fields_of(refused), (body, refused.json())
    draft = _invoice(billing_api, customer, gst, status="DRAFT")
    refused = billing_api.post("/credit-notes/", {"invoice": draft["id"], "date": "2026-11-22"})
    assert refused.status_code == 422 and fields_of(refused) == {"invoice"}
    assert "draft" in refused.json()["errors"][0]["message"]
    assert CreditNote.objects.count() == 1


def test_cn_3_a_new_invoice_adding_up_to_less_than_zero_comes_back_as_a_credit_note(
    billing_api: ApiClient, customer: Customer, gst: TaxRate
) -> None:
    body = {
        "customer": customer.pk,
        "date": "2026-11-20",
        "lines": [
            {"description": "Licence", "quantity": "1", "unit_price": "10", "tax_rate": gst.pk},
            {"description": "Refund", "quantity": "1", "unit_price": "-50", "tax_rate": gst.pk},
        ],
    }
    made = billing_api.post("/invoices/", body)
    assert made.status_code == 201, made.content
    assert (made.json()["document"], made.json()["kind"], made.json()["total"]) == (
        "credit_note",
        "negative",
        "46.00",
    )
    assert [line["unit_price"] for line in made.json()["lines"]] == ["-10.0000", "50.0000"]
    assert not Invoice.objects.exists()
    # A discount that leaves the invoice at 0 or more keeps it an invoice; an edit taking an
    # invoice below 0 is refused with the fix.
    body["lines"][1]["unit_price"] = "-5"
    kept = billing_api.post("/invoices/", body)
    assert (kept.json()["document"], kept.json()["total"]) == ("invoice", "5.75")
    body["lines"][1]["unit_price"] = "-500"
    del body["customer"]
    changed = billing_api.put(f"/invoices/{kept.json()['id']}", body)
    assert changed.status_code == 422 and fields_of(changed) == {"lines"}
    assert "credit note" in changed.json()["errors"][0]["message"]
