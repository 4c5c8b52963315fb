"""Ready for invoicing -> Bill selected -> the invoice -> delete -> the time is ready again,
through the screens; and what technicians may see and change of time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.accounts.models import User
from ledgerbridge.billing.models import Invoice
from ledgerbridge.customers.models import Customer
from ledgerbridge.work.models import Ticket, TimeEntry
from ledgerbridge.work.services import log_time

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


def log(ticket: Ticket, agent: User, charge_rate, hours: str, summary: str = "Work") -> TimeEntry:
    return log_time(
        ticket, agent, date=DAY, hours=Decimal(hours), charge_rate=charge_rate, summary=summary
    )


def test_ready_bill_invoice_delete_ready_again(
    billing_client: Client, technician: User, ticket: Ticket, charge_rate, no_tax
) -> None:
    other_customer = Customer.objects.create(name="Zenith Vets")  # no default tax: zero rate
    other_ticket = Ticket.objects.create(customer=other_customer, title="Wi-Fi drops")
    first = log(ticket, technician, charge_rate, "1.5", "Toner")
    second = log(ticket, technician, charge_rate, "0.25", "Queue")
    third = log(other_ticket, technician, charge_rate, "2", "Access point")
    unbillable = log_time(
        ticket,
        technician,
        date=DAY,
        hours=Decimal(1),
        charge_rate=charge_rate,
        summary="Coffee",
        billable=False,
    )

    # The list groups ready time by customer, with a select-all per customer.
    page = billing_client.get(reverse("billing:ready")).content.decode()
    assert page.index("Acme Dental") < page.index("Zenith Vets")
    assert f'data-select-all="c{ticket.customer_id}"' in page
    assert "Toner" in page and "Access point" in page and "Coffee" not in page

    # Nothing selected: refused with a 400 that says what to do.
    response = billing_client.post(reverse("billing:ready"), {"date": "2026-11-24"})
    assert response.status_code == 400
    assert "Select at least one time entry to bill." in response.content.decode()
    # Unknown and malformed ids: 400, nothing billed.
    for bad in (["999999"], ["abc"], [str(unbillable.pk)]):
        response = billing_client.post(
            reverse("billing:ready"), {"entries": bad, "date": "2026-11-24"}
        )
        assert response.status_code == 400
    assert not Invoice.objects.exists()

    # Bill all three: one invoice per customer, then the created invoices are shown.
    chosen = [str(e.pk) for e in (first, second, third)]
    response = billing_client.post(
        reverse("billing:ready"), {"entries": chosen, "date": "2026-11-24"}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("billing:billed"))
    acme = Invoice.objects.get(customer=ticket.customer)
    zenith = Invoice.objects.get(customer=other_customer)
    page = response.content.decode()
    assert acme.number in page and zenith.number in page
    # 1.75 h x 120.00 = 210.00, GST 15% = 31.50; 2 h at no tax = 240.00.
    assert (acme.subtotal, acme.total_tax, acme.total) == (
        Decimal("210.00"),
        Decimal("31.50"),
        Decimal("241.50"),
    )
    assert zenith.total == Decimal("240.00") and zenith.total_tax == Decimal("0.00")

    # The invoice page shows lines, tax per line, totals as stored, and the time billed.
    detail = billing_client.get(reverse("billing:invoice_detail", args=[acme.pk])).content.decode()
    for text in (
        "210.00",
        "31.50",
        "241.50",
        "LAB-REMOTE",
        "Billed 2 time entries",
        "Toner",
        "Queue",
    ):
        assert text in detail
    # Billing twice is refused: the time is already on an invoice.
    response = billing_client.post(
        reverse("billing:ready"), {"entries": chosen[:1], "date": "2026-11-24"}
    )
    assert response.status_code == 400
    assert "already invoiced" in response.content.decode()

    # Delete, after a confirmation page that says what will happen.
    confirm = billing_client.get(reverse("billing:invoice_delete", args=[acme.pk])).content.decode()
    assert "2 time entries it billed will be ready for invoicing again" in confirm
    response = billing_client.post(reverse("billing:invoice_delete", args=[acme.pk]), follow=True)
    page = response.content.decode()
    assert "2 time entries are ready for invoicing again" in page
    assert response.redirect_chain[-1][0] == reverse("billing:ready")
    assert "Toner" in page and "Queue" in page
    assert not Invoice.objects.filter(pk=acme.pk).exists()
    assert TimeEntry.objects.filter(invoice_line__isnull=True, billable=True).count() == 2


def test_technician_sees_and_changes_only_their_own_time(
    tech_client: Client, technician: User, admin: User, ticket: Ticket, charge_rate
) -> None:
    own = log(ticket, technician, charge_rate, "1", "Mine")
    theirs = log(ticket, admin, charge_rate, "3", "Someone else's")

    page = tech_client.get(reverse("work:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Mine" in page and "Someone else&#x27;s" not in page and "Someone else's" not in page
    # No agent to pick: a technician logs time as themselves, whatever they post.
    assert 'name="agent"' not in page
    data = {
        "agent": admin.pk,
        "date": "2026-11-24",
        "hours": "0.5",
        "charge_rate": charge_rate.pk,
        "summary": "Posted as admin?",
        "billable": "on",
    }
    assert (
        tech_client.post(reverse("work:ticket_detail", args=[ticket.pk]), data).status_code == 302
    )
    assert TimeEntry.objects.get(summary="Posted as admin?").agent_id == technician.pk

    # Another agent's time: 403 to edit or delete, and nothing changes.
    assert tech_client.get(reverse("work:time_edit", args=[theirs.pk])).status_code == 403
    edit = {**data, "summary": "Hijacked", "hours": "9"}
    assert tech_client.post(reverse("work:time_edit", args=[theirs.pk]), edit).status_code == 403
    assert tech_client.post(reverse("work:time_delete", args=[theirs.pk])).status_code == 403
    theirs.refresh_from_db()
    assert (theirs.summary, theirs.hours) == ("Someone else's", Decimal("3.00"))

    # Their own: may change it.
    response = tech_client.post(reverse("work:time_edit", args=[own.pk]), {**data, "hours": "2"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.hours == Decimal("2.00")


def test_billed_time_cannot_be_edited(
    billing_client: Client, admin: User, ticket: Ticket, charge_rate, admin_client: Client
) -> None:
    entry = log(ticket, admin, charge_rate, "1", "Billed work")
    billing_client.post(reverse("billing:ready"), {"entries": [entry.pk], "date": "2026-11-24"})
    entry.refresh_from_db()
    assert entry.is_billed
    response = admin_client.get(reverse("work:time_edit", args=[entry.pk]), follow=True)
    assert "already on an invoice" in response.content.decode()
    data = {
        "agent": admin.pk,
        "date": "2026-11-24",
        "hours": "5",
        "charge_rate": charge_rate.pk,
        "summary": "Changed",
        "billable": "on",
    }
    admin_client.post(reverse("work:time_edit", args=[entry.pk]), data)
    response = admin_client.post(reverse("work:time_delete", args=[entry.pk]))
    assert response.status_code == 409
    entry.refresh_from_db()
    assert (entry.hours, entry.summary) == (Decimal("1.00"), "Billed work")
