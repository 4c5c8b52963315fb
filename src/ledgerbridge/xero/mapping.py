"""Pure functions between Xero's JSON and the product's records: dates, Decimal, addresses,
codes. No database, no HTTP; the import and sync code call these at the edge."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

_MS_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")

# Field limits on our side, which match Xero's (XERO-FACTS 6).
LIMITS = {"name": 255, "account_number": 50, "email": 255, "phone": 50, "item_name": 50, "code": 30}


def parse_date(value: object) -> dt.datetime | None:
    """Xero's `/Date(1551213567813+0000)/` (or an ISO string) as an aware UTC datetime."""
    if not value or not isinstance(value, str):
        return None
    match = _MS_DATE.fullmatch(value.strip())
    if match:
        return dt.datetime.fromtimestamp(int(match.group(1)) / 1000, tz=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def to_decimal(value: object, default: Decimal = Decimal(0)) -> Decimal:
    if value is None or value == "":
        return default
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return default
    return number if number.is_finite() else default


@dataclass
class ContactData:
    """What a Xero contact brings to a customer or supplier."""

    xero_id: str
    name: str
    account_number: str | None
    email: str
    phone: str
    postal: dict[str, str]
    street: dict[str, str]
    sales_tax_type: str
    purchase_tax_type: str
    is_customer: bool
    is_supplier: bool
    archived: bool
    updated_at: dt.datetime | None
    snapshot: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    default_currency: str = ""  # the contact's DefaultCurrency, when it is a currency code


ADDRESS_FIELDS = {
    "line1": ("AddressLine1", 500),
    "line2": ("AddressLine2", 500),
    "city": ("City", 255),
    "region": ("Region", 255),
    "code": ("PostalCode", 50),
    "country": ("Country", 50),
}


def _address(addresses: list[dict[str, Any]], kind: str) -> dict[str, str]:
    found = next((a for a in addresses if a.get("AddressType") == kind), {})
    return {
        ours: str(found.get(theirs) or "")[:limit]
        for ours, (theirs, limit) in ADDRESS_FIELDS.items()
    }


def _phone(phones: list[dict[str, Any]]) -> str:
    for kind in ("DEFAULT", "MOBILE", "DDI"):
        phone = next(
            (p for p in phones if p.get("PhoneType") == kind and p.get("PhoneNumber")), None
        )
        if phone:
            parts = [
                phone.get("PhoneCountryCode"),
                phone.get("PhoneAreaCode"),
                phone.get("PhoneNumber"),
            ]
            return " ".join(str(p) for p in parts if p)[: LIMITS["phone"]]
    return ""


def contact_data(contact: dict[str, Any]) -> ContactData:
    """Read a Xero contact; `problems` lists why it cannot be imported (empty: it can)."""
    name = str(contact.get("Name") or "").strip()
    account = str(contact.get("AccountNumber") or "").strip() or None
    problems = []
    if not name:
        problems.append("it has no name")
    elif len(name) > LIMITS["name"]:
        problems.append(f"its name is longer than {LIMITS['name']} characters")
    if account and len(account) > LIMITS["account_number"]:
        problems.append(f"its account number is longer than {LIMITS['account_number']} characters")
    email = str(contact.get("EmailAddress") or "").strip()
    if len(email) > LIMITS["email"]:
        problems.append(f"its email address is longer than {LIMITS['email']} characters")
    addresses = list(contact.get("Addresses") or [])
    snapshot = {
        k: contact.get(k)
        for k in (
            "ContactID", "Name", "AccountNumber", "ContactNumber", "EmailAddress", "ContactStatus",
            "IsCustomer", "IsSupplier", "AccountsReceivableTaxType", "AccountsPayableTaxType",
            "DefaultCurrency", "TaxNumber",
        )
        if contact.get(k) not in (None, "")
    }  # fmt: skip
    return ContactData(
        xero_id=str(contact.get("ContactID") or ""),
        name=name,
        account_number=account,
        email=email,
        phone=_phone(list(contact.get("Phones") or [])),
        postal=_address(addresses, "POBOX"),
        street=_address(addresses, "STREET"),
        sales_tax_type=str(contact.get("AccountsReceivableTaxType") or ""),
        purchase_tax_type=str(contact.get("AccountsPayableTaxType") or ""),
        is_customer=bool(contact.get("IsCustomer")),
        is_supplier=bool(contact.get("IsSupplier")),
        archived=contact.get("ContactStatus") == "ARCHIVED",
        updated_at=parse_date(contact.get("UpdatedDateUTC")),
        snapshot=snapshot,
        problems=problems,
        default_currency=_currency_code(contact.get("DefaultCurrency")),
    )


def _currency_code(value: object) -> str:
    code = str(value or "").strip()
    return code if re.fullmatch(r"[A-Z]{3}", code) else ""


@dataclass
class ItemData:
    """What a Xero item brings to a product."""

    xero_id: str
    code: str
    name: str
    description: str
    sales_account_code: str
    purchase_account_code: str
    sales_tax_type: str
    purchase_tax_type: str
    unit_price: Decimal
    unit_cost: Decimal
    updated_at: dt.datetime | None
    snapshot: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def item_data(item: dict[str, Any]) -> ItemData:
    sales = dict(item.get("SalesDetails") or {})
    purchase = dict(item.get("PurchaseDetails") or {})
    code = str(item.get("Code") or "").strip()
    name = str(item.get("Name") or "").strip() or code
    problems = []
    if not code:
        problems.append("it has no item code")
    elif len(code) > LIMITS["code"]:
        problems.append(f"its code is longer than {LIMITS['code']} characters")
    if not name:
        problems.append("it has no name")
    elif len(name) > LIMITS["item_name"]:
        problems.append(f"its name is longer than {LIMITS['item_name']} characters")
    snapshot = {
        k: item.get(k)
        for k in ("ItemID", "Code", "Name", "Description", "IsSold", "IsPurchased")
        if item.get(k) not in (None, "")
    }
    snapshot.update({"SalesDetails": sales, "PurchaseDetails": purchase})
    return ItemData(
        xero_id=str(item.get("ItemID") or ""),
        code=code,
        name=name,
        description=str(item.get("Description") or "")[:4000],
        sales_account_code=str(sales.get("AccountCode") or "")[:10],
        purchase_account_code=str(
            purchase.get("AccountCode") or purchase.get("COGSAccountCode") or ""
        )[:10],
        sales_tax_type=str(sales.get("TaxType") or ""),
        purchase_tax_type=str(purchase.get("TaxType") or ""),
        unit_price=max(Decimal(0), to_decimal(sales.get("UnitPrice"))),
        unit_cost=max(Decimal(0), to_decimal(purchase.get("UnitPrice"))),
        updated_at=parse_date(item.get("UpdatedDateUTC")),
        snapshot=snapshot,
        problems=problems,
    )


@dataclass(frozen=True)
class TaxRateData:
    tax_type: str
    name: str
    percentage: Decimal
    status: str
    revenue: bool = True  # CanApplyToRevenue: offered on sales


def tax_rate_data(rate: dict[str, Any]) -> TaxRateData:
    percentage = to_decimal(rate.get("EffectiveRate"), to_decimal(rate.get("DisplayTaxRate")))
    return TaxRateData(
        tax_type=str(rate.get("TaxType") or ""),
        name=str(rate.get("Name") or rate.get("TaxType") or "").strip()[:100],
        percentage=percentage.quantize(Decimal("0.0001")),
        status=str(rate.get("Status") or "ACTIVE"),
        revenue=rate.get("CanApplyToRevenue") is not False,
    )


# --- the product's records as Xero JSON (the sync engine's payloads) ---------------------------


def json_number(amount: Decimal) -> float:
    """A money amount as a JSON number (the spec's type). Amounts have at most 4 decimals and
    fewer than 15 digits, so the float's shortest text is exactly the Decimal's."""
    number = float(amount)
    assert Decimal(repr(number)) == amount.normalize() or Decimal(repr(number)) == amount
    return number


def _address_out(party: Any, prefix: str, kind: str) -> dict[str, str]:
    address = {"AddressType": kind}
    for ours, (theirs, _) in ADDRESS_FIELDS.items():
        value = str(getattr(party, f"{prefix}_{ours}") or "")
        if value:
            address[theirs] = value
    return address


def contact_payload(
    party: Any,
    *,
    remote_id: str,
    tax_types: dict[int, str],
    archive: bool,
    currency: str = "",
) -> dict[str, Any]:
    """A customer or supplier as a Xero contact: name, account number, email, phone, both
    addresses (REQ-3), default tax types (through the tax-rate links), default currency (when
    given). With `archive`, an inactive party is sent as ARCHIVED and an active one as ACTIVE
    (SYNC-3)."""
    payload: dict[str, Any] = {
        "Name": party.name,
        "AccountNumber": party.account_number or "",
        "EmailAddress": party.email or "",
        "Addresses": [
            _address_out(party, "postal", "POBOX"),
            _address_out(party, "street", "STREET"),
        ],
    }
    if remote_id:
        payload["ContactID"] = remote_id
    if party.phone:
        payload["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": party.phone}]
    sales = tax_types.get(party.sales_tax_rate_id or 0)
    purchase = tax_types.get(party.purchase_tax_rate_id or 0)
    if sales:
        payload["AccountsReceivableTaxType"] = sales
    if purchase:
        payload["AccountsPayableTaxType"] = purchase
    if archive:
        payload["ContactStatus"] = "ACTIVE" if party.active else "ARCHIVED"
    if currency:
        payload["DefaultCurrency"] = currency
    return payload


def item_payload(product: Any, *, remote_id: str, tax_types: dict[int, str]) -> dict[str, Any]:
    """A product as a Xero item: code, name, description, sales and purchase details."""
    sales: dict[str, Any] = {
        "UnitPrice": json_number(product.unit_price),
        "AccountCode": product.sales_account_code,
    }
    purchase: dict[str, Any] = {"UnitPrice": json_number(product.unit_cost)}
    if product.purchase_account_code:
        purchase["AccountCode"] = product.purchase_account_code
    if tax_types.get(product.sales_tax_rate_id or 0):
        sales["TaxType"] = tax_types[product.sales_tax_rate_id]
    if tax_types.get(product.purchase_tax_rate_id or 0):
        purchase["TaxType"] = tax_types[product.purchase_tax_rate_id]
    payload: dict[str, Any] = {
        "Code": product.code,
        "Name": product.name[: LIMITS["item_name"]],
        "Description": product.description or product.name,
        "IsSold": True,
        "SalesDetails": sales,
        "IsPurchased": bool(product.purchase_account_code),
    }
    if product.purchase_account_code:
        payload["PurchaseDetails"] = purchase
    if remote_id:
        payload["ItemID"] = remote_id
    return payload


@dataclass(frozen=True)
class LineOut:
    """One document line as Xero takes it (the engine resolves codes, tax and tracking)."""

    description: str
    quantity: Decimal
    unit_amount: Decimal
    item_code: str
    tax_type: str
    tracking: tuple[tuple[str, str], ...] = ()  # (category name, option name), at most two
    line_item_id: str = ""


def _lines_out(lines: list[LineOut]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        item: dict[str, Any] = {
            "Description": line.description,
            "Quantity": json_number(line.quantity),
            "UnitAmount": json_number(line.unit_amount),
            "TaxType": line.tax_type,
        }
        if line.item_code:
            item["ItemCode"] = line.item_code
        if line.tracking:
            item["Tracking"] = [{"Name": name, "Option": option} for name, option in line.tracking]
        if line.line_item_id:
            item["LineItemID"] = line.line_item_id
        out.append(item)
    return out


def invoice_payload(
    invoice: Any,
    *,
    remote_id: str,
    contact_id: str,
    lines: list[LineOut],
    status: str,
    number: str,
    branding_theme_id: str = "",
    currency: str = "",
) -> dict[str, Any]:
    """A sales invoice (ACCREC): the linked contact (by id only: a name would rename it),
    dates, its number (Xero keeps ACCREC numbers unique, a natural guard against twins),
    status, amounts type, lines, its currency (none: the organisation's base currency) and the
    chosen branding theme (none: Xero takes the contact's default). Totals are Xero's to
    compute (compared afterwards), as is the rate of a foreign currency."""
    payload: dict[str, Any] = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact_id},
        "Date": invoice.date.isoformat(),
        "DueDate": invoice.due_date.isoformat(),
        "InvoiceNumber": number,
        "Reference": invoice.reference or "",
        "Status": status,
        "LineAmountTypes": str(invoice.amount_type),  # stored in Xero's own words
        "LineItems": _lines_out(lines),
    }
    if branding_theme_id:
        payload["BrandingThemeID"] = branding_theme_id
    if currency:
        payload["CurrencyCode"] = currency
    if remote_id:
        payload["InvoiceID"] = remote_id
    return payload


def credit_note_payload(
    note: Any,
    *,
    remote_id: str,
    contact_id: str,
    lines: list[LineOut],
    status: str,
    number: str,
    branding_theme_id: str = "",
    currency: str = "",
) -> dict[str, Any]:
    """A sales credit note (ACCRECCREDIT) for a linked contact, as an invoice is sent; its
    allocation to the invoice it credits is a request of its own, once both are authorised."""
    payload: dict[str, Any] = {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": contact_id},
        "Date": note.date.isoformat(),
        "CreditNoteNumber": number,
        "Reference": note.reference or "",
        "Status": status,
        "LineAmountTypes": str(note.amount_type),
        "LineItems": _lines_out(lines),
    }
    if branding_theme_id:
        payload["BrandingThemeID"] = branding_theme_id
    if currency:
        payload["CurrencyCode"] = currency
    if remote_id:
        payload["CreditNoteID"] = remote_id
    return payload


def purchase_order_payload(
    order: Any,
    *,
    remote_id: str,
    contact_id: str,
    lines: list[LineOut],
    status: str,
    number: str,
    currency: str = "",
) -> dict[str, Any]:
    """A purchase order for a linked supplier, with our number, dates, status, lines and
    currency (none: the organisation's base currency)."""
    payload: dict[str, Any] = {
        "Contact": {"ContactID": contact_id},
        "Date": order.date.isoformat(),
        "PurchaseOrderNumber": number,
        "Reference": order.reference or "",
        "Status": status,
        "LineAmountTypes": str(order.amount_type),
        "LineItems": _lines_out(lines),
    }
    if order.delivery_date:
        payload["DeliveryDate"] = order.delivery_date.isoformat()
    if order.delivery_instructions:
        payload["DeliveryInstructions"] = order.delivery_instructions
    if currency:
        payload["CurrencyCode"] = currency
    if remote_id:
        payload["PurchaseOrderID"] = remote_id
    return payload
