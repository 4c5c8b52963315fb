"""A 100-character unbroken name (customer, product, group, ticket) never makes a page wider
than the window (issue 9): tables and headings wrap it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from browsing import sign_in  # tests/, on the path
from ledgerbridge.catalog.models import Product
from ledgerbridge.work.models import TimeEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "W" * 100  # the widest letter, no space or hyphen to break at


def test_hundred_character_names_do_not_widen_any_page(
    live_server, page, admin, customer, product, ticket, charge_rate
):
    customer.name = "Acme" + LONG
    customer.save()
    product.name = "Firewall" + LONG
    product.save()
    product.group.name = "Hardware" + LONG
    product.group.save()
    ticket.title = "Printer" + LONG
    ticket.save()
    TimeEntry.objects.create(
        ticket=ticket,
        agent=admin,
        date=dt.date(2026, 11, 24),
        hours=Decimal("1.5"),
        charge_rate=charge_rate,
        summary="Toner" + LONG,
    )
    assert Product.objects.count() == 1

    sign_in(page, live_server, admin)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")

    screens = [
        reverse("customers:list"),
        reverse("customers:edit", args=[customer.pk]),
        reverse("customers:settings", args=[customer.pk]),
        reverse("catalog:product_list"),
        reverse("catalog:product_edit", args=[product.pk]),
        reverse("catalog:group_list"),
        reverse("catalog:group_edit", args=[product.group.pk]),
        reverse("work:ticket_list"),
        reverse("work:ticket_detail", args=[ticket.pk]),
        reverse("billing:ready"),
    ]
    for width in (1280, 900):
        page.set_viewport_size({"width": width, "height": 900})
        for path in screens:
            page.goto(live_server.url + path)
            assert LONG in page.content(), path
            scroll, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert scroll <= inner, f"{path} at {width}px is {scroll}px wide"
