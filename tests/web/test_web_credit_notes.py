"""Credit notes through the screens: "Credit this invoice" with its lines filled in, errors
beside their fields with a 400 and nothing saved, a negative invoice raised as a credit note,
the customer's invoices-and-credit tab with its balance, and a refused deletion (409)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.billing.credit_notes import issue_credit_note
from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import CreditNote, DocumentStatus, Invoice
from ledgerbridge.billing.services import issue_invoice
from posting import invoice_post, line  # tests/, on the path

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


def authorised(customer, gst) -> Invoice:
    return issue_invoice(
        customer,
        [
            LineData("Firewall", Decimal(2), Decimal(100), gst.pk),
            LineData("Visit", Decimal(1), Decimal(50), gst.pk),
        ],
        date=DAY,
        status=DocumentStatus.AUTHORISED,
    )


def test_cn_1_credit_this_invoice_fills_its_lines_and_names_what_is_wrong(
    billing_client: Client, customer, gst
) -> None:
    invoice = authorised(customer, gst)
    page = billing_client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content
    credit_url = reverse("billing:invoice_credit", args=[invoice.pk])
    assert credit_url.encode() in page and b"Credit this invoice" in page
    form = billing_client.get(credit_url).content.decode()
    assert 'value="Firewall"' in form and 'value="Visit"' in form
    assert "287.50 may still be credited" in form
    # Crediting more than the invoice: refused beside the lines, nothing saved.
    too_much = invoice_post(
        customer,
        [line(gst, description="Everything", quantity="1", unit_price="999")],
        reason="Outage",
    )
    del too_much["customer"]
    refused = billing_client.post(credit_url, too_much)
    assert refused.status_code == 400
    assert "more than is left to credit on invoice" in refused.content.decode()
    assert not CreditNote.objects.exists()
    # The visit only, with a reason.
    good = invoice_post(
        customer,
        [line(gst, description="Visit", quantity="1", unit_price="50")],
        reason="Visit not needed",
        status="AUTHORISED",
    )
    del good["customer"]
    made = billing_client.post(credit_url, good)
    note = CreditNote.objects.get()
    assert made.status_code == 302 and made["Location"] == reverse(
        "billing:credit_note_detail", args=[note.pk]
    )
    assert (note.invoice_id, note.total, note.reason) == (
        invoice.pk,
        Decimal("57.50"),
        "Visit not needed",
    )
    shown = billing_client.get(made["Location"]).content.decode()
    assert note.number in shown and invoice.number in shown and "Visit not needed" in shown
    # The invoice lists it; the customer's tab shows the balance.
    page = billing_client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content
    assert note.number.encode() in page
    account = billing_client.get(reverse("billing:customer_account", args=[customer.pk]))
    text = account.content.decode()
    assert note.number in text and invoice.number in text
    assert 'class="balance"><strong>230.00</strong>' in text
    tabs = billing_client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert reverse("billing:customer_account", args=[customer.pk]) in tabs


def test_cn_3_a_new_invoice_below_zero_is_raised_as_a_credit_note_on_screen(
    billing_client: Client, customer, gst
) -> None:
    data = invoice_post(
        customer,
        [
            line(gst, description="Licence", quantity="1", unit_price="10"),
            line(gst, description="Refund", quantity="1", unit_price="-50"),
        ],
    )
    answer = billing_client.post(reverse("billing:invoice_create"), data, follow=True)
    note = CreditNote.objects.get()
    assert note.kind == "negative" and note.total == Decimal("46.00")
    assert not Invoice.objects.exists()
    assert "Xero takes no negative invoices" in answer.content.decode()
    listed = billing_client.get(reverse("billing:credit_note_list")).content.decode()
    assert note.number in listed


def test_cn_2_a_standalone_credit_note_on_screen_and_a_refused_deletion(
    billing_client: Client, customer, gst
) -> None:
    url = reverse("billing:credit_note_create")
    assert b"New credit note" in billing_client.get(url + f"?customer={customer.pk}").content
    missing = invoice_post(customer, [line(gst, description="", unit_price="")])
    refused = billing_client.post(url, missing)
    assert refused.status_code == 400 and not CreditNote.objects.exists()
    made = billing_client.post(
        url, invoice_post(customer, [line(gst, description="Goodwill", unit_price="20")])
    )
    assert made.status_code == 302
    note = CreditNote.objects.get()
    # As Xero last said: allocated there, it cannot be deleted here; the page says why.
    CreditNote.objects.filter(pk=note.pk).update(amount_allocated=Decimal("5.00"))
    answer = billing_client.post(reverse("billing:credit_note_delete", args=[note.pk]))
    assert answer.status_code == 409
    assert "remove the allocation in Xero first" in answer.content.decode()
    assert CreditNote.objects.filter(pk=note.pk).exists()
    other = issue_credit_note(
        customer, [LineData("Other", Decimal(1), Decimal(1), gst.pk)], date=DAY
    )
    gone = billing_client.post(reverse("billing:credit_note_delete", args=[other.pk]))
    assert gone.status_code == 302 and not CreditNote.objects.filter(pk=other.pk).exists()
