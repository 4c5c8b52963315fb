"""The sync engine, rule by rule, against the sandbox over HTTP: customers, suppliers and products
reach Xero in batches, each element's answer applied on its own, never sent twice (SYNC-1,
SYNC-3, SYNC-5, REQ-1..3, GEN-3, ERR-1)."""

from __future__ import annotations

import socket
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from ledgerbridge.catalog.models import Product, ProductGroup
from ledgerbridge.customers.models import Customer
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.models import Link, Organisation, SyncIssue, SyncSettings, SyncState
from ledgerbridge.sync.services import mark_changed, mark_deleted, organisation_for
from ledgerbridge.xero import connections, leases, outbound
from ledgerbridge.xero.errors import XeroError
from ledgerbridge.xero.models import TokenSet
from ledgerbridge.xero.sync_state import record_state
from ledgerbridge.xero.tasks import sync_organisation_task

from .helpers import REDIRECT_URI, admin_call, connect, consent, fast_client

pytestmark = pytest.mark.django_db

KINDS = {Customer: "customer", Supplier: "supplier", Product: "product"}


@pytest.fixture
def nz(xero_settings, sandbox):
    return connect(sandbox, "NZ books", "Demo Company (NZ)")


@pytest.fixture
def org(nz) -> Organisation:
    return organisation_for("xero", nz.tenant_id, nz.name)


@pytest.fixture
def chosen() -> SyncSettings:
    settings = SyncSettings.get()
    settings.sync_customers = settings.sync_suppliers = settings.sync_products = True
    settings.save()
    return settings


def make(model: Any, org: Organisation, **fields: Any) -> Any:
    """A record of the organisation, changed (as the services record it)."""
    with transaction.atomic():
        record = model.objects.create(organisation=org, **fields)
        mark_changed(KINDS[model], record.pk, org.pk)
    return record


def changed(record: Any) -> None:
    with transaction.atomic():
        record.save()
        mark_changed(KINDS[type(record)], record.pk, record.organisation_id)


def link(record: Any) -> Link:
    return Link.objects.get(kind=KINDS[type(record)], local_id=record.pk)


def run(nz, org, **kw: Any) -> outbound.Outcome:
    with fast_client(nz) as client:
        return outbound.sync_organisation(org.pk, client=client, **kw)


def xero_contacts(nz, **params: Any) -> list[dict[str, Any]]:
    with fast_client(nz) as client:
        return list(
            client.get("/Contacts", params={"includeArchived": "true", **params})["Contacts"]
        )


def test_sync_1_req_1_customers_with_an_account_number_reach_xero_the_rest_say_why(nz, org, chosen):
    acme = make(Customer, org, name="Acme Dental Sync", account_number="SYNC-1")
    bravo = make(Customer, org, name="Bravo Vets Sync", account_number="SYNC-2")
    internal = make(Customer, org, name="Internal IT")  # no account number: kept out (REQ-1)
    outcome = run(nz, org)
    assert (outcome.synced, outcome.not_eligible, outcome.calls) == (2, 1, 1)
    for customer in (acme, bravo):
        found = link(customer)
        assert found.state == SyncState.SYNCED and found.synced_version == found.version == 1
        (contact,) = xero_contacts(nz, IDs=found.remote_id)
        assert (contact["Name"], contact["AccountNumber"]) == (
            customer.name,
            customer.account_number,
        )
    kept_out = link(internal)
    assert kept_out.state == SyncState.NOT_ELIGIBLE and "no account number" in kept_out.reason
    # Run again: nothing to send, nothing sent.
    assert run(nz, org).calls == 0


def test_sync_1_an_update_goes_to_the_linked_contact_and_a_change_in_flight_stays_pending(
    nz, org, chosen
):
    acme = make(Customer, org, name="Acme Update", account_number="UPD-1")
    run(nz, org)
    remote = link(acme).remote_id
    acme.email = "accounts@acme.example"
    changed(acme)
    outcome = run(nz, org)
    assert outcome.synced == 1
    (contact,) = xero_contacts(nz, IDs=remote)
    assert contact["EmailAddress"] == "accounts@acme.example"
    assert link(acme).remote_id == remote and link(acme).synced_version == 2
    assert len(xero_contacts(nz, where='AccountNumber=="UPD-1"')) == 1


def test_sync_1_entities_not_chosen_are_not_synced_and_say_so(nz, org):
    supplier = make(Supplier, org, name="Ingram Sync", account_number="ING-S")
    outcome = run(nz, org)
    assert outcome.calls == 0
    assert "Suppliers are not chosen for sync" in link(supplier).reason


def test_req_3_a_suppliers_postal_and_street_addresses_reach_xero(nz, org, chosen):
    supplier = make(
        Supplier,
        org,
        name="Ingram Micro Sync",
        account_number="ING-9",
        postal_line1="PO Box 55",
        postal_city="Auckland",
        postal_code="1140",
        street_line1="1 Dock Road",
        street_city="Auckland",
        street_country="NZ",
    )
    run(nz, org)
    (contact,) = xero_contacts(nz, IDs=link(supplier).remote_id)
    addresses = {a["AddressType"]: a for a in contact["Addresses"]}
    assert addresses["POBOX"]["AddressLine1"] == "PO Box 55"
    assert addresses["POBOX"]["PostalCode"] == "1140"
    assert addresses["STREET"]["AddressLine1"] == "1 Dock Road"
    assert addresses["STREET"]["Country"] == "NZ"


def test_req_2_gen_3_products_need_a_code_and_sales_account_and_children_never_sync(
    nz, org, chosen
):
    chosen.product_linking = True
    chosen.save()
    group = ProductGroup.objects.create(name="Sync group")
    parent = make(
        Product, org, name="Firewall", code="FW-SYNC", sales_account_code="200", group=group
    )
    child = make(
        Product,
        org,
        name="Firewall (blue)",
        code="FW-SYNC-B",
        sales_account_code="200",
        group=group,
        parent=parent,
    )
    no_account = make(Product, org, name="Cable", code="CAB-SYNC", group=group)
    no_code = make(Product, org, name="Labour", sales_account_code="200", group=group)
    outcome = run(nz, org)
    assert outcome.synced == 1
    with fast_client(nz) as client:
        (item,) = client.get(f"/Items/{link(parent).remote_id}")["Items"]
    assert item["Code"] == "FW-SYNC" and item["SalesDetails"]["AccountCode"] == "200"
    assert "child product" in link(child).reason
    assert "no sales accounts code" in link(no_account).reason
    assert "no product code" in link(no_code).reason


def test_err_1_sync_5_a_batch_of_50_with_three_refused_fails_those_alone(nz, org, chosen):
    taken = xero_contacts(nz, page=1)[0]["Name"]  # a name Xero already has
    customers = [
        make(Customer, org, name=f"Batch customer {n:02}", account_number=f"B-{n:02}")
        for n in range(47)
    ]
    refused = [
        make(Customer, org, name=taken, account_number=f"DUP-{n}") for n in range(3)
    ]  # three with a name another Xero contact has
    outcome = run(nz, org)
    assert outcome.calls == 1 and outcome.synced == 47 and outcome.failed == 3
    assert all(link(c).state == SyncState.SYNCED for c in customers)
    for customer in refused:
        failed = link(customer)
        assert failed.state == SyncState.FAILED and failed.remote_id == ""
        assert "already" in failed.reason and "rename" in failed.reason
    issues = SyncIssue.objects.filter(organisation=org, resolved_at__isnull=True)
    assert issues.count() == 3 and {i.local_id for i in issues} == {c.pk for c in refused}
    assert issues.first().sent["Name"] == taken
    # The same failure again is counted, not listed again (ERR-2).
    changed(refused[0])
    run(nz, org)
    again = SyncIssue.objects.get(local_id=refused[0].pk)
    assert again.count == 2 and SyncIssue.objects.count() == 3
    # Fixed, it syncs and its issue is resolved (ERR-3).
    refused[0].name = "Now unique customer"
    changed(refused[0])
    run(nz, org)
    assert link(refused[0]).state == SyncState.SYNCED
    assert SyncIssue.objects.get(local_id=refused[0].pk).resolved_at is not None


def test_a_lost_answer_after_commit_is_settled_by_lookup_never_duplicated(nz, org, chosen, sandbox):
    acme = make(Customer, org, name="Lost Answer Ltd", account_number="LOST-1")
    admin_call(sandbox, "POST", "faults", kind="drop_after_commit", count=10)
    outcome = run(nz, org)
    assert outcome.synced == 0 and outcome.held
    uncertain = link(acme)
    assert uncertain.state == SyncState.IN_FLIGHT and uncertain.remote_id == ""
    assert len(xero_contacts(nz, where='AccountNumber=="LOST-1"')) == 1  # Xero made it
    admin_call(sandbox, "DELETE", "faults")
    Link.objects.filter(pk=uncertain.pk).update(not_before=None)  # its back-off has passed
    outcome = run(nz, org)
    assert outcome.synced == 1
    (contact,) = xero_contacts(nz, where='AccountNumber=="LOST-1"')  # still exactly one
    assert link(acme).remote_id == contact["ContactID"]


def test_sync_3_archive_and_restore_follow_active(nz, org, chosen):
    chosen.archive_inactive = True
    chosen.save()
    acme = make(Customer, org, name="Archive Me Ltd", account_number="ARC-1")
    run(nz, org)
    remote = link(acme).remote_id
    acme.active = False
    changed(acme)
    run(nz, org)
    assert xero_contacts(nz, IDs=remote)[0]["ContactStatus"] == "ARCHIVED"
    acme.active = True
    changed(acme)
    run(nz, org)
    assert link(acme).state == SyncState.SYNCED, link(acme).reason
    assert xero_contacts(nz, IDs=remote)[0]["ContactStatus"] == "ACTIVE"


def test_one_worker_per_organisation_and_a_dead_holders_lease_is_taken_over(nz, org, chosen):
    make(Customer, org, name="Leased Ltd", account_number="LEASE-1")
    other = leases.acquire(org.pk, "another-host:123:abc")
    assert other is not None
    outcome = run(nz, org)
    assert outcome.calls == 0 and "Another worker" in outcome.held
    # A holder on this machine whose process is gone (killed) is taken over at once.
    leases.release(org.pk, other)
    dead = f"{socket.gethostname()}:{2**22 + 4321}:gone"  # above any pid Linux hands out
    assert leases.acquire(org.pk, dead) == dead
    assert run(nz, org).synced == 1


def test_money_fields_travel_as_text_not_floats(nz, org, chosen):
    group = ProductGroup.objects.create(name="Money group")
    item = make(
        Product,
        org,
        name="Precise",
        code="PREC-1",
        sales_account_code="200",
        unit_price=Decimal("12.3456"),
        group=group,
    )
    run(nz, org)
    with fast_client(nz) as client:
        (found,) = client.get(f"/Items/{link(item).remote_id}", params={"unitdp": 4})["Items"]
    assert Decimal(str(found["SalesDetails"]["UnitPrice"])) == Decimal("12.3456")


def test_a_connection_needing_reauthorisation_holds_its_work_and_resumes_when_reconnected(
    nz, org, chosen, sandbox, xero_settings, django_capture_on_commit_callbacks
):
    acme = make(Customer, org, name="Held Ltd", account_number="HELD-1")
    token_set = TokenSet.objects.get()
    connections.mark_needs_reauth(token_set.pk, "The grant was revoked in Xero.")
    outcome = outbound.sync_organisation(org.pk)
    assert "not connected" in outcome.held and outcome.calls == 0
    assert link(acme).state == SyncState.PENDING  # nothing lost, nothing failed
    page_words = record_state("customer", acme).words
    assert "not connected to Xero" in page_words and "nothing is lost" in page_words
    url = connections.start_authorisation(nz, None, REDIRECT_URI)
    with django_capture_on_commit_callbacks(execute=True):
        connections.complete_authorisation(consent(sandbox, url), REDIRECT_URI)
    queued = DBTaskResult.objects.filter(task_path=sync_organisation_task.module_path)
    assert queued.filter(args_kwargs__args__0=org.pk).exists()  # it continues by itself
    nz.refresh_from_db()
    assert run(nz, org).synced == 1


def test_an_organisation_out_of_its_day_waits_visibly_until_it_resets(nz, org, chosen, sandbox):
    acme = make(Customer, org, name="Tomorrow Ltd", account_number="DAY-1")
    admin_call(sandbox, "POST", "settings", day_limit=0)
    try:
        outcome = run(nz, org)
    finally:
        admin_call(sandbox, "POST", "settings", day_limit=5000)
    assert outcome.synced == 0 and outcome.resume_at is not None and "daily" in outcome.held
    assert link(acme).state == SyncState.PENDING
    nz.refresh_from_db()
    assert nz.paused_until is not None  # shown on the connection's page with its time


def test_deleted_records_are_archived_or_deleted_in_xero_last(nz, org, chosen):
    group = ProductGroup.objects.create(name="Going group")
    customer = make(Customer, org, name="Going Ltd", account_number="GONE-1")
    item = make(
        Product, org, name="Going item", code="GONE-I", sales_account_code="200", group=group
    )
    never = make(Customer, org, name="Never sent", account_number="")  # Xero never knew it
    run(nz, org)
    contact_id, item_id = link(customer).remote_id, link(item).remote_id
    with transaction.atomic():
        for record, kind in ((customer, "customer"), (item, "product"), (never, "customer")):
            pk = record.pk
            record.delete()
            mark_deleted(kind, pk)
    assert Link.objects.filter(deleted_at__isnull=False).count() == 2  # the unknown one is gone
    outcome = run(nz, org)
    assert outcome.calls == 2 and outcome.failed == 0
    assert xero_contacts(nz, IDs=contact_id)[0]["ContactStatus"] == "ARCHIVED"
    with fast_client(nz) as client, pytest.raises(XeroError):
        client.get(f"/Items/{item_id}")
    assert not Link.objects.filter(deleted_at__isnull=False).exists()


def test_err_1_an_unknown_accounts_code_fails_the_product_in_words(nz, org, chosen):
    group = ProductGroup.objects.create(name="Bad account group")
    item = make(Product, org, name="Odd", code="ODD-1", sales_account_code="999", group=group)
    outcome = run(nz, org)
    assert outcome.failed == 1
    assert "not an account of this organisation" in link(item).reason
    assert SyncIssue.objects.get(local_id=item.pk).label == "Product ODD-1 Odd"


def test_an_uncertain_create_stays_uncertain_when_a_limit_stops_the_next_attempt(
    nz, org, chosen, sandbox
):
    acme = make(Customer, org, name="Still Unsure Ltd", account_number="UNSURE-1")
    admin_call(sandbox, "POST", "faults", kind="drop_after_commit", count=10)
    run(nz, org)  # Xero made the contact, the answer was lost
    admin_call(sandbox, "DELETE", "faults")
    Link.objects.filter(pk=link(acme).pk).update(not_before=None)
    admin_call(sandbox, "POST", "settings", day_limit=0)  # the next attempt is stopped
    try:
        assert run(nz, org).synced == 0
    finally:
        admin_call(sandbox, "POST", "settings", day_limit=5000)
    assert link(acme).state == SyncState.IN_FLIGHT  # still to be looked up, not re-created
    nz.refresh_from_db()
    nz.paused_until = None
    nz.save()
    assert run(nz, org).synced == 1
    assert len(xero_contacts(nz, where='AccountNumber=="UNSURE-1"')) == 1
