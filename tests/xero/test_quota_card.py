"""The quota card on a connection's screen says as of when its figures were true, and stops
showing "54 of 60 left this minute" once that minute has passed (issue 9)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ledgerbridge.xero.models import Connection

pytestmark = pytest.mark.django_db


def card(admin_client: Client, connection: Connection) -> str:
    page = admin_client.get(reverse("xero:connection", args=[connection.pk])).content.decode()
    start = page.index("<h2>Xero quota</h2>")
    html = page[start : page.index("</section>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def admin_client(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def test_figures_of_a_call_seconds_ago_are_shown_as_of_that_call(admin_client, settings):
    settings.TIME_ZONE = "UTC"
    last = timezone.now() - dt.timedelta(seconds=20)
    connection = Connection.objects.create(
        name="Books",
        minute_remaining=54,
        day_remaining=4990,
        app_minute_remaining=9990,
        last_call_at=last,
    )
    text = card(admin_client, connection)
    assert "Calls left this minute 54 of 60 (as of" in text
    assert f"as of {last:%H:%M:%S}" in text and "0 minutes ago" in text
    assert "4990 of 5000" in text


def test_a_minute_after_the_last_call_the_minute_is_full_again(admin_client):
    connection = Connection.objects.create(
        name="Books",
        minute_remaining=54,
        day_remaining=4990,
        app_minute_remaining=9990,
        last_call_at=timezone.now() - dt.timedelta(minutes=5),
    )
    text = card(admin_client, connection)
    assert "54 of 60" not in text
    full = "Calls left this minute 60 of 60 (full again: a minute has passed since the last call)"
    assert full in text
    assert "10000 of 10000" in text
    # The day's figure is still within its day: shown as of the last call, 5 minutes ago.
    assert "4990 of 5000 (as of" in text and "5 minutes ago" in text


def test_a_day_after_the_last_call_the_day_is_full_again(admin_client):
    connection = Connection.objects.create(
        name="Books",
        minute_remaining=0,
        day_remaining=12,
        last_call_at=timezone.now() - dt.timedelta(days=1, minutes=1),
    )
    text = card(admin_client, connection)
    assert "5000 of 5000 (full again: a day has passed since the last call)" in text


def test_no_call_yet_shows_no_figures(admin_client):
    connection = Connection.objects.create(name="Books")
    text = card(admin_client, connection)
    assert "— of 60" in text and "as of" not in text and "full again" not in text
