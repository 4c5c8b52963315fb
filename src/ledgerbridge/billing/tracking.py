"""Tracking options on invoice lines (TRK-4): the one place billing reaches tracking's models.

Tracking categories and options are the tracking app's; billing reads and writes them only
through these functions.

- `write_line_tracking` stores each line's own options, as `LineData` asks, with the rules of
  `set_tracking_options`: every option known and active, at most one per category, and of the
  organisation of the invoice's customer. Refusals are keyed `lines[i].tracking_options[j]`
  (the j-th option the caller gave for line i).
- `resolved_tracking` is TRK-4's outcome for a line: its own option per category, else its
  product's, else the product's group's. Product defaults are resolved here, when read or
  synced, not copied onto the line, so a later change of a product's options reaches every
  line that did not choose its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from ledgerbridge.billing.models import CreditNoteLine, InvoiceLine, LineBase
from ledgerbridge.tracking.models import TrackingOption, TrackingSettings
from ledgerbridge.tracking.services import resolve_tracking, set_tracking_options

if TYPE_CHECKING:
    from ledgerbridge.billing.documents import LineData


def takes_tracking(line_model: type[LineBase]) -> bool:
    """Whether lines of this model carry tracking options (invoice and credit note lines do)."""
    return line_model in (InvoiceLine, CreditNoteLine)


def _key(index: int, ids: Sequence[int]) -> Callable[[TrackingOption], str]:
    positions = {pk: j for j, pk in reversed(list(enumerate(ids)))}

    def key(option: TrackingOption) -> str:
        j = positions.get(option.pk)
        return f"lines[{index}].tracking_options" + ("" if j is None else f"[{j}]")

    return key


def write_line_tracking(rows: Sequence[LineBase], lines: Sequence[LineData]) -> None:
    """Set the own tracking options of each written invoice line (`rows[i]` is `lines[i]`).

    A line whose `tracking_option_ids` is None keeps what it has. Otherwise its options become
    the ones given, plus those it had in categories outside `tracking_categories`. Raises one
    ValidationError for every refused line; call inside the transaction that wrote the rows.
    """
    errors: dict[str, list[str]] = {}
    for index, (row, data) in enumerate(zip(rows, lines, strict=True)):
        if data.tracking_option_ids is None or not isinstance(row, InvoiceLine | CreditNoteLine):
            continue
        ids = list(data.tracking_option_ids)
        found = TrackingOption.objects.in_bulk(ids)
        wanted = [found.get(pk) or TrackingOption(pk=pk) for pk in ids]
        scope = data.tracking_categories
        kept = (
            []
            if scope is None
            else [o for o in row.tracking_options.all() if o.category_id not in scope]
        )
        try:
            set_tracking_options(row, [*kept, *wanted], field=_key(index, ids))
        except ValidationError as exc:
            for name, texts in exc.message_dict.items():
                errors.setdefault(name, []).extend(texts)
    if errors:
        raise ValidationError(errors)


def line_option_ids(line: InvoiceLine | CreditNoteLine) -> list[int]:
    """The line's own tracking options (not what its product or group adds), by id."""
    return sorted(o.pk for o in line.tracking_options.all())


def resolved_tracking(line: InvoiceLine | CreditNoteLine) -> list[tuple[str, TrackingOption]]:
    """(placeholder name, option) per enabled placeholder for `line`, as TRK-4 resolves it;
    [] when tracking is off or the customer has no organisation."""
    names = dict(TrackingSettings.get().placeholders())
    if not names:
        return []
    return [(names[slot], option) for slot, option in sorted(resolve_tracking(line).items())]
