"""Organisation settings: Organisation, Accounts, TaxRates, TrackingCategories, BrandingThemes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import wire
from ..core import Ctx
from ..http import Response
from ..regions import REGIONS
from .common import (
    NOT_AN_OBJECT,
    Record,
    bad_request,
    elements_of,
    filter_list,
    not_found,
    ok,
    validation_error,
)
from .common import render_dates as _dates


def organisation(ctx: Ctx) -> Response:
    org = ctx.org
    region = REGIONS[org.region]
    body = {
        "OrganisationID": org.tenant_id,
        "APIKey": "",
        "Name": org.name,
        "LegalName": org.name,
        "PaysTax": True,
        "Version": org.region,
        "OrganisationType": "COMPANY",
        "BaseCurrency": org.base_currency,
        "CountryCode": "GB" if org.region == "UK" else org.region,
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 3 if org.region in ("NZ", "UK") else 6,
        "SalesTaxBasis": "ACCRUALS" if org.region != "UK" else "ACCRUAL",
        "SalesTaxPeriod": "QUARTERLY1" if org.region == "UK" else "TWOMONTHS",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": wire.ms_timestamp(org.created_ms),
        "OrganisationEntityType": "COMPANY",
        "Timezone": org.timezone,
        "ShortCode": org.short_code,
        "Edition": "BUSINESS",
        "Class": "PREMIUM",
        "LineOfBusiness": "IT services",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }
    del region
    return ok(ctx, "Organisations", [body])


# --- accounts -------------------------------------------------------------------------------


def accounts(ctx: Ctx) -> Response:
    rows = filter_list(ctx, ctx.org.accounts.values(), "AccountID")
    if isinstance(rows, Response):
        return rows
    if not ctx.req.q("order"):
        rows = sorted(rows, key=lambda a: a["Code"])
    return ok(ctx, "Accounts", [_dates(r) for r in rows])


def account(ctx: Ctx, key: str) -> Response:
    record = ctx.org.accounts.get(key.lower())
    return not_found() if record is None else ok(ctx, "Accounts", [_dates(record)])


def create_account(ctx: Ctx) -> Response:
    from ..regions import ACCOUNT_CLASS

    elements = elements_of(ctx, "Accounts")
    if isinstance(elements, Response):
        return elements
    element = elements[0]
    if not isinstance(element, dict):
        return bad_request(NOT_AN_OBJECT)
    errors = []
    code, name, kind = element.get("Code"), element.get("Name"), element.get("Type")
    if any(a["Code"] == code for a in ctx.org.accounts.values()):
        errors.append("Please enter a unique Code.")
    if any(a["Name"].lower() == str(name or "").lower() for a in ctx.org.accounts.values()):
        errors.append("Please enter a unique Name.")
    if kind not in ACCOUNT_CLASS:
        errors.append("Account Type must be valid.")
    tax = element.get("TaxType")
    if tax and tax not in ctx.org.tax_rates:
        errors.append(
            f"The TaxType code {tax} does not exist or cannot be used for this type of transaction."
        )
    if not code or not name:
        errors.append("Account must be valid.")
    if errors:
        return validation_error([{**element, "ValidationErrors": [{"Message": m} for m in errors]}])
    record: Record = {
        "AccountID": wire.new_id(),
        "Code": code,
        "Name": name,
        "Type": kind,
        "Status": "ACTIVE",
        "Class": ACCOUNT_CLASS[str(kind)],
        "TaxType": tax or "NONE",
        "Description": element.get("Description", ""),
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": False,
        "ReportingCode": "",
        "ReportingCodeName": "",
        "HasAttachments": False,
        "AddToWatchlist": False,
        "UpdatedDateUTC": ctx.now_ms(),
        "BankAccountType": "",
    }
    ctx.org.accounts[record["AccountID"]] = record
    return ok(ctx, "Accounts", [_dates(record)])


# --- tax rates ------------------------------------------------------------------------------


def tax_rates(ctx: Ctx) -> Response:
    rows = filter_list(ctx, ctx.org.tax_rates.values(), "TaxType", modified=False)
    if isinstance(rows, Response):
        return rows
    return ok(ctx, "TaxRates", rows)


def tax_rate(ctx: Ctx, key: str) -> Response:
    record = ctx.org.tax_rates.get(key)
    return not_found() if record is None else ok(ctx, "TaxRates", [record])


def write_tax_rate(ctx: Ctx) -> Response:
    """PUT creates a custom rate (TAX001, ...); POST updates one named by TaxType or Name."""
    elements = elements_of(ctx, "TaxRates")
    if isinstance(elements, Response):
        return elements
    element = elements[0]
    if not isinstance(element, dict):
        return bad_request(NOT_AN_OBJECT)
    org = ctx.org
    existing = org.tax_rates.get(str(element.get("TaxType") or "")) or next(
        (t for t in org.tax_rates.values() if t["Name"] == element.get("Name")), None
    )
    if ctx.req.method == "PUT" and existing is not None:
        return bad_request("Please enter a unique Name.")
    if ctx.req.method == "POST" and existing is None:
        return bad_request("Tax rate must be valid.")
    components = element.get("TaxComponents")
    if existing is None and not components:
        return bad_request("At least one tax component is required.")
    if components and not (
        isinstance(components, list) and all(isinstance(c, dict) for c in components)
    ):
        return bad_request("TaxComponents must be a list of objects.")  # [U] our words
    try:
        rates = [wire.to_decimal(c.get("Rate"), Decimal(0)) or Decimal(0) for c in components or []]
    except ValueError:
        return bad_request("A tax component's Rate must be a number.")  # [U] our words
    record: Record = existing or {
        "TaxType": f"TAX{org.next_number('taxrate'):03d}",
        "Status": "ACTIVE",
        "ReportTaxType": element.get("ReportTaxType", "OUTPUT"),
        "CanApplyToAssets": True,
        "CanApplyToEquity": True,
        "CanApplyToExpenses": True,
        "CanApplyToLiabilities": True,
        "CanApplyToRevenue": True,
    }
    record["Name"] = element.get("Name", record.get("Name"))
    if element.get("Status"):
        record["Status"] = element["Status"]
    if components:
        parts = [
            {
                "Name": c.get("Name", ""),
                "Rate": rate,
                "IsCompound": bool(c.get("IsCompound")),
                "IsNonRecoverable": False,
            }
            for c, rate in zip(components, rates, strict=True)
        ]
        total = sum((p["Rate"] for p in parts), Decimal(0)).quantize(Decimal("0.0001"))
        record["TaxComponents"] = parts
        record["DisplayTaxRate"] = total
        record["EffectiveRate"] = total
    org.tax_rates[record["TaxType"]] = record
    return ok(ctx, "TaxRates", [record])


# --- tracking categories ----------------------------------------------------------------------


def _render_tracking(record: Record, include_archived: bool) -> Record:
    out = dict(record)
    out["Options"] = [
        o for o in record["Options"] if include_archived or o.get("Status") == "ACTIVE"
    ]
    return out


def tracking_categories(ctx: Ctx) -> Response:
    archived = ctx.req.q("includeArchived") in ("true", "True")
    rows = filter_list(
        ctx,
        ctx.org.tracking.values(),
        "TrackingCategoryID",
        modified=False,
        archived_field=("Status", "ARCHIVED"),
    )
    if isinstance(rows, Response):
        return rows
    rows = [r for r in rows if r.get("Status") != "DELETED"]
    return ok(ctx, "TrackingCategories", [_render_tracking(r, archived) for r in rows])


def tracking_category(ctx: Ctx, key: str) -> Response:
    record = ctx.org.tracking.get(key.lower())
    if record is None or record.get("Status") == "DELETED":
        return not_found()
    return ok(ctx, "TrackingCategories", [_render_tracking(record, True)])


def active_categories(ctx: Ctx) -> int:
    return sum(1 for t in ctx.org.tracking.values() if t["Status"] == "ACTIVE")


def create_tracking_category(ctx: Ctx) -> Response:
    body: Any = ctx.req.data() or {}
    name = str(body.get("Name") or "").strip()
    if not name or len(name) > 100:
        return bad_request("Tracking Category Name must be between 1 and 100 characters.")
    if any(
        t["Name"].lower() == name.lower()
        for t in ctx.org.tracking.values()
        if t["Status"] != "DELETED"
    ):
        return bad_request("Please enter a unique Name.")
    if active_categories(ctx) >= ctx.sb.settings.max_active_tracking_categories:
        return bad_request("You can only have 2 active tracking categories.")  # [S]
    record: Record = {
        "TrackingCategoryID": wire.new_id(),
        "Name": name,
        "Status": "ACTIVE",
        "Options": [],
    }
    ctx.org.tracking[record["TrackingCategoryID"]] = record
    return ok(ctx, "TrackingCategories", [record])


def update_tracking_category(ctx: Ctx, key: str) -> Response:
    record = ctx.org.tracking.get(key.lower())
    if record is None or record["Status"] == "DELETED":
        return not_found()
    body: Any = ctx.req.data() or {}
    status = body.get("Status")
    limit = ctx.sb.settings.max_active_tracking_categories
    if status == "ACTIVE" and record["Status"] != "ACTIVE" and active_categories(ctx) >= limit:
        return bad_request("You can only have 2 active tracking categories.")
    if status in ("ACTIVE", "ARCHIVED"):
        record["Status"] = status
    if body.get("Name"):
        record["Name"] = str(body["Name"])[:100]
    return ok(ctx, "TrackingCategories", [_render_tracking(record, True)])


def delete_tracking_category(ctx: Ctx, key: str) -> Response:
    record = ctx.org.tracking.get(key.lower())
    if record is None or record["Status"] == "DELETED":
        return not_found()
    record["Status"] = "DELETED"
    return ok(ctx, "TrackingCategories", [_render_tracking(record, True)])


def create_options(ctx: Ctx, key: str) -> Response:
    record = ctx.org.tracking.get(key.lower())
    if record is None or record["Status"] == "DELETED":
        return not_found()
    body: Any = ctx.req.data() or {}
    wanted = body.get("Options") if isinstance(body.get("Options"), list) else [body]
    created = []
    for item in wanted:
        name = str(item.get("Name") or "").strip()
        if not name or len(name) > 100:
            return bad_request("Tracking Option Name must be between 1 and 100 characters.")
        if any(o["Name"].lower() == name.lower() for o in record["Options"]):
            return bad_request("Please enter a unique Name.")
        option = {"TrackingOptionID": wire.new_id(), "Name": name, "Status": "ACTIVE"}
        record["Options"].append(option)
        created.append(option)
    return ok(ctx, "Options", created)


# --- branding themes --------------------------------------------------------------------------


def branding_themes(ctx: Ctx) -> Response:
    rows = sorted(ctx.org.branding.values(), key=lambda b: b["SortOrder"])
    return ok(ctx, "BrandingThemes", [_dates(r) for r in rows])


def branding_theme(ctx: Ctx, key: str) -> Response:
    record = ctx.org.branding.get(key.lower())
    return not_found() if record is None else ok(ctx, "BrandingThemes", [_dates(record)])
