"""Template context: the navigation, filtered by what the signed-in user's role may use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ledgerbridge.accounts.permissions import can_use

NAVIGATION = [
    ("Customers", "customers:list", "customers"),
    ("Suppliers", "suppliers:list", "suppliers"),
    ("Products", "catalog:product_list", "products"),
    ("Tickets", "work:ticket_list", "tickets"),
    ("Ready for invoicing", "billing:ready", "invoices"),
    ("Invoices", "billing:invoice_list", "invoices"),
    ("Credit notes", "billing:credit_note_list", "invoices"),
    ("Recurring invoices", "billing:recurring_list", "invoices"),
    ("Purchase orders", "purchasing:list", "purchasing"),
    ("Configuration", "configuration", "configuration"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = [(label, url, area) for label, url, area in NAVIGATION if can_use(user, area)]
    return {"navigation": items}
