"""Where Xero is and every path of it that Ledgerbridge calls, named once.

Three hosts (XERO-FACTS 1): the login page a person is sent to, the identity service (token
exchange, refresh and revocation), and the API host (`/connections` and the Accounting API).
Each is a setting so that the bundled sandbox can stand in for all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings

AUTHORIZE = "/identity/connect/authorize"  # on the login host
TOKEN = "/connect/token"  # on the identity host
REVOCATION = "/connect/revocation"  # on the identity host
CONNECTIONS = "/connections"  # on the API host
ACCOUNTING = "/api.xro/2.0"  # on the API host; every Accounting path below is under it

# Accounting API collections (paths under ACCOUNTING).
CONTACTS = "/Contacts"
ITEMS = "/Items"
TAX_RATES = "/TaxRates"
TRACKING_CATEGORIES = "/TrackingCategories"
BRANDING_THEMES = "/BrandingThemes"
ORGANISATION = "/Organisation"
CURRENCIES = "/Currencies"


@dataclass(frozen=True)
class XeroApp:
    """Where Xero (or the sandbox) is, and who we are to it."""

    client_id: str
    client_secret: str
    login_url: str
    identity_url: str
    api_url: str
    scopes: str

    @classmethod
    def from_settings(cls) -> XeroApp:
        return cls(
            settings.XERO_CLIENT_ID,
            settings.XERO_CLIENT_SECRET,
            settings.XERO_LOGIN_URL.rstrip("/"),
            settings.XERO_IDENTITY_URL.rstrip("/"),
            settings.XERO_API_URL.rstrip("/"),
            settings.XERO_SCOPES,
        )

    @property
    def authorize_url(self) -> str:
        return f"{self.login_url}{AUTHORIZE}"

    @property
    def token_url(self) -> str:
        return f"{self.identity_url}{TOKEN}"

    @property
    def revocation_url(self) -> str:
        return f"{self.identity_url}{REVOCATION}"

    @property
    def connections_url(self) -> str:
        return f"{self.api_url}{CONNECTIONS}"

    def connection_url(self, xero_connection_id: str) -> str:
        """One of Xero's connections (what DELETE removes on disconnect)."""
        return f"{self.api_url}{CONNECTIONS}/{quote(xero_connection_id, safe='')}"

    def accounting_url(self, path: str) -> str:
        return f"{self.api_url}{ACCOUNTING}{path}"
