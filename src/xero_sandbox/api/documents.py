"""What invoices, purchase orders and credit notes share: contact resolution and line maths."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import wire
from ..core import Ctx
from ..money import document_totals, line_figures, round2, round_unit
from .common import Record

NO_CONTACT = (
    "The Contact must contain at least 1 of the following elements to identify the contact: "
    "Name, ContactID, ContactNumber"
)
NO_LINES = "One or more line items must be specified"


def tax_message(tax: str) -> str:
    return f"The TaxType code {tax} does not exist or cannot be used for this type of transaction."


def account_message(code: str) -> str:
    return f"Account code '{code}' has been removed as it does not match a recognised account."


def resolve_contact(ctx: Ctx, raw: Any, errors: list[str]) -> Record | None:
    """The contact a document names; a new Name creates a contact, as Xero does."""
    if not isinstance(raw, dict) or not (
        raw.get("ContactID") or raw.get("Name") or raw.get("ContactNumber")
    ):
        errors.append(NO_CONTACT)
        return None
    contacts = ctx.org.contacts
    found: Record | None = None
    if raw.get("ContactID"):
        if not wire.is_guid(raw["ContactID"]) and ctx.sb.settings.malformed_guid_gives_500:
            raise wire.MalformedGuid(str(raw["ContactID"]))
        found = contacts.get(str(raw["ContactID"]).lower())
        if found is not None and raw.get("Name") and raw["Name"] != found["Name"]:
            rename = ctx.sb.settings.document_contact_name_overwrites
            if rename and found.get("ContactStatus") == "ACTIVE":
                from .contacts import upsert

                found, more = upsert(ctx, {"Name": raw["Name"]}, found, False)
                errors.extend(more)
                return found
        if found is None:
            errors.append("Contact ID " + str(raw["ContactID"]) + " was not found.")  # [U]
            return None
    elif raw.get("ContactNumber"):
        found = next(
            (c for c in contacts.values() if c.get("ContactNumber") == raw["ContactNumber"]), None
        )
    if found is None and raw.get("Name"):
        found = next(
            (
                c
                for c in contacts.values()
                if c["Name"] == raw["Name"] and c.get("ContactStatus") == "ACTIVE"
            ),
            None,
        )
        if found is None:
            from .contacts import upsert

            found, more = upsert(ctx, {"Name": raw["Name"]}, None, True)
            errors.extend(more)
            return found
    if found is None:
        errors.append(NO_CONTACT)
        return None
    if found.get("ContactStatus") == "ARCHIVED":
        errors.append(  # [U] no verbatim text known
            f"The contact {found['Name']} is archived. Documents cannot be created for archived "
            "contacts."
        )
        return None
    return found


OUT_OF_RANGE = "The {field} is too large."  # [U] Xero's text for out-of-range numbers is unknown
LINE_NUMBERS = ("Quantity", "UnitAmount", "DiscountRate", "TaxAmount", "LineAmount")


def _line_numbers(
    raw: Record, discounts: bool, errors: list[str]
) -> tuple[Decimal, Decimal | None, Decimal | None, Decimal | None, Decimal | None] | None:
    """Quantity (default 1), UnitAmount, DiscountRate, TaxAmount and LineAmount of a line, or
    None after adding an error for each one that is not a finite number in range."""
    values: dict[str, Decimal | None] = {}
    ok = True
    for field in LINE_NUMBERS:
        try:
            values[field] = wire.to_decimal(raw.get(field))
        except wire.OutOfRange:
            errors.append(OUT_OF_RANGE.format(field=field))
            ok = False
        except ValueError:
            errors.append(f"The {field} must be a number.")  # [U] our words
            ok = False
    if not ok:
        return None
    quantity = values["Quantity"]
    return (
        Decimal(1) if quantity is None else quantity,
        values["UnitAmount"],
        values["DiscountRate"] if discounts else None,
        values["TaxAmount"],
        values["LineAmount"],
    )


def contact_summary(contact: Record) -> Record:
    return {
        "ContactID": contact["ContactID"],
        "Name": contact["Name"],
        "ContactStatus": contact.get("ContactStatus", "ACTIVE"),
        "Addresses": [],
        "Phones": [],
        "ContactGroups": [],
        "ContactPersons": [],
        "HasValidationErrors": False,
    }


def build_lines(
    ctx: Ctx,
    raw_lines: Any,
    amount_types: str,
    sales: bool,
    discounts: bool,
    errors: list[str],
    old_lines: list[Record] | None = None,
) -> list[Record]:
    """Validate and compute lines. Tax per line rounded to 2dp; UnitAmount 2dp or unitdp=4."""
    org = ctx.org
    codes = {a["Code"] for a in org.accounts.values()}
    old_ids = {str(line.get("LineItemID")) for line in old_lines or []}
    out: list[Record] = []
    for raw in raw_lines if isinstance(raw_lines, list) else []:
        if not isinstance(raw, dict):
            errors.append("A line item must be an object.")  # [U] our words
            continue
        line: Record = {}
        item = None
        if raw.get("ItemCode"):
            item = next((i for i in org.items.values() if i["Code"] == raw["ItemCode"]), None)
            if item is None:
                errors.append(f"Item code '{raw['ItemCode']}' is not valid.")  # [U]
            else:
                line["ItemCode"] = item["Code"]
        details = (item or {}).get("SalesDetails" if sales else "PurchaseDetails") or {}
        numbers = _line_numbers(raw, discounts, errors)
        if numbers is None:
            continue
        quantity, unit, discount, tax_override, supplied = numbers
        if unit is None:
            unit = details.get("UnitPrice")
        derived = False
        if supplied is not None:
            # The spec (LineItem.LineAmount): with Quantity or UnitAmount left out, Xero works
            # the missing one out from LineAmount.
            factor = (Decimal(100) - (discount or Decimal(0))) / Decimal(100)
            if unit is None and factor and quantity:
                unit, derived = supplied / (quantity * factor), True
            elif "Quantity" not in raw and unit and factor:
                quantity = (supplied / (unit * factor)).quantize(Decimal("0.0001"))
                derived = True
        if abs(quantity * (unit or Decimal(0))) >= wire.MAX_NUMBER:
            errors.append(OUT_OF_RANGE.format(field="LineAmount"))
            continue
        unit = round_unit(unit or Decimal(0), ctx.unitdp)
        account = raw.get("AccountCode") or details.get("AccountCode")
        if account and account not in codes:
            errors.append(account_message(str(account)))
        tax_type = raw.get("TaxType") or details.get("TaxType")
        if not tax_type and account:
            tax_type = next(
                (a["TaxType"] for a in org.accounts.values() if a["Code"] == account), None
            )
        rate = Decimal(0)
        if tax_type:
            tax_rate = org.tax_rates.get(str(tax_type))
            if tax_rate is None or tax_rate.get("Status") != "ACTIVE":
                errors.append(tax_message(str(tax_type)))
            else:
                rate = Decimal(str(tax_rate["EffectiveRate"]))
        tracking = _tracking(ctx, raw.get("Tracking"), errors)
        figures = line_figures(quantity, unit, rate, amount_types, discount, tax_override)
        if supplied is not None and not derived and round2(supplied) != figures.line_amount:
            # [S] Xero-NetStandard#147/#74/#412: a LineAmount Xero computes otherwise is refused.
            errors.append(
                f"The line total {round2(supplied)} does not match the expected line total "
                f"{figures.line_amount}"
            )
        line_id = str(raw.get("LineItemID") or "")
        line.update(
            {
                "LineItemID": line_id if line_id in old_ids else wire.new_id(),
                "Description": raw.get("Description", (item or {}).get("Description", "")),
                "Quantity": quantity,
                "UnitAmount": unit,
                "TaxAmount": figures.tax_amount,
                "LineAmount": figures.line_amount,
                "Tracking": tracking,
                "_net": figures.net,
            }
        )
        if account:
            line["AccountCode"] = account
        if tax_type:
            line["TaxType"] = tax_type
        if discount:
            line["DiscountRate"] = discount
        out.append(line)
    return out


def _tracking(ctx: Ctx, raw: Any, errors: list[str]) -> list[Record]:
    if not isinstance(raw, list):
        return []
    if len(raw) > 2:
        errors.append("A line item can have at most 2 tracking categories.")  # [U]
    out = []
    for entry in raw:
        cat = next(
            (
                t
                for t in ctx.org.tracking.values()
                if t["Status"] == "ACTIVE"
                and (
                    t["TrackingCategoryID"] == str(entry.get("TrackingCategoryID", "")).lower()
                    or t["Name"] == entry.get("Name")
                )
            ),
            None,
        )
        option = None
        if cat is not None:
            option = next(
                (
                    o
                    for o in cat["Options"]
                    if o["Status"] == "ACTIVE"
                    and (
                        o["TrackingOptionID"] == str(entry.get("TrackingOptionID", "")).lower()
                        or o["Name"] == entry.get("Option")
                    )
                ),
                None,
            )
        if cat is None or option is None:
            errors.append(f"Tracking option {entry.get('Option') or ''} is not valid.")  # [U]
            continue
        out.append(
            {
                "TrackingCategoryID": cat["TrackingCategoryID"],
                "Name": cat["Name"],
                "TrackingOptionID": option["TrackingOptionID"],
                "Option": option["Name"],
            }
        )
    return out


def totals_into(record: Record) -> None:
    from ..money import LineFigures

    figures = [
        LineFigures(line["LineAmount"], line["TaxAmount"], line["_net"])
        for line in record["LineItems"]
    ]
    totals = document_totals(figures)
    record["SubTotal"], record["TotalTax"], record["Total"] = (
        totals.sub_total,
        totals.total_tax,
        totals.total,
    )


def preview(
    ctx: Ctx, element: Record, contact: Record | None, lines: list[Record], id_field: str
) -> Record:
    """The element as Xero echoes a failed one: what it sent, with the computed lines
    (LineItemIDs, tax, LineAmount) and totals, and the contact it resolved to."""
    shown = dict(element)
    shown.setdefault(id_field, "00000000-0000-0000-0000-000000000000")
    if contact is not None:
        shown["Contact"] = contact
    if lines:
        draft: Record = {"LineItems": lines}
        totals_into(draft)
        shown["LineItems"] = render_lines(ctx, lines)
        shown.update({k: draft[k] for k in ("SubTotal", "TotalTax", "Total")})
    return shown


def render_lines(ctx: Ctx, lines: list[Record]) -> list[Record]:
    out = []
    for line in lines:
        shown = {k: v for k, v in line.items() if not k.startswith("_")}
        shown["UnitAmount"] = round_unit(line["UnitAmount"], ctx.unitdp)
        out.append(shown)
    return out
