"""Contacts: create, update, archive, read; IsCustomer/IsSupplier come from invoices."""

from __future__ import annotations

from typing import Any

from .. import wire
from ..core import Ctx
from ..http import Response
from .common import Record, batch_write, elements_of, filter_list, not_found, ok, page_of
from .common import render_dates as _dates

WRITABLE = (
    "ContactNumber",
    "AccountNumber",
    "Name",
    "FirstName",
    "LastName",
    "CompanyNumber",
    "EmailAddress",
    "BankAccountDetails",
    "TaxNumber",
    "AccountsReceivableTaxType",
    "AccountsPayableTaxType",
    "Addresses",
    "Phones",
    "DefaultCurrency",
    "SalesDefaultAccountCode",
    "PurchasesDefaultAccountCode",
    "ContactPersons",
    "PaymentTerms",
    "SalesDefaultLineAmountType",
    "PurchasesDefaultLineAmountType",
    "Website",
)
LIMITS = {
    "Name": 255,
    "ContactNumber": 50,
    "AccountNumber": 50,
    "EmailAddress": 255,
    "TaxNumber": 50,
    "FirstName": 255,
    "LastName": 255,
}
XERO_USER = "xero-user"
ARCHIVED_EDIT = (
    "The specified contact details matched an archived contact. Archived contacts cannot "
    "currently be edited via the API."
)


def find(ctx: Ctx, element: Record) -> Record | None:
    cid = element.get("ContactID")
    if cid:
        return ctx.org.contacts.get(str(cid).lower())
    number = element.get("ContactNumber")
    if number:
        return next(
            (c for c in ctx.org.contacts.values() if c.get("ContactNumber") == number), None
        )
    return None


def lookup(ctx: Ctx, key: str) -> Record | None:
    return ctx.org.contacts.get(key.lower()) or next(
        (c for c in ctx.org.contacts.values() if c.get("ContactNumber") == key), None
    )


def upsert(
    ctx: Ctx, element: Record, existing: Record | None, is_put: bool
) -> tuple[Record | None, list[str]]:
    org = ctx.org
    errors: list[str] = []
    if element.get("ContactID") and existing is None:
        return None, ["The contact could not be found"]  # [U] no verbatim text known
    status = element.get("ContactStatus")
    archived = existing is not None and existing.get("ContactStatus") == "ARCHIVED"
    # Only the API refuses edits to archived contacts; a Xero user (admin action) may edit them.
    if archived and status != "ACTIVE" and ctx.client_id != XERO_USER:
        return None, [ARCHIVED_EDIT]
    name = element.get("Name", existing.get("Name") if existing else None)
    if not name or not str(name).strip():
        errors.append("Contact Name cannot be empty.")
    for field, limit in LIMITS.items():
        if len(str(element.get(field) or "")) > limit:
            errors.append(f"{field} must not be more than {limit} characters long.")
    own_id = existing["ContactID"] if existing else None
    final_status = status or (existing or {}).get("ContactStatus", "ACTIVE")
    if name and final_status == "ACTIVE":
        for other in org.contacts.values():
            if (
                other["ContactID"] != own_id
                and other.get("ContactStatus") == "ACTIVE"
                and other["Name"].strip().lower() == str(name).strip().lower()
            ):
                errors.append(
                    f"The contact name {name} is already assigned to another contact. The "
                    "contact name must be unique across all active contacts."
                )
                break
    number = element.get("AccountNumber")
    if number:
        for other in org.contacts.values():
            if other["ContactID"] != own_id and other.get("AccountNumber") == number:
                errors.append(
                    "The Account Number already exists. Please enter a different Account Number."
                )
                break
    for field in ("AccountsReceivableTaxType", "AccountsPayableTaxType"):
        tax = element.get(field)
        if tax and tax not in org.tax_rates:
            errors.append(
                f"The TaxType code {tax} does not exist or cannot be used for this type of "
                "transaction."
            )
    if status is not None and status not in ("ACTIVE", "ARCHIVED", "GDPRREQUEST"):
        errors.append(f"'{status}' is not a valid ContactStatus")
    if errors:
        return None, errors
    now = ctx.now_ms()
    created = existing is None
    if existing is not None:
        ctx.remember(existing)
    record: Record = (
        existing
        if existing is not None
        else {
            "ContactID": wire.new_id(),
            "ContactStatus": "ACTIVE",
            "IsSupplier": False,
            "IsCustomer": False,
            "Addresses": [],
            "Phones": [],
            "ContactGroups": [],
        }
    )
    for field in WRITABLE:
        if field in element:
            record[field] = element[field]
    if status:
        record["ContactStatus"] = status
    record["Name"] = str(name)
    record["UpdatedDateUTC"] = now
    org.contacts[record["ContactID"]] = record
    ctx.emit("CONTACT", "CREATE" if created else "UPDATE", record["ContactID"])
    return record, []


def _placeholders(items: list[Record], key: str, kinds: tuple[str, ...]) -> list[Record]:
    present = {i.get(key) for i in items}
    return list(items) + [{key: k} for k in kinds if k not in present]


def render(ctx: Ctx, record: Record) -> Record:
    out = _dates(record)
    out["Addresses"] = _placeholders(
        record.get("Addresses", []), "AddressType", ("POBOX", "STREET")
    )
    out["Phones"] = _placeholders(
        record.get("Phones", []), "PhoneType", ("DEFAULT", "DDI", "FAX", "MOBILE")
    )
    out["HasAttachments"] = False
    out["HasValidationErrors"] = False
    return out


def write(ctx: Ctx, is_put: bool) -> Response:
    elements = elements_of(ctx, "Contacts")
    if isinstance(elements, Response):
        return elements
    return batch_write(
        ctx, "Contacts", "ContactID", elements, lambda e: find(ctx, e), upsert, render, is_put
    )


def put(ctx: Ctx) -> Response:
    return write(ctx, True)


def post(ctx: Ctx) -> Response:
    return write(ctx, False)


def post_one(ctx: Ctx, key: str) -> Response:
    existing = lookup(ctx, key)
    if existing is None:
        return not_found()
    elements = elements_of(ctx, "Contacts")
    if isinstance(elements, Response):
        return elements
    for element in elements:
        if isinstance(element, dict):
            element["ContactID"] = existing["ContactID"]
    return batch_write(
        ctx, "Contacts", "ContactID", elements, lambda e: existing, upsert, render, False
    )


def get_list(ctx: Ctx) -> Response:
    rows = filter_list(
        ctx, ctx.org.contacts.values(), "ContactID", archived_field=("ContactStatus", "ARCHIVED")
    )
    if isinstance(rows, Response):
        return rows
    term = (ctx.req.q("searchTerm") or "").lower()
    if term:
        rows = [
            r
            for r in rows
            if any(
                term in str(r.get(f, "")).lower()
                for f in ("Name", "FirstName", "LastName", "EmailAddress", "ContactNumber")
            )
        ]
    paged = page_of(ctx, rows)
    if isinstance(paged, Response):
        return paged
    page, block = paged
    extra: dict[str, Any] = {"pagination": block} if block else {}
    return ok(ctx, "Contacts", [render(ctx, r) for r in page], extra)


def get_one(ctx: Ctx, key: str) -> Response:
    record = lookup(ctx, key)
    return not_found() if record is None else ok(ctx, "Contacts", [render(ctx, record)])
