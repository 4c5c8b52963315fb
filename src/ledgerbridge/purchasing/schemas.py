"""REST shapes of purchase orders and their lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field

from ledgerbridge.api_support import CurrencyCode, Date, Id, ListQuery
from ledgerbridge.billing.schemas import CURRENCY, SHOWN_CURRENCY, DocumentIn, LineOut


class PurchaseOrderIn(DocumentIn):
    supplier: Id
    date: Date
    delivery_date: Date | None = None
    status: Literal["DRAFT", "SUBMITTED", "AUTHORISED"] | None = Field(
        None, description="Left out: the default status (new orders) or the current one."
    )
    delivery_instructions: str = Field("", max_length=500)
    currency: CurrencyCode | None = Field(
        None,
        description=CURRENCY + " Left out or null: the supplier's for a new order, kept as it "
        "is for a stored one; empty: the supplier's.",
    )


class PurchaseOrderSummaryOut(Schema):
    id: int
    number: str
    supplier: int = Field(..., validation_alias="supplier_id")
    supplier_name: str = Field(..., validation_alias="supplier.name")
    status: str
    date: dt.date
    delivery_date: dt.date | None
    reference: str
    delivery_instructions: str
    amount_type: str
    currency: str = Field(validation_alias="currency_shown", description=SHOWN_CURRENCY)
    subtotal: Decimal
    total_tax: Decimal
    total: Decimal


class PurchaseOrderOut(PurchaseOrderSummaryOut):
    lines: list[LineOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class PurchaseOrderPage(Schema):
    count: int
    items: list[PurchaseOrderSummaryOut]


class PurchaseOrderQuery(ListQuery):
    status: Literal["DRAFT", "SUBMITTED", "AUTHORISED"] | None = None
    supplier: Id | None = None
