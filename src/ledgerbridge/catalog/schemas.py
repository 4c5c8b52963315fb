"""REST shapes of tax rates, charge rates, product groups and products."""

from __future__ import annotations

from decimal import Decimal

from ninja import Schema
from pydantic import Field

from ledgerbridge.api_support import Id, Input, Percentage, UnitAmount


class TaxRateIn(Input):
    name: str = Field(..., min_length=1, max_length=100)
    percentage: Percentage = Field(..., description="0 to 100, up to 4 decimal places.")


class TaxRateOut(Schema):
    id: int
    name: str
    percentage: Decimal
    is_zero_rate: bool


class TaxRatePage(Schema):
    count: int
    items: list[TaxRateOut]


class ChargeRateIn(Input):
    name: str = Field(..., min_length=1, max_length=100)
    hourly_price: UnitAmount
    accounts_code: str = Field("", max_length=30, description="Accounts ID / nominal code.")
    active: bool = True


class ChargeRateOut(Schema):
    id: int
    name: str
    hourly_price: Decimal
    accounts_code: str
    active: bool


class ChargeRatePage(Schema):
    count: int
    items: list[ChargeRateOut]


class ProductGroupIn(Input):
    name: str = Field(..., min_length=1, max_length=100)


class ProductGroupOut(Schema):
    id: int
    name: str


class ProductGroupPage(Schema):
    count: int
    items: list[ProductGroupOut]


class ProductIn(Input):
    organisation: Id | None = Field(
        None,
        description="The accounting organisation's id (null: none). Left out: the default "
        "organisation for a new product; a stored one keeps its own (it cannot change once set).",
    )
    name: str = Field(..., min_length=1, max_length=50)
    code: str = Field("", max_length=30, description="Product code; unique when set.")
    group: Id
    parent: Id | None = Field(None, description="Parent product id (one level deep).")
    description: str = Field("", max_length=4000)
    sales_account_code: str = Field("", max_length=10)
    purchase_account_code: str = Field("", max_length=10)
    sales_tax_rate: Id | None = None
    purchase_tax_rate: Id | None = None
    unit_price: UnitAmount = Decimal(0)
    unit_cost: UnitAmount = Decimal(0)
    active: bool = True


class ProductOut(Schema):
    id: int
    organisation: int | None = Field(None, validation_alias="organisation_id")
    name: str
    code: str
    group: int = Field(..., validation_alias="group_id")
    parent: int | None = Field(None, validation_alias="parent_id")
    description: str
    sales_account_code: str
    purchase_account_code: str
    sales_tax_rate: int | None = Field(None, validation_alias="sales_tax_rate_id")
    purchase_tax_rate: int | None = Field(None, validation_alias="purchase_tax_rate_id")
    unit_price: Decimal
    unit_cost: Decimal
    active: bool


class ProductPage(Schema):
    count: int
    items: list[ProductOut]
