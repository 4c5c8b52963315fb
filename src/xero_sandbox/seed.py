"""Seeding: the demo apps and user from a seed, and organisations with region data and samples."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import tokens, wire
from .regions import ACCOUNT_CLASS, REGIONS, chart_of_accounts, tax_rate_record
from .store import App, Connection, Org, User

if TYPE_CHECKING:
    from .core import Sandbox

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "sandbox"
ALL_SCOPES = [
    "accounting.settings",
    "accounting.contacts",
    "accounting.transactions",
    "accounting.invoices",
    "accounting.payments",
]
NAMES = [
    "Acme Dental",
    "Blue Harbour Cafe",
    "Cityline Legal",
    "Delta Freight",
    "Evergreen Vets",
    "Foxtrot Media",
    "Granite Builders",
    "Harbourview Hotel",
    "Ionic Labs",
    "Juniper School",
]


def base_setup(sb: Sandbox, seed: int) -> None:
    """Create the standard app, the demo user and (after orgs exist) the custom app."""
    store = sb.store
    with store.lock:
        store.seed = seed
        app = App(
            tokens.derived(seed, "client_id"),
            tokens.derived(seed, "client_secret", 48),
            "Ledgerbridge demo",
        )
        store.apps[app.client_id] = app
        user = User(tokens.derived_guid(seed, "user"), DEMO_EMAIL, DEMO_PASSWORD, "Demo User")
        store.users[user.user_id] = user
        store.webhook = {
            "key": tokens.derived(seed, "webhook_key", 64),
            "url": None,
            "status": "DISABLED",
            "sequence": 0,
        }


def custom_app(sb: Sandbox, tenant_id: str) -> App:
    store = sb.store
    with store.lock:
        seed = store.seed
        app = App(
            tokens.derived(seed, "custom_client_id"),
            tokens.derived(seed, "custom_client_secret", 48),
            "Ledgerbridge custom",
            "custom",
            [],
            tenant_id,
            list(ALL_SCOPES),
        )
        store.apps[app.client_id] = app
        now = sb.clock.now_ms()
        conn_id = tokens.derived_guid(seed, "custom_connection")
        store.connections[conn_id] = Connection(
            conn_id, app.client_id, "", tenant_id, wire.new_id(), now, now
        )
        return app


def create_org(sb: Sandbox, name: str, region: str = "NZ", tenant_id: str | None = None) -> Org:
    """A new organisation with the region's tax rates, chart of accounts and a branding theme."""
    if region not in REGIONS:
        raise ValueError(f"region must be one of {', '.join(REGIONS)}")
    info = REGIONS[region]
    now = sb.clock.now_ms()
    with sb.store.lock:
        index = len(sb.store.orgs)
        org = Org(
            tenant_id=tenant_id or tokens.derived_guid(sb.store.seed, f"org{index}"),
            name=name,
            region=region,
            short_code=f"!{tokens.derived(sb.store.seed, name, 5)}",
            created_ms=now,
            base_currency=info.currency,
            timezone=info.timezone,
        )
        for tax in info.taxes:
            org.tax_rates[tax.tax_type] = tax_rate_record(tax)
        for acc in chart_of_accounts(info):
            account_id = tokens.derived_guid(sb.store.seed, f"{org.tenant_id}:{acc.code}")
            org.accounts[account_id] = {
                "AccountID": account_id,
                "Code": acc.code,
                "Name": acc.name,
                "Type": acc.type,
                "Status": "ACTIVE",
                "TaxType": acc.tax_type,
                "Class": ACCOUNT_CLASS[acc.type],
                "SystemAccount": acc.system_account,
                "EnablePaymentsToAccount": acc.type == "BANK",
                "ShowInExpenseClaims": acc.type in ("OVERHEADS", "EXPENSE"),
                "Description": "",
                "BankAccountType": "BANK" if acc.type == "BANK" else "",
                "ReportingCode": "",
                "ReportingCodeName": "",
                "HasAttachments": False,
                "AddToWatchlist": False,
                "UpdatedDateUTC": now,
                "CurrencyCode": info.currency,
            }
            if acc.type == "BANK":
                org.accounts[account_id]["BankAccountNumber"] = "0123456789"
        theme_id = tokens.derived_guid(sb.store.seed, f"{org.tenant_id}:theme0")
        org.branding[theme_id] = {
            "BrandingThemeID": theme_id,
            "Name": "Standard",
            "Type": "INVOICE",
            "SortOrder": 0,
            "CreatedDateUTC": now,
            "LogoUrl": "",
        }
        sb.store.orgs[org.tenant_id] = org
    return org


def populate(sb: Sandbox, org: Org, counts: dict[str, int], seed: int) -> None:
    """Generated contacts, items, tracking categories, branding themes and invoices, via the API."""
    from .api import contacts, invoices, items
    from .core import Ctx
    from .http import Request

    rng = random.Random(f"{seed}:{org.tenant_id}")  # noqa: S311 (sample data, not secrets)
    ctx = Ctx(sb, org, "seed", Request("PUT", "/", {}, {}))
    info = REGIONS[org.region]
    with sb.store.lock:
        for i in range(counts.get("branding_themes", 0)):
            theme_id = tokens.derived_guid(seed, f"{org.tenant_id}:theme{i + 1}")
            org.branding[theme_id] = {
                "BrandingThemeID": theme_id,
                "Name": f"Theme {i + 1}",
                "Type": "INVOICE",
                "SortOrder": i + 1,
                "LogoUrl": "",
                "CreatedDateUTC": sb.clock.now_ms(),
            }
        for i in range(min(counts.get("tracking_categories", 0), 2)):
            cat_id = tokens.derived_guid(seed, f"{org.tenant_id}:track{i}")
            org.tracking[cat_id] = {
                "TrackingCategoryID": cat_id,
                "Name": ["Region", "Department"][i],
                "Status": "ACTIVE",
                "Options": [
                    {
                        "TrackingOptionID": tokens.derived_guid(seed, f"{cat_id}:{n}"),
                        "Name": n,
                        "Status": "ACTIVE",
                    }
                    for n in (["North", "South"], ["Support", "Projects"])[i]
                ],
            }
        made_contacts = []
        for i in range(counts.get("contacts", 0)):
            name = NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f" {i // len(NAMES) + 1}")
            record, _ = contacts.upsert(
                ctx,
                {
                    "Name": name,
                    "AccountNumber": f"C{i + 1:04d}",
                    "EmailAddress": f"accounts{i + 1}@example.com",
                },
                None,
                True,
            )
            if record:
                made_contacts.append(record)
        made_items = []
        for i in range(counts.get("items", 0)):
            price = Decimal(rng.randint(500, 50000)) / 100
            element: dict[str, Any] = {
                "Code": f"ITEM-{i + 1:03d}",
                "Name": f"Service {i + 1}",
                "Description": f"Managed service {i + 1}",
                "SalesDetails": {
                    "UnitPrice": price,
                    "AccountCode": "200",
                    "TaxType": info.default_sales_tax,
                },
                "PurchaseDetails": {
                    "UnitPrice": price / 2,
                    "AccountCode": "300",
                    "TaxType": info.default_purchases_tax,
                },
            }
            record, _ = items.upsert(ctx, element, None, True)
            if record:
                made_items.append(record)
        for i in range(counts.get("invoices", 0)):
            if not made_contacts:
                break
            contact = made_contacts[i % len(made_contacts)]
            line: dict[str, Any] = {
                "Description": f"Support hours {i + 1}",
                "Quantity": rng.randint(1, 10),
                "UnitAmount": Decimal(rng.randint(5000, 20000)) / 100,
                "AccountCode": "200",
                "TaxType": info.default_sales_tax,
            }
            if made_items:
                line["ItemCode"] = made_items[i % len(made_items)]["Code"]
            invoices.upsert(
                ctx,
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": contact["ContactID"]},
                    "Status": ["DRAFT", "AUTHORISED"][i % 2],
                    "LineItems": [line],
                },
                None,
                True,
            )


def seed_default(sb: Sandbox, seed: int, counts: dict[str, int] | None = None) -> None:
    """The demo world: an app, a user, two organisations (NZ and AU) and a custom connection."""
    base_setup(sb, seed)
    first = create_org(sb, "Demo Company (NZ)", "NZ")
    second = create_org(sb, "Demo Company (AU)", "AU")
    custom_app(sb, first.tenant_id)
    sample = (
        counts
        if counts is not None
        else {"contacts": 5, "items": 5, "tracking_categories": 1, "invoices": 5}
    )
    for org in (first, second):
        populate(sb, org, sample, seed)
