"""REST endpoints for tax rates, charge rates, product groups and products.

Tax rates, charge rates and product groups are changed only by roles that use configuration;
they are read by the roles that need them (see `ledgerbridge.api.DESCRIPTION`).
"""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Status

from ledgerbridge.api_support import (
    ERRORS,
    Id,
    ListQuery,
    TokenAuth,
    fetch,
    fresh,
    organisation_fields,
    paged,
    resolve,
)
from ledgerbridge.catalog import services
from ledgerbridge.catalog.models import ChargeRate, Product, ProductGroup, TaxRate
from ledgerbridge.catalog.schemas import (
    ChargeRateIn,
    ChargeRateOut,
    ChargeRatePage,
    ProductGroupIn,
    ProductGroupOut,
    ProductGroupPage,
    ProductIn,
    ProductOut,
    ProductPage,
    TaxRateIn,
    TaxRateOut,
    TaxRatePage,
)

CONFIGURATION = "configuration"
PRODUCTS = "products"

# --- Tax rates --------------------------------------------------------------------------------

tax_rates_router = Router(
    tags=["tax rates"], auth=TokenAuth(CONFIGURATION, read=(CONFIGURATION, "invoices", "products"))
)


@tax_rates_router.get("/", response={200: TaxRatePage, **ERRORS})
def list_tax_rates(request: HttpRequest, params: Query[ListQuery]) -> dict[str, object]:
    """Tax rates by name (readable by admin and billing); `q` searches the name."""
    rates = TaxRate.objects.all()
    if params.q:
        rates = rates.filter(name__icontains=params.q)
    return paged(rates, params)


@tax_rates_router.post("/", response={201: TaxRateOut, **ERRORS})
def create_tax_rate(request: HttpRequest, payload: TaxRateIn) -> Status[TaxRate]:
    return Status(201, fresh(services.create_tax_rate(payload.model_dump())))


@tax_rates_router.get("/{rate_id}", response={200: TaxRateOut, **ERRORS})
def get_tax_rate(request: HttpRequest, rate_id: Id) -> TaxRate:
    return fetch(TaxRate, rate_id, "Tax rate")


@tax_rates_router.put("/{rate_id}", response={200: TaxRateOut, **ERRORS})
def update_tax_rate(request: HttpRequest, rate_id: Id, payload: TaxRateIn) -> TaxRate:
    return fresh(
        services.update_tax_rate(fetch(TaxRate, rate_id, "Tax rate"), payload.model_dump())
    )


@tax_rates_router.delete("/{rate_id}", response={204: None, **ERRORS})
def remove_tax_rate(request: HttpRequest, rate_id: Id) -> Status[None]:
    """Delete a tax rate; the zero rate and rates still in use are refused (409, with why)."""
    services.delete_tax_rate(fetch(TaxRate, rate_id, "Tax rate"))
    return Status(204, None)


# --- Charge rates -----------------------------------------------------------------------------

charge_rates_router = Router(
    tags=["charge rates"], auth=TokenAuth(CONFIGURATION, read=(CONFIGURATION, "tickets"))
)


@charge_rates_router.get("/", response={200: ChargeRatePage, **ERRORS})
def list_charge_rates(request: HttpRequest, params: Query[ListQuery]) -> dict[str, object]:
    """Charge rates by name (readable by every role: time entries need one)."""
    rates = ChargeRate.objects.all()
    if params.q:
        rates = rates.filter(Q(name__icontains=params.q) | Q(accounts_code__icontains=params.q))
    return paged(rates, params)


@charge_rates_router.post("/", response={201: ChargeRateOut, **ERRORS})
def create_charge_rate(request: HttpRequest, payload: ChargeRateIn) -> Status[ChargeRate]:
    return Status(201, fresh(services.save_charge_rate(ChargeRate(), payload.model_dump())))


@charge_rates_router.get("/{rate_id}", response={200: ChargeRateOut, **ERRORS})
def get_charge_rate(request: HttpRequest, rate_id: Id) -> ChargeRate:
    return fetch(ChargeRate, rate_id, "Charge rate")


@charge_rates_router.put("/{rate_id}", response={200: ChargeRateOut, **ERRORS})
def update_charge_rate(request: HttpRequest, rate_id: Id, payload: ChargeRateIn) -> ChargeRate:
    return fresh(
        services.save_charge_rate(fetch(ChargeRate, rate_id, "Charge rate"), payload.model_dump())
    )


@charge_rates_router.delete("/{rate_id}", response={204: None, **ERRORS})
def remove_charge_rate(request: HttpRequest, rate_id: Id) -> Status[None]:
    services.delete_charge_rate(fetch(ChargeRate, rate_id, "Charge rate"))
    return Status(204, None)


# --- Product groups ---------------------------------------------------------------------------

product_groups_router = Router(
    # Product groups belong with products (billing manages both), as on the screens.
    tags=["product groups"],
    auth=TokenAuth(PRODUCTS),
)


@product_groups_router.get("/", response={200: ProductGroupPage, **ERRORS})
def list_product_groups(request: HttpRequest, params: Query[ListQuery]) -> dict[str, object]:
    groups = ProductGroup.objects.all()
    if params.q:
        groups = groups.filter(name__icontains=params.q)
    return paged(groups, params)


@product_groups_router.post("/", response={201: ProductGroupOut, **ERRORS})
def create_product_group(request: HttpRequest, payload: ProductGroupIn) -> Status[ProductGroup]:
    return Status(201, fresh(services.save_product_group(ProductGroup(), payload.model_dump())))


@product_groups_router.get("/{group_id}", response={200: ProductGroupOut, **ERRORS})
def get_product_group(request: HttpRequest, group_id: Id) -> ProductGroup:
    return fetch(ProductGroup, group_id, "Product group")


@product_groups_router.put("/{group_id}", response={200: ProductGroupOut, **ERRORS})
def update_product_group(
    request: HttpRequest, group_id: Id, payload: ProductGroupIn
) -> ProductGroup:
    return services.save_product_group(
        fetch(ProductGroup, group_id, "Product group"), payload.model_dump()
    )


@product_groups_router.delete("/{group_id}", response={204: None, **ERRORS})
def remove_product_group(request: HttpRequest, group_id: Id) -> Status[None]:
    services.delete_product_group(fetch(ProductGroup, group_id, "Product group"))
    return Status(204, None)


# --- Products ---------------------------------------------------------------------------------

products_router = Router(tags=["products"], auth=TokenAuth(PRODUCTS))


def _product_fields(payload: ProductIn) -> dict[str, object]:
    resolve(ProductGroup, payload.group, "group", "Product group")
    resolve(Product, payload.parent, "parent", "Product")
    resolve(TaxRate, payload.sales_tax_rate, "sales_tax_rate", "Tax rate")
    resolve(TaxRate, payload.purchase_tax_rate, "purchase_tax_rate", "Tax rate")
    data = payload.model_dump(exclude={"organisation"})
    for name in ("group", "parent", "sales_tax_rate", "purchase_tax_rate"):
        data[f"{name}_id"] = data.pop(name)
    return {**data, **organisation_fields(payload)}


@products_router.get("/", response={200: ProductPage, **ERRORS})
def list_products(request: HttpRequest, params: Query[ListQuery]) -> dict[str, object]:
    """Products by name; `q` searches name, product code and description."""
    products = Product.objects.all()
    if params.q:
        products = products.filter(
            Q(name__icontains=params.q)
            | Q(code__icontains=params.q)
            | Q(description__icontains=params.q)
        )
    return paged(products, params)


@products_router.post("/", response={201: ProductOut, **ERRORS})
def create_product(request: HttpRequest, payload: ProductIn) -> Status[Product]:
    return Status(201, fresh(services.create_product(_product_fields(payload))))


@products_router.get("/{product_id}", response={200: ProductOut, **ERRORS})
def get_product(request: HttpRequest, product_id: Id) -> Product:
    return fetch(Product, product_id, "Product")


@products_router.put("/{product_id}", response={200: ProductOut, **ERRORS})
def update_product(request: HttpRequest, product_id: Id, payload: ProductIn) -> Product:
    product = fetch(Product, product_id, "Product")
    return fresh(services.update_product(product, _product_fields(payload)))


@products_router.delete("/{product_id}", response={204: None, **ERRORS})
def remove_product(request: HttpRequest, product_id: Id) -> Status[None]:
    services.delete_product(fetch(Product, product_id, "Product"))
    return Status(204, None)
