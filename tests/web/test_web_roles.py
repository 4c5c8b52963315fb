"""Each role against each area of the screens: login required everywhere, 403 where the role's
area table (accounts.permissions.AREA_ROLES) says no, 200 where it says yes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ledgerbridge.accounts.permissions import AREA_ROLES

pytestmark = pytest.mark.django_db

# A screen of every area (and every page the navigation links to).
SCREENS = [
    ("customers", "customers:list"),
    ("customers", "customers:create"),
    ("suppliers", "suppliers:list"),
    ("products", "catalog:product_list"),
    ("products", "catalog:group_list"),
    ("tickets", "work:ticket_list"),
    ("tickets", "work:ticket_create"),
    ("invoices", "billing:ready"),
    ("invoices", "billing:invoice_list"),
    ("invoices", "billing:invoice_create"),
    ("invoices", "billing:recurring_list"),
    ("purchasing", "purchasing:list"),
    ("purchasing", "purchasing:create"),
    ("configuration", "configuration"),
    ("configuration", "catalog:taxrate_list"),
    ("configuration", "catalog:chargerate_list"),
    ("configuration", "accounts:user_list"),
    ("configuration", "accounts:token_list"),
]
ROLES = ["admin", "billing", "technician"]


@pytest.mark.parametrize(("area", "name"), SCREENS)
def test_login_required_for_every_screen(client: Client, area: str, name: str) -> None:
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("area", "name"), SCREENS)
def test_each_role_against_each_area(
    request: pytest.FixtureRequest, role: str, area: str, name: str
) -> None:
    client = request.getfixturevalue(
        {"admin": "admin_client", "billing": "billing_client"}.get(role, "tech_client")
    )
    response = client.get(reverse(name))
    expected = 200 if role in AREA_ROLES[area] else 403
    assert response.status_code == expected
    if expected == 403:
        assert b"Not allowed" in response.content


def test_the_matrix_is_the_issue_s(admin_client: Client) -> None:
    """Admin everything; billing everything but configuration; technician tickets only."""
    assert {a for a, roles in AREA_ROLES.items() if "technician" in roles} == {"tickets"}
    assert {a for a, roles in AREA_ROLES.items() if "billing" not in roles} == {"configuration"}
    assert all("admin" in roles for roles in AREA_ROLES.values())


@pytest.mark.parametrize(
    ("fixture", "shown", "hidden"),
    [
        (
            "tech_client",
            ["Tickets"],
            ["Customers", "Ready for invoicing", "Invoices", "Configuration"],
        ),
        ("billing_client", ["Customers", "Invoices", "Purchase orders"], ["Configuration"]),
        ("admin_client", ["Customers", "Tickets", "Invoices", "Configuration"], []),
    ],
)
def test_navigation_shows_only_what_the_role_may_use(
    request: pytest.FixtureRequest, fixture: str, shown: list[str], hidden: list[str]
) -> None:
    page = request.getfixturevalue(fixture).get(reverse("home")).content.decode()
    nav = page[page.index('<nav class="sidenav"') : page.index("</nav>")]
    for label in shown:
        assert f">{label}</a>" in nav
    for label in hidden:
        assert f">{label}</a>" not in nav


def test_technician_cannot_post_to_billing(tech_client: Client, ticket, charge_rate) -> None:
    assert tech_client.post(reverse("billing:ready"), {"entries": ["1"]}).status_code == 403
    assert tech_client.post(reverse("billing:recurring_raise")).status_code == 403
    assert tech_client.post(reverse("accounts:token_list"), {"name": "x"}).status_code == 403


def test_billing_user_cannot_reach_configuration_posts(billing_client: Client, admin) -> None:
    response = billing_client.post(reverse("accounts:user_edit", args=[admin.pk]), {})
    assert response.status_code == 403
    assert billing_client.post(reverse("catalog:taxrate_create"), {}).status_code == 403


def test_unknown_records_are_404_not_500(admin_client: Client) -> None:
    for name in (
        "customers:edit",
        "billing:invoice_detail",
        "work:ticket_detail",
        "purchasing:edit",
    ):
        assert admin_client.get(reverse(name, args=[999999])).status_code == 404
    assert b"Not found" in admin_client.get("/no-such-page/").content


def test_logout_is_a_post_and_signs_out(admin_client: Client) -> None:
    assert admin_client.post(reverse("logout")).status_code == 302
    assert admin_client.get(reverse("home")).status_code == 302


def test_login_page_and_signing_in(client: Client, billing_user) -> None:
    assert client.get(reverse("login")).status_code == 200
    billing_user.set_password("Right-Password-1")
    billing_user.save()
    wrong = client.post(reverse("login"), {"username": "billing", "password": "nope"})
    assert wrong.status_code == 400 and b"correct username and password" in wrong.content
    right = client.post(reverse("login"), {"username": "billing", "password": "Right-Password-1"})
    assert right.status_code == 302
    home = client.get(reverse("home")).content.decode()
    assert "Billing" in home and "Draft invoices" in home and "Sign out" in home


def test_home_dashboard_for_a_technician_leaves_billing_out(tech_client: Client) -> None:
    page = tech_client.get(reverse("home")).content.decode()
    assert "Open tickets" in page and "Draft invoices" not in page
