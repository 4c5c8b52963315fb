"""Issue 9: a recurring schedule far behind says why it waits, on the list and on its page,
and its page confirms how many invoices that will raise."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import Invoice, RecurringInvoice
from ledgerbridge.billing.recurring import create_recurring, occurrence

pytestmark = pytest.mark.django_db


def behind(customer, gst, weeks: int) -> tuple[RecurringInvoice, dt.date, dt.date]:
    """A weekly schedule started `weeks` weeks ago: weeks + 1 dates are due."""
    today = timezone.localdate()
    start = today - dt.timedelta(weeks=weeks)
    schedule = create_recurring(
        customer.pk,
        [LineData("Monitoring", Decimal(1), Decimal(50), gst.pk)],
        start_date=start,
        interval_unit="week",
        interval_count=1,
    )
    return schedule, start, occurrence(start, "week", 1, weeks)


def test_the_list_and_the_page_say_why_a_schedule_waits_and_confirm_raises_it(
    billing_client: Client, customer, gst
) -> None:
    schedule, first, last = behind(customer, gst, 13)
    assert billing_client.post(reverse("billing:recurring_raise")).status_code == 302
    assert not Invoice.objects.exists()

    listed = billing_client.get(reverse("billing:recurring_list")).content.decode()
    assert "waits for confirmation" in listed
    assert f"14 invoices due from {first} to {last}" in listed

    url = reverse("billing:recurring_edit", args=[schedule.pk])
    page = billing_client.get(url).content.decode()
    assert f"This will raise 14 invoices, from {first} to {last}." in page
    assert reverse("billing:recurring_confirm", args=[schedule.pk]) in page
    assert ">Confirm<" in page

    confirm = reverse("billing:recurring_confirm", args=[schedule.pk])
    stale = billing_client.post(confirm, {"invoices": "13", "through": last.isoformat()})
    assert stale.status_code == 302
    assert "14 invoices" in billing_client.get(url).content.decode()  # asks again, no change
    assert RecurringInvoice.objects.get().catch_up_approved_through is None

    done = billing_client.post(
        confirm, {"invoices": "14", "through": last.isoformat()}, follow=True
    )
    assert "Confirmed: 14 invoices" in done.content.decode()
    raised = billing_client.post(reverse("billing:recurring_raise"), follow=True)
    assert "Raised 14 invoice(s)" in raised.content.decode()
    assert Invoice.objects.count() == 14
    listed = billing_client.get(reverse("billing:recurring_list")).content.decode()
    assert "waits for confirmation" not in listed


def test_confirming_is_for_the_invoices_area_only(tech_client: Client, customer, gst) -> None:
    schedule, _, last = behind(customer, gst, 5)
    confirm = reverse("billing:recurring_confirm", args=[schedule.pk])
    response = tech_client.post(confirm, {"invoices": "6", "through": last.isoformat()})
    assert response.status_code == 403
    assert RecurringInvoice.objects.get().catch_up_approved_through is None
