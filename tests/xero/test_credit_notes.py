"""Credit notes reach Xero as ACCRECCREDIT through the sync engine, against the sandbox over
HTTP: a partial credit note allocated to its synced invoice (whose amount due follows), a
standalone one, a negative manual invoice raised as a credit note, deletion and voiding by
Xero's rules, a lost allocation answer never allocating twice, and a credit note voided in
Xero coming back through the poll."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from ledgerbridge.billing.credit_notes import (
    balances_of,
    delete_credit_note,
    issue_credit_note,
    lines_to_credit,
    update_credit_note,
)
from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import CreditNote, CreditNoteKind, DocumentStatus, Invoice
from ledgerbridge.billing.services import delete_invoice, issue_invoice, issue_invoice_or_credit
from ledgerbridge.sync.models import Link, SyncState
from ledgerbridge.xero import compare, webhooks
from ledgerbridge.xero.imports import run_import, start_import
from ledgerbridge.xero.models import WebhookEvent

from .documents import DAY, in_xero, lines, link, make_world, push
from .helpers import admin_call, connect, fast_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def nz(xero_settings, sandbox):
    return connect(sandbox, "NZ books", "Demo Company (NZ)")


@pytest.fixture
def world(nz) -> dict[str, Any]:
    return make_world(nz)


def synced_invoice(nz, world) -> Invoice:
    invoice = issue_invoice(
        world["customer"],
        lines(world, ("Managed firewall", "2", "100"), ("Onsite visit", "3", "50")),
        date=DAY,
        status=DocumentStatus.AUTHORISED,
    )
    push(nz, world["org"])
    assert link(invoice).state == SyncState.SYNCED
    return invoice


@pytest.mark.postgres
def test_cn_1_a_partial_credit_note_is_allocated_to_its_synced_invoice(nz, world):
    invoice = synced_invoice(nz, world)  # 200 + 150, GST 15%: 402.50
    firewall = invoice.lines.order_by("position").first()
    assert firewall is not None
    note = issue_credit_note(
        world["customer"],
        lines_to_credit(invoice, [firewall.pk]),
        date=DAY + dt.timedelta(days=3),
        invoice=invoice,
        reason="Firewall down for a week",
        status=DocumentStatus.AUTHORISED,
    )
    assert note.number.startswith("CN-") and note.total == Decimal("230.00")
    assert note.kind == CreditNoteKind.INVOICE
    outcome = push(nz, world["org"])
    assert outcome.failed == 0, outcome
    held = link(note, "credit_note")
    assert held.state == SyncState.SYNCED
    xero = in_xero(nz, f"/CreditNotes/{held.remote_id}")
    assert (xero["Type"], xero["CreditNoteNumber"], xero["Total"]) == (
        "ACCRECCREDIT",
        note.number,
        230.0,
    )
    assert xero["Contact"]["ContactID"] == link(world["customer"], "customer").remote_id
    (allocation,) = xero["Allocations"]
    assert allocation["Amount"] == 230.0
    assert allocation["Invoice"]["InvoiceID"] == link(invoice).remote_id
    assert link(note, "allocation").state == SyncState.SYNCED
    # The invoice's amount due follows, in Xero and here.
    theirs = in_xero(nz, f"/Invoices/{link(invoice).remote_id}")
    assert (theirs["AmountCredited"], theirs["AmountDue"]) == (230.0, 172.5)
    invoice.refresh_from_db()
    note.refresh_from_db()
    assert invoice.amount_credited == Decimal("230.00") and invoice.status == "AUTHORISED"
    assert note.amount_allocated == Decimal("230.00") and note.status == DocumentStatus.PAID
    (balance,) = balances_of(world["customer"])
    assert balance.balance == Decimal("172.50")
    # Nothing goes twice: a second run sends nothing, and Xero and we agree.
    again = push(nz, world["org"])
    assert again.calls == 0
    with fast_client(nz) as client:
        result = compare.compare(nz, client)
    assert result.clean, [d.words() for d in result.differences]
    # Allocated in Xero: it can be neither changed nor deleted, and says why.
    with pytest.raises(ValidationError, match="allocated in Xero"):
        delete_credit_note(note)
    with pytest.raises(ValidationError, match=r"no longer be changed|allocated in Xero"):
        update_credit_note(
            note,
            lines_to_credit(invoice, [firewall.pk]),
            date=note.date,
            status=DocumentStatus.AUTHORISED,
            reference="",
            reason="",
            amount_type="Exclusive",
        )
    # And the invoice it credits cannot be deleted under it.
    with pytest.raises(ValidationError, match="credit notes against it"):
        delete_invoice(invoice)


def test_cn_1_a_credit_note_may_not_credit_more_than_is_left_or_another_customers_invoice(
    nz, world
):
    invoice = synced_invoice(nz, world)
    issue_credit_note(
        world["customer"],
        lines_to_credit(invoice),
        date=DAY,
        invoice=invoice,
        status=DocumentStatus.DRAFT,
    )
    with pytest.raises(ValidationError) as refused:
        issue_credit_note(
            world["customer"], lines(world, ("More", "1", "1")), date=DAY, invoice=invoice
        )
    assert "more than is left to credit" in refused.value.message_dict["lines"][0]
    with pytest.raises(ValidationError) as refused:
        issue_credit_note(world["customer"], lines(world, ("Nothing", "1", "0")), date=DAY)
    assert "more than 0" in refused.value.message_dict["lines"][0]
    assert CreditNote.objects.count() == 1  # nothing half-saved


def test_cn_2_a_standalone_credit_note_syncs_with_no_allocation(nz, world):
    note = issue_credit_note(
        world["customer"],
        lines(world, ("Goodwill credit", "1", "40")),
        date=DAY,
        reason="Goodwill",
        status=DocumentStatus.AUTHORISED,
    )
    push(nz, world["org"])
    held = link(note, "credit_note")
    assert held.state == SyncState.SYNCED
    assert not Link.objects.filter(kind="allocation", local_id=note.pk).exists()
    xero = in_xero(nz, f"/CreditNotes/{held.remote_id}")
    assert (xero["Status"], xero["Total"], xero["RemainingCredit"]) == ("AUTHORISED", 46.0, 46.0)
    assert xero["LineItems"][0]["TaxType"] == "OUTPUT2"
    assert [b.balance for b in balances_of(world["customer"])] == [Decimal("-46.00")]
    # Authorised and unallocated: deleting it voids it in Xero, as Xero's rules say.
    delete_credit_note(note)
    push(nz, world["org"])
    assert in_xero(nz, f"/CreditNotes/{held.remote_id}")["Status"] == "VOIDED"
    assert not Link.objects.filter(kind="credit_note", local_id=note.pk).exists()


def test_cn_3_a_negative_manual_invoice_becomes_a_credit_note_never_a_negative_invoice(nz, world):
    made = issue_invoice_or_credit(
        world["customer"],
        [
            *lines(world, ("Backup licence", "1", "20")),
            LineData(
                "Refund of overcharge",
                Decimal(1),
                Decimal(-120),
                world["gst"].pk,
                item_code=world["codes"][0],
            ),
        ],
        date=DAY,
        status=DocumentStatus.AUTHORISED,
    )
    assert isinstance(made, CreditNote) and made.kind == CreditNoteKind.NEGATIVE
    assert made.total == Decimal("115.00")  # (120 - 20) + 15% GST
    assert not Invoice.objects.exists()
    push(nz, world["org"])
    assert link(made, "credit_note").state == SyncState.SYNCED, link(made, "credit_note").reason
    xero = in_xero(nz, f"/CreditNotes/{link(made, 'credit_note').remote_id}")
    assert (xero["Type"], xero["Total"]) == ("ACCRECCREDIT", 115.0)
    contact = link(world["customer"], "customer").remote_id
    with fast_client(nz) as client:
        theirs = client.get("/Invoices", params={"where": 'Type=="ACCREC"'})["Invoices"]
    assert [i for i in theirs if i["Contact"]["ContactID"] == contact] == []
    # An invoice that only discounts stays an invoice.
    kept = issue_invoice_or_credit(
        world["customer"],
        [
            *lines(world, ("Backup licence", "1", "120")),
            LineData("Discount", Decimal(1), Decimal(-20), world["gst"].pk),
        ],
        date=DAY,
    )
    assert isinstance(kept, Invoice) and kept.total == Decimal("115.00")


@pytest.mark.postgres
def test_cn_4_a_lost_allocation_answer_is_looked_up_never_allocated_twice(nz, world, sandbox):
    invoice = synced_invoice(nz, world)
    note = issue_credit_note(
        world["customer"],
        lines(world, ("Partial credit", "1", "100")),
        date=DAY,
        invoice=invoice,
        status=DocumentStatus.AUTHORISED,
    )
    note_only = Link.objects.get(kind="allocation", local_id=note.pk)
    Link.objects.filter(pk=note_only.pk).update(not_before=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))
    push(nz, world["org"])  # the credit note goes; its allocation waits
    Link.objects.filter(pk=note_only.pk).update(not_before=None)
    admin_call(sandbox, "POST", "faults", kind="drop_after_commit", count=10)
    outcome = push(nz, world["org"])
    assert outcome.held
    assert link(note, "allocation").state == SyncState.IN_FLIGHT
    admin_call(sandbox, "DELETE", "faults")
    # Past Xero's idempotency window: sent blindly again, it would be allocated twice.
    admin_call(sandbox, "POST", "clock", advance_seconds=400)
    Link.objects.filter(pk=note_only.pk).update(not_before=None)
    push(nz, world["org"])
    assert link(note, "allocation").state == SyncState.SYNCED
    xero = in_xero(nz, f"/CreditNotes/{link(note, 'credit_note').remote_id}")
    assert [a["Amount"] for a in xero["Allocations"]] == [115.0]  # once
    theirs = in_xero(nz, f"/Invoices/{link(invoice).remote_id}")
    assert theirs["AmountDue"] == 402.5 - 115.0
    invoice.refresh_from_db()
    assert invoice.amount_credited == Decimal("115.00")  # as Xero holds it, counted once


def test_cn_4_xero_telling_of_our_credit_note_before_its_answer_makes_no_twin(nz, world, sandbox):
    for name in ("invoices_created", "invoices_updated"):
        setattr(nz, f"wh_{name}", True)
    nz.save()
    note = issue_credit_note(
        world["customer"],
        lines(world, ("Credit on its way", "1", "10")),
        date=DAY,
        status=DocumentStatus.AUTHORISED,
    )
    admin_call(sandbox, "POST", "faults", kind="drop_after_commit", count=10)
    assert push(nz, world["org"]).held  # Xero made it; its answer was lost
    admin_call(sandbox, "DELETE", "faults")
    with fast_client(nz) as client:
        webhooks.catch_up(nz, dt.datetime(2000, 1, 1, tzinfo=dt.UTC), client)
    webhooks.apply_pending(client_for=fast_client)
    event = WebhookEvent.objects.get(category="CREDITNOTE")
    assert event.status == "ignored" and "on its way" in event.reason
    Link.objects.filter(kind="credit_note", local_id=note.pk).update(not_before=None)
    push(nz, world["org"])
    assert CreditNote.objects.count() == 1
    assert link(note, "credit_note").state == SyncState.SYNCED


def test_cn_5_a_credit_note_voided_in_xero_comes_back_through_the_poll(nz, world):
    note = issue_credit_note(
        world["customer"],
        lines(world, ("Credit to void", "1", "10")),
        date=DAY,
        status=DocumentStatus.AUTHORISED,
    )
    push(nz, world["org"])
    remote = link(note, "credit_note").remote_id
    for name in ("invoices_created", "invoices_updated"):
        setattr(nz, f"wh_{name}", True)
    nz.save()
    with fast_client(nz) as client:  # a Xero user voids it
        client.post(f"/CreditNotes/{remote}", {"CreditNotes": [{"Status": "VOIDED"}]})
        # ...and raises one of their own for our customer.
        contact = link(world["customer"], "customer").remote_id
        client.put(
            "/CreditNotes",
            {
                "CreditNotes": [
                    {
                        "Type": "ACCRECCREDIT",
                        "Contact": {"ContactID": contact},
                        "Status": "AUTHORISED",
                        "LineItems": [
                            {
                                "Description": "Made in Xero",
                                "Quantity": 1,
                                "UnitAmount": 30,
                                "TaxType": "OUTPUT2",
                                "AccountCode": "200",
                            }
                        ],
                    }
                ]
            },
        )
        webhooks.catch_up(nz, dt.datetime(2000, 1, 1, tzinfo=dt.UTC), client)
    webhooks.apply_pending(client_for=fast_client)
    note.refresh_from_db()
    assert note.status == DocumentStatus.VOIDED
    made = CreditNote.objects.get(kind=CreditNoteKind.ACCOUNTS)
    assert made.external_number.startswith("CN-") and made.total == Decimal("34.50")
    assert link(made, "credit_note").state == SyncState.SYNCED  # not sent back
    assert WebhookEvent.objects.filter(category="CREDITNOTE", status="applied").count() == 2
    assert push(nz, world["org"]).calls == 0


def test_cur_cn_a_usd_invoice_is_credited_in_usd_and_a_currency_not_enabled_is_refused(
    nz, world, sandbox
):
    admin_call(sandbox, "POST", f"organisations/{nz.tenant_id}/currencies", Code="USD", Rate="0.6")
    run = start_import(nz, "currencies", background=False)
    with fast_client(nz) as client:
        run_import(run.pk, client=client)
    invoice = issue_invoice(
        world["customer"],
        lines(world, ("Licence in dollars", "1", "100")),
        date=DAY,
        status=DocumentStatus.AUTHORISED,
        currency="USD",
    )
    push(nz, world["org"])
    note = issue_credit_note(
        world["customer"],
        lines(world, ("Half back", "1", "50")),
        date=DAY,
        invoice=invoice,
        status=DocumentStatus.AUTHORISED,
    )
    assert note.currency == "USD"  # credit is given in the currency it was billed in
    push(nz, world["org"])
    xero = in_xero(nz, f"/CreditNotes/{link(note, 'credit_note').remote_id}")
    assert (xero["CurrencyCode"], xero["Total"]) == ("USD", 57.5)
    assert xero["Allocations"][0]["Amount"] == 57.5
    with pytest.raises(ValidationError) as refused:
        issue_credit_note(
            world["customer"],
            lines(world, ("In NZD", "1", "5")),
            date=DAY,
            invoice=invoice,
            currency="NZD",
        )
    assert "credit it in the same currency" in refused.value.message_dict["currency"][0]
    with pytest.raises(ValidationError) as refused:
        issue_credit_note(
            world["customer"], lines(world, ("In euros", "1", "5")), date=DAY, currency="EUR"
        )
    assert "enable it in Xero" in refused.value.message_dict["currency"][0]
    assert CreditNote.objects.count() == 1
