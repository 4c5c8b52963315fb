"""The links to Xero move off the records into the sync table, and tracking and branding themes
move out of the Xero app, losing nothing: a database holding linked records of two
organisations is migrated from the schema before the move, and every link is checked afterwards
(SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ledgerbridge.billing.models import BrandingTheme
from ledgerbridge.catalog.models import Product, ProductGroup, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.models import Link, Organisation
from ledgerbridge.tracking.models import TrackingCategory, TrackingOption, TrackingSettings

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [
    ("sync", None),
    ("tracking", None),
    ("catalog", "0003_xero_links"),
    ("customers", "0002_xero_links"),
    ("suppliers", "0002_xero_links"),
    ("billing", "0003_recurring_high_water_mark"),
    ("xero", "0003_import_xero_clock"),
]
NZ, AU = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def _old_world(apps) -> dict[str, object]:
    """Records as the old schema held them: two organisations, linked and unlinked records."""
    connection_model = apps.get_model("xero", "Connection")
    connection_model.objects.create(name="NZ books", tenant_id=NZ, tenant_name="Demo (NZ)")
    connection_model.objects.create(name="AU books", tenant_id=AU, tenant_name="Demo (AU)")
    rate = apps.get_model("catalog", "TaxRate")
    customer = apps.get_model("customers", "Customer")
    supplier = apps.get_model("suppliers", "Supplier")
    product = apps.get_model("catalog", "Product")
    group = apps.get_model("catalog", "ProductGroup")
    category = apps.get_model("xero", "TrackingCategory")
    option = apps.get_model("xero", "TrackingOption")
    apps.get_model("xero", "TrackingSettings").objects.create(
        pk=1, enabled=True, placeholder_1="Region"
    )
    made: dict[str, object] = {}
    for tenant, tag in ((NZ, "nz"), (AU, "au")):
        gst = rate.objects.create(
            name="GST",
            percentage=Decimal(15 if tag == "nz" else 10),
            xero_tenant_id=tenant,
            xero_tax_type="OUTPUT2" if tag == "nz" else "OUTPUT",
            xero_name=f"GST on Income {tag}",
        )
        rate.objects.create(name=f"Picked org only {tag}", percentage=1, xero_tenant_id=tenant)
        # The same name and account number in both organisations (CUST-3).
        customer.objects.create(
            name="Acme Dental",
            account_number="ACME",
            xero_tenant_id=tenant,
            xero_id=f"contact-{tag}",
            xero_data={"Name": "Acme Dental", "ContactID": f"contact-{tag}"},
            xero_updated_at=WHEN,
            sales_tax_rate=gst,
        )
        customer.objects.create(name=f"Assigned only {tag}", xero_tenant_id=tenant)
        supplier.objects.create(
            name="Ingram", xero_tenant_id=tenant, xero_id=f"supplier-{tag}", xero_data={"a": 1}
        )
        region = category.objects.create(
            xero_tenant_id=tenant, xero_id=f"cat-{tag}", name="Region", placeholder=1
        )
        north = option.objects.create(category=region, xero_id=f"north-{tag}", name="North")
        hardware = group.objects.create(name=f"Hardware {tag}")
        hardware.tracking_options.add(north)
        item = product.objects.create(
            name="Firewall",
            code="FW",
            group=hardware,
            xero_tenant_id=tenant,
            xero_id=f"item-{tag}",
            xero_data={"Code": "FW"},
            xero_updated_at=WHEN,
        )
        item.tracking_options.add(north)
        apps.get_model("xero", "BrandingTheme").objects.create(
            xero_tenant_id=tenant, xero_id=f"theme-{tag}", name="Standard", sort_order=0
        )
        made[f"north-{tag}"] = north.pk
        made[f"region-{tag}"] = region.pk
    customer.objects.create(name="Internal IT", account_number="INT")  # no organisation
    rate.objects.create(name="Unassigned", percentage=5)
    return made


def test_links_of_two_organisations_survive_the_move_to_the_sync_table():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    made = _old_world(executor.loader.project_state([t for t in BEFORE if t[1]]).apps)
    executor = MigrationExecutor(connection)
    executor.migrate(latest)

    orgs = {o.remote_id: o for o in Organisation.objects.all()}
    assert set(orgs) == {NZ, AU}
    assert (orgs[NZ].name, orgs[AU].name) == ("NZ books", "AU books")
    for tenant, tag in ((NZ, "nz"), (AU, "au")):
        org = orgs[tenant]
        acme = Customer.objects.get(name="Acme Dental", organisation=org)
        link = Link.objects.get(kind="customer", local_id=acme.pk)
        assert (link.organisation_id, link.remote_id) == (org.pk, f"contact-{tag}")
        assert link.snapshot == {"Name": "Acme Dental", "ContactID": f"contact-{tag}"}
        assert link.remote_updated_at == WHEN and link.state == "synced"
        assert link.version == link.synced_version
        assert acme.account_number == "ACME" and acme.sales_tax_rate.organisation == org
        assigned = Customer.objects.get(name=f"Assigned only {tag}")
        assert assigned.organisation == org
        assert not Link.objects.filter(kind="customer", local_id=assigned.pk).exists()
        ingram = Supplier.objects.get(organisation=org)
        supplier_link = Link.objects.get(kind="supplier", local_id=ingram.pk)
        assert (supplier_link.remote_id, supplier_link.snapshot) == (f"supplier-{tag}", {"a": 1})
        gst = TaxRate.objects.get(name="GST", organisation=org)
        tax_link = Link.objects.get(kind="tax_rate", local_id=gst.pk)
        expected_type = "OUTPUT2" if tag == "nz" else "OUTPUT"
        assert (tax_link.remote_id, tax_link.snapshot) == (
            expected_type,
            {"Name": f"GST on Income {tag}"},
        )
        picked = TaxRate.objects.get(name=f"Picked org only {tag}")
        assert picked.organisation == org
        assert not Link.objects.filter(kind="tax_rate", local_id=picked.pk).exists()
        firewall = Product.objects.get(organisation=org)
        product_link = Link.objects.get(kind="product", local_id=firewall.pk)
        assert (product_link.remote_id, product_link.remote_updated_at) == (f"item-{tag}", WHEN)
        # Tracking kept its ids, so the options chosen on products and groups are unchanged.
        region = TrackingCategory.objects.get(pk=made[f"region-{tag}"])
        assert (region.organisation, region.remote_id, region.placeholder) == (
            org,
            f"cat-{tag}",
            1,
        )
        north = TrackingOption.objects.get(pk=made[f"north-{tag}"])
        assert north.remote_id == f"north-{tag}" and north.category == region
        assert list(firewall.tracking_options.all()) == [north]
        assert list(ProductGroup.objects.get(name=f"Hardware {tag}").tracking_options.all()) == [
            north
        ]
        # Branding themes moved to billing, per organisation (INV-3).
        theme = BrandingTheme.objects.get(organisation=org)
        assert (theme.remote_id, theme.name, theme.sort_order) == (f"theme-{tag}", "Standard", 0)
    assert Customer.objects.get(name="Internal IT").organisation is None
    assert TaxRate.objects.get(name="Unassigned").organisation is None
    assert TrackingSettings.get().placeholders() == [(1, "Region")]
    assert Link.objects.count() == 8  # 2 customers, 2 suppliers, 2 products, 2 tax rates
    # New rows get new ids after the explicit ones the move wrote (PostgreSQL sequences).
    extra = TrackingOption.objects.create(category=region, remote_id="new", name="New")
    assert extra.pk > max(made[f"north-{t}"] for t in ("nz", "au"))
