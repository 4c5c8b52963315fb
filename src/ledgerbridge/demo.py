"""The demo data set: a small MSP's customers, suppliers, catalogue, tickets, time and billing.

Loaded once into an empty database (`ledgerbridge demo-data`, and by `make demo`); deterministic
for a given seed. Everything goes through the same services the product uses.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ledgerbridge.accounts.models import Role, User
from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.labour import bill_time
from ledgerbridge.billing.recurring import create_recurring, raise_due_invoices
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.catalog.models import ChargeRate, Product, ProductGroup, TaxRate
from ledgerbridge.catalog.services import create_product, create_tax_rate, zero_rate
from ledgerbridge.customers.models import Customer
from ledgerbridge.customers.services import create_customer
from ledgerbridge.purchasing.services import raise_purchase_order
from ledgerbridge.suppliers.services import create_supplier
from ledgerbridge.work.models import Ticket
from ledgerbridge.work.services import log_time

CUSTOMERS = [
    ("Harbourside Dental", "Wellington"),
    ("Kauri Law Partners", "Auckland"),
    ("Southern Cross Freight", "Christchurch"),
    ("Tui Accounting", "Hamilton"),
    ("Pohutukawa Medical Centre", "Tauranga"),
    ("Greenlane Architects", "Auckland"),
    ("Matai Engineering", "Nelson"),
    ("Blue Penguin Tours", "Dunedin"),
    ("Riverside Veterinary Clinic", "Palmerston North"),
    ("Summit Property Group", "Queenstown"),
    ("Coastal Physiotherapy", "Napier"),
    ("Fernleaf Primary School", "Whangarei"),
    ("Kiwi Solar Installers", "New Plymouth"),
    ("Ironbark Builders", "Rotorua"),
    ("Manuka Honey Co", "Gisborne"),
    ("Totara Financial Advisers", "Wellington"),
    ("Aoraki Outdoor Gear", "Timaru"),
    ("Harakeke Design Studio", "Auckland"),
    ("Rimu Insurance Brokers", "Christchurch"),
    ("Wharf Street Cafe Group", "Wellington"),
    ("Kowhai Community Trust", "Invercargill"),
    ("Pacific Marine Services", "Auckland"),
    ("Longbeach Wines", "Blenheim"),
    ("Northshore Optometrists", "Auckland"),
]
SUPPLIERS = [
    ("Ingram Micro NZ", "Auckland"),
    ("Dicker Data", "Auckland"),
    ("Microsoft Licensing (CSP)", "Wellington"),
    ("Spark Business", "Auckland"),
]
GROUPS = {
    "Hardware": [
        ("HW-LAPTOP", "Business laptop 14in", "1899.00", "1450.00"),
        ("HW-DESK", "Desktop workstation", "1599.00", "1190.00"),
        ("HW-FW", "Managed firewall appliance", "1250.00", "880.00"),
        ("HW-SWITCH", "24-port PoE switch", "899.00", "640.00"),
        ("HW-DOCK", "USB-C docking station", "349.00", "230.00"),
    ],
    "Software licences": [
        ("SW-M365-BP", "Microsoft 365 Business Premium (monthly)", "38.5000", "31.2000"),
        ("SW-M365-BS", "Microsoft 365 Business Standard (monthly)", "21.9000", "17.6000"),
        ("SW-AV", "Endpoint protection (per device, monthly)", "6.9500", "3.1000"),
    ],
    "Managed services": [
        ("MS-DESKTOP", "Managed desktop (per device, monthly)", "65.00", "0.00"),
        ("MS-SERVER", "Managed server (monthly)", "220.00", "0.00"),
        ("MS-BACKUP", "Cloud backup 1 TB (monthly)", "95.00", "41.00"),
    ],
    "Cloud": [
        ("CL-VM-S", "Cloud VM small (monthly)", "89.00", "52.00"),
        ("CL-DOMAIN", "Domain name renewal (yearly)", "45.00", "25.00"),
    ],
}
CHARGE_RATES = [
    ("Remote support", "135.00", "LAB-REMOTE"),
    ("Onsite support", "165.00", "LAB-ONSITE"),
    ("After-hours emergency", "245.00", "LAB-AH"),
    ("Project work", "150.00", "LAB-PROJECT"),
    ("Legacy rate (unlinked)", "110.00", ""),
]
STREETS = ["Queen", "High", "Victoria", "Main"]
TICKET_TITLES = [
    "Printer not printing from accounts PC",
    "New starter laptop set-up",
    "Outlook keeps asking for password",
    "Wi-Fi drops in meeting room",
    "Server disk space warning",
    "Backup job failed overnight",
    "Replace failed switch in comms cabinet",
    "Phishing email reported",
    "VPN not connecting from home",
    "Migrate shared drive to SharePoint",
    "Firewall firmware update",
    "Slow PC in reception",
    "Set up MFA for all staff",
    "Leaver: disable account and archive mailbox",
    "Install label printer",
]
SUMMARIES = [
    "Remote session, diagnosed and fixed",
    "Called user, walked through the fix",
    "Reviewed logs and patched",
    "Onsite visit, replaced hardware",
    "Configured and tested",
    "Documented the change for the client",
]


def demo_admin_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-admin-password"


def ensure_demo_admin() -> tuple[str, str]:
    """The demo's admin login; its generated password is kept in a 0600 file under the data dir."""
    path = demo_admin_file()
    user = User.objects.filter(username="admin").first()
    if user is not None and path.exists():
        return "admin", path.read_text().strip()
    password = secrets.token_urlsafe(12)
    if user is None:
        user = User(
            username="admin",
            email="admin@example.com",
            role=Role.ADMIN,
            is_staff=True,
            is_superuser=True,
        )
    user.set_password(password)
    user.save()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password)
    return "admin", password


@transaction.atomic
def load_demo_data(seed: int = 1, today: dt.date | None = None) -> dict[str, int] | None:
    """Load the demo set into an empty database; returns counts, or None if data was there."""
    if Customer.objects.exists():
        return None
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    today = today or timezone.localdate()
    gst = TaxRate.objects.filter(name="GST 15%").first() or create_tax_rate(
        {"name": "GST 15%", "percentage": Decimal(15)}
    )
    if not TaxRate.objects.filter(name="GST on imports").exists():
        create_tax_rate({"name": "GST on imports", "percentage": Decimal(15)})
    no_tax = zero_rate()

    staff = {
        "bella": User.objects.create_user(
            "bella",
            "bella@example.com",
            secrets.token_urlsafe(16),
            role=Role.BILLING,
            first_name="Bella",
        ),
        "tom": User.objects.create_user(
            "tom",
            "tom@example.com",
            secrets.token_urlsafe(16),
            role=Role.TECHNICIAN,
            first_name="Tom",
        ),
        "tia": User.objects.create_user(
            "tia",
            "tia@example.com",
            secrets.token_urlsafe(16),
            role=Role.TECHNICIAN,
            first_name="Tia",
        ),
    }
    rates = [
        ChargeRate.objects.create(name=n, hourly_price=Decimal(p), accounts_code=c)
        for n, p, c in CHARGE_RATES
    ]
    products: list[Product] = []
    for group_name, items in GROUPS.items():
        group = ProductGroup.objects.create(name=group_name)
        for code, name, price, cost in items:
            products.append(
                create_product(
                    {
                        "name": name[:50],
                        "code": code,
                        "group": group,
                        "sales_account_code": "200",
                        "purchase_account_code": "300",
                        "sales_tax_rate": gst,
                        "purchase_tax_rate": gst,
                        "unit_price": Decimal(price),
                        "unit_cost": Decimal(cost),
                    }
                )
            )
    dock = next(p for p in products if p.code == "HW-DOCK")
    create_product(
        {
            "name": "USB-C dock power supply",
            "code": "HW-DOCK-PSU",
            "group": dock.group,
            "parent": dock,
            "sales_tax_rate": gst,
            "purchase_tax_rate": gst,
            "unit_price": Decimal("49.00"),
        }
    )

    customers = []
    for i, (name, city) in enumerate(CUSTOMERS, start=1):
        slug = "".join(ch for ch in name.lower() if ch.isalpha())[:12]
        customers.append(
            create_customer(
                {
                    "name": name,
                    "account_number": None if i == 24 else f"C{i:04d}",
                    "email": f"accounts@{slug}.example",
                    "phone": f"+64 9 555 {1000 + i:04d}",
                    "postal_line1": f"PO Box {100 + i}",
                    "postal_city": city,
                    "postal_country": "New Zealand",
                    "street_line1": f"{rng.randint(1, 300)} {rng.choice(STREETS)} Street",
                    "street_city": city,
                    "street_country": "New Zealand",
                    "sales_tax_rate": gst,
                    "purchase_tax_rate": gst,
                    "payment_terms_days": rng.choice([7, 14, 20, 30]),
                }
            )
        )
    suppliers = [
        create_supplier(
            {
                "name": name,
                "account_number": f"S{i:03d}",
                "email": f"orders@supplier{i}.example",
                "postal_line1": f"{10 * i} Industrial Way",
                "postal_city": city,
                "postal_country": "New Zealand",
                "purchase_tax_rate": gst,
                "sales_tax_rate": gst,
            }
        )
        for i, (name, city) in enumerate(SUPPLIERS, start=1)
    ]

    tickets, entries = [], []
    for n in range(40):
        ticket = Ticket.objects.create(
            customer=rng.choice(customers[:20]), title=rng.choice(TICKET_TITLES)
        )
        tickets.append(ticket)
        for _ in range(rng.randint(1, 4)):
            entries.append(
                log_time(
                    ticket,
                    staff[rng.choice(["tom", "tia"])],
                    date=today - dt.timedelta(days=rng.randint(0, 30)),
                    hours=Decimal(rng.choice(["0.25", "0.5", "0.75", "1", "1.5", "2", "3"])),
                    charge_rate=rng.choice(rates[:4]),
                    summary=rng.choice(SUMMARIES),
                    billable=n % 9 != 0,
                )
            )
    # Bill about a third of the time; the rest stays ready for invoicing.
    billed = [e.pk for e in entries[: len(entries) // 3] if e.billable]
    labour = bill_time(billed, date=today - dt.timedelta(days=7))

    manual = []
    for customer in customers[:6]:
        lines = [
            LineData(
                p.name,
                Decimal(rng.randint(1, 5)),
                p.unit_price,
                gst.pk,
                product_id=p.pk,
                item_code=p.code,
            )
            for p in rng.sample(products[:5], 2)
        ]
        manual.append(
            issue_invoice(
                customer,
                lines,
                date=today - dt.timedelta(days=rng.randint(1, 20)),
                status=rng.choice(["DRAFT", "AUTHORISED"]),
                reference="Hardware order",
            )
        )
    services = {p.code: p for p in products}
    for customer in customers[:8]:
        seats = Decimal(rng.randint(3, 25))
        create_recurring(
            customer.pk,
            [
                LineData(
                    services["MS-DESKTOP"].name,
                    seats,
                    services["MS-DESKTOP"].unit_price,
                    gst.pk,
                    product_id=services["MS-DESKTOP"].pk,
                    item_code="MS-DESKTOP",
                ),
                LineData(
                    services["SW-M365-BP"].name,
                    seats,
                    services["SW-M365-BP"].unit_price,
                    gst.pk,
                    product_id=services["SW-M365-BP"].pk,
                    item_code="SW-M365-BP",
                ),
            ],
            start_date=(today - dt.timedelta(days=40)).replace(day=1),
            interval_unit="month",
            interval_count=1,
            reference="Managed services",
        )
    recurring = raise_due_invoices(today)
    orders = [
        raise_purchase_order(
            supplier,
            [
                LineData(
                    p.name,
                    Decimal(rng.randint(1, 10)),
                    p.unit_cost,
                    gst.pk,
                    product_id=p.pk,
                    item_code=p.code,
                )
                for p in rng.sample(products[:5], 2)
            ],
            date=today - dt.timedelta(days=rng.randint(0, 14)),
            reference="Stock",
        )
        for supplier in suppliers
    ]
    create_recurring(
        customers[9].pk,
        [
            LineData(
                "Domain name renewal",
                Decimal(1),
                Decimal("45.00"),
                no_tax.pk,
                item_code="CL-DOMAIN",
            )
        ],
        start_date=today + dt.timedelta(days=20),
        interval_unit="year",
        interval_count=1,
    )
    return {
        "customers": len(customers),
        "suppliers": len(suppliers),
        "products": len(products) + 1,
        "tickets": len(tickets),
        "time entries": len(entries),
        "invoices": len(labour) + len(manual) + len(recurring),
        "purchase orders": len(orders),
    }
