"""Use cases for customers: create, change and delete them (shared party rules for suppliers).

Screens, the REST API and the CLI call these and nothing else to change a customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

from ledgerbridge.customers.models import Customer, Party
from ledgerbridge.deletion import delete_unless_used
from ledgerbridge.sync.currencies import check_currency
from ledgerbridge.sync.models import SyncSettings
from ledgerbridge.sync.services import (
    RecordKind,
    keep_organisation,
    mark_changed,
    mark_deleted,
    next_code,
    with_default_organisation,
)

P = TypeVar("P", bound=Party)


def save_party(party: P, fields: Mapping[str, Any]) -> P:
    """Set `fields` on a customer or supplier, validate it as a whole and save it.

    Raises ValidationError keyed by field name (unknown tax rate ids, a duplicate account
    number, a bad email, a currency that is no code or that its organisation has not enabled);
    nothing is written unless every field is valid. Call inside a transaction.
    """
    for name, value in fields.items():
        setattr(party, name, value)
    # A blank account number is "none": several records may have none.
    if not party.account_number:
        party.account_number = None
    # Account numbers are unique within an organisation; say so on the field.
    clash = (
        type(party)
        ._default_manager.filter(
            organisation_id=party.organisation_id, account_number=party.account_number
        )
        .exclude(pk=party.pk)
        .first()
        if party.account_number
        else None
    )
    if clash is not None:
        message = f"Account number {party.account_number} already exists (on {clash})."
        raise ValidationError({"account_number": ValidationError(message, code="unique")})
    party.full_clean()
    check_currency(party.currency, party.organisation_id)
    party.save()
    return party


@transaction.atomic
def create_customer(fields: Mapping[str, Any]) -> Customer:
    """Create a customer from `fields` (model field names) in one transaction.

    Writes the customer and marks it changed for sync. Refuses (ValidationError keyed by
    field, nothing written): a duplicate account number in its organisation
    (`account_number`, code "unique"), an unknown tax rate, a bad email, a missing name. Not
    idempotent: each call creates another customer.
    """
    given = with_default_organisation(fields)
    settings = SyncSettings.get()
    if settings.generate_account_numbers and not given.get("account_number"):
        org = given.get("organisation")
        given["account_number"] = next_code(
            Customer, "account_number", "C", getattr(org, "pk", None)
        )
    customer = save_party(Customer(), given)
    mark_changed(RecordKind.CUSTOMER, customer.pk, customer.organisation_id)
    return customer


@transaction.atomic
def update_customer(customer: Customer, fields: Mapping[str, Any]) -> Customer:
    """Change `fields` of a customer in one transaction; the rest stays as stored.

    Writes the customer and marks it changed for sync. Refuses as `create_customer` does.
    Idempotent: the same fields again leave the same record.
    """
    keep_organisation(customer, fields, "customer")
    customer = save_party(customer, fields)
    mark_changed(RecordKind.CUSTOMER, customer.pk, customer.organisation_id)
    return customer


@transaction.atomic
def delete_customer(customer: Customer) -> None:
    """Delete a customer with no tickets, invoices or schedules, in one transaction, and mark
    the deletion for sync. Refuses (ValidationError, no field) a customer still in use, naming
    what uses it. Not idempotent: the record must exist."""
    pk = customer.pk
    delete_unless_used(customer, f"Customer {customer.name}", "make it inactive instead.")
    mark_deleted(RecordKind.CUSTOMER, pk)
