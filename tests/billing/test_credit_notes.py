"""Credit notes' local rules: what may still be credited on an invoice (credit made in Xero
counts), an invoice with credit against it keeps its status and currency, a credit note whose
allocation is on its way can be neither changed nor deleted, an invoice of no known currency
can be credited, and a negative invoice's Xero number is refused rather than dropped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ledgerbridge.billing.credit_notes import (
    delete_credit_note,
    issue_credit_note,
    open_on,
    record_credit_note_state,
    update_credit_note,
)
from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import CreditNote, DocumentStatus, Invoice
from ledgerbridge.billing.services import (
    issue_invoice,
    issue_invoice_or_credit,
    record_accounting_amounts,
    update_invoice,
)
from ledgerbridge.sync.models import Link, Organisation, SyncSettings, SyncState

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

DAY = dt.date(2026, 11, 20)


def lines(gst, price: str, text: str = "Support") -> list[LineData]:
    return [LineData(text, Decimal(1), Decimal(price), gst.pk)]


def authorised(customer, gst, price: str = "100") -> Invoice:
    return issue_invoice(customer, lines(gst, price), date=DAY, status=DocumentStatus.AUTHORISED)


def test_cn_1_credit_made_in_xero_and_credit_on_its_way_both_count_against_what_is_left(
    customer, gst
):
    invoice = authorised(customer, gst)  # 115.00
    record_accounting_amounts(invoice, Decimal(0), Decimal(60))  # a credit note made in Xero
    invoice.refresh_from_db()
    assert open_on(invoice) == Decimal("55.00")
    with pytest.raises(ValidationError, match="more than is left to credit"):
        issue_credit_note(customer, lines(gst, "50"), date=DAY, invoice=invoice)  # 57.50
    ours = issue_credit_note(customer, lines(gst, "40"), date=DAY, invoice=invoice)  # 46.00
    invoice.refresh_from_db()
    assert open_on(invoice) == Decimal("9.00")
    # Ours allocated in Xero: Xero's credited figure now includes it; nothing counts twice.
    record_credit_note_state(ours, DocumentStatus.PAID, Decimal("46.00"))
    record_accounting_amounts(invoice, Decimal(0), Decimal("106.00"))
    invoice.refresh_from_db()
    assert open_on(invoice) == Decimal("9.00")


def test_cn_1_an_invoice_with_credit_against_it_keeps_its_status_currency_and_amount(customer, gst):
    invoice = authorised(customer, gst)
    issue_credit_note(customer, lines(gst, "80"), date=DAY, invoice=invoice)  # 92.00
    edit = {
        "date": DAY,
        "due_date": None,
        "reference": "",
        "amount_type": "Exclusive",
    }
    with pytest.raises(ValidationError) as refused:
        update_invoice(invoice, lines(gst, "100"), status=DocumentStatus.DRAFT, **edit)
    assert "stays authorised" in refused.value.message_dict["status"][0]
    with pytest.raises(ValidationError) as refused:
        update_invoice(invoice, lines(gst, "10"), status=DocumentStatus.AUTHORISED, **edit)
    assert "raise a credit note instead" in refused.value.message_dict["lines"][0]
    with pytest.raises(ValidationError) as refused:
        update_invoice(
            invoice, lines(gst, "100"), status=DocumentStatus.AUTHORISED, currency="USD", **edit
        )
    assert "currency stays" in refused.value.message_dict["currency"][0]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.total) == (DocumentStatus.AUTHORISED, Decimal("115.00"))


def test_cn_1_a_credit_note_whose_allocation_is_on_its_way_is_neither_changed_nor_deleted(
    customer, gst
):
    org = Organisation.objects.create(integration="xero", remote_id="tenant-1", name="NZ")
    customer.organisation = org
    customer.save()
    invoice = authorised(customer, gst)
    note = issue_credit_note(
        customer, lines(gst, "10"), date=DAY, invoice=invoice, status=DocumentStatus.AUTHORISED
    )
    Link.objects.filter(kind="allocation", local_id=note.pk).update(state=SyncState.IN_FLIGHT)
    with pytest.raises(ValidationError, match="being allocated in Xero"):
        update_credit_note(
            note,
            lines(gst, "5"),
            date=DAY,
            status=DocumentStatus.AUTHORISED,
            reference="",
            reason="",
            amount_type="Exclusive",
        )
    with pytest.raises(ValidationError, match="being allocated in Xero"):
        delete_credit_note(note)
    assert CreditNote.objects.get(pk=note.pk).total == Decimal("11.50")


def test_cn_1_an_invoice_of_no_known_currency_is_credited_in_the_same(customer, gst):
    invoice = authorised(customer, gst)
    assert invoice.currency == ""  # saved before its organisation's currencies were known
    note = issue_credit_note(customer, lines(gst, "10"), date=DAY, invoice=invoice)
    assert note.currency == invoice.currency


def test_cn_3_a_negative_invoice_with_a_xero_number_is_refused_not_dropped(customer, gst):
    settings = SyncSettings.get()
    settings.allow_number_override = True
    settings.save()
    with pytest.raises(ValidationError) as refused:
        issue_invoice_or_credit(customer, lines(gst, "-10"), date=DAY, external_number="XERO-77")
    assert "leave it blank" in refused.value.message_dict["external_number"][0]
    assert not CreditNote.objects.exists() and not Invoice.objects.exists()
