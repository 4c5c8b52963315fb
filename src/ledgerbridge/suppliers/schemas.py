"""REST shapes of suppliers (the party fields customers share)."""

from __future__ import annotations

from ninja import Schema

from ledgerbridge.customers.schemas import PartyIn, PartyOut


class SupplierIn(PartyIn):
    pass


class SupplierOut(PartyOut):
    pass


class SupplierPage(Schema):
    count: int
    items: list[SupplierOut]
