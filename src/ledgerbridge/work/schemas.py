"""REST shapes of tickets and time entries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field

from ledgerbridge.api_support import Date, Hours, Id, Input, ListQuery
from ledgerbridge.work.models import TimeEntry


class TicketIn(Input):
    customer: Id
    title: str = Field(..., min_length=1, max_length=200)
    status: Literal["open", "closed"] = "open"


class TicketOut(Schema):
    id: int
    reference: str
    customer: int = Field(..., validation_alias="customer_id")
    customer_name: str = Field(..., validation_alias="customer.name")
    title: str
    status: str
    created_at: dt.datetime


class TicketPage(Schema):
    count: int
    items: list[TicketOut]


class TicketQuery(ListQuery):
    status: Literal["open", "closed"] | None = None
    customer: Id | None = None


class TimeEntryIn(Input):
    agent: Id | None = Field(None, description="User id; defaults to the signed-in user.")
    date: Date
    hours: Hours = Field(..., description="0.01 to 24, up to 2 decimal places.")
    charge_rate: Id
    billable: bool = True
    summary: str = Field(..., min_length=1, max_length=500)


class TimeEntryOut(Schema):
    id: int
    ticket: int = Field(..., validation_alias="ticket_id")
    agent: int = Field(..., validation_alias="agent_id")
    date: dt.date
    hours: Decimal
    charge_rate: int = Field(..., validation_alias="charge_rate_id")
    billable: bool
    summary: str
    invoice_line: int | None = Field(None, validation_alias="invoice_line_id")
    invoice: int | None = None

    @staticmethod
    def resolve_invoice(obj: TimeEntry) -> int | None:
        return obj.invoice_line.invoice_id if obj.invoice_line_id else None  # type: ignore[union-attr]


class TimeEntryPage(Schema):
    count: int
    items: list[TimeEntryOut]


class TimeEntryQuery(ListQuery):
    ticket: Id | None = None
    agent: Id | None = None
    billed: bool | None = None
