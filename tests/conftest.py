"""Shared fixtures: real records in a real database, one user per role."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge.accounts.models import Role, User
from ledgerbridge.catalog.models import ChargeRate, Product, ProductGroup, TaxRate
from ledgerbridge.catalog.services import zero_rate
from ledgerbridge.customers.models import Customer
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.work.models import Ticket

IN_CI = os.environ.get("CI", "").lower() == "true"

# Playwright's sync API runs an event loop in the test thread, which Django's async-safety check
# would otherwise refuse for the database calls browser tests make.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
PASSWORD = "Correct-Horse-42"


@pytest.fixture(autouse=True)
def _close_call_window_connections() -> Iterator[None]:
    """The shared rate windows' own PostgreSQL connections (`call_windows`) are closed after
    each test, so none is left open when the test database is dropped."""
    yield
    from ledgerbridge.xero.call_windows import close_connections

    close_connections()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """SQLite tests use a file, as production does: WAL and busy timeouts then work across
    threads (an in-memory shared-cache database fails at once with "table is locked")."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def require(available: bool, what: str) -> None:
    """Skip when a real part is missing on a developer's machine; fail under CI=true."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available", pytrace=False)
    pytest.skip(f"{what} is not available")


def make_user(role: str, username: str | None = None) -> User:
    return User.objects.create_user(
        username=username or role, password=PASSWORD, role=role, email=f"{role}@example.com"
    )


@pytest.fixture
def admin(db: None) -> User:
    return make_user(Role.ADMIN)


@pytest.fixture
def billing_user(db: None) -> User:
    return make_user(Role.BILLING)


@pytest.fixture
def technician(db: None) -> User:
    return make_user(Role.TECHNICIAN)


@pytest.fixture
def no_tax(db: None) -> TaxRate:
    return zero_rate()


@pytest.fixture
def gst(db: None) -> TaxRate:
    return TaxRate.objects.create(name="GST", percentage=Decimal("15"))


@pytest.fixture
def charge_rate(db: None) -> ChargeRate:
    return ChargeRate.objects.create(
        name="Remote support", hourly_price=Decimal("120.00"), accounts_code="LAB-REMOTE"
    )


@pytest.fixture
def product_group(db: None) -> ProductGroup:
    return ProductGroup.objects.create(name="Hardware")


@pytest.fixture
def product(product_group: ProductGroup, gst: TaxRate) -> Product:
    return Product.objects.create(
        name="Managed firewall",
        code="FW-100",
        group=product_group,
        sales_account_code="200",
        purchase_account_code="300",
        sales_tax_rate=gst,
        purchase_tax_rate=gst,
        unit_price=Decimal("49.9950"),
        unit_cost=Decimal("30.00"),
    )


@pytest.fixture
def customer(gst: TaxRate) -> Customer:
    return Customer.objects.create(
        name="Acme Dental",
        account_number="ACME01",
        email="accounts@acme.example",
        sales_tax_rate=gst,
    )


@pytest.fixture
def supplier(gst: TaxRate) -> Supplier:
    return Supplier.objects.create(
        name="Ingram Micro", account_number="ING01", purchase_tax_rate=gst, postal_line1="1 Dock Rd"
    )


@pytest.fixture
def ticket(customer: Customer) -> Ticket:
    return Ticket.objects.create(customer=customer, title="Printer offline")


@pytest.fixture
def today() -> dt.date:
    return dt.date(2026, 11, 24)


# --- the browser: one Chromium for the whole run (two Playwright sessions cannot share a thread)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip without Chromium on a developer's machine; fail under CI=true (DESIGN: Tests)."""
    if CHROMIUM.exists() or shutil.which("chromium"):
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("Chromium is required under CI=true but is not installed", pytrace=False)
    pytest.skip("Chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=CHROMIUM_ARGS,
            headless=True,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()
