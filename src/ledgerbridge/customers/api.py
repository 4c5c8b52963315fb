"""REST endpoints for customers (area: customers)."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Status

from ledgerbridge.api_support import ERRORS, Id, ListQuery, TokenAuth, fetch, paged
from ledgerbridge.customers import services
from ledgerbridge.customers.models import Customer
from ledgerbridge.customers.schemas import CustomerIn, CustomerOut, CustomerPage, party_fields

AREA = "customers"
router = Router(tags=["customers"], auth=TokenAuth(AREA))


@router.get("/", response={200: CustomerPage, **ERRORS})
def list_customers(request: HttpRequest, params: Query[ListQuery]) -> dict[str, object]:
    """Customers by name; `q` searches name, account number and email."""
    customers = Customer.objects.all()
    if params.q:
        customers = customers.filter(
            Q(name__icontains=params.q)
            | Q(account_number__icontains=params.q)
            | Q(email__icontains=params.q)
        )
    return paged(customers, params)


@router.post("/", response={201: CustomerOut, **ERRORS})
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status[Customer]:
    return Status(201, services.create_customer(party_fields(payload)))


@router.get("/{customer_id}", response={200: CustomerOut, **ERRORS})
def get_customer(request: HttpRequest, customer_id: Id) -> Customer:
    return fetch(Customer, customer_id, "Customer")


@router.put("/{customer_id}", response={200: CustomerOut, **ERRORS})
def update_customer(request: HttpRequest, customer_id: Id, payload: CustomerIn) -> Customer:
    return services.update_customer(fetch(Customer, customer_id, "Customer"), party_fields(payload))


@router.delete("/{customer_id}", response={204: None, **ERRORS})
def remove_customer(request: HttpRequest, customer_id: Id) -> Status[None]:
    """Delete a customer with no tickets, invoices or schedules."""
    services.delete_customer(fetch(Customer, customer_id, "Customer"))
    return Status(204, None)
