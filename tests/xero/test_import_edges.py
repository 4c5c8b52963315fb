"""Import edge cases found in review: clashing account numbers, records left behind, archived
contacts, other organisations' unlinked records, removed options, stale tax links."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ledgerbridge.catalog.models import Product, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.sync.services import organisation_for
from ledgerbridge.tracking.models import TrackingCategory, TrackingOption
from ledgerbridge.xero import mapping
from ledgerbridge.xero.imports import apply_contacts, run_import, start_import
from ledgerbridge.xero.models import ImportStatus, ImportWatermark
from ledgerbridge.xero.tax_links import link_tax_rate

from .helpers import connect, fast_client
from .links import in_tenant, make, tax_type, tenant, xero_id

pytestmark = pytest.mark.django_db


def do_import(connection, kind, **params):
    run = start_import(connection, kind, params=params, background=False)
    with fast_client(connection) as client:
        return run_import(run.pk, client=client)


@pytest.fixture
def nz(xero_settings, sandbox):
    return connect(sandbox, "NZ books", "Demo Company (NZ)")


def test_cust_2_a_matched_record_whose_number_is_taken_joins_without_it(nz):
    make(Customer, nz.tenant_id, "other-contact", name="Alpha", account_number="A100")
    beta = Customer.objects.create(name="Beta Ltd", account_number="A100")  # no organisation yet
    counts, problems = apply_contacts(
        Customer,
        organisation_for("xero", nz.tenant_id),
        [mapping.contact_data({"ContactID": "c-beta", "Name": "Beta Ltd"})],
        {},
    )
    beta.refresh_from_db()
    assert counts["updated"] == 1 and xero_id(beta) == "c-beta" and beta.account_number is None
    assert "A100 is already used" in problems[0]["reason"]


def test_cust_6_records_left_behind_come_back_once_the_cause_is_fixed(nz):
    with fast_client(nz) as client:
        client.put(
            "/Contacts",
            {"Contacts": [{"Name": "Taxed Ltd", "AccountsReceivableTaxType": "OUTPUT2"}]},
        )
    first = do_import(nz, "customers")
    assert first.problems and not ImportWatermark.objects.exists()  # the watermark stays put
    do_import(nz, "tax-rates")
    do_import(nz, "customers")
    assert tax_type(Customer.objects.get(name="Taxed Ltd").sales_tax_rate) == "OUTPUT2"


def test_a_contact_archived_in_xero_is_made_inactive(nz):
    do_import(nz, "customers")
    victim = in_tenant(Customer, nz.tenant_id).first()
    with fast_client(nz) as client:
        client.post(
            "/Contacts", {"Contacts": [{"ContactID": xero_id(victim), "ContactStatus": "ARCHIVED"}]}
        )
    run = do_import(nz, "customers")
    victim.refresh_from_db()
    assert run.status == ImportStatus.DONE and not victim.active


def test_cust_3_an_unlinked_record_of_another_organisation_never_matches(nz, product_group):
    with fast_client(nz) as client:
        contact = client.get("/Contacts", params={"page": 1})["Contacts"][0]
        item = client.get("/Items")["Items"][0]
    theirs = make(Customer, "another-organisation", name=contact["Name"])
    their_product = make(
        Product, "another-organisation", name=item["Name"], code=item["Code"], group=product_group
    )
    do_import(nz, "customers")
    do_import(nz, "products", product_group=product_group.pk)
    theirs.refresh_from_db()
    their_product.refresh_from_db()
    assert (xero_id(theirs), tenant(theirs)) == ("", "another-organisation")
    assert (xero_id(their_product), tenant(their_product)) == ("", "another-organisation")
    assert in_tenant(Customer, nz.tenant_id).filter(name=contact["Name"]).count() == 1
    assert in_tenant(Product, nz.tenant_id).filter(code=item["Code"]).count() == 1


def test_trk_2_an_option_removed_in_xero_is_marked_removed(nz):
    do_import(nz, "tracking")
    category = TrackingCategory.objects.get(organisation__remote_id=nz.tenant_id)
    TrackingOption.objects.create(category=category, remote_id="gone", name="Gone")
    do_import(nz, "tracking")
    assert TrackingOption.objects.get(remote_id="gone").status == "REMOVED"
    assert category.options.exclude(remote_id="gone").filter(status="ACTIVE").count() == 2


def test_tax_1_a_link_to_a_tax_rate_no_longer_active_is_reported(nz):
    make(TaxRate, nz.tenant_id, "TAX999", name="Old GST", percentage=Decimal(12))
    run = do_import(nz, "tax-rates")
    assert any(p["record"] == "Old GST" and "no longer active" in p["reason"] for p in run.problems)


def test_tax_2_linking_refuses_a_name_the_organisation_already_has(nz):
    make(TaxRate, nz.tenant_id, "OUTPUT2", name="GST", percentage=Decimal(15))
    mine = TaxRate.objects.create(name="GST", percentage=Decimal(15))
    with pytest.raises(ValidationError) as caught:
        link_tax_rate(mine, nz.tenant_id, "INPUT2")
    assert "tax_rate" in caught.value.message_dict
    mine.refresh_from_db()
    assert tenant(mine) == ""
