"""Imports from Xero, rule by rule (TAX, CUST, SUP, PROD, TRK), against the sandbox over HTTP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import BrandingTheme
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.catalog.models import Product, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.services import organisation_for
from ledgerbridge.tracking.models import TrackingCategory
from ledgerbridge.xero import mapping
from ledgerbridge.xero.imports import apply_contacts, run_import, start_import
from ledgerbridge.xero.models import ImportRun, ImportStatus

from .helpers import admin_call, connect, fast_client
from .links import by_xero_id, in_tenant, make, tax_type, tenant, xero_data, xero_id, xero_ids

pytestmark = pytest.mark.django_db


def do_import(connection, kind, **params):
    run = start_import(connection, kind, params=params, background=False)
    with fast_client(connection) as client:
        return run_import(run.pk, client=client)


@pytest.fixture
def nz(xero_settings, sandbox):
    return connect(sandbox, "NZ books", "Demo Company (NZ)")


@pytest.fixture
def au(xero_settings, sandbox):
    return connect(sandbox, "AU books", "Demo Company (AU)")


def xero(connection):
    return fast_client(connection)


def test_tax_3_import_tax_rates_reports_count_and_removes_only_unused_unassigned_rates(
    nz, customer
):
    unused = TaxRate.objects.create(name="Old rate", percentage=Decimal(5))
    kept = TaxRate.objects.create(name="Sales levy", percentage=Decimal(12))  # no Xero twin
    customer.purchase_tax_rate = kept
    customer.save()
    run = do_import(nz, "tax-rates")
    with xero(nz) as client:
        in_xero = [r for r in client.get("/TaxRates")["TaxRates"] if r["Status"] == "ACTIVE"]
    # The customer's GST (15 %) became the link of GST on Income: one fewer created.
    assert run.status == ImportStatus.DONE and run.total == len(in_xero)
    assert (run.created, run.updated) == (len(in_xero) - 1, 1)
    assert in_tenant(TaxRate, nz.tenant_id).count() == len(in_xero)
    assert not TaxRate.objects.filter(pk=unused.pk).exists()
    assert TaxRate.objects.filter(pk=kept.pk).exists()  # still used by the customer
    assert any("Sales levy" in p["record"] and "Acme Dental" in p["reason"] for p in run.problems)
    assert TaxRate.objects.filter(is_zero_rate=True).exists()
    again = do_import(nz, "tax-rates")
    assert (again.created, again.updated) == (0, len(in_xero))


def test_import_links_the_rate_the_records_use_instead_of_creating_a_twin(nz, customer, gst):
    gst.name = "GST 15%"
    gst.save()
    run = do_import(nz, "tax-rates")
    gst.refresh_from_db()
    assert (tenant(gst), tax_type(gst)) == (nz.tenant_id, "OUTPUT2")  # the sales rate
    assert gst.name == "GST 15%" and gst.percentage == Decimal(15)
    assert in_tenant(TaxRate, nz.tenant_id).filter(percentage=15).count() == 2  # + on Expenses
    assert xero_ids(TaxRate) >= {"OUTPUT2", "INPUT2"}
    assert by_xero_id(TaxRate, "OUTPUT2") == gst
    assert any(
        p["record"] == "GST 15%" and "linked to GST on Income (OUTPUT2)" in p["reason"]
        for p in run.problems
    )
    customer.refresh_from_db()
    assert customer.sales_tax_rate == gst  # nothing moved, nothing left behind


def test_import_creates_a_rate_when_the_percentage_or_the_tax_differs(nz, customer, gst):
    gst.percentage = Decimal("12.5")  # GST, but not Xero's 15 %
    gst.save()
    vat = TaxRate.objects.create(name="VAT", percentage=Decimal(15))  # 15 %, another tax
    do_import(nz, "tax-rates")
    assert tax_type(gst) == "" and tax_type(vat) == ""
    assert by_xero_id(TaxRate, "OUTPUT2").name == "GST on Income"


def test_import_reports_every_percentage_it_changes(nz):
    linked = make(TaxRate, nz.tenant_id, "ZERORATED", name="Sales GST", percentage=Decimal(15))
    same = make(TaxRate, nz.tenant_id, "OUTPUT2", name="GST on Income", percentage=Decimal(15))
    run = do_import(nz, "tax-rates")
    linked.refresh_from_db()
    assert linked.percentage == 0
    changed = [p for p in run.problems if "percentage changed" in p["reason"]]
    assert changed == [
        {
            "record": "Sales GST",
            "reason": "percentage changed from 15% to 0%, as Zero Rated (ZERORATED) is in Xero",
        }
    ]
    same.refresh_from_db()
    assert same.percentage == 15


def test_tax_1_every_imported_rate_is_linked_to_its_organisations_tax_type(nz, au):
    do_import(nz, "tax-rates")
    do_import(au, "tax-rates")
    for rate in TaxRate.objects.exclude(is_zero_rate=True):
        assert tenant(rate) in {nz.tenant_id, au.tenant_id} and tax_type(rate)
    # Both organisations may have a rate of the same name: unique per organisation only.
    assert in_tenant(TaxRate, au.tenant_id).exists()


def test_cust_2_match_by_name_or_account_number_then_by_xero_id_after_a_rename(nz, sandbox):
    with xero(nz) as client:
        contacts = client.get("/Contacts", params={"page": 1})["Contacts"]
    first, second = contacts[0], contacts[1]
    by_name = Customer.objects.create(name=first["Name"].upper())  # no tenant yet, same name
    by_number = Customer.objects.create(name="Someone else", account_number=second["AccountNumber"])
    run = do_import(nz, "customers")
    assert run.status == ImportStatus.DONE, run.message
    by_name.refresh_from_db()
    by_number.refresh_from_db()
    assert (xero_id(by_name), tenant(by_name)) == (first["ContactID"], nz.tenant_id)
    assert xero_id(by_number) == second["ContactID"] and by_number.name == second["Name"]
    count = Customer.objects.count()

    # Renamed in Xero: the next import finds it by its Xero ID and renames it here too.
    with xero(nz) as client:
        client.post(
            "/Contacts", {"Contacts": [{"ContactID": first["ContactID"], "Name": "Renamed Ltd"}]}
        )
    do_import(nz, "customers")
    by_name.refresh_from_db()
    assert by_name.name == "Renamed Ltd" and Customer.objects.count() == count


def test_cust_3_a_match_in_another_organisation_means_a_new_record(nz, au):
    do_import(au, "customers")
    au_names = set(in_tenant(Customer, au.tenant_id).values_list("name", flat=True))
    do_import(nz, "customers")
    nz_names = set(in_tenant(Customer, nz.tenant_id).values_list("name", flat=True))
    shared = au_names & nz_names
    assert shared  # the generated organisations share contact names and account numbers
    for name in shared:
        assert Customer.objects.filter(name=name).count() == 2
    assert in_tenant(Customer, au.tenant_id).count() == len(au_names)


def test_cust_5_tenant_and_xero_data_shown_and_never_changed_by_another_import(nz, au):
    do_import(nz, "customers")
    customer = in_tenant(Customer, nz.tenant_id).first()
    assert xero_data(customer)["ContactID"] == xero_id(customer) and xero_data(customer)["Name"]
    do_import(au, "customers")
    customer.refresh_from_db()
    assert tenant(customer) == nz.tenant_id


def test_cust_6_tax_rates_come_through_the_tax_rate_links(nz):
    do_import(nz, "tax-rates")
    with xero(nz) as client:
        client.put(
            "/Contacts",
            {
                "Contacts": [
                    {
                        "Name": "Taxed Ltd",
                        "AccountsReceivableTaxType": "OUTPUT2",
                        "AccountsPayableTaxType": "INPUT2",
                    }
                ]
            },
        )
    do_import(nz, "customers")
    taxed = Customer.objects.get(name="Taxed Ltd")
    assert tax_type(taxed.sales_tax_rate) == "OUTPUT2"
    assert tax_type(taxed.purchase_tax_rate) == "INPUT2"


def test_unlinked_tax_types_are_reported_per_record_and_the_rest_goes_on(nz):
    with xero(nz) as client:
        client.put(
            "/Contacts",
            {"Contacts": [{"Name": "Taxed Ltd", "AccountsReceivableTaxType": "OUTPUT2"}]},
        )
    run = do_import(nz, "customers")
    assert run.status == ImportStatus.DONE
    assert any(
        p["record"] == "Taxed Ltd" and "OUTPUT2 is not linked" in p["reason"] for p in run.problems
    )
    assert Customer.objects.filter(name="Taxed Ltd", sales_tax_rate__isnull=True).exists()


def test_cust_4_chosen_contacts_only(nz):
    with xero(nz) as client:
        contacts = client.get("/Contacts", params={"page": 1})["Contacts"]
    chosen = [contacts[0]["ContactID"], contacts[2]["ContactID"]]
    run = do_import(nz, "customers", ids=chosen)
    assert run.created == 2
    assert set(xero_ids(Customer)) == set(chosen)


def test_sup_1_suppliers_come_from_contacts_that_are_suppliers_with_their_address(nz, sandbox):
    with xero(nz) as client:
        made = client.put(
            "/Contacts",
            {
                "Contacts": [
                    {
                        "Name": "Parts Wholesale",
                        "AccountNumber": "SUP-9",
                        "Addresses": [
                            {
                                "AddressType": "POBOX",
                                "AddressLine1": "PO Box 9",
                                "City": "Napier",
                                "PostalCode": "4110",
                                "Country": "New Zealand",
                            }
                        ],
                    }
                ]
            },
        )["Contacts"][0]
        client.put(
            "/Invoices",
            {
                "Invoices": [
                    {
                        "Type": "ACCPAY",
                        "Contact": {"ContactID": made["ContactID"]},
                        "LineItems": [
                            {
                                "Description": "Cables",
                                "Quantity": 1,
                                "UnitAmount": 10,
                                "AccountCode": "300",
                            }
                        ],
                    }
                ]
            },
        )
    run = do_import(nz, "suppliers")
    assert run.status == ImportStatus.DONE
    supplier = Supplier.objects.get(name="Parts Wholesale")
    assert (supplier.postal_line1, supplier.postal_city, supplier.postal_code) == (
        "PO Box 9",
        "Napier",
        "4110",
    )
    assert supplier.account_number == "SUP-9" and tenant(supplier) == nz.tenant_id
    assert not Supplier.objects.exclude(pk=supplier.pk).exists()  # customers are not suppliers


def test_prod_3_a_product_import_needs_a_group(nz):
    with pytest.raises(ValidationError) as caught:
        start_import(nz, "products", params={}, background=False)
    assert "product_group" in caught.value.message_dict
    assert not ImportRun.objects.exists()


def test_prod_2_and_4_products_matched_and_filled_from_xero(nz, product_group):
    do_import(nz, "tax-rates")
    with xero(nz) as client:
        items = client.get("/Items")["Items"]
    existing = Product.objects.create(name="Old name", code=items[0]["Code"], group=product_group)
    run = do_import(nz, "products", product_group=product_group.pk)
    assert run.status == ImportStatus.DONE and run.api_calls == 1
    existing.refresh_from_db()
    assert xero_id(existing) == items[0]["ItemID"] and existing.name == items[0]["Name"]
    second = by_xero_id(Product, items[1]["ItemID"])
    assert second.group == product_group and tenant(second) == nz.tenant_id
    assert second.unit_price == Decimal(str(items[1]["SalesDetails"]["UnitPrice"]))
    assert second.sales_account_code == items[1]["SalesDetails"]["AccountCode"]
    assert tax_type(second.sales_tax_rate) == items[1]["SalesDetails"]["TaxType"]
    assert Product.objects.count() == len(items)


def test_a_clashing_product_code_is_reported_and_the_rest_imported(nz, product_group):
    with xero(nz) as client:
        items = client.get("/Items")["Items"]
    make(
        Product,
        nz.tenant_id,
        "another-item",
        name="Other",
        code=items[0]["Code"],
        group=product_group,
    )
    run = do_import(nz, "products", product_group=product_group.pk)
    assert run.skipped == 1 and "already used by another product" in run.problems[0]["reason"]
    assert in_tenant(Product, nz.tenant_id).count() == len(items)


def test_trk_2_tracking_categories_and_options_come_across(nz):
    run = do_import(nz, "tracking")
    category = TrackingCategory.objects.get(organisation__remote_id=nz.tenant_id)
    assert run.created == 1 and category.name == "Region"
    assert sorted(category.options.values_list("name", flat=True)) == ["North", "South"]


def test_branding_themes_come_across_per_organisation(nz, au):
    do_import(nz, "branding")
    do_import(au, "branding")
    assert BrandingTheme.objects.filter(organisation__remote_id=nz.tenant_id).exists()
    assert BrandingTheme.objects.filter(organisation__remote_id=au.tenant_id).exists()


def test_a_second_import_sends_if_modified_since_and_takes_only_changes(nz, sandbox):
    admin_call(sandbox, "POST", "clock", advance_seconds=60)  # the contacts are a minute old
    first = do_import(nz, "customers")
    assert first.since is None and first.created >= 5 and first.xero_started_at
    admin_call(sandbox, "POST", "clock", advance_seconds=3600)  # later, in Xero's time
    with xero(nz) as client:
        client.put("/Contacts", {"Contacts": [{"Name": "Brand New Ltd"}]})
    second = do_import(nz, "customers")
    assert second.since == first.xero_started_at - dt.timedelta(seconds=1)
    assert (second.created, second.processed) == (1, 1)


def test_bad_xero_records_are_reported_per_record(nz):
    records = [
        mapping.contact_data({"ContactID": "a", "Name": ""}),
        mapping.contact_data({"ContactID": "b", "Name": "x" * 256}),
        mapping.contact_data({"ContactID": "c", "Name": "Fine Ltd", "AccountNumber": "9" * 51}),
        mapping.contact_data({"ContactID": "d", "Name": "Good Ltd"}),
    ]
    counts, problems = apply_contacts(Customer, organisation_for("xero", nz.tenant_id), records, {})
    assert counts == {"created": 1, "updated": 0, "skipped": 3}
    reasons = " | ".join(p["reason"] for p in problems)
    assert "no name" in reasons and "longer than 255" in reasons and "longer than 50" in reasons
    assert list(Customer.objects.values_list("name", flat=True)) == ["Good Ltd"]


def test_a_day_limit_leaves_the_import_waiting_to_resume_not_failed(nz, sandbox):
    admin_call(sandbox, "POST", "settings", day_limit=1)
    with xero(nz) as client:
        client.get("/Organisation")
    run = do_import(nz, "customers")
    assert run.status == ImportStatus.WAITING and run.resume_after is not None
    assert "resumes by itself" in run.message
    admin_call(sandbox, "POST", "settings", day_limit=5000)


def test_an_imported_customer_is_billable_like_any_other(nz, today):
    do_import(nz, "tax-rates")
    do_import(nz, "customers")
    customer = in_tenant(Customer, nz.tenant_id).first()
    rate = in_tenant(TaxRate, nz.tenant_id).first()
    invoice = issue_invoice(
        customer, [LineData("Support", Decimal(1), Decimal(100), rate.pk)], date=today
    )
    assert invoice.customer == customer and invoice.due_date >= today - dt.timedelta(days=0)


def test_prod_1_imported_products_carry_their_xero_item_code(nz, product_group):
    do_import(nz, "products", product_group=product_group.pk)
    with xero(nz) as client:
        codes = {i["ItemID"]: i["Code"] for i in client.get("/Items")["Items"]}
    assert {i: by_xero_id(Product, i).code for i in xero_ids(Product)} == codes


def test_cust_1_an_unlinked_customer_is_told_its_invoices_will_not_sync(
    nz, admin, client, gst, today
):
    unlinked = Customer.objects.create(name="Internal IT", account_number="INT-1")
    invoice = issue_invoice(
        unlinked, [LineData("Work", Decimal(1), Decimal(10), gst.pk)], date=today
    )
    client.force_login(admin)
    page = client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert "will not sync" in page and "not linked to a Xero contact" in page
    settings_tab = client.get(f"/customers/{unlinked.pk}/settings/").content.decode()
    assert "Not linked to Xero" in settings_tab and "will not sync" in settings_tab
    do_import(nz, "customers")
    linked = in_tenant(Customer, nz.tenant_id).first()
    linked_invoice = issue_invoice(
        linked, [LineData("Work", Decimal(1), Decimal(10), gst.pk)], date=today
    )
    page = client.get(f"/billing/invoices/{linked_invoice.pk}/").content.decode()
    assert "linked to a Xero contact" in page and "will not sync" not in page
