"""Each role against each area of the API (the table in accounts/permissions.py).

admin: everything; billing: customers, suppliers, products, invoices, purchase orders, and
reads of tax rates, charge rates and product groups; technician: tickets and their own time.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.accounts.models import Role
from ledgerbridge.accounts.permissions import ACTION_ROLES, TECHNICIAN
from ledgerbridge.work.models import Ticket, TimeEntry

from .conftest import ApiClient, token_for

A, B, T = Role.ADMIN, Role.BILLING, Role.TECHNICIAN
ALL = {A, B, T}
MISSING = 999999

# (method, path, roles allowed, status for an allowed role). Writes send an empty body, so an
# allowed role gets 422 (validation) and a refused one 403: the role check comes first.
CASES: list[tuple[str, str, set[str], int]] = [
    ("get", "/accounts/me", ALL, 200),
    ("get", "/accounts/users", {A}, 200),
    ("get", "/tax-rates/", {A, B}, 200),
    ("get", f"/tax-rates/{MISSING}", {A, B}, 404),
    ("post", "/tax-rates/", {A}, 422),
    ("put", f"/tax-rates/{MISSING}", {A}, 422),
    ("delete", f"/tax-rates/{MISSING}", {A}, 404),
    ("get", "/charge-rates/", ALL, 200),
    ("post", "/charge-rates/", {A}, 422),
    ("delete", f"/charge-rates/{MISSING}", {A}, 404),
    ("get", "/product-groups/", {A, B}, 200),
    ("post", "/product-groups/", {A, B}, 422),
    ("delete", f"/product-groups/{MISSING}", {A, B}, 404),
    ("get", "/products/", {A, B}, 200),
    ("post", "/products/", {A, B}, 422),
    ("get", f"/products/{MISSING}", {A, B}, 404),
    ("delete", f"/products/{MISSING}", {A, B}, 404),
    ("get", "/customers/", {A, B}, 200),
    ("post", "/customers/", {A, B}, 422),
    ("get", f"/customers/{MISSING}", {A, B}, 404),
    ("put", f"/customers/{MISSING}", {A, B}, 422),
    ("delete", f"/customers/{MISSING}", {A, B}, 404),
    ("get", "/suppliers/", {A, B}, 200),
    ("post", "/suppliers/", {A, B}, 422),
    ("delete", f"/suppliers/{MISSING}", {A, B}, 404),
    ("get", "/tickets/", ALL, 200),
    ("post", "/tickets/", ALL, 422),
    ("get", f"/tickets/{MISSING}", ALL, 404),
    ("get", "/time-entries/", ALL, 200),
    ("get", "/currencies/", {A, B}, 200),
    ("get", "/invoices/", {A, B}, 200),
    ("post", "/invoices/", {A, B}, 422),
    ("get", f"/invoices/{MISSING}", {A, B}, 404),
    ("delete", f"/invoices/{MISSING}", {A, B}, 404),
    ("get", "/ready-for-invoicing/", {A, B}, 200),
    ("post", "/ready-for-invoicing/bill", {A, B}, 422),
    ("get", "/recurring-invoices/", {A, B}, 200),
    ("post", "/recurring-invoices/", {A, B}, 422),
    ("post", "/recurring-invoices/raise-due", {A, B}, 200),
    ("delete", f"/recurring-invoices/{MISSING}", {A, B}, 404),
    ("get", "/purchase-orders/", {A, B}, 200),
    ("post", "/purchase-orders/", {A, B}, 422),
    ("delete", f"/purchase-orders/{MISSING}", {A, B}, 404),
]


@pytest.mark.parametrize("role", [A, B, T])
@pytest.mark.parametrize(("method", "path", "allowed", "status"), CASES)
def test_role_against_area(
    role: str, method: str, path: str, allowed: set[str], status: int, django_user_model
) -> None:
    user = django_user_model.objects.create_user(username=f"u-{role}", role=role)
    client = ApiClient(token_for(user))
    response = getattr(client, method)(path)
    expected = status if role in allowed else 403
    assert response.status_code == expected, response.content
    if expected == 403:
        assert "Your role may not use" in response.json()["detail"]


def test_no_token_is_401_everywhere(db: None) -> None:
    client = ApiClient(None)
    for method, path, _allowed, _status in CASES:
        assert getattr(client, method)(path).status_code == 401, (method, path)


def _entry(ticket, agent, charge_rate) -> TimeEntry:
    return TimeEntry.objects.create(
        ticket=ticket,
        agent=agent,
        date=dt.date(2026, 11, 20),
        hours=1,
        charge_rate=charge_rate,
        summary="work",
    )


def test_technician_logs_and_sees_only_their_own_time(
    technician, billing_user, ticket, charge_rate, tech_api: ApiClient
) -> None:
    body = {"date": "2026-11-20", "hours": "0.5", "charge_rate": charge_rate.pk, "summary": "fix"}
    own = tech_api.post(f"/tickets/{ticket.pk}/time-entries", body)
    assert own.status_code == 201
    assert own.json()["agent"] == technician.pk
    for_other = tech_api.post(
        f"/tickets/{ticket.pk}/time-entries", {**body, "agent": billing_user.pk}
    )
    assert for_other.status_code == 403
    other = _entry(ticket, billing_user, charge_rate)
    listed = tech_api.get("/time-entries/").json()
    assert [item["id"] for item in listed["items"]] == [own.json()["id"]]
    assert tech_api.get(f"/time-entries/{other.pk}").status_code == 403
    assert tech_api.put(f"/time-entries/{other.pk}", body).status_code == 403
    assert tech_api.delete(f"/time-entries/{other.pk}").status_code == 403
    assert TimeEntry.objects.filter(pk=other.pk).exists()
    assert tech_api.delete(f"/time-entries/{own.json()['id']}").status_code == 204


def test_billing_manages_anyones_time(
    technician, ticket, charge_rate, billing_api: ApiClient
) -> None:
    entry = _entry(ticket, technician, charge_rate)
    body = {"date": "2026-11-21", "hours": "2", "charge_rate": charge_rate.pk, "summary": "more"}
    response = billing_api.put(f"/time-entries/{entry.pk}", body)
    assert response.status_code == 200
    assert response.json()["hours"] == "2.00"
    assert response.json()["agent"] == technician.pk


@pytest.mark.parametrize("own_time_only", [True, False])
def test_ticket_deletion_follows_the_role_table_on_api_and_screens(
    technician, billing_user, ticket, charge_rate, tech_api: ApiClient, own_time_only: bool
) -> None:
    """Issue 9: one rule (ACTION_ROLES["delete_tickets"]) for the API and the screens."""
    _entry(ticket, technician, charge_rate)
    if not own_time_only:
        _entry(ticket, billing_user, charge_rate)
    assert TECHNICIAN not in ACTION_ROLES["delete_tickets"]
    assert tech_api.delete(f"/tickets/{ticket.pk}").status_code == 403
    screen = Client()
    screen.force_login(technician)
    assert screen.post(reverse("work:ticket_delete", args=[ticket.pk])).status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert ApiClient(token_for(billing_user)).delete(f"/tickets/{ticket.pk}").status_code == 204


def test_ticket_with_invoiced_time_cannot_be_deleted(
    technician, ticket, charge_rate, billing_api: ApiClient
) -> None:
    entry = _entry(ticket, technician, charge_rate)
    billed = billing_api.post(
        "/ready-for-invoicing/bill", {"time_entries": [entry.pk], "date": "2026-11-24"}
    )
    assert billed.status_code == 201
    response = billing_api.delete(f"/tickets/{ticket.pk}")
    assert response.status_code == 409
    assert "invoiced time" in response.json()["detail"]
    assert TimeEntry.objects.filter(pk=entry.pk, invoice_line__isnull=False).exists()
