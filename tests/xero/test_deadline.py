"""Calls a person waits for have a deadline: past it the page says Xero is busy and offers to try
again, at once; no request thread waits out a rate limit."""

from __future__ import annotations

import time
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.catalog.models import TaxRate
from ledgerbridge.xero.client import XeroClient, reset_budgets
from ledgerbridge.xero.errors import XeroBusy
from ledgerbridge.xero.limits import Budgets, Limits

from .helpers import FakeClock, admin_call, connect, fast_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def nz(xero_settings, sandbox):
    return connect(sandbox, "NZ books", "Demo Company (NZ)")


@pytest.fixture
def web(admin, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = Client()
    client.force_login(admin)
    return client


def importer(connection) -> str:
    return reverse("xero:xero_imports:importer", args=[connection.pk, "customers"])


def use_up_the_minute(sandbox, connection) -> None:
    """Xero's minute limit for the organisation is reached: its next answer is a 429 with a
    Retry-After of most of a minute."""
    admin_call(sandbox, "POST", "settings", minute_limit=1)
    with fast_client(connection) as client:
        client.get("/Organisation")


def test_the_importer_says_xero_is_busy_at_once_when_the_minute_is_used_up(
    web, nz, sandbox, xero_settings
):
    xero_settings.XERO_DEADLINE_SECONDS = 8
    use_up_the_minute(sandbox, nz)
    started = time.monotonic()
    answer = web.get(importer(nz), {"q": "Ridgeway"})
    waited = time.monotonic() - started
    page = unescape(answer.content.decode())
    assert answer.status_code == 503, page[:2000]
    assert "Xero is busy right now" in page and "Try again" in page
    assert f'href="{importer(nz)}?q=Ridgeway"' in page  # the same list, asked again
    assert 'name="ids"' not in page  # nothing to import from
    assert waited < xero_settings.XERO_DEADLINE_SECONDS  # it did not wait out the minute

    # Once Xero has room again, the same link lists the records.
    admin_call(sandbox, "POST", "settings", minute_limit=60)
    admin_call(sandbox, "POST", "clock", advance_seconds=61)
    reset_budgets()  # a fresh process's view: our own budget also remembers the 429
    again = web.get(importer(nz), {"q": "Ridgeway"})
    assert again.status_code == 200 and "Xero is busy" not in again.content.decode()


def test_a_short_retry_after_is_waited_within_the_deadline(web, nz, sandbox):
    admin_call(sandbox, "POST", "faults", kind="429", count=1, tenant_id=nz.tenant_id)
    answer = web.get(importer(nz))
    assert answer.status_code == 200 and 'name="ids"' in answer.content.decode()


def test_the_tax_rate_picker_says_xero_is_busy(web, nz, sandbox, xero_settings):
    rate = TaxRate.objects.create(name="Sales GST", percentage=Decimal(15))
    use_up_the_minute(sandbox, nz)
    started = time.monotonic()
    answer = web.get(reverse("xero:taxrate_link_pick", args=[rate.pk, nz.pk]))
    assert time.monotonic() - started < xero_settings.XERO_DEADLINE_SECONDS
    page = unescape(answer.content.decode())
    assert answer.status_code == 503 and "Xero is busy" in page and "Nothing was changed" in page
    assert "Try again" in page


def test_a_back_off_past_the_deadline_is_not_slept(nz, sandbox):
    admin_call(sandbox, "POST", "faults", kind="503", count=5, tenant_id=nz.tenant_id)
    clock = FakeClock()
    with (
        pytest.raises(XeroBusy, match="not answering well"),
        fast_client(nz, clock, deadline=5, backoff_base=20, backoff_cap=20) as client,
    ):
        client.get("/Organisation")
    assert clock.slept == []


def test_the_budget_says_busy_instead_of_waiting_past_max_wait():
    clock = FakeClock()
    budget = Budgets(Limits(per_minute=2), clock, clock.sleep).for_tenant("t")
    for _ in range(2):
        budget.acquire(max_wait=5)
        budget.release()
    with pytest.raises(XeroBusy) as busy:
        budget.acquire(max_wait=5)
    assert clock.slept == [] and 55 <= busy.value.retry_after <= 60
    budget.acquire()  # without a deadline it waits for the window, as background work does
    assert sum(clock.slept) >= 59


def test_an_interactive_client_takes_its_deadline_from_the_settings(nz, settings):
    settings.XERO_DEADLINE_SECONDS = 3
    with XeroClient.interactive(nz) as client:
        left = client.time_left()
        assert left is not None and 0 < left <= 3 and client.max_attempts == 2
