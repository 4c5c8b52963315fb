"""Digits that str.isdigit() accepts but int() refuses (superscripts) are bad input, not a 500."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/tickets/", {"q": "#³"}),
        ("post", "/billing/ready/", {"entries": "²"}),
        ("get", "/billing/ready/billed/", {"invoices": "²"}),
        ("get", "/catalog/products/", {"group": "²"}),
    ],
)
def test_superscript_digits_never_reach_a_500(admin, method, url, data):
    client = Client()
    client.force_login(admin)
    response = getattr(client, method)(url, data)
    assert response.status_code < 500
