"""Use cases for customers: create, change and delete them (shared party rules for suppliers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction

from ledgerbridge.customers.models import Customer, Party
from ledgerbridge.deletion import delete_unless_used

P = TypeVar("P", bound=Party)


def save_party(party: P, fields: Mapping[str, Any]) -> P:
    """Set `fields` on a customer or supplier, validate it as a whole and save it.

    Raises ValidationError keyed by field name (unknown tax rate ids, a duplicate account
    number, a bad email); nothing is written unless every field is valid. Call inside a
    transaction.
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
    party.save()
    return party


@transaction.atomic
def save_customer(customer: Customer, fields: Mapping[str, Any]) -> Customer:
    """Create (unsaved `customer`) or change a customer; see `save_party` for the rules."""
    return save_party(customer, fields)


@transaction.atomic
def delete_customer(customer: Customer) -> None:
    """Delete a customer with no tickets, invoices or schedules; otherwise explain why not."""
    delete_unless_used(customer, f"Customer {customer.name}", "make it inactive instead.")
