"""REST shapes of invoices, recurring invoices, their lines, and billing time."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Schema
from pydantic import Field, field_validator, model_validator

from ledgerbridge.api_support import (
    CurrencyCode,
    Date,
    Id,
    Input,
    ListQuery,
    Quantity,
    UnitAmount,
)
from ledgerbridge.billing import recurring, tracking
from ledgerbridge.billing.credit_notes import amount_due
from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import (
    MAX_DOCUMENT_AMOUNT,
    MAX_LINE_AMOUNT,
    MAX_QUANTITY,
    BrandingTheme,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    RecurringInvoice,
)
from ledgerbridge.work.schemas import TimeEntryOut

MAX_LINES = 500

AmountTypeName = Literal["Exclusive", "Inclusive", "NoTax"]
EditableStatus = Literal["DRAFT", "SUBMITTED", "AUTHORISED"]


class LineIn(Input):
    product: Id | None = Field(
        None,
        description="Product id, if the line sells one. What the line leaves out (description, "
        "unit price, tax rate, item code) comes from the product, as on the screens.",
    )
    description: str = Field("", max_length=4000, description="Required without a product.")
    quantity: Quantity = Field(..., description="Greater than 0, up to 4 decimal places.")
    unit_price: UnitAmount | None = Field(
        None, description="0 or more, up to 4 decimal places; required without a product."
    )
    tax_rate: Id | None = Field(None, description="Tax rate id; required without a product.")
    item_code: str = Field("", max_length=30)
    charge_rate: Id | None = Field(None, description="Charge rate id of a labour line.")
    id: Id | None = Field(
        None,
        description="On a change: the id of the existing line this one is (it keeps the time "
        "a labour line billed). Without it, a line is matched by description, charge rate and "
        "product; a line left out is removed and the time it billed is ready again.",
    )

    @model_validator(mode="after")
    def _amount_in_range(self) -> LineIn:
        if self.unit_price is not None and abs(self.quantity * self.unit_price) > MAX_LINE_AMOUNT:
            raise ValueError(
                f"Quantity x unit price may be at most {MAX_LINE_AMOUNT:,}; lower one of them"
            )
        return self

    def to_data(self) -> LineData:
        return LineData(
            description=self.description,
            quantity=self.quantity,
            unit_price=self.unit_price,
            tax_rate_id=self.tax_rate,
            product_id=self.product,
            item_code=self.item_code,
            charge_rate_id=self.charge_rate,
            line_id=self.id,
        )


CreditAmount = Annotated[
    Decimal,
    Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY, max_digits=14, decimal_places=4, allow_inf_nan=False),
]


class InvoiceLineIn(LineIn):
    unit_price: CreditAmount | None = Field(
        None,
        description="Up to 4 decimal places, below 0 for a discount or credit line; required "
        "without a product. A new invoice whose lines add up to less than 0 is raised as a "
        "credit note (Xero takes no negative invoices).",
    )

    tracking_options: list[Id] | None = Field(
        None,
        max_length=10,
        description="Ids of the line's own tracking options: at most one per category, each "
        "active and of the customer's organisation. Left out: a kept line keeps its options, a "
        "new line has none; [] removes them. A product's and its group's options apply where "
        "the line has none of that category (see `resolved_tracking` on the line).",
    )

    def to_data(self) -> LineData:
        options = None if self.tracking_options is None else tuple(self.tracking_options)
        return replace(super().to_data(), tracking_option_ids=options)


class DocumentIn(Input):
    """What every billing document's body shares: its reference, amount type and lines."""

    reference: str = Field("", max_length=255)
    amount_type: AmountTypeName = "Exclusive"
    lines: list[LineIn] = Field(..., max_length=MAX_LINES)

    @field_validator("lines", mode="after")
    @classmethod
    def _total_in_range(cls, lines: list[LineIn] | None) -> list[LineIn] | None:
        amounts = (
            abs(ln.quantity * ln.unit_price) for ln in lines or [] if ln.unit_price is not None
        )
        if sum(amounts, Decimal(0)) > MAX_DOCUMENT_AMOUNT:
            raise ValueError(
                f"The lines may add up to at most {MAX_DOCUMENT_AMOUNT:,}; split the document"
            )
        return lines

    def line_data(self) -> list[LineData]:
        return [line.to_data() for line in self.lines]


THEME = (
    "Branding theme id (see /branding-themes), of the customer's organisation; left out or "
    "null: the customer's default theme in the accounting system."
)
CURRENCY_CODE = (
    "ISO 4217 code (e.g. USD) the amounts are in, exactly as sent (nothing is converted; a "
    "product's price is used as it is). Refused (422, `currency`) when the organisation has not "
    "enabled it (see /currencies)"
)
CURRENCY = (
    CURRENCY_CODE + ", or, once the document is in the accounting system, when it differs from "
    "the currency it is in there."
)
SHOWN_CURRENCY = (
    "The currency the amounts are in (ISO 4217); empty while the organisation's base currency "
    "is not known."
)


class InvoiceUpdateIn(DocumentIn):
    lines: list[InvoiceLineIn] = Field(..., max_length=MAX_LINES)  # type: ignore[assignment]
    date: Date
    due_date: Date | None = Field(None, description="Defaults to date + the payment terms.")
    status: EditableStatus = "DRAFT"
    branding_theme: Id | None = Field(None, description=THEME)
    external_number: str | None = Field(
        None,
        max_length=255,
        description="The invoice's number in the accounting system, when the sync settings "
        "allow one of its own; empty: its own number. Left out: kept as it is.",
    )
    currency: CurrencyCode | None = Field(
        None, description=CURRENCY + " Left out or null: kept as it is; empty: the customer's."
    )


class InvoiceIn(InvoiceUpdateIn):
    customer: Id
    status: EditableStatus | None = Field(  # type: ignore[assignment]
        None, description="Left out: the default status for new invoices (a sync setting)."
    )
    external_number: str = Field(
        "",
        max_length=255,
        description="The invoice's number in the accounting system, when the sync settings "
        "allow one of its own; empty: its own number.",
    )
    currency: CurrencyCode | None = Field(
        None,
        description=CURRENCY + " Left out, null or empty: the customer's currency, else its "
        "organisation's base currency.",
    )


class LineOut(Schema):
    id: int
    position: int
    product: int | None = Field(None, validation_alias="product_id")
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: int = Field(..., validation_alias="tax_rate_id")
    item_code: str
    line_amount: Decimal
    tax_amount: Decimal


class ResolvedTrackingOut(Schema):
    placeholder: str
    option: int
    option_name: str


class InvoiceLineOut(LineOut):
    charge_rate: int | None = Field(None, validation_alias="charge_rate_id")
    time_entries: list[int] = Field(default_factory=list, description="Time this line bills.")
    tracking_options: list[int] = Field(
        default_factory=list, description="The line's own tracking options (ids)."
    )
    resolved_tracking: list[ResolvedTrackingOut] = Field(
        default_factory=list,
        description="The option per tracking placeholder that applies to the line: its own, "
        "else its product's, else the product group's (empty when tracking is off).",
    )

    @staticmethod
    def resolve_time_entries(obj: InvoiceLine) -> list[int]:
        return sorted(entry.pk for entry in obj.time_entries.all())

    @staticmethod
    def resolve_tracking_options(obj: InvoiceLine) -> list[int]:
        return tracking.line_option_ids(obj)

    @staticmethod
    def resolve_resolved_tracking(obj: InvoiceLine) -> list[dict[str, object]]:
        return [
            {"placeholder": name, "option": option.pk, "option_name": option.name}
            for name, option in tracking.resolved_tracking(obj)
        ]


class InvoiceSummaryOut(Schema):
    document: Literal["invoice"] = Field(
        "invoice", description="What this is (a new invoice may come back as a credit note)."
    )
    id: int
    number: str
    customer: int = Field(..., validation_alias="customer_id")
    customer_name: str = Field(..., validation_alias="customer.name")
    kind: str
    status: str
    date: dt.date
    due_date: dt.date
    reference: str
    amount_type: str
    subtotal: Decimal
    total_tax: Decimal
    total: Decimal
    recurring: int | None = Field(None, validation_alias="recurring_id")
    recurring_date: dt.date | None
    branding_theme: int | None = Field(None, validation_alias="branding_theme_id")
    external_number: str
    currency: str = Field(validation_alias="currency_shown", description=SHOWN_CURRENCY)
    amount_paid: Decimal = Field(..., description="Paid, as the accounting system last said.")
    amount_credited: Decimal = Field(
        ..., description="Credit notes allocated to it, as the accounting system last said."
    )
    amount_due: Decimal = Field(..., description="Still owed on it (0 once paid or voided).")

    @staticmethod
    def resolve_amount_due(obj: Invoice) -> Decimal:
        return amount_due(obj)


class InvoiceOut(InvoiceSummaryOut):
    lines: list[InvoiceLineOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class InvoicePage(Schema):
    count: int
    items: list[InvoiceSummaryOut]


class InvoiceQuery(ListQuery):
    status: Literal["DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED"] | None = None
    customer: Id | None = None
    kind: Literal["manual", "labour", "recurring", "accounts"] | None = None


class InvoiceDeletedOut(Schema):
    released_time_entries: int = Field(..., description="Time entries ready for invoicing again.")


class ReadyGroupOut(Schema):
    customer: int
    customer_name: str
    hours: Decimal
    time_entries: list[TimeEntryOut]


class ReadyPage(Schema):
    count: int
    items: list[ReadyGroupOut]


class BillTimeIn(Input):
    time_entries: list[Id] = Field(..., min_length=1, max_length=2000)
    date: Date


class RecurringIn(DocumentIn):
    customer: Id
    start_date: Date
    end_date: Date | None = None
    interval_unit: Literal["week", "month", "year"] = "month"
    interval_count: int = Field(1, ge=1, le=120)
    status: Literal["", "DRAFT", "SUBMITTED", "AUTHORISED"] = Field(
        "", description="Status of the invoices raised; blank for the default (DRAFT)."
    )
    branding_theme: Id | None = Field(None, description=THEME + " Raised invoices take it.")
    currency: CurrencyCode | None = Field(
        None,
        description=CURRENCY_CODE
        + ". Raised invoices take it. Left out or null: the customer's for a new schedule, kept "
        "as it is for a stored one; empty: the customer's.",
    )
    active: bool = True


class BacklogOut(Schema):
    invoices: int = Field(..., description="How many invoices confirming will raise.")
    first_date: dt.date = Field(..., validation_alias="first")
    last_date: dt.date = Field(..., validation_alias="last")


class RecurringOut(Schema):
    id: int
    customer: int = Field(..., validation_alias="customer_id")
    customer_name: str = Field(..., validation_alias="customer.name")
    reference: str
    amount_type: str
    interval_unit: str
    interval_count: int
    start_date: dt.date
    next_date: dt.date
    end_date: dt.date | None
    status: str
    branding_theme: int | None = Field(None, validation_alias="branding_theme_id")
    currency: str = Field(validation_alias="currency_shown", description=SHOWN_CURRENCY)
    active: bool
    state: Literal["active", "awaiting_confirmation", "inactive"] = Field(
        ...,
        description="awaiting_confirmation: more than a few dates are due at once, and none is "
        "raised until confirmed (POST .../confirm with `awaiting_confirmation`'s numbers).",
    )
    awaiting_confirmation: BacklogOut | None = Field(
        ..., description="What waits for confirmation, or null when nothing does."
    )
    catch_up_approved_count: int | None = Field(
        ..., description="The invoices of the last confirmed catch-up."
    )
    catch_up_approved_through: dt.date | None = Field(
        ..., description="The last date of the last confirmed catch-up."
    )
    catch_up_approved_at: dt.datetime | None
    last_error: str = Field(
        ..., description="Why the last due invoice was not raised; empty once one is."
    )
    last_error_at: dt.datetime | None
    subtotal: Decimal
    total_tax: Decimal
    total: Decimal
    lines: list[LineOut]

    @staticmethod
    def resolve_state(obj: RecurringInvoice) -> str:
        return recurring.state_of(obj, timezone.localdate())

    @staticmethod
    def resolve_awaiting_confirmation(obj: RecurringInvoice) -> recurring.Backlog | None:
        return recurring.waiting(obj, timezone.localdate())


class ConfirmCatchUpIn(Input):
    invoices: int = Field(
        ..., ge=1, le=1_000_000, description="The number of invoices that wait, as shown."
    )
    through: Date = Field(..., description="The last date that waits, as shown.")


class RecurringPage(Schema):
    count: int
    items: list[RecurringOut]


class BrandingThemeOut(Schema):
    id: int
    organisation: int = Field(..., validation_alias="organisation_id")
    name: str
    default: bool = Field(..., description="The organisation's default theme.")

    @staticmethod
    def resolve_default(obj: BrandingTheme) -> bool:
        return obj.sort_order == 0


class RaisedOut(Schema):
    raised: list[InvoiceSummaryOut]


# --- Credit notes -----------------------------------------------------------------------------


class CreditNoteUpdateIn(DocumentIn):
    lines: list[InvoiceLineIn] = Field(..., max_length=MAX_LINES)  # type: ignore[assignment]
    date: Date
    status: EditableStatus = "DRAFT"
    reason: str = Field("", max_length=500, description="Why the credit is given (kept here).")
    branding_theme: Id | None = Field(None, description=THEME)
    currency: CurrencyCode | None = Field(
        None,
        description=CURRENCY + " Left out or null: kept as it is; empty: the customer's. One "
        "against an invoice stays in the invoice's currency.",
    )


class CreditNoteIn(CreditNoteUpdateIn):
    customer: Id | None = Field(
        None, description="Required without `invoice`; with one, the invoice's customer."
    )
    invoice: Id | None = Field(
        None,
        description="The invoice credited: an authorised invoice of the customer. Once both "
        "are in the accounting system the credit is allocated to it there.",
    )
    invoice_lines: list[Id] | None = Field(
        None,
        max_length=MAX_LINES,
        description="With `invoice` and no `lines`: the ids of the invoice's lines to credit, "
        "as they are (left out: all of them).",
    )
    lines: list[InvoiceLineIn] | None = Field(  # type: ignore[assignment]
        None,
        max_length=MAX_LINES,
        description="Required without `invoice`; with one, left out: the invoice's lines "
        "(or those of `invoice_lines`).",
    )
    status: EditableStatus | None = Field(  # type: ignore[assignment]
        None, description="Left out: the default status for new invoices (a sync setting)."
    )
    currency: CurrencyCode | None = Field(
        None,
        description=CURRENCY + " Left out, null or empty: the invoice's currency when it "
        "credits one, else the customer's.",
    )

    def line_data(self) -> list[LineData]:
        return [line.to_data() for line in self.lines or []]


class CreditNoteLineOut(LineOut):
    charge_rate: int | None = Field(None, validation_alias="charge_rate_id")
    tracking_options: list[int] = Field(default_factory=list)

    @staticmethod
    def resolve_tracking_options(obj: CreditNoteLine) -> list[int]:
        return tracking.line_option_ids(obj)


class CreditNoteSummaryOut(Schema):
    document: Literal["credit_note"] = Field(
        "credit_note", description="What this is (a new invoice may come back as one)."
    )
    id: int
    number: str
    customer: int = Field(..., validation_alias="customer_id")
    customer_name: str = Field(..., validation_alias="customer.name")
    invoice: int | None = Field(None, validation_alias="invoice_id")
    kind: Literal["standalone", "invoice", "negative", "accounts"]
    status: str
    date: dt.date
    reference: str
    reason: str
    amount_type: str
    subtotal: Decimal
    total_tax: Decimal
    total: Decimal
    amount_allocated: Decimal = Field(
        ..., description="Credit allocated to invoices, as the accounting system last said."
    )
    remaining_credit: Decimal = Field(..., description="Credit not used yet (0 once voided).")
    branding_theme: int | None = Field(None, validation_alias="branding_theme_id")
    external_number: str
    currency: str = Field(validation_alias="currency_shown", description=SHOWN_CURRENCY)

    @staticmethod
    def resolve_remaining_credit(obj: CreditNote) -> Decimal:
        return obj.remaining_credit


class CreditNoteOut(CreditNoteSummaryOut):
    lines: list[CreditNoteLineOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class CreditNotePage(Schema):
    count: int
    items: list[CreditNoteSummaryOut]


class CreditNoteQuery(ListQuery):
    status: Literal["DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED"] | None = None
    customer: Id | None = None
    invoice: Id | None = None


class BalanceOut(Schema):
    customer: int
    currency: str = Field(..., description="The currency of this balance (" + SHOWN_CURRENCY + ")")
    owed: Decimal = Field(..., description="Still due on its authorised invoices.")
    credit: Decimal = Field(..., description="Credit of its authorised credit notes not used.")
    balance: Decimal = Field(..., description="owed - credit; below 0 in its favour.")
