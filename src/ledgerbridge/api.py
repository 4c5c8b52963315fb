"""The REST API root (django-ninja), mounted at /api/v1/: token auth, routers, one error body."""

from ninja import NinjaAPI

from ledgerbridge.accounts.api import router as accounts_router
from ledgerbridge.api_support import (
    JsonParser,
    TokenAuth,
    install_error_handlers,
    login_or_token_required,
)
from ledgerbridge.billing.api import (
    credit_notes_router,
    invoices_router,
    ready_router,
    recurring_router,
    themes_router,
)
from ledgerbridge.catalog.api import (
    charge_rates_router,
    product_groups_router,
    products_router,
    tax_rates_router,
)
from ledgerbridge.customers.api import router as customers_router
from ledgerbridge.dates import RANGE_TEXT
from ledgerbridge.purchasing.api import router as purchasing_router
from ledgerbridge.suppliers.api import router as suppliers_router
from ledgerbridge.sync.api import router as currencies_router
from ledgerbridge.work.api import tickets_router, time_router
from ledgerbridge.xero.api import router as xero_router
from ledgerbridge.xero.sync_api import records_router as sync_records_router
from ledgerbridge.xero.sync_api import settings_router as sync_settings_router
from ledgerbridge.xero.webhook_api import router as webhook_router

DESCRIPTION = """
Every endpoint needs `Authorization: Bearer <token>` (an API token of an active user; only its
SHA-256 hash is stored). Without a valid token the answer is 401. This document itself needs a
token or a signed-in session.

**Roles.** The roles and areas are those of the screens (one table, `accounts/permissions.py`):
admin may use everything; billing uses customers, suppliers, products and product groups,
invoices (with ready-for-invoicing and recurring invoices) and purchase orders; technicians use
tickets and their own time (only admin and billing delete tickets). Tax rates, charge rates and
users are configuration: only admin may change them. Billing users may also *read* tax rates
and charge rates (invoices need them), and every role may read charge rates (time entries need
one). Product groups go with products: admin and billing read and change them. A role outside
an area gets 403 naming the area.

**Errors.** Every error has one body: `{"detail": "...", "errors": [{"field":
"lines[0].quantity", "message": "..."}]}`. 422: a value is wrong (the field says which); 409: a
duplicate or a record still in use; 404: the record in the path does not exist (ids in a body
give 422 naming the field); 413: the body is over the size limit; 415: the body is not sent as
`application/json`; 500: an unexpected error, whose detail quotes an error id (also in the
`X-Error-Id` header) to give when reporting it. Nothing is half-saved: a request that fails
changes nothing.

**Values.** Money and quantities are decimals, sent as strings or numbers (answered as strings):
unit prices and quantities up to 4 decimal places, hours up to 2, no NaN or Infinity. Dates are
ISO text (YYYY-MM-DD) {date_range}, as on the screens (documented on each date as
`formatMinimum` and `formatMaximum`). Booleans are `true` or `false` (not 0, 1 or text), integers
are JSON numbers (not `false` or text), and email fields hold an email address or "" for none.
Lists take `q` (search), `limit` (1-500) and `offset`, and answer
`{"count": <all matches>, "items": [...]}`.
""".replace("{date_range}", RANGE_TEXT)

api = NinjaAPI(
    title="Ledgerbridge",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=TokenAuth(),
    parser=JsonParser(),
    # The document needs a login too; no docs page (it would load third-party script).
    docs_url=None,
    docs_decorator=login_or_token_required,
)
install_error_handlers(api)

api.add_router("/accounts/", accounts_router)
api.add_router("/customers/", customers_router)
api.add_router("/suppliers/", suppliers_router)
api.add_router("/tax-rates/", tax_rates_router)
api.add_router("/charge-rates/", charge_rates_router)
api.add_router("/product-groups/", product_groups_router)
api.add_router("/products/", products_router)
api.add_router("/tickets/", tickets_router)
api.add_router("/time-entries/", time_router)
api.add_router("/invoices/", invoices_router)
api.add_router("/credit-notes/", credit_notes_router)
api.add_router("/ready-for-invoicing/", ready_router)
api.add_router("/recurring-invoices/", recurring_router)
api.add_router("/branding-themes/", themes_router)
api.add_router("/currencies/", currencies_router)
api.add_router("/purchase-orders/", purchasing_router)
api.add_router("/xero/", xero_router)
api.add_router("/xero/", sync_settings_router)
api.add_router("/sync/", sync_records_router)
api.add_router("/xero/", webhook_router)
