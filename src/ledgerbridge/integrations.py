"""The hooks by which an integration adds to the product's screens; the product never imports
an integration (as pretix's core sends signals that its plug-ins answer).

The product sends these signals with `sender` set to a record kind (`sync.models.RecordKind`,
e.g. "customer"); an integration connects receivers in its `AppConfig.ready()`:

- `record_panels(sender=kind, record=..., request=..., where=...)`: HTML (safe) panels shown
  with a record (customer tabs, supplier, product, tax rate, invoice); `where` names the tab.
  Receivers return "" to add none.
- `record_actions(sender=kind, record=...)`: a list of (label, url) actions offered for a record
  (for instance "Link to Xero…" on a tax rate).
- `next_after_create(sender=kind, record=...)`: where the form of a new record goes next (a URL),
  or None; the first URL given wins (a new tax rate goes on to being linked).
- `deletion_refused(sender=kind, record=...)`: why the record may not be deleted because of what
  the remote system holds (an invoice paid there, say), in words that name the fix; None
  when nothing stops it. Sent inside the deleting transaction, with the record locked.

A second accounting integration plugs in the same way, beside the first.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

record_panels = Signal()
record_actions = Signal()
next_after_create = Signal()
deletion_refused = Signal()


def panels(kind: str, record: Any, request: Any = None, where: str = "") -> SafeString:
    """Every integration's panels for `record`, in the order they were connected; `where`
    names the page or tab they go on ("details", "settings"; "" for a record's one page)."""
    found = record_panels.send(sender=kind, record=record, request=request, where=where)
    # Receivers return format_html output; anything else is escaped.
    return format_html_join("", "{}", ((answer,) for _, answer in found if answer))


def actions(kind: str, record: Any) -> list[tuple[str, str]]:
    """Every integration's (label, url) actions for `record`."""
    found: list[tuple[str, str]] = []
    for _, answer in record_actions.send(sender=kind, record=record):
        found.extend(answer or [])  # type: ignore[arg-type]  # receivers return a list
    return found


def actions_html(kind: str, record: Any) -> SafeString:
    """The actions as links, each followed by a separator, for list rows."""
    links = ((url, label) for label, url in actions(kind, record))
    return format_html_join("", '<a href="{}">{}</a> · ', links)


def next_url(kind: str, record: Any) -> str | None:
    for _, answer in next_after_create.send(sender=kind, record=record):
        if answer:
            return str(answer)
    return None


def why_not_delete(kind: str, record: Any) -> str | None:
    """The first reason an integration gives for refusing to delete `record`, or None."""
    for _, answer in deletion_refused.send(sender=kind, record=record):
        if answer:
            return str(answer)
    return None
