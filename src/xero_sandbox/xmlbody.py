"""Xero's XML wire format: request bodies read into the JSON shapes, answers written as XML.

Xero accepts XML on every write and answers XML unless the client asks for JSON (`Accept:
application/json`) [S] XERO-FACTS (added 2026-12-01). Element names are the JSON names; a list
is a plural element holding singular ones (`<LineItems><LineItem>...`), and an answer is
`<Response>` (or `<ApiException>` for errors, each failed element a `<DataContractBase
xsi:type="Invoice">`, as quoted in xeroizer#86). Dates are ISO in XML, not `/Date(...)/`.

Parsing goes through defusedxml: no DTDs, entities or external references are read.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

# Plural element -> the singular element each of its items is written as.
LISTS = {
    "Accounts": "Account",
    "Addresses": "Address",
    "Allocations": "Allocation",
    "BrandingThemes": "BrandingTheme",
    "Connections": "Connection",
    "ContactGroups": "ContactGroup",
    "ContactPersons": "ContactPerson",
    "Contacts": "Contact",
    "CreditNotes": "CreditNote",
    "Currencies": "Currency",
    "Elements": "DataContractBase",
    "Invoices": "Invoice",
    "Items": "Item",
    "LineItems": "LineItem",
    "Options": "Option",
    "Organisations": "Organisation",
    "Payments": "Payment",
    "Phones": "Phone",
    "PurchaseOrders": "PurchaseOrder",
    "TaxComponents": "TaxComponent",
    "TaxRates": "TaxRate",
    "Tracking": "TrackingCategory",
    "TrackingCategories": "TrackingCategory",
    "ValidationErrors": "ValidationError",
    "Warnings": "Warning",
}
XSI = "http://www.w3.org/2001/XMLSchema-instance"
_MSDATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")


def is_xml(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media in ("application/xml", "text/xml")


def wants_json(accept: str | None) -> bool:
    """Xero answers JSON only when asked for it; XML otherwise (even for */*)."""
    return "application/json" in (accept or "").lower()


def parse(raw: bytes) -> Any:
    """An XML body as the JSON shape the handlers read: a plural root gives {"Invoices": [...]},
    a singular root the bare object. ValueError if it is not well-formed or not allowed XML."""
    try:
        root = SafeET.fromstring(raw)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise ValueError(f"the XML body cannot be read: {exc}") from exc
    value = _read(root)
    if root.tag in LISTS:
        return {root.tag: value}
    return value


def _read(node: Element) -> Any:
    children = list(node)
    if not children:
        text = (node.text or "").strip()
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        return text
    if node.tag in LISTS:
        return [_read(child) for child in children]
    return {child.tag: _read(child) for child in children}


def render(payload: Any, kind: str | None = None) -> bytes:
    """A JSON answer (envelope or error) written as Xero's XML; `kind` (e.g. "Invoice") types
    the failed elements of an ApiException."""
    if isinstance(payload, dict) and "ErrorNumber" in payload:
        root = Element("ApiException", {"xmlns:xsi": XSI})
    else:
        root = Element("Response", {"xmlns:xsi": XSI})
    if isinstance(payload, dict):
        for key, value in payload.items():
            _write(root, key, value, kind if key == "Elements" else None)
    written: bytes = tostring(root, encoding="utf-8", xml_declaration=False)
    return written


def _write(parent: Element, tag: str, value: Any, item_type: str | None = None) -> None:
    """Write `value` as <tag>; list items of <Elements> carry xsi:type=item_type."""
    if value is None:
        return
    node = SubElement(parent, tag)
    if isinstance(value, dict):
        for key, inner in value.items():
            _write(node, key, inner)
    elif isinstance(value, list):
        singular = LISTS.get(tag, tag[:-1] if tag.endswith("s") else tag)
        for item in value:
            _write(node, singular, item)
            if item_type and item is not None:
                node[-1].set("xsi:type", item_type)
    else:
        node.text = _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | Decimal):
        return format(Decimal(str(value)), "f")
    text = str(value)
    match = _MSDATE.match(text)
    if match:  # /Date(ms+0000)/ is JSON's form; XML carries ISO date-times
        stamp = dt.datetime.fromtimestamp(int(match.group(1)) / 1000, tz=dt.UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S")
    return text
