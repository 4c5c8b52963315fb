"""Suppliers: billing parties we buy from."""

from __future__ import annotations

from ledgerbridge.customers.models import Party


class Supplier(Party):
    class Meta(Party.Meta):
        pass
