"""Tracking (TRK-1, TRK-3, TRK-4): the setting, placeholders, and the options records carry.

Contracts:
- `save_tracking_settings` writes the single settings row; every request reads that row, so a
  change takes effect on the very next request of every session (no log-out).
- `assign_placeholders` / `assign_placeholder` give each enabled placeholder one ACTIVE category
  of one organisation (or none); atomic, idempotent.
- `set_tracking_options` replaces the options of a product group, product or invoice line:
  at most one per category; a newly chosen option must be ACTIVE in an ACTIVE category; for a
  product or line bound to an organisation, every option must be that organisation's.
- `resolve_tracking` applies TRK-4's precedence (line, then product, then product group).
Every refusal is a `ValidationError` keyed by the field it is about; nothing is written then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction

from ledgerbridge.billing.models import CreditNoteLine, InvoiceLine
from ledgerbridge.catalog.models import Product, ProductGroup
from ledgerbridge.sync.models import Organisation
from ledgerbridge.tracking.models import TrackingCategory, TrackingOption, TrackingSettings

ACTIVE = "ACTIVE"
SLOTS = (1, 2)
MAX_NAME = 100

Tracked = ProductGroup | Product | InvoiceLine | CreditNoteLine
SalesLine = InvoiceLine | CreditNoteLine


@transaction.atomic
def save_tracking_settings(
    enabled: bool, placeholder_1: str, placeholder_2: str
) -> TrackingSettings:
    """TRK-1: switch tracking on or off and name its placeholders (up to two, distinct)."""
    names = {"placeholder_1": placeholder_1.strip(), "placeholder_2": placeholder_2.strip()}
    errors: dict[str, list[str]] = {}
    for field, name in names.items():
        if len(name) > MAX_NAME:
            errors[field] = [f"A placeholder name has at most {MAX_NAME} characters."]
    first, second = names["placeholder_1"], names["placeholder_2"]
    if first and second and first.casefold() == second.casefold():
        errors.setdefault("placeholder_2", []).append("The two placeholders need different names.")
    if enabled and not (first or second):
        errors["placeholder_1"] = ["Name at least one placeholder to enable tracking."]
    if errors:
        raise ValidationError(errors)
    row = TrackingSettings.get()
    row.enabled, row.placeholder_1, row.placeholder_2 = enabled, first, second
    row.save()
    return row


def _check_slot(slot: int, enabled: Iterable[int]) -> None:
    if slot not in SLOTS:
        raise ValidationError({"slot": [f"Placeholder {slot} does not exist; use 1 or 2."]})
    if slot not in set(enabled):
        raise ValidationError({"slot": [f"Placeholder {slot} is not enabled; name it first."]})


@transaction.atomic
def assign_placeholders(
    organisation_id: int, assignments: Mapping[int, TrackingCategory | None]
) -> list[TrackingCategory]:
    """TRK-3: for one organisation, give each listed placeholder slot a category (or none).

    Slots not listed keep their category. A category stands for one placeholder at most, it
    must be the organisation's own and ACTIVE. Returns the organisation's assigned categories.
    """
    enabled = [slot for slot, _ in TrackingSettings.get().placeholders()]
    chosen: dict[int, TrackingCategory] = {}
    for slot, category in assignments.items():
        _check_slot(slot, enabled)
        if category is None:
            continue
        field = f"placeholder_{slot}"
        if category.organisation_id != organisation_id:
            raise ValidationError({field: [f"{category.name} belongs to another organisation."]})
        if category.status != ACTIVE:
            raise ValidationError({field: [f"{category.name} is not active in its organisation."]})
        if category.pk in {c.pk for c in chosen.values()}:
            raise ValidationError({field: [f"{category.name} already stands for a placeholder."]})
        chosen[slot] = category
    kept = TrackingCategory.objects.filter(
        organisation_id=organisation_id, placeholder__gt=0
    ).exclude(placeholder__in=list(assignments))
    for slot, category in chosen.items():
        if kept.filter(pk=category.pk).exists():
            other = kept.get(pk=category.pk).placeholder
            raise ValidationError(
                {
                    f"placeholder_{slot}": [
                        f"{category.name} already stands for placeholder {other}."
                    ]
                }
            )
    # Clear first so that two categories can swap placeholders in one go.
    TrackingCategory.objects.filter(
        organisation_id=organisation_id, placeholder__in=list(assignments)
    ).update(placeholder=0)
    for slot, category in chosen.items():
        TrackingCategory.objects.filter(pk=category.pk).update(placeholder=slot)
        category.placeholder = slot
    return list(TrackingCategory.objects.filter(organisation_id=organisation_id, placeholder__gt=0))


def assign_placeholder(organisation_id: int, slot: int, category: TrackingCategory | None) -> None:
    """TRK-3 for one slot: see `assign_placeholders`."""
    assign_placeholders(organisation_id, {slot: category})


def organisation_of(obj: Tracked) -> int | None:
    """The organisation a tracked record is bound to (None for a product group or a product
    with none). An invoice (credit note) line belongs to its document's customer's
    organisation."""
    if isinstance(obj, InvoiceLine | CreditNoteLine):
        return obj.document.customer.organisation_id
    if isinstance(obj, Product):
        return obj.organisation_id
    return None


@transaction.atomic
def set_tracking_options(
    obj: Tracked,
    options: Iterable[TrackingOption],
    field: str | Callable[[TrackingOption], str] = "tracking_options",
) -> list[TrackingOption]:
    """TRK-4: replace `obj`'s tracking options (saved objects only).

    `field` keys the errors: a name, or a function giving the form field an option came from.
    An invoice line whose customer has no organisation takes no options.
    """
    wanted = list({o.pk: o for o in options}.values())
    key = field if callable(field) else (lambda _option: field)
    current = set(obj.tracking_options.values_list("pk", flat=True))
    org = organisation_of(obj)
    errors: dict[str, list[str]] = {}
    categories: dict[int, TrackingOption] = {}
    found = list(
        TrackingOption.objects.filter(pk__in=[o.pk for o in wanted]).select_related("category")
    )
    for option in found:
        category, problems = option.category, errors.setdefault(key(option), [])
        if option.pk not in current and (option.status != ACTIVE or category.status != ACTIVE):
            problems.append(
                f"{option} is no longer active in its organisation; pick another option."
            )
        if isinstance(obj, InvoiceLine | CreditNoteLine) and not org:
            problems.append(
                "The customer has no accounting organisation, so lines take no tracking."
            )
        elif org and category.organisation_id != org:
            problems.append(f"{option} belongs to another organisation than this record's.")
        if category.pk in categories:
            problems.append(
                f"Pick one option of {category.name}, not both {categories[category.pk].name} "
                f"and {option.name}."
            )
        categories[category.pk] = option
    missing = {o.pk for o in wanted} - {o.pk for o in found}
    for option in wanted:
        if option.pk in missing:
            errors.setdefault(key(option), []).append(
                f"Tracking option {option.pk} does not exist; reload the page and pick again."
            )
    errors = {name: texts for name, texts in errors.items() if texts}
    if errors:
        raise ValidationError(errors)
    chosen = list(categories.values())
    obj.tracking_options.set(chosen)
    return chosen


def resolve_tracking(line: SalesLine) -> dict[int, TrackingOption]:
    """TRK-4: the option per enabled placeholder slot for `line`, in its customer's organisation.

    For each enabled slot with a category assigned in that organisation: the line's own option
    of that category, else its product's, else the product's group's. Options or categories
    no longer active in the organisation are passed over (it would refuse them). A customer with no
    organisation, or tracking switched off, gives {}.
    """
    enabled = [slot for slot, _ in TrackingSettings.get().placeholders()]
    org = line.document.customer.organisation_id
    if not enabled or not org:
        return {}
    categories = {
        c.pk: c.placeholder
        for c in TrackingCategory.objects.filter(
            organisation_id=org, placeholder__in=enabled, status=ACTIVE
        )
    }
    if not categories:
        return {}
    sources: list[Tracked] = [line]
    product = line.product
    if product is not None:
        sources += [product, product.group]
    resolved: dict[int, TrackingOption] = {}
    for source in sources:
        for option in source.tracking_options.filter(
            category_id__in=list(categories), status=ACTIVE
        ).select_related("category"):
            resolved.setdefault(categories[option.category_id], option)
    return resolved


def placeholder_categories(
    organisation_id: int | None = None,
) -> list[tuple[int, str, TrackingCategory]]:
    """(slot, placeholder name, category) for every enabled placeholder's ACTIVE category, in
    one organisation or in all (None); [] when tracking is off."""
    names = dict(TrackingSettings.get().placeholders())
    if not names:
        return []
    found = TrackingCategory.objects.filter(placeholder__in=list(names), status=ACTIVE)
    if organisation_id is not None:
        found = found.filter(organisation_id=organisation_id)
    ordered = sorted(found, key=lambda c: (c.placeholder, c.organisation_id))
    return [(c.placeholder, names[c.placeholder], c) for c in ordered]


def organisation_names() -> dict[int, str]:
    """Organisation id -> its name, to tell organisations apart on forms."""
    return dict(Organisation.objects.values_list("pk", "name"))
