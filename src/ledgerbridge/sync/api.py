"""REST endpoint for the currencies each organisation has enabled (read only: they come from
the accounting system; refresh them there, e.g. POST /xero/connections/{id}/imports
{"kind": "currencies"})."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from ledgerbridge.api_support import ERRORS, Id, TokenAuth
from ledgerbridge.sync.models import Organisation

# Whoever writes documents or parties needs to know which currencies they may take.
router = Router(
    tags=["currencies"],
    auth=TokenAuth("invoices", "purchasing", "customers", "suppliers", "configuration"),
)


class CurrencyOut(Schema):
    code: str = Field(description="ISO 4217 code, e.g. USD.")
    name: str


class OrganisationCurrenciesOut(Schema):
    organisation: int = Field(validation_alias="pk")
    organisation_name: str = Field(validation_alias="name")
    base_currency: str = Field(description="Empty until its currencies are first refreshed.")
    currencies: list[CurrencyOut] = Field(
        description="The currencies it has enabled, its base currency among them. Documents "
        "and parties in another currency are refused (422, `currency`) once this is known."
    )
    refreshed_at: dt.datetime | None = Field(
        validation_alias="currencies_refreshed_at",
        description="When they were last brought across; null: never (nothing is refused).",
    )

    @staticmethod
    def resolve_currencies(obj: Organisation) -> list[dict[str, str]]:
        return [{"code": c.code, "name": c.name} for c in obj.currencies.all()]


@router.get("/", response={200: list[OrganisationCurrenciesOut], **ERRORS})
def list_currencies(request: HttpRequest, organisation: Id | None = None) -> QuerySet[Organisation]:
    """Each organisation's base currency and enabled currencies, as last refreshed;
    `organisation`: only that one (a customer's or supplier's `organisation`)."""
    found = Organisation.objects.prefetch_related("currencies").order_by("name", "pk")
    if organisation is not None:
        found = found.filter(pk=organisation)
    return found
