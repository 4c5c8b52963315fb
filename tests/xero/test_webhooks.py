"""The way back from Xero, with the sandbox delivering real signed webhooks to a live server:
intent to receive, bad signatures, duplicates (WH-4); a contact renamed in Xero (WH-2); a
payment in Xero on the PSA invoice, a void in Xero rolling its billing back (WH-3); our own
write not bouncing back; switches per organisation (WH-1); the inbox and Replay."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from ledgerbridge.accounts.models import ApiToken
from ledgerbridge.billing.credit_notes import issue_credit_note
from ledgerbridge.billing.labour import bill_time
from ledgerbridge.billing.models import CreditNote, DocumentStatus, Invoice
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.catalog.models import ChargeRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.customers.services import update_customer
from ledgerbridge.sync.models import Link, SyncSettings, SyncState
from ledgerbridge.work.models import Ticket, TimeEntry
from ledgerbridge.work.services import log_time
from ledgerbridge.xero import webhooks
from ledgerbridge.xero.models import EventStatus, WebhookEvent, WebhookKey

from .documents import DAY, lines, link, make_world, push
from .helpers import admin_call, connect, fast_client

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "wh-signing-key-for-tests"


@pytest.fixture
def world(xero_settings, sandbox, live_server) -> dict[str, Any]:
    nz = connect(sandbox, "NZ books", "Demo Company (NZ)")
    made = make_world(nz)
    webhooks.save_key(KEY)
    url = live_server.url + reverse("xero:webhook_endpoint")
    subscribed = admin_call(sandbox, "POST", "webhook", url=url, key=KEY)
    assert subscribed["status"] == "ACTIVE", subscribed  # intent to receive passed
    for name in ("contacts_created", "contacts_updated", "invoices_created", "invoices_updated"):
        setattr(nz, f"wh_{name}", True)
    nz.save()
    return {**made, "nz": nz, "sandbox": sandbox}


def settle(world: dict[str, Any], found: Callable[[], Any], what: str) -> Any:
    """Wait for the sandbox's delivery, apply what arrived, until `found()` holds."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        webhooks.apply_pending(client_for=fast_client)
        result = found()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen; inbox: {list(WebhookEvent.objects.values())}")


def test_wh_4_intent_to_receive_signatures_duplicates_and_bad_input(world):
    key = WebhookKey.get()
    assert key.intent_passed_at is not None and key.signing_key and KEY not in key.signing_key
    web = Client()
    url = reverse("xero:webhook_endpoint")
    body = json.dumps(
        {
            "events": [
                {
                    "resourceUrl": "https://api.xero.com/api.xro/2.0/Contacts/x",
                    "resourceId": "11111111-2222-3333-4444-555555555555",
                    "eventDateUtc": "2026-12-02T01:02:03.456",
                    "eventType": "Update",
                    "eventCategory": "CONTACT",
                    "tenantId": world["nz"].tenant_id,
                    "tenantType": "ORGANISATION",
                }
            ],
            "firstEventSequence": 7,
            "lastEventSequence": 7,
            "entropy": "ABC",
        }
    ).encode()

    def deliver(data: bytes, signature: str) -> Any:
        return web.post(
            url, data, content_type="application/json", headers={"x-xero-signature": signature}
        )

    refused = deliver(body, webhooks.sign("another key", body))
    assert refused.status_code == 401 and refused.content == b""
    assert not WebhookEvent.objects.filter(sequence=7).exists()
    for _ in range(2):  # the same delivery twice: stored once
        answer = deliver(body, webhooks.sign(KEY, body))
        assert answer.status_code == 200 and answer.content == b""
    assert WebhookEvent.objects.filter(sequence=7).count() == 1
    assert WebhookEvent.objects.get(sequence=7).event_type == "UPDATE"  # any case, as Xero's
    junk = b"not json at all"
    assert deliver(junk, webhooks.sign(KEY, junk)).status_code == 200
    assert WebhookEvent.objects.filter(status=EventStatus.FAILED, reason__contains="not JSON")
    huge = b"{" + b" " * (webhooks.MAX_BODY + 10) + b"}"
    assert deliver(huge, webhooks.sign(KEY, huge)).status_code == 413
    assert web.get(url).status_code == 405
    odd = web.post(url, body, content_type="application/json", headers={"Content-Length": "x"})
    assert odd.status_code in (400, 413)  # never a 500
    webhooks.apply_pending(client_for=fast_client)  # a contact Xero no longer has
    assert WebhookEvent.objects.get(sequence=7).reason == "Xero no longer has this record."


def test_wh_2_a_contact_renamed_in_xero_renames_the_customer_and_our_write_does_not_bounce(
    world, admin
):
    customer = world["customer"]
    contact_id = link(customer, "customer").remote_id
    admin_call(
        world["sandbox"],
        "POST",
        f"organisations/{world['nz'].tenant_id}/contacts/{contact_id}/edit",
        Name="Renamed In Xero Ltd",
    )
    settle(
        world,
        lambda: Customer.objects.filter(pk=customer.pk, name="Renamed In Xero Ltd").exists(),
        "the rename",
    )
    applied = WebhookEvent.objects.get(resource_id__iexact=contact_id, status="applied")
    assert "updated the customer Renamed In Xero Ltd" in applied.reason
    assert link(customer, "customer").state == SyncState.SYNCED  # nothing to send back
    web = Client()
    web.force_login(admin)
    settings_page = web.get(reverse("customers:settings", args=[customer.pk])).content.decode()
    assert "Change from Xero" in settings_page and "updated the customer Renamed" in settings_page

    # Our own change goes to Xero; its echo is recognised and ignored.
    update_customer(Customer.objects.get(pk=customer.pk), {"email": "books@example.com"})
    push(world["nz"], world["org"])
    echo = settle(
        world,
        lambda: (
            WebhookEvent.objects.filter(status="ignored", resource_id__iexact=contact_id)
            .order_by("-id")
            .first()
        ),
        "the echo of our write",
    )
    assert "our own change" in echo.reason
    assert Customer.objects.get(pk=customer.pk).email == "books@example.com"
    assert link(customer, "customer").state == SyncState.SYNCED

    # The inbox lists both, and Replay applies an event again.
    page = web.get(reverse("xero:webhooks", args=[world["nz"].pk])).content.decode()
    assert "updated the customer Renamed In Xero Ltd" in page and "our own change" in page
    web.post(reverse("xero:webhook_replay", args=[world["nz"].pk, applied.pk]))
    applied.refresh_from_db()
    assert applied.status == EventStatus.RECEIVED


def test_wh_3_payments_in_xero_show_on_the_invoice_and_a_void_rolls_billing_back(world, admin):
    invoice = issue_invoice(
        world["customer"],
        lines(world, ("Support", "2", "50")),
        date=DAY,
        status=DocumentStatus.AUTHORISED,
    )
    rate = ChargeRate.objects.create(
        name="Remote", hourly_price=Decimal(100), accounts_code=world["codes"][1]
    )
    ticket = Ticket.objects.create(customer=world["customer"], title="Backup")
    entry = log_time(ticket, admin, date=DAY, hours=Decimal(1), charge_rate=rate, summary="Fix")
    settings = SyncSettings.get()
    settings.default_invoice_status = DocumentStatus.AUTHORISED  # labour is billed approved
    settings.save()
    (labour,) = bill_time([entry.pk], date=DAY)
    push(world["nz"], world["org"])
    tenant = world["nz"].tenant_id
    paid_id, void_id = link(invoice).remote_id, link(labour).remote_id

    # A part payment, then the rest: the invoice shows them, then turns paid.
    admin_call(
        world["sandbox"], "POST", f"organisations/{tenant}/invoices/{paid_id}/pay", amount="40"
    )
    settle(
        world,
        lambda: Decimal(str(link(invoice).snapshot.get("AmountPaid") or 0)) == 40,
        "the part payment",
    )
    web = Client()
    web.force_login(admin)
    page = web.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Paid in Xero</dt><dd>40.00 (75.00 still due)" in page
    assert "Payments in Xero</dt><dd>40.00 on " in page
    admin_call(world["sandbox"], "POST", f"organisations/{tenant}/invoices/{paid_id}/pay")
    settle(
        world,
        lambda: Invoice.objects.filter(pk=invoice.pk, status=DocumentStatus.PAID).exists(),
        "the invoice turning paid",
    )
    refused = web.post(reverse("billing:invoice_delete", args=[invoice.pk]))
    assert refused.status_code == 409
    assert link(invoice).state == SyncState.SYNCED  # nothing sent back

    # A payment removed in Xero: authorised again, with what is still paid.
    with fast_client(world["nz"]) as client:
        payments = client.get(f"/Invoices/{paid_id}")["Invoices"][0]["Payments"]
        client.post(f"/Payments/{payments[-1]['PaymentID']}", {"Status": "DELETED"})
    settle(
        world,
        lambda: Invoice.objects.filter(pk=invoice.pk, status=DocumentStatus.AUTHORISED).exists(),
        "the payment removed",
    )
    assert Decimal(str(link(invoice).snapshot["AmountPaid"])) == 40

    # Voided in Xero: voided here, its time ready for invoicing again.
    admin_call(world["sandbox"], "POST", f"organisations/{tenant}/invoices/{void_id}/void")
    settle(
        world,
        lambda: Invoice.objects.filter(pk=labour.pk, status=DocumentStatus.VOIDED).exists(),
        "the void",
    )
    assert TimeEntry.objects.get(pk=entry.pk).invoice_line_id is None
    event = WebhookEvent.objects.filter(resource_id__iexact=void_id, status="applied").last()
    assert "1 time entries are ready for invoicing again" in event.reason


def test_wh_1_switched_off_events_are_kept_in_the_inbox_with_the_reason(world):
    nz = world["nz"]
    nz.wh_contacts_updated = False
    nz.save()
    contact_id = link(world["customer"], "customer").remote_id
    admin_call(
        world["sandbox"],
        "POST",
        f"organisations/{nz.tenant_id}/contacts/{contact_id}/edit",
        Name="Not Applied Ltd",
    )
    event = settle(
        world,
        lambda: WebhookEvent.objects.filter(
            status="ignored", resource_id__iexact=contact_id
        ).first(),
        "the switched-off event",
    )
    assert "does not apply this kind of event" in event.reason
    assert Customer.objects.get(pk=world["customer"].pk).name == "Invoice Me Ltd"
    assert Link.objects.get(kind="customer", local_id=world["customer"].pk).remote_id == contact_id


def test_wh_3_an_invoice_made_in_xero_for_a_linked_customer_appears_marked_as_such(world):
    contact_id = link(world["customer"], "customer").remote_id
    with fast_client(world["nz"]) as client:
        made = client.put(
            "/Invoices",
            {
                "Invoices": [
                    {
                        "Type": "ACCREC",
                        "Contact": {"ContactID": contact_id},
                        "Date": "2026-11-20",
                        "DueDate": "2026-12-20",
                        "Status": "AUTHORISED",
                        "LineItems": [
                            {
                                "Description": "Typed in Xero",
                                "Quantity": 2,
                                "UnitAmount": 45,
                                "TaxType": "OUTPUT2",
                                "ItemCode": world["codes"][0],
                            }
                        ],
                    }
                ]
            },
        )["Invoices"][0]
    invoice = settle(
        world,
        lambda: Invoice.objects.filter(kind="accounts").first(),
        "the invoice made in Xero",
    )
    assert (
        invoice.external_number == made["InvoiceNumber"] and invoice.customer == world["customer"]
    )
    assert invoice.status == DocumentStatus.AUTHORISED and invoice.total == Decimal("103.50")
    assert invoice.get_kind_display() == "Made in Xero"
    found = link(invoice)
    assert found.remote_id == made["InvoiceID"] and found.state == SyncState.SYNCED
    assert push(world["nz"], world["org"]).calls == 0  # nothing goes back


def test_a_receiver_down_for_a_while_gets_every_change_once_and_the_poll_catches_up(world):
    sandbox, nz = world["sandbox"], world["nz"]
    customer = world["customer"]
    contact_id = link(customer, "customer").remote_id
    admin_call(sandbox, "POST", "settings", webhook_retry_seconds=[0.3] * 50)
    webhooks.save_key("a key Xero does not sign with")  # every delivery is refused: down
    for name in ("Down Once Ltd", "Down Twice Ltd"):
        admin_call(
            sandbox,
            "POST",
            f"organisations/{nz.tenant_id}/contacts/{contact_id}/edit",
            Name=name,
        )
        # Two events of one record in the same millisecond are one event to us (Xero's carry
        # no id of their own); a second apart, they are two.
        admin_call(sandbox, "POST", "clock", advance_seconds=1)
    deadline = time.monotonic() + 60
    while WebhookKey.get().refused_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert WebhookKey.get().refused_at is not None and not WebhookEvent.objects.exists()
    webhooks.save_key(KEY)  # back up: Xero's retry delivers what waited
    settle(
        world,
        lambda: Customer.objects.filter(pk=customer.pk, name="Down Twice Ltd").exists(),
        "the changes made while down",
    )
    assert WebhookEvent.objects.filter(resource_id__iexact=contact_id).count() == 2

    # What no webhook brings (say, the subscription lapsed) the poll finds.
    admin_call(sandbox, "POST", "webhook", url="")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    admin_call(
        sandbox,
        "POST",
        f"organisations/{nz.tenant_id}/contacts/{contact_id}/edit",
        Name="Found By The Poll Ltd",
    )
    with fast_client(nz) as client:
        assert webhooks.catch_up(nz, since, client) >= 1
    # Applied under the organisation's lease, which the live server's own apply (a late
    # delivery) may hold for a moment: applied again until it is done.
    settle(
        world,
        lambda: Customer.objects.filter(pk=customer.pk, name="Found By The Poll Ltd").exists(),
        "the poll's find",
    )
    with fast_client(nz) as client:
        webhooks.catch_up(nz, since, client)  # the same versions again: found once
    assert WebhookEvent.objects.filter(event_type="POLL", status="received").count() == 0
    # The scheduled poll reads each organisation at most every XERO_POLL_MINUTES.
    assert webhooks.poll_due(client_for=fast_client) == 0  # just read
    assert webhooks.poll_due(client_for=fast_client, every=dt.timedelta(0)) == 1


def test_wh_1_the_webhooks_tab_saves_switches_the_key_and_asks_for_a_catch_up(world, admin):
    nz = world["nz"]
    web = Client()
    web.force_login(admin)
    url = reverse("xero:webhooks", args=[nz.pk])
    page = web.get(url).content.decode()
    assert reverse("xero:webhook_endpoint") in page and "Intent to receive" in page
    assert "Passed" in page and KEY not in page  # the key is never shown again
    answer = web.post(url, {"wh_contacts_created": "on", "wh_invoices_updated": "on"})
    assert answer.status_code == 302
    nz.refresh_from_db()
    assert (nz.wh_contacts_created, nz.wh_contacts_updated) == (True, False)
    assert (nz.wh_invoices_created, nz.wh_invoices_updated) == (False, True)
    web.post(reverse("xero:webhook_key", args=[nz.pk]), {"signing_key": "a new key"})
    saved = WebhookKey.get()
    assert "a new key" not in saved.signing_key and saved.intent_passed_at is None
    refused = web.post(reverse("xero:webhook_catch_up", args=[nz.pk]), {"since": "someday"})
    assert refused.status_code == 302
    asked = web.post(reverse("xero:webhook_catch_up", args=[nz.pk]), {"since": "2026-11-01"})
    assert asked.status_code == 302
    assert DBTaskResult.objects.filter(task_path__endswith="catch_up_task").exists()


def test_wh_4_a_flood_of_deliveries_is_answered_and_each_event_stored_once(world):
    web = Client()
    url = reverse("xero:webhook_endpoint")
    for n in range(60):
        body = json.dumps(
            {
                "events": [
                    {
                        "resourceId": f"00000000-0000-0000-0000-{n:012d}",
                        "eventDateUtc": "2026-12-02T01:00:00",
                        "eventType": "UPDATE",
                        "eventCategory": "INVOICE",
                        "tenantId": world["nz"].tenant_id,
                    }
                ]
                * 2,  # the same event twice in one delivery
                "firstEventSequence": n,
                "lastEventSequence": n,
                "entropy": "X",
            }
        ).encode()
        answer = web.post(
            url,
            body,
            content_type="application/json",
            headers={"x-xero-signature": webhooks.sign(KEY, body)},
        )
        assert answer.status_code == 200
    assert WebhookEvent.objects.filter(category="INVOICE").count() == 60


def test_the_webhooks_api_follows_the_tabs_rules(world, admin):
    token = ApiToken.issue(admin, "tests")[1]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    nz = world["nz"]
    base = f"/api/v1/xero/connections/{nz.pk}"
    shown = api.get(f"{base}/webhooks").json()
    assert shown["key_saved"] and shown["contacts_updated"] and "signing_key" not in shown
    body = {
        "contacts_created": False,
        "contacts_updated": True,
        "invoices_created": False,
        "invoices_updated": False,
    }
    assert api.put(f"{base}/webhooks", body, "application/json").json()["invoices_updated"] is False
    refused = api.put(f"{base}/webhooks", {"contacts_created": "maybe"}, "application/json")
    assert refused.status_code == 422
    assert (
        api.put("/api/v1/xero/webhook-key", {"signing_key": ""}, "application/json").status_code
        == 422
    )
    assert (
        api.put("/api/v1/xero/webhook-key", {"signing_key": KEY}, "application/json").status_code
        == 204
    )
    contact_id = link(world["customer"], "customer").remote_id
    admin_call(
        world["sandbox"],
        "POST",
        f"organisations/{nz.tenant_id}/contacts/{contact_id}/edit",
        Name="Via The Api Ltd",
    )
    settle(world, lambda: Customer.objects.filter(name="Via The Api Ltd").exists(), "the rename")
    page = api.get(f"{base}/webhook-events", status="applied").json()
    assert page["count"] >= 1 and page["items"][0]["resource_id"].lower() == contact_id.lower()
    event_id = page["items"][0]["id"]
    replayed = api.post(f"{base}/webhook-events/{event_id}/replay", {}, "application/json")
    assert replayed.status_code == 200 and replayed.json()["status"] == "received"
    assert (
        api.post(f"{base}/webhook-events/999999/replay", {}, "application/json").status_code == 404
    )
    queued = api.post(
        f"{base}/webhook-events/catch-up", {"since": "2026-11-01"}, "application/json"
    )
    assert queued.status_code == 202
    bad = api.post(f"{base}/webhook-events/catch-up", {"since": "soon"}, "application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "since"


def test_wh_3_events_applied_out_of_order_leave_the_newest_state(world):
    contact_id = link(world["customer"], "customer").remote_id
    for name in ("First Rename Ltd", "Second Rename Ltd"):
        admin_call(
            world["sandbox"],
            "POST",
            f"organisations/{world['nz'].tenant_id}/contacts/{contact_id}/edit",
            Name=name,
        )
    settle(
        world,
        lambda: (
            Customer.objects.filter(name="Second Rename Ltd").exists()
            and not WebhookEvent.objects.filter(status="received").exists()
        ),
        "both renames",
    )
    # The older event arrives again, late (replayed): the newer state stands.
    oldest = WebhookEvent.objects.filter(resource_id__iexact=contact_id).order_by("id").first()
    webhooks.replay(oldest)
    webhooks.apply_pending(client_for=fast_client)
    oldest.refresh_from_db()
    assert oldest.status == EventStatus.IGNORED and "already hold this version" in oldest.reason
    assert Customer.objects.get(pk=world["customer"].pk).name == "Second Rename Ltd"


def test_wh_1_with_creates_switched_off_a_record_made_in_xero_stays_out_even_when_updated(world):
    nz = world["nz"]
    nz.wh_invoices_created = False
    nz.save()
    contact_id = link(world["customer"], "customer").remote_id
    line = {"Description": "Made there", "Quantity": 1, "UnitAmount": 10, "TaxType": "OUTPUT2"}
    with fast_client(nz) as client:
        made = client.put(
            "/Invoices",
            {
                "Invoices": [
                    {
                        "Type": "ACCREC",
                        "Contact": {"ContactID": contact_id},
                        "Date": "2026-11-20",
                        "DueDate": "2026-11-30",
                        "LineItems": [line],
                    }
                ]
            },
        )["Invoices"][0]
        client.post(
            "/Invoices",
            {"Invoices": [{"InvoiceID": made["InvoiceID"], "Reference": "Edited there"}]},
        )
    updated = settle(
        world,
        lambda: WebhookEvent.objects.filter(
            resource_id__iexact=made["InvoiceID"], event_type="UPDATE", status="ignored"
        ).first(),
        "the update of an invoice made in Xero",
    )
    assert "switched off" in updated.reason
    assert not Invoice.objects.filter(kind="accounts").exists()


def test_cn_5_credit_notes_approved_allocated_and_voided_in_xero_come_back_by_webhook(world):
    invoice = issue_invoice(
        world["customer"],
        lines(world, ("Support", "2", "50")),
        date=DAY,
        status=DocumentStatus.AUTHORISED,
    )
    push(world["nz"], world["org"])
    note = issue_credit_note(
        world["customer"],
        lines(world, ("Credit", "1", "20")),
        date=DAY,
        invoice=invoice,
        status=DocumentStatus.DRAFT,
    )
    spare = issue_credit_note(
        world["customer"],
        lines(world, ("Spare credit", "1", "10")),
        date=DAY,
        status=DocumentStatus.AUTHORISED,
    )
    push(world["nz"], world["org"])
    assert link(note, "allocation").state == SyncState.NOT_ELIGIBLE  # a draft allocates nothing
    note_id, spare_id = link(note, "credit_note").remote_id, link(spare, "credit_note").remote_id
    with fast_client(world["nz"]) as client:  # a Xero user approves the draft
        client.post(f"/CreditNotes/{note_id}", {"CreditNotes": [{"Status": "AUTHORISED"}]})
        client.post(f"/CreditNotes/{spare_id}", {"CreditNotes": [{"Status": "VOIDED"}]})
    settle(
        world,
        lambda: (
            CreditNote.objects.filter(pk=note.pk, status=DocumentStatus.AUTHORISED).exists()
            and CreditNote.objects.filter(pk=spare.pk, status=DocumentStatus.VOIDED).exists()
        ),
        "the approval and the void",
    )
    # Approved there, its credit may go: the next run allocates it to the invoice.
    push(world["nz"], world["org"])
    assert link(note, "allocation").state == SyncState.SYNCED
    note.refresh_from_db()
    assert (note.status, note.amount_allocated) == (DocumentStatus.PAID, Decimal("23.00"))
    # A Xero user allocates credit of their own to the invoice: it comes back by webhook.
    with fast_client(world["nz"]) as client:
        made = client.put(
            "/CreditNotes",
            {
                "CreditNotes": [
                    {
                        "Type": "ACCRECCREDIT",
                        "Contact": {"ContactID": link(world["customer"], "customer").remote_id},
                        "Status": "AUTHORISED",
                        "LineItems": [
                            {
                                "Description": "Xero's own credit",
                                "Quantity": 1,
                                "UnitAmount": 10,
                                "TaxType": "OUTPUT2",
                                "AccountCode": "200",
                            }
                        ],
                    }
                ]
            },
        )["CreditNotes"][0]
        client.put(
            f"/CreditNotes/{made['CreditNoteID']}/Allocations",
            {
                "Allocations": [
                    {
                        "Amount": 11.5,
                        "Date": DAY.isoformat(),
                        "Invoice": {"InvoiceID": link(invoice).remote_id},
                    }
                ]
            },
        )
    settle(
        world,
        lambda: (
            Invoice.objects.filter(pk=invoice.pk, amount_credited=Decimal("34.50")).exists()
            and CreditNote.objects.filter(
                external_number=made["CreditNoteNumber"], amount_allocated=Decimal("11.50")
            ).exists()
        ),
        "the credit allocated in Xero",
    )
