"""The import screens as an admin uses them (CUST-4/5, SUP-1, PROD-3/4, TAX-3, TRK-2), against
the sandbox over HTTP; queued runs are carried out here with `run_import`, as the worker would."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from browsing import sign_in  # tests/, on the path
from ledgerbridge.catalog.models import Product, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.xero import connections
from ledgerbridge.xero.imports import run_import, start_import
from ledgerbridge.xero.models import ImportRun, ImportStatus

from .helpers import admin_call, connect, fast_client
from .links import by_xero_id, in_tenant, make, pairs, tenant, xero_data, xero_id, xero_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def nz(xero_settings, sandbox, monkeypatch):
    # The screens use the process's budgets (a day limit pauses them): start them afresh here,
    # and leave other tests' alone. The sandbox's tenant ids repeat from test to test.
    return connect(sandbox, "NZ books", "Demo Company (NZ)")


@pytest.fixture
def screens(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


def importer_url(connection, kind):
    return reverse("xero:xero_imports:importer", args=[connection.pk, kind])


def contacts(connection, **params):
    with fast_client(connection) as client:
        return client.get("/Contacts", params={"page": 1, **params})["Contacts"]


def carry_out(run_id, connection):
    """What the worker does with a queued run."""
    with fast_client(connection) as client:
        return run_import(run_id, client=client)


def text(response) -> str:
    return unescape(response.content.decode())


# --- who may use them --------------------------------------------------------------------------


def test_only_admins_reach_the_import_screens(client, billing_user, technician, admin, nz):
    run = start_import(nz, "tax-rates", background=False)
    urls = [
        importer_url(nz, "customers"),
        reverse("xero:xero_imports:run", args=[run.pk]),
        reverse("xero:xero_imports:progress", args=[run.pk]),
    ]
    start = reverse("xero:xero_imports:start", args=[nz.pk, "branding"])
    for url in [*urls, start]:
        assert client.get(url).status_code in (302, 405)  # to the login page (start: POST only)
    for user in (billing_user, technician):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403
        assert client.post(start).status_code == 403
        assert client.post(importer_url(nz, "customers"), {"action": "all"}).status_code == 403
    assert ImportRun.objects.count() == 1  # nothing started by them
    client.force_login(admin)
    for url in urls:
        assert client.get(url).status_code == 200


# --- the connection's Imports panel ------------------------------------------------------------


def test_imports_panel_only_on_a_connected_organisation_with_its_recent_runs(screens, nz):
    page = text(screens.get(reverse("xero:connection", args=[nz.pk])))
    assert "Imports" in page and "Import tax rates" in page and "Import customers…" in page
    assert "Nothing imported from this organisation yet" in page
    run = start_import(nz, "branding", background=False)
    carry_out(run.pk, nz)
    page = text(screens.get(reverse("xero:connection", args=[nz.pk])))
    assert reverse("xero:xero_imports:run", args=[run.pk]) in page and "Branding themes" in page

    connections.disconnect(nz)
    page = text(screens.get(reverse("xero:connection", args=[nz.pk])))
    assert "Import tax rates" not in page and "Import customers…" not in page


def test_tax_3_import_tax_rates_reports_count_and_refusals_on_screen(screens, nz, customer, gst):
    unused = TaxRate.objects.create(name="Old rate", percentage=5)
    gst.percentage = 12  # no Xero rate of 12 %: kept unlinked, as it is in use
    gst.save()
    answer = screens.post(reverse("xero:xero_imports:start", args=[nz.pk, "tax-rates"]))
    run = ImportRun.objects.get()
    assert answer.status_code == 302
    assert answer["location"] == reverse("xero:xero_imports:run", args=[run.pk])
    assert run.status == ImportStatus.QUEUED and run.kind == "tax-rates"  # background work

    page = text(screens.get(answer["location"]))
    assert "Tax rates import" in page and "Queued" in page and "Refresh" in page
    assert "tax rates import queued" in page.lower()

    done = carry_out(run.pk, nz)
    page = text(screens.get(answer["location"]))
    assert "Done" in page and f"{done.created} created" in page
    assert f">{done.created}</td>" in page and done.created > 0
    # The rate still in use is refused, by name, with who uses it; the unused one is gone.
    assert "GST" in page and "still used by" in page and "Acme Dental" in page
    assert not TaxRate.objects.filter(pk=unused.pk).exists()
    assert "This page follows the import" in page  # hidden once finished; polling stops
    assert 'data-run-finished="yes"' in page


def test_trk_2_tracking_and_branding_buttons_run_their_imports(screens, nz):
    for kind, label in (("tracking", "Tracking categories"), ("branding", "Branding themes")):
        answer = screens.post(reverse("xero:xero_imports:start", args=[nz.pk, kind]))
        run = ImportRun.objects.get(kind=kind)
        assert answer["location"] == reverse("xero:xero_imports:run", args=[run.pk])
        carry_out(run.pk, nz)
        page = text(screens.get(answer["location"]))
        assert f"{label} import" in page and "Done" in page


# --- the importer -------------------------------------------------------------------------------


def test_cust_4_importer_lists_xero_customers_with_what_each_would_do(screens, nz):
    first, second, *rest = contacts(nz)
    by_name = Customer.objects.create(name=first["Name"].upper())
    by_number = Customer.objects.create(name="Someone else", account_number=second["AccountNumber"])
    before = (list(Customer.objects.values_list("pk", "name", "organisation")), pairs(Customer))

    answer = screens.get(importer_url(nz, "customers"))
    page = text(answer)
    assert answer.status_code == 200
    for contact in (first, second, *rest):
        assert contact["Name"] in page and f'value="{contact["ContactID"]}"' in page
    settings_of = reverse("customers:settings", args=[by_name.pk])
    assert f'Would update</span> <a href="{settings_of}">' in page
    assert "(matched by name)" in page and "(matched by accounts code)" in page
    assert page.count("Would create") == len(rest)
    assert second["EmailAddress"] in page if second.get("EmailAddress") else True
    # The preview wrote nothing.
    after = (list(Customer.objects.values_list("pk", "name", "organisation")), pairs(Customer))
    assert after == before
    assert not ImportRun.objects.exists()

    # "Import all" queues background work; once done, the same rows match by Xero ID.
    answer = screens.post(importer_url(nz, "customers"), {"action": "all"})
    run = ImportRun.objects.get()
    assert answer["location"] == reverse("xero:xero_imports:run", args=[run.pk])
    assert run.params == {} and run.status == ImportStatus.QUEUED
    carry_out(run.pk, nz)
    page = text(screens.get(importer_url(nz, "customers")))
    assert "Would create" not in page and "(matched by xero id)" in page
    by_number.refresh_from_db()
    assert xero_id(by_number) == second["ContactID"]


def test_cust_4_prod_2_each_importer_page_view_is_one_xero_call(screens, nz, sandbox):
    def accepted():
        return admin_call(sandbox, "GET", f"organisations/{nz.tenant_id}/limits")["accepted"]

    for kind, params in (("customers", {}), ("customers", {"q": "a"}), ("products", {"page": 1})):
        before = accepted()
        assert screens.get(importer_url(nz, kind), params).status_code == 200
        assert accepted() == before + 1


def test_cust_4_import_selected_brings_only_the_chosen_records(screens, nz):
    chosen = [c["ContactID"] for c in contacts(nz)[:2]]
    answer = screens.post(importer_url(nz, "customers"), {"action": "selected", "ids": chosen})
    run = ImportRun.objects.get()
    assert answer.status_code == 302 and run.params == {"ids": chosen}
    done = carry_out(run.pk, nz)
    assert done.created == 2
    assert set(xero_ids(Customer)) == set(chosen)
    page = text(screens.get(answer["location"]))
    assert "Done" in page and "2 of 2 processed" in page


def test_cust_4_import_selected_with_nothing_selected_is_refused(screens, nz):
    answer = screens.post(importer_url(nz, "customers"), {"action": "selected"})
    assert answer.status_code == 400
    assert "Select at least one record, or press Import all" in text(answer)
    assert not ImportRun.objects.exists()


def test_cust_4_importer_searches_and_pages_through_xero(screens, nz):
    with fast_client(nz) as client:
        client.put(
            "/Contacts",
            {"Contacts": [{"Name": f"Bulk Client {n:03}"} for n in range(100)]},
        )
    total = len(contacts(nz, pageSize=1000))
    first = text(screens.get(importer_url(nz, "customers")))
    assert f"Page 1 of 2 · {total} in Xero" in first and 'rel="next"' in first
    assert first.count('name="ids"') == 100
    second = text(screens.get(importer_url(nz, "customers"), {"page": 2}))
    assert second.count('name="ids"') == total - 100 and 'rel="prev"' in second
    found = text(screens.get(importer_url(nz, "customers"), {"q": "Bulk Client 042"}))
    assert found.count('name="ids"') == 1 and "Bulk Client 042" in found
    nothing = text(screens.get(importer_url(nz, "customers"), {"q": "no such contact zzz"}))
    assert "Nothing in Xero matches" in nothing


def make_supplier_only_contact(connection, name="Parts Wholesale"):
    """A contact Xero marks as a supplier only: it has a bill and no sales invoice."""
    with fast_client(connection) as client:
        made = client.put("/Contacts", {"Contacts": [{"Name": name, "AccountNumber": "SUP-9"}]})
        contact = made["Contacts"][0]
        line = {"Description": "Cables", "Quantity": 1, "UnitAmount": 10, "AccountCode": "300"}
        client.put(
            "/Invoices",
            {
                "Invoices": [
                    {
                        "Type": "ACCPAY",
                        "Contact": {"ContactID": contact["ContactID"]},
                        "LineItems": [line],
                    }
                ]
            },
        )
    return contact


def test_sup_1_importers_say_which_contacts_import_all_leaves_out(screens, nz):
    make_supplier_only_contact(nz)
    suppliers = text(screens.get(importer_url(nz, "suppliers"), {"q": "Parts Wholesale"}))
    assert "Import suppliers from Xero" in suppliers and "Parts Wholesale" in suppliers
    assert "supplier" in suppliers and "Would create</span> a new supplier" in suppliers
    assert "Import all leaves it out" not in suppliers
    customers = text(screens.get(importer_url(nz, "customers"), {"q": "Parts Wholesale"}))
    assert "Import all leaves it out: Xero marks it as a supplier only" in customers
    others = text(screens.get(importer_url(nz, "suppliers"), {"q": contacts(nz)[0]["Name"]}))
    assert "Import all leaves it out: Xero does not mark it as a supplier" in others


def test_prod_2_products_importer_lists_items_with_code_price_and_match(screens, nz, product_group):
    with fast_client(nz) as client:
        items = client.get("/Items")["Items"]
    same_code = Product.objects.create(name="Ours", code=items[0]["Code"], group=product_group)
    page = text(screens.get(importer_url(nz, "products")))
    for item in items:
        assert item["Code"] in page and f'value="{item["ItemID"]}"' in page
    edit = reverse("catalog:product_edit", args=[same_code.pk])
    assert f'<a href="{edit}">' in page and "(matched by accounts code)" in page
    assert page.count("Would create</span> a new product") == len(items) - 1
    price = items[1].get("SalesDetails", {}).get("UnitPrice")
    if price is not None:
        assert f"{price:.2f}" in page
    assert "Where imported products go" in page and "Product group" in page
    found = text(screens.get(importer_url(nz, "products"), {"q": items[1]["Code"]}))
    assert found.count('name="ids"') == 1


def test_prod_2_an_item_whose_code_another_product_here_holds_cannot_be_imported(
    screens, nz, product_group
):
    with fast_client(nz) as client:
        item = client.get("/Items")["Items"][0]
    make(
        Product,
        nz.tenant_id,
        "00000000-0000-0000-0000-000000000001",
        name="Linked elsewhere",
        code=item["Code"],
        group=product_group,
    )
    page = text(screens.get(importer_url(nz, "products"), {"q": item["Code"]}))
    assert f"Cannot import</span> item code {item['Code']} is already used" in page
    assert f'value="{item["ItemID"]}"' not in page  # nothing to select


def test_a_record_xero_gives_that_cannot_be_imported_shows_its_reason_and_no_checkbox(rf, nz):
    # The sandbox enforces Xero's limits, so it cannot give such a record: render the row.
    from django.template.loader import render_to_string

    from ledgerbridge.xero.import_views import ImportForm, Preview, Row
    from ledgerbridge.xero.models import ImportKind

    row = Row(xero_id="", name="", code="", problems=["it has no name"])
    html = render_to_string(
        "xero/import_records.html",
        {
            "connection": nz,
            "kind": ImportKind.CUSTOMERS,
            "form": ImportForm(),
            "preview": Preview([row], 1, False, 1, 1),
            "selected": set(),
        },
        request=rf.get("/"),
    )
    assert "Cannot import</span> it has no name" in html and 'name="ids"' not in html


# --- products need a group (PROD-3) and show their Xero data (PROD-4) ---------------------------


def test_prod_3_product_import_refused_without_group(screens, nz):
    answer = screens.post(importer_url(nz, "products"), {"action": "all"})
    page = text(answer)
    assert answer.status_code == 400
    assert "Nothing was imported" in page
    assert "Choose the product group imported products join." in page
    assert "PROD-3" not in page  # requirement ids are for tests, not for people
    assert 'class="field has-error"' in page  # on the field itself
    bogus = screens.post(importer_url(nz, "products"), {"action": "all", "product_group": "999"})
    assert bogus.status_code == 400 and "Select a valid choice" in text(bogus)
    assert not ImportRun.objects.exists() and not Product.objects.exists()


def test_prod_4_imported_product_shows_tenant_codes_and_tax_rates(
    screens, nz, product_group, product
):
    assert "Not linked to Xero" in text(
        screens.get(reverse("catalog:product_edit", args=[product.pk]))
    )
    run = start_import(nz, "tax-rates", background=False)
    carry_out(run.pk, nz)
    answer = screens.post(
        importer_url(nz, "products"), {"action": "all", "product_group": product_group.pk}
    )
    run = ImportRun.objects.get(kind="products")
    assert answer["location"] == reverse("xero:xero_imports:run", args=[run.pk])
    assert run.params == {"product_group": product_group.pk}
    assert carry_out(run.pk, nz).created > 0
    imported = in_tenant(Product, nz.tenant_id).exclude(sales_tax_rate=None)
    item = imported.first()
    assert item is not None and item.group == product_group
    page = text(screens.get(reverse("catalog:product_edit", args=[item.pk])))
    assert "NZ books (Demo Company (NZ))" in page and xero_id(item) in page
    assert item.code in page and item.sales_account_code in page
    assert str(item.sales_tax_rate) in page
    assert "Last changed in Xero" in page and "SalesDetails.AccountCode" in page


# --- customers and suppliers show their Xero link (CUST-5, SUP-1) -------------------------------


def test_cust_5_settings_tab_shows_tenant_and_xero_data(screens, nz, customer):
    settings_tab = reverse("customers:settings", args=[customer.pk])
    assert "Not linked to Xero" in text(screens.get(settings_tab))
    run = start_import(nz, "customers", background=False)
    carry_out(run.pk, nz)
    imported = in_tenant(Customer, nz.tenant_id).first()
    assert imported is not None
    url = reverse("customers:settings", args=[imported.pk])
    page = text(screens.get(url))
    assert "NZ books (Demo Company (NZ))" in page and xero_id(imported) in page
    assert "Last changed in Xero" in page
    assert "ContactID" in page and xero_data(imported)["Name"] in page
    # Only the settings tab shows it.
    assert "Last changed in Xero" not in text(
        screens.get(reverse("customers:edit", args=[imported.pk]))
    )
    # The organisation outlives its connection: a deleted connection is said so.
    connections.delete_connection(nz)
    page = text(screens.get(url))
    assert f"{imported.organisation.name} (connection deleted)" in page
    assert tenant(imported) == nz.tenant_id


def test_sup_1_supplier_page_shows_tenant_and_xero_data(screens, nz, supplier):
    assert "Not linked to Xero" in text(screens.get(reverse("suppliers:edit", args=[supplier.pk])))
    chosen = contacts(nz)[0]["ContactID"]  # chosen contacts come even if not yet suppliers
    run = start_import(nz, "suppliers", params={"ids": [chosen]}, background=False)
    carry_out(run.pk, nz)
    imported = in_tenant(Supplier, nz.tenant_id).first()
    assert imported is not None
    page = text(screens.get(reverse("suppliers:edit", args=[imported.pk])))
    assert "NZ books (Demo Company (NZ))" in page and xero_id(imported) in page
    assert "ContactID" in page and imported.name in page


# --- progress and failures ----------------------------------------------------------------------


def test_progress_json_answers_the_runs_fields(screens, nz):
    run = start_import(nz, "customers", background=False)
    url = reverse("xero:xero_imports:progress", args=[run.pk])
    queued = screens.get(url).json()
    assert queued["status"] == "queued" and queued["finished"] is False
    assert queued["status_label"] == "Queued" and queued["percent"] is None
    carry_out(run.pk, nz)
    done = screens.get(url)
    assert done["Cache-Control"] == "no-store"
    facts = done.json()
    assert facts["status"] == "done" and facts["finished"] is True
    assert facts["processed"] == facts["total"] == facts["created"] > 0
    assert facts["percent"] == 100 and facts["problems"] == []
    assert facts["kind_label"] == "Customers" and facts["message"].startswith("Customers:")
    missing = screens.get(reverse("xero:xero_imports:progress", args=[run.pk + 100]))
    assert missing.status_code == 404 and "no such import run" in missing.json()["error"]


def test_a_day_limit_shows_on_the_importer_and_the_run_waits_with_its_resume_time(
    screens, nz, sandbox
):
    admin_call(sandbox, "POST", "settings", day_limit=1)
    try:
        with fast_client(nz) as client:
            client.get("/Organisation")
        run = start_import(nz, "customers", background=False)
        waiting = carry_out(run.pk, nz)
        assert waiting.status == ImportStatus.WAITING
        page = text(screens.get(reverse("xero:xero_imports:run", args=[run.pk])))
        assert "Waiting for Xero&#x27;s limit" in page or "Waiting for Xero's limit" in page
        assert "resumes by itself at" in page
        assert screens.get(reverse("xero:xero_imports:progress", args=[run.pk])).json()[
            "resume_after"
        ]

        answer = screens.get(importer_url(nz, "customers"))
        page = text(answer)
        assert answer.status_code == 200  # a clear message, not a 500
        assert "Xero could not list the records" in page and "daily" in page
        assert 'name="ids"' not in page
    finally:
        admin_call(sandbox, "POST", "settings", day_limit=5000)


def test_a_run_waiting_for_reconnection_says_so(screens, nz):
    run = start_import(nz, "customers", background=False)
    with fast_client(nz) as client:  # made while connected; the run finds it disconnected
        connections.disconnect(nz)
        waiting = run_import(run.pk, client=client)
    assert waiting.status == ImportStatus.WAITING and waiting.resume_after is None
    page = text(screens.get(reverse("xero:xero_imports:run", args=[run.pk])))
    assert "Waiting for the connection" in page and "data-run-waiting hidden" in page


def test_a_failed_run_shows_its_message(screens, nz):
    run = start_import(nz, "customers", background=False)
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.FAILED, message="Xero refused: boom", finished_at=timezone.now()
    )
    page = text(screens.get(reverse("xero:xero_imports:run", args=[run.pk])))
    assert "Failed" in page and "Xero refused: boom" in page


# --- bad input: a clear 4xx, never a 500, nothing half-saved ------------------------------------


def test_bad_input_is_refused_with_a_clear_message(screens, nz):
    cases = [
        ("get", importer_url(nz, "invoices"), {}, 404, "There is no import of “invoices”"),
        ("get", importer_url(nz, "tax-rates"), {}, 404, "choose one of customers"),
        (
            "post",
            reverse("xero:xero_imports:start", args=[nz.pk, "customers"]),
            {},
            404,
            "choose one of tax-rates",
        ),
        (
            "get",
            reverse("xero:xero_imports:importer", args=[nz.pk + 50, "customers"]),
            {},
            404,
            "no such",
        ),
        ("get", importer_url(nz, "customers") + "?page=abc", {}, 400, "is not a page number"),
        ("get", importer_url(nz, "customers") + "?page=0", {}, 400, "is not a page number"),
        ("get", importer_url(nz, "customers"), {"page": "²"}, 400, "is not a page number"),
        ("get", importer_url(nz, "customers"), {"page": "9" * 30}, 400, "is not a page number"),
        (
            "post",
            importer_url(nz, "customers"),
            {"action": "selected", "ids": ["not-a-guid"]},
            400,
            "is not a Xero record ID",
        ),
        ("post", importer_url(nz, "customers"), {"action": "sideways"}, 400, "Select a valid"),
        ("get", reverse("xero:xero_imports:run", args=[987]), {}, 404, "no such import run"),
    ]
    for method, url, data, status, message in cases:
        answer = getattr(screens, method)(url, data)
        assert answer.status_code == status, (url, answer.status_code)
        assert message in text(answer), url
    assert not ImportRun.objects.exists() and not Customer.objects.exists()


def test_an_organisation_that_is_not_connected_cannot_import(screens, nz):
    connections.disconnect(nz)
    answer = screens.get(importer_url(nz, "customers"))
    assert answer.status_code == 409 and "is not connected" in text(answer)
    answer = screens.post(reverse("xero:xero_imports:start", args=[nz.pk, "tax-rates"]))
    assert answer.status_code == 409 and "is not connected" in text(answer)
    assert not ImportRun.objects.exists()


def test_an_unfinished_run_is_pointed_to_from_the_importer(screens, nz):
    run = start_import(nz, "customers", background=False)
    page = text(screens.get(importer_url(nz, "customers")))
    assert "is not finished yet" in page
    assert reverse("xero:xero_imports:run", args=[run.pk]) in page
    assert dt.datetime.now(dt.UTC) >= run.created_at


# --- in Chromium: preview, select all, import, and watch the run finish without a reload ------

SCREENSHOT = "/tmp/ledgerbridge-import-run.png"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_cust_4_in_the_browser_select_all_import_and_follow_the_run_live(
    live_server, page, admin, nz
):
    from playwright.sync_api import expect

    first, *rest = contacts(nz)
    Customer.objects.create(name=first["Name"])  # will be matched by name
    sign_in(page, live_server, admin)

    page.goto(f"{live_server.url}{reverse('xero:connection', args=[nz.pk])}")
    page.get_by_role("link", name="Import customers…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import customers from Xero")
    expect(page.get_by_text("Would update")).to_have_count(1)
    expect(page.get_by_text("Would create")).to_have_count(len(rest))
    expect(page.get_by_text("(matched by name)")).to_be_visible()
    page.screenshot(path="/tmp/ledgerbridge-importer.png", full_page=True)

    page.get_by_label("Select all on this page").check()
    boxes = page.locator('input[name="ids"]')
    expect(boxes).to_have_count(len(rest) + 1)
    for index in range(boxes.count()):
        expect(boxes.nth(index)).to_be_checked()
    page.get_by_role("button", name="Import selected").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Customers import")
    expect(page.locator("[data-run-badge]")).to_have_text("Queued")
    page.evaluate("window.stillTheSamePage = true")
    run = ImportRun.objects.get()
    assert run.params["ids"] and len(run.params["ids"]) == len(rest) + 1
    carry_out(run.pk, nz)  # what the worker would do, while the page polls

    expect(page.locator("[data-run-badge]")).to_have_text("Done")
    expect(page.locator('[data-run-field="created"]')).to_have_text(str(len(rest)))
    expect(page.locator('[data-run-field="updated"]')).to_have_text("1")
    expect(page.locator('[data-run-field="counter"]')).to_have_text(
        f"{len(rest) + 1} of {len(rest) + 1} processed"
    )
    expect(page.locator("[data-run-refresh]")).to_be_hidden()
    assert page.evaluate("window.stillTheSamePage") is True  # updated in place, not reloaded
    page.screenshot(path=SCREENSHOT, full_page=True)

    # The connection lists the run; an imported customer's settings tab shows its Xero link.
    page.locator(".breadcrumb a").click()  # back to the connection
    expect(page.locator("table.recent-imports")).to_contain_text("Customers")
    expect(page.locator("table.recent-imports")).to_contain_text("Done")
    page.screenshot(path="/tmp/ledgerbridge-connection-imports.png", full_page=True)
    imported = by_xero_id(Customer, first["ContactID"])
    page.goto(f"{live_server.url}{reverse('customers:settings', args=[imported.pk])}")
    expect(page.get_by_role("heading", name="Xero", exact=True)).to_be_visible()
    expect(page.locator(".xero-panel")).to_contain_text("NZ books (Demo Company (NZ))")
    page.screenshot(path="/tmp/ledgerbridge-customer-xero.png", full_page=True)
