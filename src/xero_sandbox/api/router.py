"""The Accounting API route table: (method, resource path) -> scope family and handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import (
    contacts,
    credit_notes,
    currencies,
    invoices,
    items,
    payments,
    purchase_orders,
    setup,
)

# (method, resource, shape) -> (scope family, handler); shape is "" for the collection,
# "{}" for one record and "{}/Options" for tracking options.
ROUTES: dict[tuple[str, str, str], tuple[str, Callable[..., Any]]] = {
    ("GET", "organisation", ""): ("settings", setup.organisation),
    # [S] clients call the plural too (XERO-FACTS, added 2026-12-01); Xero answers it the same.
    ("GET", "organisations", ""): ("settings", setup.organisation),
    ("GET", "currencies", ""): ("settings", currencies.get_list),
    ("PUT", "currencies", ""): ("settings", currencies.put),
    ("GET", "accounts", ""): ("settings", setup.accounts),
    ("GET", "accounts", "{}"): ("settings", setup.account),
    ("PUT", "accounts", ""): ("settings", setup.create_account),
    ("GET", "taxrates", ""): ("settings", setup.tax_rates),
    ("GET", "taxrates", "{}"): ("settings", setup.tax_rate),
    ("PUT", "taxrates", ""): ("settings", setup.write_tax_rate),
    ("POST", "taxrates", ""): ("settings", setup.write_tax_rate),
    ("GET", "trackingcategories", ""): ("settings", setup.tracking_categories),
    ("PUT", "trackingcategories", ""): ("settings", setup.create_tracking_category),
    ("GET", "trackingcategories", "{}"): ("settings", setup.tracking_category),
    ("POST", "trackingcategories", "{}"): ("settings", setup.update_tracking_category),
    ("DELETE", "trackingcategories", "{}"): ("settings", setup.delete_tracking_category),
    ("PUT", "trackingcategories", "{}/options"): ("settings", setup.create_options),
    ("GET", "brandingthemes", ""): ("settings", setup.branding_themes),
    ("GET", "brandingthemes", "{}"): ("settings", setup.branding_theme),
    ("GET", "contacts", ""): ("contacts", contacts.get_list),
    ("PUT", "contacts", ""): ("contacts", contacts.put),
    ("POST", "contacts", ""): ("contacts", contacts.post),
    ("GET", "contacts", "{}"): ("contacts", contacts.get_one),
    ("POST", "contacts", "{}"): ("contacts", contacts.post_one),
    ("GET", "items", ""): ("items", items.get_list),
    ("PUT", "items", ""): ("items", items.put),
    ("POST", "items", ""): ("items", items.post),
    ("GET", "items", "{}"): ("items", items.get_one),
    ("POST", "items", "{}"): ("items", items.post_one),
    ("DELETE", "items", "{}"): ("items", items.delete),
    ("GET", "invoices", ""): ("invoices", invoices.get_list),
    ("PUT", "invoices", ""): ("invoices", invoices.put),
    ("POST", "invoices", ""): ("invoices", invoices.post),
    ("GET", "invoices", "{}"): ("invoices", invoices.get_one),
    ("POST", "invoices", "{}"): ("invoices", invoices.post_one),
    ("GET", "purchaseorders", ""): ("invoices", purchase_orders.get_list),
    ("PUT", "purchaseorders", ""): ("invoices", purchase_orders.put),
    ("POST", "purchaseorders", ""): ("invoices", purchase_orders.post),
    ("GET", "purchaseorders", "{}"): ("invoices", purchase_orders.get_one),
    ("POST", "purchaseorders", "{}"): ("invoices", purchase_orders.post_one),
    ("GET", "creditnotes", ""): ("invoices", credit_notes.get_list),
    ("PUT", "creditnotes", ""): ("invoices", credit_notes.put),
    ("POST", "creditnotes", ""): ("invoices", credit_notes.post),
    ("GET", "creditnotes", "{}"): ("invoices", credit_notes.get_one),
    ("POST", "creditnotes", "{}"): ("invoices", credit_notes.post_one),
    ("PUT", "creditnotes", "{}/allocations"): ("invoices", credit_notes.allocate),
    ("GET", "payments", ""): ("payments", payments.get_list),
    ("PUT", "payments", ""): ("payments", payments.write),
    ("POST", "payments", ""): ("payments", payments.write),
    ("GET", "payments", "{}"): ("payments", payments.get_one),
    ("POST", "payments", "{}"): ("payments", payments.post_one),
}


def resolve(method: str, segments: list[str]) -> tuple[str, Callable[..., Any], list[str]] | None:
    """Find the handler for a path below /api.xro/2.0/ (resource names are case-insensitive)."""
    if not segments:
        return None
    resource = segments[0].lower()
    args = segments[1:2]
    shape = ""
    if len(segments) == 2:
        shape = "{}"
    elif len(segments) == 3:
        shape = "{}/" + segments[2].lower()
    elif len(segments) > 3:
        return None
    found = ROUTES.get((method, resource, shape))
    if found is None:
        return None
    return found[0], found[1], args
