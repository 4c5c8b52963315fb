"""Currencies: those each organisation has enabled (its base currency among them), the currency
a customer, supplier or billing document takes, and the currencies it may not take.

Domain services call this module, never an integration:

- `currency_for(party, given)`: the currency a new document for a customer or supplier takes
  (what is given, else the party's own, else its organisation's base currency);
- `check_currency(code, organisation_id)`: refuses a code that is not three capital letters,
  or one the organisation has not enabled (once its currencies are known), naming the fix;
- `document_currency(...)`: the two together for a document being saved, and a document
  already in the accounting system keeps the currency it is in there.

Every refusal is a `ValidationError` keyed `currency` (or the field the caller names), which
screens show beside the field and the API answers as a 422. Integrations call
`record_currencies` with what an organisation has enabled. Amounts are never converted here:
a document's amounts are exact in its own currency.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ledgerbridge.sync.models import Currency, Organisation
from ledgerbridge.sync.services import link_of, reconsider

FIELD = "currency"
CODE = re.compile(r"[A-Z]{3}")
FORMAT = "Enter the currency as three capital letters (its ISO 4217 code), e.g. NZD or USD."
# How each integration's people enable a currency, and bring the list here again.
HOW_TO_ENABLE = {
    "xero": "enable it in Xero (Settings > Currencies), then refresh currencies under "
    "Configuration > Integrations > Xero > {name}",
}
HOW_TO_ENABLE_ELSEWHERE = "enable it in the accounting system, then refresh {name}'s currencies"


def is_code(value: object) -> bool:
    """Whether `value` is a currency code: three capital letters."""
    return isinstance(value, str) and CODE.fullmatch(value) is not None


def enabled_codes(organisation_id: int | None) -> frozenset[str] | None:
    """The codes the organisation has enabled (its base currency among them); None when they
    are not known (no organisation, or its currencies were never brought across): then no
    currency is refused for not being enabled."""
    if organisation_id is None:
        return None
    refreshed = (
        Organisation.objects.filter(pk=organisation_id)
        .values_list("currencies_refreshed_at", flat=True)
        .first()
    )
    if refreshed is None:
        return None
    return frozenset(
        Currency.objects.filter(organisation_id=organisation_id).values_list("code", flat=True)
    )


def base_currency(organisation_id: int | None) -> str:
    """The organisation's base currency as stored now; "" when none is known."""
    if organisation_id is None:
        return ""
    found = (
        Organisation.objects.filter(pk=organisation_id)
        .values_list("base_currency", flat=True)
        .first()
    )
    return found or ""


def party_currency(party: Any) -> str:
    """A customer's or supplier's currency: its own, else its organisation's base currency;
    "" when neither is known (its documents then go in the organisation's base currency)."""
    own = str(getattr(party, "currency", "") or "")
    return own or base_currency(getattr(party, "organisation_id", None))


def currency_for(party: Any, given: str | None = None) -> str:
    """The currency a new document for `party` (a customer or supplier) takes: `given` when it
    names one, else the party's (`party_currency`). Unchecked: see `check_currency`."""
    return (given or "").strip() or party_currency(party)


def how_to_enable(organisation: Organisation) -> str:
    template = HOW_TO_ENABLE.get(organisation.integration, HOW_TO_ENABLE_ELSEWHERE)
    return template.format(name=organisation.name)


def not_enabled(code: str, organisation: Organisation) -> str:
    """Why `code` is refused in `organisation`, with the fix, in words."""
    return f"{code} is not enabled in {organisation.name}: {how_to_enable(organisation)}."


def check_currency(code: str, organisation_id: int | None, *, field: str = FIELD) -> str:
    """Refuse (ValidationError keyed `field`) a currency that is not three capital letters, or
    that the organisation has not enabled once its currencies are known, naming the fix; ""
    (the organisation's base currency) always passes. Returns `code`. Reads only."""
    if not code:
        return code
    if not is_code(code):
        raise ValidationError({field: [ValidationError(FORMAT, code="invalid")]})
    enabled = enabled_codes(organisation_id)
    if organisation_id is not None and enabled is not None and code not in enabled:
        organisation = Organisation.objects.get(pk=organisation_id)
        message = not_enabled(code, organisation)
        raise ValidationError({field: [ValidationError(message, code="not_enabled")]})
    return code


def sent_in(kind: str, local_id: int | None) -> str | None:
    """The organisation name a document is already in (its link has a remote id), or None: a
    document in the accounting system keeps its currency there."""
    link = link_of(kind, local_id)
    if link is None or not link.remote_id:
        return None
    return link.organisation.name


def document_currency(
    party: Any,
    given: str | None,
    *,
    document: Any = None,
    kind: str | None = None,
    label: str = "The document",
    field: str = FIELD,
) -> str:
    """The currency a billing document (invoice, recurring invoice, purchase order, credit
    note…) is saved in, checked; call it in the document's transaction, before writing.

    `party` is its customer or supplier; `given` a code wins, "" takes the party's
    (`currency_for`), None keeps a stored `document`'s own (a new one takes the party's).
    Refuses (ValidationError keyed `field`, nothing written): a code that is not three capital
    letters; once the document is in the accounting system (`kind` names its links; its link
    has a remote id), another currency than the one it is in there (`label` names it, e.g.
    "Invoice INV-000012"); a currency its party's organisation has not enabled, naming the fix
    (`check_currency`). Reads only.
    """
    stored = str(getattr(document, "currency", "") or "") if document is not None else ""
    stored_pk = getattr(document, "pk", None)
    code = stored if given is None and stored else currency_for(party, given)
    organisation_id = getattr(party, "organisation_id", None)
    check_currency(code, None, field=field)  # its form first: a typo is not a change
    if kind is not None and stored_pk is not None:
        base = base_currency(organisation_id)
        before, after = stored or base, code or base
        where = sent_in(kind, stored_pk) if before != after else None
        if where is not None:
            raise ValidationError(
                {
                    field: [
                        ValidationError(
                            f"{label} is already in {where} in {before or 'its base currency'}, "
                            f"and its currency cannot change there: keep {before or 'it'}, or "
                            f"delete it and raise a new one in {after}.",
                            code="sent",
                        )
                    ]
                }
            )
    return check_currency(code, organisation_id, field=field)


@dataclass
class Refreshed:
    """What a refresh of an organisation's currencies changed."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    skipped: list[str] = field(default_factory=list)  # what was listed but is no code
    changed: bool = False  # the base currency or the enabled codes are not what they were


@transaction.atomic
def record_currencies(
    organisation_id: int, base: str, listed: Iterable[tuple[str, str]]
) -> Refreshed:
    """Store what the organisation has enabled now: its base currency and `listed` (code,
    name), the base currency always among them; a currency no longer listed is removed
    (documents already in it keep it; saving them in it again is refused). When the base
    currency or the enabled codes changed, the records kept out of sync in the organisation
    are looked at again (a document held back for its currency may go now). Idempotent; two
    at once queue on the organisation's row lock."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation_id)
    outcome = Refreshed()
    wanted: dict[str, str] = {}
    for code, name in listed:
        if is_code(code):
            wanted[code] = name[:100]
        else:
            outcome.skipped.append(str(code)[:20])
    base = base if is_code(base) else ""
    if base:
        wanted.setdefault(base, "")
    existing = {c.code: c for c in Currency.objects.filter(organisation=organisation)}
    for code, name in wanted.items():
        found = existing.get(code)
        if found is None:
            Currency.objects.create(organisation=organisation, code=code, name=name)
            outcome.created += 1
        else:
            if name and found.name != name:
                found.name = name
                found.save(update_fields=["name"])
            outcome.updated += 1
    gone = [code for code in existing if code not in wanted]
    if gone:
        Currency.objects.filter(organisation=organisation, code__in=gone).delete()
    outcome.removed = len(gone)
    outcome.changed = (
        organisation.currencies_refreshed_at is None
        or organisation.base_currency != base
        or set(existing) != set(wanted)
    )
    Organisation.objects.filter(pk=organisation.pk).update(
        base_currency=base, currencies_refreshed_at=timezone.now()
    )
    if outcome.changed:
        reconsider(organisation_id)
    return outcome
