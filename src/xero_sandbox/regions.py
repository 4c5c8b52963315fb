"""Per-region reference data: the real tax types and a realistic default chart of accounts."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple


class TaxDef(NamedTuple):
    tax_type: str
    name: str
    rate: str
    report_tax_type: str
    revenue: bool
    expenses: bool


class AccountDef(NamedTuple):
    code: str
    name: str
    type: str
    tax_type: str
    system_account: str = ""


class Region(NamedTuple):
    code: str
    currency: str
    timezone: str
    tax_label: str
    default_sales_tax: str
    default_purchases_tax: str
    taxes: list[TaxDef]


REGIONS: dict[str, Region] = {
    "AU": Region(
        "AU",
        "AUD",
        "AUSEASTERNSTANDARDTIME",
        "GST",
        "OUTPUT",
        "INPUT",
        [
            TaxDef("OUTPUT", "GST on Income", "10.0000", "OUTPUT", True, False),
            TaxDef("INPUT", "GST on Expenses", "10.0000", "INPUT", False, True),
            TaxDef("EXEMPTOUTPUT", "GST Free Income", "0.0000", "EXEMPTOUTPUT", True, False),
            TaxDef("EXEMPTEXPENSES", "GST Free Expenses", "0.0000", "EXEMPTEXPENSES", False, True),
            TaxDef("EXEMPTEXPORT", "GST Free Exports", "0.0000", "EXEMPTEXPORT", True, False),
            TaxDef("CAPEXINPUT", "GST on Capital", "10.0000", "CAPEXINPUT", False, True),
            TaxDef("EXEMPTCAPITAL", "GST Free Capital", "0.0000", "EXEMPTCAPITAL", False, True),
            TaxDef("INPUTTAXED", "Input Taxed", "0.0000", "INPUTTAXED", True, True),
            TaxDef("GSTONIMPORTS", "GST on Imports", "0.0000", "GSTONIMPORTS", False, True),
            TaxDef("BASEXCLUDED", "BAS Excluded", "0.0000", "BASEXCLUDED", True, True),
        ],
    ),
    "NZ": Region(
        "NZ",
        "NZD",
        "NEWZEALANDSTANDARDTIME",
        "GST",
        "OUTPUT2",
        "INPUT2",
        [
            TaxDef("OUTPUT2", "GST on Income", "15.0000", "OUTPUT", True, False),
            TaxDef("INPUT2", "GST on Expenses", "15.0000", "INPUT", False, True),
            TaxDef("ZERORATED", "Zero Rated", "0.0000", "ZERORATEDOUTPUT", True, False),
            TaxDef("GSTONIMPORTS", "GST on Imports", "0.0000", "GSTONIMPORTS", False, True),
            TaxDef("NONE", "No GST", "0.0000", "NONE", True, True),
        ],
    ),
    "UK": Region(
        "UK",
        "GBP",
        "GMTSTANDARDTIME",
        "VAT",
        "OUTPUT2",
        "INPUT2",
        [
            TaxDef("OUTPUT2", "20% (VAT on Income)", "20.0000", "OUTPUT", True, False),
            TaxDef("INPUT2", "20% (VAT on Expenses)", "20.0000", "INPUT", False, True),
            TaxDef("RROUTPUT", "5% (VAT on Income)", "5.0000", "OUTPUT", True, False),
            TaxDef("RRINPUT", "5% (VAT on Expenses)", "5.0000", "INPUT", False, True),
            TaxDef(
                "ZERORATEDOUTPUT", "Zero Rated Income", "0.0000", "ZERORATEDOUTPUT", True, False
            ),
            TaxDef(
                "ZERORATEDINPUT", "Zero Rated Expenses", "0.0000", "ZERORATEDINPUT", False, True
            ),
            TaxDef("EXEMPTOUTPUT", "Exempt Income", "0.0000", "EXEMPTOUTPUT", True, False),
            TaxDef("EXEMPTINPUT", "Exempt Expenses", "0.0000", "EXEMPTINPUT", False, True),
            TaxDef("ECZROUTPUT", "Zero Rated EC Goods Income", "0.0000", "ECOUTPUT", True, False),
            TaxDef("NONE", "No VAT", "0.0000", "NONE", True, True),
        ],
    ),
}


def chart_of_accounts(region: Region) -> list[AccountDef]:
    """The default chart a new organisation of `region` starts with (codes as Xero's demo)."""
    out, inp, none = region.default_sales_tax, region.default_purchases_tax, "BASEXCLUDED"
    if region.code != "AU":
        none = "NONE"
    free_out = {"AU": "EXEMPTOUTPUT", "NZ": "ZERORATED", "UK": "ZERORATEDOUTPUT"}[region.code]
    label = region.tax_label
    return [
        AccountDef("090", "Business Bank Account", "BANK", none),
        AccountDef("200", "Sales", "REVENUE", out),
        AccountDef("260", "Other Revenue", "REVENUE", out),
        AccountDef("270", "Interest Income", "REVENUE", free_out),
        AccountDef("300", "Purchases", "DIRECTCOSTS", inp),
        AccountDef("310", "Cost of Goods Sold", "DIRECTCOSTS", inp),
        AccountDef("400", "Advertising", "OVERHEADS", inp),
        AccountDef("404", "Bank Fees", "OVERHEADS", none),
        AccountDef("408", "Cleaning", "OVERHEADS", inp),
        AccountDef("412", "Consulting & Accounting", "OVERHEADS", inp),
        AccountDef("420", "Entertainment", "OVERHEADS", none),
        AccountDef("429", "General Expenses", "OVERHEADS", inp),
        AccountDef("433", "Insurance", "OVERHEADS", inp),
        AccountDef("445", "Light, Power, Heating", "OVERHEADS", inp),
        AccountDef("449", "Motor Vehicle Expenses", "OVERHEADS", inp),
        AccountDef("453", "Office Expenses", "OVERHEADS", inp),
        AccountDef("461", "Printing & Stationery", "OVERHEADS", inp),
        AccountDef("469", "Rent", "OVERHEADS", inp),
        AccountDef("473", "Repairs and Maintenance", "OVERHEADS", inp),
        AccountDef("485", "Subscriptions", "OVERHEADS", inp),
        AccountDef("489", "Telephone & Internet", "OVERHEADS", inp),
        AccountDef("493", "Travel - National", "OVERHEADS", inp),
        AccountDef("610", "Accounts Receivable", "CURRENT", none, "DEBTORS"),
        AccountDef("620", "Prepayments", "CURRENT", none),
        AccountDef("630", "Inventory", "INVENTORY", none),
        AccountDef("710", "Office Equipment", "FIXED", inp),
        AccountDef("720", "Computer Equipment", "FIXED", inp),
        AccountDef("800", "Accounts Payable", "CURRLIAB", none, "CREDITORS"),
        AccountDef("820", label, "CURRLIAB", none, "GST"),
        AccountDef("860", "Rounding", "CURRLIAB", none, "ROUNDING"),
        AccountDef("877", "Tracking Transfers", "CURRLIAB", none, "TRACKINGTRANSFERS"),
        AccountDef("960", "Retained Earnings", "EQUITY", none, "RETAINEDEARNINGS"),
        AccountDef("970", "Owner A Funds Introduced", "EQUITY", none),
    ]


ACCOUNT_CLASS = {
    "BANK": "ASSET",
    "CURRENT": "ASSET",
    "INVENTORY": "ASSET",
    "FIXED": "ASSET",
    "PREPAYMENT": "ASSET",
    "NONCURRENT": "ASSET",
    "CURRLIAB": "LIABILITY",
    "LIABILITY": "LIABILITY",
    "TERMLIAB": "LIABILITY",
    "EQUITY": "EQUITY",
    "REVENUE": "REVENUE",
    "SALES": "REVENUE",
    "OTHERINCOME": "REVENUE",
    "DIRECTCOSTS": "EXPENSE",
    "EXPENSE": "EXPENSE",
    "OVERHEADS": "EXPENSE",
    "DEPRECIATN": "EXPENSE",
}


def tax_rate_record(tax: TaxDef) -> dict[str, object]:
    rate = Decimal(tax.rate)
    return {
        "Name": tax.name,
        "TaxType": tax.tax_type,
        "ReportTaxType": tax.report_tax_type,
        "CanApplyToAssets": tax.expenses,
        "CanApplyToEquity": tax.expenses,
        "CanApplyToExpenses": tax.expenses,
        "CanApplyToLiabilities": tax.expenses,
        "CanApplyToRevenue": tax.revenue,
        "DisplayTaxRate": rate,
        "EffectiveRate": rate,
        "Status": "ACTIVE",
        "TaxComponents": [
            {
                "Name": tax.name.split(" ")[0],
                "Rate": rate,
                "IsCompound": False,
                "IsNonRecoverable": False,
            }
        ],
    }
