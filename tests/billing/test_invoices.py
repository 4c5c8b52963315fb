"""Invoices: issue, change, delete with billing rollback (the local half of INV-9)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.labour import bill_time
from ledgerbridge.billing.models import DocumentStatus, Invoice, InvoiceKind, InvoiceLine
from ledgerbridge.billing.services import delete_invoice, issue_invoice, update_invoice
from ledgerbridge.work.models import TimeEntry
from ledgerbridge.work.services import log_time, ready_for_invoicing

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def line(tax_id: int, qty: str = "2", price: str = "10.0050", **kw: object) -> LineData:
    return LineData(
        description="Backup licence",
        quantity=Decimal(qty),
        unit_price=Decimal(price),
        tax_rate_id=tax_id,
        **kw,  # type: ignore[arg-type]
    )


def test_issue_invoice_numbers_and_totals(customer, gst, today):
    first = issue_invoice(customer, [line(gst.pk)], date=today)
    second = issue_invoice(customer, [line(gst.pk, qty="1", price="0.03")], date=today)
    assert (first.number, second.number) == ("INV-000001", "INV-000002")
    assert (first.subtotal, first.total_tax, first.total) == (
        Decimal("20.01"),
        Decimal("3.00"),
        Decimal("23.01"),
    )
    assert first.due_date == today + dt.timedelta(days=30)
    stored = InvoiceLine.objects.get(invoice=first)
    assert (stored.line_amount, stored.tax_amount) == (Decimal("20.01"), Decimal("3.00"))


def test_invalid_lines_name_the_field_and_save_nothing(customer, gst, today):
    bad = [line(gst.pk), line(gst.pk, qty="-1"), line(999999, price="1.00001")]
    with pytest.raises(ValidationError) as caught:
        issue_invoice(customer, bad, date=today)
    errors = caught.value.message_dict
    assert "lines[1].quantity" in errors
    assert "lines[2].unit_price" in errors and "4 decimal" in errors["lines[2].unit_price"][0]
    assert "lines[2].tax_rate" in errors
    assert Invoice.objects.count() == 0 and InvoiceLine.objects.count() == 0


def test_invoice_needs_a_line(customer, today):
    with pytest.raises(ValidationError, match="at least one line"):
        issue_invoice(customer, [], date=today)
    assert not Invoice.objects.exists()


def test_update_invoice_recomputes_totals_and_keeps_line_ids(customer, gst, no_tax, today):
    invoice = issue_invoice(customer, [line(gst.pk), line(gst.pk)], date=today)
    ids = list(invoice.lines.values_list("pk", flat=True))
    update_invoice(
        invoice,
        [line(no_tax.pk, qty="3", price="100")],
        date=today,
        due_date=None,
        status=DocumentStatus.AUTHORISED,
        reference="PO 77",
        amount_type="Exclusive",
    )
    invoice.refresh_from_db()
    assert list(invoice.lines.values_list("pk", flat=True)) == ids[:1]
    assert (invoice.total, invoice.total_tax, invoice.status) == (
        Decimal("300.00"),
        0,
        "AUTHORISED",
    )


def test_paid_invoice_cannot_be_changed_or_deleted(customer, gst, today):
    invoice = issue_invoice(customer, [line(gst.pk)], date=today)
    Invoice.objects.filter(pk=invoice.pk).update(status=DocumentStatus.PAID)
    with pytest.raises(ValidationError, match="paid"):
        delete_invoice(invoice)
    with pytest.raises(ValidationError, match="no longer be changed"):
        update_invoice(
            invoice,
            [line(gst.pk)],
            date=today,
            due_date=None,
            status="DRAFT",
            reference="",
            amount_type="Exclusive",
        )
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_inv_9_delete_invoice_rolls_time_back_to_ready(ticket, technician, charge_rate, today):
    entries = [
        log_time(
            ticket,
            technician,
            date=today,
            hours=Decimal("1.5"),
            charge_rate=charge_rate,
            summary="Rebooted",
        ),
        log_time(
            ticket,
            technician,
            date=today,
            hours=Decimal("0.25"),
            charge_rate=charge_rate,
            summary="Checked",
        ),
    ]
    [invoice] = bill_time([e.pk for e in entries], date=today)
    assert not ready_for_invoicing().exists()
    released = delete_invoice(invoice)
    assert released == 2
    assert not Invoice.objects.filter(pk=invoice.pk).exists()
    assert sorted(ready_for_invoicing().values_list("pk", flat=True)) == sorted(
        e.pk for e in entries
    )


def test_bill_time_one_invoice_per_customer_one_line_per_ticket_and_rate(
    ticket, technician, charge_rate, customer, gst, today, no_tax
):
    from ledgerbridge.catalog.models import ChargeRate
    from ledgerbridge.customers.models import Customer
    from ledgerbridge.work.models import Ticket

    onsite = ChargeRate.objects.create(
        name="Onsite", hourly_price=Decimal("150"), accounts_code="LAB-ONSITE"
    )
    other = Customer.objects.create(name="Beta Law", account_number="BETA01")
    other_ticket = Ticket.objects.create(customer=other, title="New laptop")
    a = log_time(
        ticket, technician, date=today, hours=Decimal("1"), charge_rate=charge_rate, summary="a"
    )
    b = log_time(
        ticket, technician, date=today, hours=Decimal("2"), charge_rate=charge_rate, summary="b"
    )
    c = log_time(
        ticket, technician, date=today, hours=Decimal("1.25"), charge_rate=onsite, summary="c"
    )
    d = log_time(
        other_ticket, technician, date=today, hours=Decimal("0.5"), charge_rate=onsite, summary="d"
    )
    not_billable = log_time(
        ticket,
        technician,
        date=today,
        hours=Decimal("1"),
        charge_rate=onsite,
        summary="internal",
        billable=False,
    )
    assert not_billable not in ready_for_invoicing()

    invoices = bill_time([a.pk, b.pk, c.pk, d.pk], date=today)
    assert len(invoices) == 2
    acme = next(i for i in invoices if i.customer == customer)
    assert acme.kind == InvoiceKind.LABOUR
    lines = list(acme.lines.order_by("position"))
    assert [(ln.quantity, ln.item_code) for ln in lines] == [
        (Decimal("3.0000"), "LAB-REMOTE"),
        (Decimal("1.2500"), "LAB-ONSITE"),
    ]
    assert set(lines[0].time_entries.all()) == {a, b}
    # 3h x 120 = 360.00 + 15% = 54.00; 1.25h x 150 = 187.50 + 28.125 -> 28.13
    assert (acme.subtotal, acme.total_tax, acme.total) == (
        Decimal("547.50"),
        Decimal("82.13"),
        Decimal("629.63"),
    )
    beta = next(i for i in invoices if i.customer == other)
    assert beta.total_tax == 0  # no default tax rate: the zero rate
    assert TimeEntry.objects.filter(invoice_line__isnull=True, billable=True).count() == 0


def test_bill_time_refuses_already_billed_entries(ticket, technician, charge_rate, today):
    entry = log_time(
        ticket, technician, date=today, hours=Decimal("1"), charge_rate=charge_rate, summary="x"
    )
    bill_time([entry.pk], date=today)
    with pytest.raises(ValidationError, match="already invoiced"):
        bill_time([entry.pk], date=today)
    with pytest.raises(ValidationError, match="do not exist"):
        bill_time([entry.pk + 100], date=today)
    assert Invoice.objects.count() == 1


def test_absurd_amounts_are_refused_naming_the_line_not_overflowing(customer, gst, today):
    huge = LineData("Too much", Decimal("999999999"), Decimal("999999999"), gst.pk)
    with pytest.raises(ValidationError) as caught:
        issue_invoice(customer, [huge], date=today)
    assert "lines[0].quantity" in caught.value.message_dict
    many = [LineData("Big", Decimal("1000000"), Decimal("900000"), gst.pk)] * 12
    with pytest.raises(ValidationError, match="split the document"):
        issue_invoice(customer, many, date=today)
    assert not Invoice.objects.exists()


def test_inv_9_removing_a_labour_line_releases_exactly_its_own_time(
    customer, technician, charge_rate, today
):
    from ledgerbridge.work.models import Ticket

    printer = Ticket.objects.create(customer=customer, title="Printer")
    email = Ticket.objects.create(customer=customer, title="Email")
    e1 = log_time(
        printer, technician, date=today, hours=Decimal(1), charge_rate=charge_rate, summary="p"
    )
    e2 = log_time(
        email, technician, date=today, hours=Decimal(2), charge_rate=charge_rate, summary="e"
    )
    [invoice] = bill_time([e1.pk, e2.pk], date=today)
    lines = list(invoice.lines.order_by("position"))
    keep = lines[1]
    update_invoice(
        invoice,
        [
            LineData(
                keep.description,
                keep.quantity,
                keep.unit_price,
                keep.tax_rate_id,
                item_code=keep.item_code,
                charge_rate_id=keep.charge_rate_id,
            )
        ],
        date=today,
        due_date=None,
        status="DRAFT",
        reference="",
        amount_type="Exclusive",
    )
    assert list(ready_for_invoicing()) == [e1]  # the removed line's time, and only it
    [remaining] = invoice.lines.all()
    assert remaining.pk == keep.pk and list(remaining.time_entries.all()) == [e2]


def test_a_line_id_of_another_document_is_refused(customer, gst, today):
    first = issue_invoice(customer, [line(gst.pk)], date=today)
    second = issue_invoice(customer, [line(gst.pk)], date=today)
    foreign = first.lines.get().pk
    with pytest.raises(ValidationError) as caught:
        update_invoice(
            second,
            [line(gst.pk, line_id=foreign)],
            date=today,
            due_date=None,
            status="DRAFT",
            reference="",
            amount_type="Exclusive",
        )
    assert "lines[0].line_id" in caught.value.message_dict
    assert first.lines.get().pk == foreign
