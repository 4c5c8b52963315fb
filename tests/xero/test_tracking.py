"""Tracking categories, rule by rule (TRK-1, TRK-3, TRK-4): the setting, placeholders, options
on product groups, products and invoice lines, and which option wins; categories come from the
sandbox over HTTP ("Import tracking categories"), screens through Django's test client."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import Invoice, InvoiceLine
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.catalog.models import Product, ProductGroup
from ledgerbridge.sync.services import organisation_for
from ledgerbridge.tracking.models import TrackingCategory, TrackingOption, TrackingSettings
from ledgerbridge.tracking.services import (
    assign_placeholder,
    resolve_tracking,
    save_tracking_settings,
    set_tracking_options,
)
from ledgerbridge.xero.imports import run_import, start_import

from .helpers import connect, fast_client

pytestmark = pytest.mark.django_db

PAGE = "xero:xero_tracking:page"


def org(connection):
    return organisation_for("xero", connection.tenant_id).pk


def do_import(connection, kind):
    run = start_import(connection, kind, background=False)
    with fast_client(connection) as client:
        return run_import(run.pk, client=client)


def add_category(connection, name: str, options: list[str]) -> None:
    """A Xero user adds a tracking category with options (through Xero's API)."""
    with fast_client(connection) as client:
        made = client.put("/TrackingCategories", {"Name": name})["TrackingCategories"][0]
        client.put(
            f"/TrackingCategories/{made['TrackingCategoryID']}/Options",
            {"Options": [{"Name": n} for n in options]},
        )


@pytest.fixture
def nz(xero_settings, sandbox):
    connection = connect(sandbox, "NZ books", "Demo Company (NZ)")
    add_category(connection, "Department", ["Support", "Projects"])
    do_import(connection, "tracking")
    return connection


@pytest.fixture
def au(xero_settings, sandbox):
    connection = connect(sandbox, "AU books", "Demo Company (AU)")
    do_import(connection, "tracking")
    return connection


@pytest.fixture
def web(admin, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = Client()
    client.force_login(admin)
    return client


def region(connection) -> TrackingCategory:
    return TrackingCategory.objects.get(organisation__remote_id=connection.tenant_id, name="Region")


def option(connection, name: str, category: str = "Region") -> TrackingOption:
    return TrackingOption.objects.get(
        category__organisation__remote_id=connection.tenant_id, category__name=category, name=name
    )


def page_of(response) -> str:
    return response.content.decode()


def refused(response, *named: str) -> str:
    text = page_of(response)
    assert response.status_code == 400, text[:3000]
    assert "Nothing was saved" in text
    for name in named:
        assert name in text, f"{name!r} not on the page"
    return text


# TRK-1 ----------------------------------------------------------------------------------------


def test_trk_1_setting_takes_effect_on_the_very_next_request_of_the_same_session(web, nz, product):
    product.organisation = organisation_for("xero", nz.tenant_id)
    product.save()
    edit = reverse("catalog:product_edit", args=[product.pk])
    assert "Territory" not in page_of(web.get(edit))

    answer = web.post(
        reverse(PAGE), {"action": "settings", "enabled": "on", "placeholder_1": "Territory"}
    )
    assert answer.status_code == 302
    answer = web.post(
        reverse(PAGE),
        {"action": "assign", "connection": nz.pk, "placeholder_1": region(nz).pk},
    )
    assert answer.status_code == 302, page_of(answer)[:2000]
    form = page_of(web.get(edit))  # same session, no log-out
    assert "Territory" in form and ">North<" in form and ">South<" in form

    web.post(reverse(PAGE), {"action": "settings", "enabled": "on", "placeholder_1": "Area"})
    form = page_of(web.get(edit))
    assert "Area" in form and "Territory" not in form

    web.post(reverse(PAGE), {"action": "settings", "placeholder_1": "Area"})  # switched off
    form = page_of(web.get(edit))
    assert "Area" not in form and ">North<" not in form


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"enabled": "on", "placeholder_1": "", "placeholder_2": ""}, "First placeholder"),
        ({"enabled": "on", "placeholder_1": "Region", "placeholder_2": "region"}, "Second"),
        ({"enabled": "on", "placeholder_1": "x" * 101}, "First placeholder"),
        ({"enabled": "on", "placeholder_1": "   "}, "First placeholder"),
    ],
)
def test_trk_1_bad_settings_are_refused_with_the_field_named_and_nothing_saved(web, data, field):
    save_tracking_settings(True, "Cost centre", "")
    answer = web.post(reverse(PAGE), {"action": "settings", **data})
    refused(answer, field)
    row = TrackingSettings.get()
    assert (row.enabled, row.placeholder_1, row.placeholder_2) == (True, "Cost centre", "")


def test_trk_1_at_most_two_placeholders_and_only_named_ones_count(db):
    row = save_tracking_settings(True, "", "Department")
    assert row.placeholders() == [(2, "Department")]
    assert save_tracking_settings(False, "Region", "").placeholders() == []
    with pytest.raises(ValidationError) as caught:
        save_tracking_settings(True, "Same", "same")
    assert "placeholder_2" in caught.value.message_dict


# TRK-3 ----------------------------------------------------------------------------------------


def test_trk_3_each_placeholder_is_assigned_one_of_the_organisations_categories(web, nz, au):
    save_tracking_settings(True, "Region", "Team")
    page = page_of(web.get(reverse(PAGE)))
    assert "NZ books" in page and "AU books" in page and "Department" in page
    nz_department = TrackingCategory.objects.get(
        organisation__remote_id=nz.tenant_id, name="Department"
    )
    answer = web.post(
        reverse(PAGE),
        {
            "action": "assign",
            "connection": nz.pk,
            "placeholder_1": region(nz).pk,
            "placeholder_2": nz_department.pk,
        },
    )
    assert answer.status_code == 302
    assert (
        region(nz).placeholder == 1
        and TrackingCategory.objects.get(pk=nz_department.pk).placeholder == 2
    )
    assert region(au).placeholder == 0  # each organisation has its own assignment
    # Swapping the two in one go is allowed.
    answer = web.post(
        reverse(PAGE),
        {
            "action": "assign",
            "connection": nz.pk,
            "placeholder_1": nz_department.pk,
            "placeholder_2": region(nz).pk,
        },
    )
    assert answer.status_code == 302
    assert region(nz).placeholder == 2


@pytest.mark.parametrize("bad", ["other_tenant", "unknown", "not_a_number", "same_twice"])
def test_trk_3_bad_assignments_are_refused_with_the_field_named_and_nothing_saved(web, nz, au, bad):
    save_tracking_settings(True, "Region", "Team")
    assign_placeholder(org(nz), 1, region(nz))
    values = {
        "other_tenant": {"placeholder_2": region(au).pk},
        "unknown": {"placeholder_2": 999999},
        "not_a_number": {"placeholder_2": "abc"},
        "same_twice": {"placeholder_1": region(nz).pk, "placeholder_2": region(nz).pk},
    }[bad]
    data = {"action": "assign", "connection": nz.pk, "placeholder_1": region(nz).pk, **values}
    refused(web.post(reverse(PAGE), data), "Team")
    assert region(nz).placeholder == 1 and region(au).placeholder == 0
    assert not TrackingCategory.objects.filter(placeholder=2).exists()


def test_trk_3_unknown_organisation_or_action_is_refused(web, nz):
    save_tracking_settings(True, "Region", "")
    refused(web.post(reverse(PAGE), {"action": "assign", "connection": "999"}), "organisation")
    refused(web.post(reverse(PAGE), {"action": "nonsense"}), "Unknown action")
    assert not TrackingCategory.objects.filter(placeholder__gt=0).exists()


def test_trk_3_service_refuses_other_tenant_archived_and_disabled_slots(nz, au):
    save_tracking_settings(True, "Region", "")
    with pytest.raises(ValidationError) as caught:
        assign_placeholder(org(nz), 1, region(au))
    assert "placeholder_1" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        assign_placeholder(org(nz), 2, region(nz))  # placeholder 2 has no name
    assert "slot" in caught.value.message_dict
    TrackingCategory.objects.filter(pk=region(nz).pk).update(status="ARCHIVED")
    with pytest.raises(ValidationError):
        assign_placeholder(org(nz), 1, region(nz))
    assert not TrackingCategory.objects.filter(placeholder__gt=0).exists()


# TRK-4: precedence (a property) ---------------------------------------------------------------


def _categories(tenant: str) -> list[TrackingCategory]:
    made = []
    for slot, name in ((1, "Region"), (2, "Department")):
        category = TrackingCategory.objects.create(
            organisation=organisation_for("xero", tenant),
            remote_id=f"{tenant}-{name}",
            name=name,
            placeholder=slot,
        )
        for n in range(3):
            TrackingOption.objects.create(
                category=category, remote_id=f"{name}{n}", name=f"{name}{n}"
            )
        made.append(category)
    return made


# Per slot: which of line / product / group carries an option (None: no option), and which.
choice = st.one_of(st.none(), st.integers(min_value=0, max_value=2))
levels = st.fixed_dictionaries({"line": choice, "product": choice, "group": choice})


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    slots=st.tuples(levels, levels),
    has_product=st.booleans(),
    enabled=st.sampled_from(
        [(True, "Region", "Department"), (True, "", "Department"), (False, "Region", "")]
    ),
)
def test_trk_4_line_wins_over_product_over_group(customer, gst, slots, has_product, enabled):
    with transaction.atomic():
        save_tracking_settings(*enabled)
        customer.organisation = organisation_for("xero", "tenant-a")
        customer.save()
        categories = _categories("tenant-a")
        _categories("tenant-b")  # another organisation's categories never leak in
        group = ProductGroup.objects.create(name="Group")
        product = Product.objects.create(name="Thing", group=group, sales_tax_rate=gst)
        invoice = issue_invoice(
            customer,
            [
                LineData(
                    "A line", Decimal(1), Decimal(10), gst.pk, product.pk if has_product else None
                )
            ],
            date=dt.date(2026, 1, 5),
        )
        line = invoice.lines.get()
        wanted: dict[str, list[TrackingOption]] = {"line": [], "product": [], "group": []}
        expected: dict[int, TrackingOption] = {}
        for category, chosen in zip(categories, slots, strict=True):
            options = list(category.options.order_by("name"))
            for level in ("line", "product", "group"):
                if chosen[level] is not None:
                    wanted[level].append(options[chosen[level]])
            for level in ("line", "product", "group") if has_product else ("line",):
                if chosen[level] is not None:
                    expected[category.placeholder] = options[chosen[level]]
                    break
        # The group also carries another organisation's option: allowed, and ignored here.
        other = TrackingOption.objects.filter(category__organisation__remote_id="tenant-b").first()
        set_tracking_options(group, [*wanted["group"], other])
        set_tracking_options(product, wanted["product"])
        set_tracking_options(line, wanted["line"])
        enabled_slots = {slot for slot, _ in TrackingSettings.get().placeholders()}
        expected = {slot: o for slot, o in expected.items() if slot in enabled_slots}
        assert resolve_tracking(InvoiceLine.objects.get(pk=line.pk)) == expected
        transaction.set_rollback(True)


def test_trk_4_inactive_options_and_customers_without_organisation_resolve_to_nothing(
    customer, gst, product
):
    save_tracking_settings(True, "Region", "")
    region_a = _categories("tenant-a")[0]
    north = region_a.options.order_by("name").first()
    customer.organisation = organisation_for("xero", "tenant-a")
    customer.save()
    invoice = issue_invoice(
        customer,
        [LineData("Line", Decimal(1), Decimal(1), gst.pk, product.pk)],
        date=dt.date(2026, 1, 5),
    )
    line = invoice.lines.get()
    set_tracking_options(product.group, [north])
    assert resolve_tracking(line) == {1: north}
    TrackingOption.objects.filter(pk=north.pk).update(status="ARCHIVED")
    assert resolve_tracking(line) == {}  # Xero would refuse an archived option
    customer.organisation = None
    customer.save()
    assert resolve_tracking(InvoiceLine.objects.get(pk=line.pk)) == {}


# TRK-4: the service's refusals ------------------------------------------------------------------


def test_trk_4_service_refuses_two_options_of_one_category_other_tenants_and_archived(
    nz, au, product, customer, gst
):
    north, south = option(nz, "North"), option(nz, "South")
    with pytest.raises(ValidationError) as caught:
        set_tracking_options(product.group, [north, south])
    assert "tracking_options" in caught.value.message_dict
    product.organisation = organisation_for("xero", nz.tenant_id)
    product.save()
    with pytest.raises(ValidationError):
        set_tracking_options(product, [option(au, "North")])
    TrackingOption.objects.filter(pk=south.pk).update(status="ARCHIVED")
    with pytest.raises(ValidationError):
        set_tracking_options(product, [TrackingOption.objects.get(pk=south.pk)])
    unsaved = TrackingOption(pk=999999, category=north.category, name="Ghost")
    with pytest.raises(ValidationError):
        set_tracking_options(product, [unsaved])
    customer.organisation = None
    customer.save()
    invoice = issue_invoice(
        customer, [LineData("L", Decimal(1), Decimal(1), gst.pk)], date=dt.date(2026, 1, 5)
    )
    with pytest.raises(ValidationError):  # no organisation: lines take no tracking
        set_tracking_options(invoice.lines.get(), [north])
    assert not product.tracking_options.exists() and not product.group.tracking_options.exists()
    set_tracking_options(product, [north])
    assert list(product.tracking_options.all()) == [north]


# TRK-4 on screens -------------------------------------------------------------------------------


@pytest.fixture
def tracked(web, nz, au, product, customer):
    """Tracking on, placeholder "Area" = Region in both organisations; product and customer in
    the NZ organisation."""
    save_tracking_settings(True, "Area", "")
    assign_placeholder(org(nz), 1, region(nz))
    assign_placeholder(org(au), 1, region(au))
    product.organisation = organisation_for("xero", nz.tenant_id)
    product.save()
    customer.organisation = organisation_for("xero", nz.tenant_id)
    customer.save()
    return web


def invoice_post(customer, product, gst, **line):
    data = {
        "customer": customer.pk,
        "date": "2026-01-05",
        "status": "DRAFT",
        "amount_type": "Exclusive",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": product.pk,
        "lines-0-quantity": "1",
        "lines-0-tax_rate": gst.pk,
    }
    data.update({f"lines-0-{k}": v for k, v in line.items()})
    return data


def test_trk_4_options_set_on_screens_and_the_invoice_shows_the_winner(
    tracked, nz, au, product, customer, gst
):
    web = tracked
    north, south = option(nz, "North"), option(nz, "South")
    group_form = page_of(web.get(reverse("catalog:group_edit", args=[product.group_id])))
    assert "Area (NZ books)" in group_form and "Area (AU books)" in group_form
    answer = web.post(
        reverse("catalog:group_edit", args=[product.group_id]),
        {"name": product.group.name, f"tracking_{region(nz).pk}": north.pk},
    )
    assert answer.status_code == 302, page_of(answer)[:2000]
    assert list(product.group.tracking_options.all()) == [north]

    product_form = page_of(web.get(reverse("catalog:product_edit", args=[product.pk])))
    assert "AU books" not in product_form  # a linked product sees its organisation only
    invoice_form = page_of(web.get(reverse("billing:invoice_create")))
    assert "<th>Area</th>" in invoice_form

    answer = web.post(reverse("billing:invoice_create"), invoice_post(customer, product, gst))
    assert answer.status_code == 302, page_of(answer)[:3000]
    invoice = Invoice.objects.get()
    detail = page_of(web.get(reverse("billing:invoice_detail", args=[invoice.pk])))
    assert "Area: <strong>North</strong>" in detail  # from the group

    data = {
        "name": product.name,
        "group": product.group_id,
        "unit_price": "10",
        "unit_cost": "5",
        "active": "on",
        "sales_tax_rate": gst.pk,
        f"tracking_{region(nz).pk}": south.pk,
    }
    answer = web.post(reverse("catalog:product_edit", args=[product.pk]), data)
    assert answer.status_code == 302, page_of(answer)[:3000]
    detail = page_of(web.get(reverse("billing:invoice_detail", args=[invoice.pk])))
    assert "Area: <strong>South</strong>" in detail  # the product's wins over its group's

    edit = invoice_post(customer, product, gst, tracking_1=north.pk, description="Firewall")
    del edit["customer"]
    edit["lines-INITIAL_FORMS"] = "1"
    answer = web.post(reverse("billing:invoice_edit", args=[invoice.pk]), edit)
    assert answer.status_code == 302, page_of(answer)[:3000]
    detail = page_of(web.get(reverse("billing:invoice_detail", args=[invoice.pk])))
    assert "Area: <strong>North</strong>" in detail  # the line's wins over the product's
    form = page_of(web.get(reverse("billing:invoice_edit", args=[invoice.pk])))
    assert f'value="{north.pk}" selected' in form and "AU books" not in form


def test_trk_4_bad_options_on_screens_are_refused_and_nothing_saved(
    tracked, nz, au, product, customer, gst
):
    web = tracked
    au_north = option(au, "North")
    # A product of the NZ organisation offered an AU option (or an unknown one): refused.
    for value in (au_north.pk, 999999, "x"):
        data = {
            "name": "Renamed",
            "group": product.group_id,
            "unit_price": "10",
            "unit_cost": "5",
            "sales_tax_rate": gst.pk,
            f"tracking_{region(nz).pk}": value,
        }
        refused(web.post(reverse("catalog:product_edit", args=[product.pk]), data), "Area")
    product.refresh_from_db()
    assert product.name == "Managed firewall" and not product.tracking_options.exists()

    # An invoice line of an NZ customer with an AU option: the line's field is named.
    answer = web.post(
        reverse("billing:invoice_create"),
        invoice_post(customer, product, gst, tracking_1=au_north.pk),
    )
    refused(answer, "Line 1", "another organisation")
    assert not Invoice.objects.exists()
    answer = web.post(
        reverse("billing:invoice_create"), invoice_post(customer, product, gst, tracking_1="999999")
    )
    refused(answer, "Line 1")
    assert not Invoice.objects.exists()


def test_trk_4_with_tracking_disabled_nothing_extra_shows(web, nz, product, customer, gst):
    save_tracking_settings(False, "Area", "")
    assign_placeholder_off = TrackingCategory.objects.filter(pk=region(nz).pk)
    assign_placeholder_off.update(placeholder=1)
    for url in (
        reverse("catalog:product_edit", args=[product.pk]),
        reverse("catalog:group_edit", args=[product.group_id]),
        reverse("billing:invoice_create"),
    ):
        page = page_of(web.get(url))
        assert "Area" not in page and "North" not in page and "tracking_" not in page
    answer = web.post(reverse("billing:invoice_create"), invoice_post(customer, product, gst))
    assert answer.status_code == 302
    detail = page_of(web.get(reverse("billing:invoice_detail", args=[Invoice.objects.get().pk])))
    assert 'class="tracking' not in detail


# In Chromium --------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_trk_4_in_a_browser_set_up_tracking_and_invoice_lines_show_the_winner(
    live_server, page, admin, nz, product, customer, gst
):
    """From the Xero page to the invoice: setting, placeholder, a product's option, a line's
    own option on a row added by the line editor's script, and the winners on the invoice."""
    admin.set_password("Browser-Test-Pass-7")
    admin.save()
    customer.organisation = product.organisation = organisation_for("xero", nz.tenant_id)
    customer.save()
    product.save()
    page.goto(f"{live_server.url}/login/?next=/configuration/integrations/xero/")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill("Browser-Test-Pass-7")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Tracking categories").click()
    page.get_by_label("Use tracking categories").check()
    page.get_by_label("First placeholder").fill("Area")
    page.get_by_role("button", name="Save setting").click()
    page.locator(f"#assign-{nz.pk}").get_by_label("Area").select_option(label="Region")
    page.get_by_role("button", name="Save placeholders of NZ books").click()
    assert "Placeholders of NZ books saved" in page.locator(".messages").inner_text()

    page.goto(f"{live_server.url}{reverse('catalog:product_edit', args=[product.pk])}")
    page.get_by_label("Area").select_option(label="North")
    page.get_by_role("button", name="Save").click()
    assert [o.name for o in product.tracking_options.all()] == ["North"]

    page.goto(f"{live_server.url}{reverse('billing:invoice_create')}")
    page.get_by_label("Customer").select_option(label=customer.name)
    for row, own_option in ((0, None), (1, "South")):
        if row:
            page.get_by_role("button", name="+ Add a line").click()
        page.locator(f"#id_lines-{row}-product").select_option(label=str(product))
        page.locator(f"#id_lines-{row}-quantity").fill("1")
        page.locator(f"#id_lines-{row}-tax_rate").select_option(label=str(gst))
        if own_option:
            page.locator(f"#id_lines-{row}-tracking_1").select_option(label=own_option)
    page.get_by_role("button", name="Create invoice").click()
    shown = page.locator("#invoice-lines .tracking").all_inner_texts()
    page.screenshot(path="/tmp/ledgerbridge-tracking-invoice.png", full_page=True)
    assert shown == ["Area: North", "Area: South"]
