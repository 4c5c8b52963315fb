"""REST shapes of customers (and the party fields suppliers share)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from ledgerbridge.api_support import CurrencyCode, Email, Id, Input, organisation_fields
from ledgerbridge.customers.models import MAX_PAYMENT_TERMS_DAYS


class PartyIn(Input):
    organisation: Id | None = Field(
        None,
        description="The accounting organisation's id (null: none). Left out: the default "
        "organisation for a new record; a stored record keeps its own (it cannot change once "
        "set).",
    )
    name: str = Field(..., min_length=1, max_length=255)
    account_number: str = Field("", max_length=50, description="Unique when set; blank for none.")
    active: bool = True
    email: Email = ""
    phone: str = Field("", max_length=50)
    postal_line1: str = Field("", max_length=500)
    postal_line2: str = Field("", max_length=500)
    postal_city: str = Field("", max_length=255)
    postal_region: str = Field("", max_length=255)
    postal_code: str = Field("", max_length=50)
    postal_country: str = Field("", max_length=50)
    street_line1: str = Field("", max_length=500)
    street_line2: str = Field("", max_length=500)
    street_city: str = Field("", max_length=255)
    street_region: str = Field("", max_length=255)
    street_code: str = Field("", max_length=50)
    street_country: str = Field("", max_length=50)
    sales_tax_rate: Id | None = Field(None, description="Default sales tax rate id.")
    purchase_tax_rate: Id | None = Field(None, description="Default purchase tax rate id.")
    currency: CurrencyCode = Field(
        "",
        description="The currency its documents take (ISO 4217, e.g. USD); empty: its "
        "organisation's base currency. Refused (422) when its organisation has not enabled it "
        "(see /currencies).",
    )


class CustomerIn(PartyIn):
    payment_terms_days: int = Field(30, ge=0, le=MAX_PAYMENT_TERMS_DAYS)
    invoice_email: Email = ""
    billing_notes: str = Field("", max_length=2000)


class PartyOut(Schema):
    id: int
    organisation: int | None = Field(None, validation_alias="organisation_id")
    name: str
    account_number: str | None
    active: bool
    email: str
    phone: str
    postal_line1: str
    postal_line2: str
    postal_city: str
    postal_region: str
    postal_code: str
    postal_country: str
    street_line1: str
    street_line2: str
    street_city: str
    street_region: str
    street_code: str
    street_country: str
    sales_tax_rate: int | None = Field(None, validation_alias="sales_tax_rate_id")
    purchase_tax_rate: int | None = Field(None, validation_alias="purchase_tax_rate_id")
    currency: str = Field(
        description="The currency its documents take; empty: its organisation's base currency."
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerOut(PartyOut):
    payment_terms_days: int
    invoice_email: str
    billing_notes: str


class CustomerPage(Schema):
    count: int
    items: list[CustomerOut]


def party_fields(payload: PartyIn) -> dict[str, object]:
    """The model fields a party payload sets (tax rates by id)."""
    data = payload.model_dump(exclude={"organisation"})
    data["sales_tax_rate_id"] = data.pop("sales_tax_rate")
    data["purchase_tax_rate_id"] = data.pop("purchase_tax_rate")
    return {**data, **organisation_fields(payload)}
