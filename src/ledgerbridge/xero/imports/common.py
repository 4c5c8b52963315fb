"""What every import shares: recording a page's outcome on its run (progress and problems),
applying a page so that one bad record never stops it, and the organisation of a tenant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ledgerbridge.sync.models import Organisation
from ledgerbridge.sync.services import RemoteState, organisation_for, record_remote
from ledgerbridge.xero import mapping
from ledgerbridge.xero.models import Connection, ImportRun

XERO = "xero"
PAGE_SIZE = 1000
IDS_PER_CALL = 50  # Xero's IDs= filter is limited by URL length to about 50 GUIDs
# A running run silent this long was interrupted (its process died) and may be taken over.
STALE_AFTER = dt.timedelta(seconds=settings.IMPORT_STALE_AFTER_SECONDS)
# The watermark is Xero's own clock at the run's first answer, less a second; without that
# answer (nothing was read), our clock less a margin for the two clocks' difference.
XERO_CLOCK_MARGIN = dt.timedelta(seconds=1)
OUR_CLOCK_MARGIN = dt.timedelta(minutes=5)
MAX_PROBLEMS = 500


def organisation(tenant_id: str) -> Organisation:
    """The organisation of a Xero tenant (made on first use, named after its connection)."""
    connection = Connection.objects.filter(tenant_id=tenant_id).first()
    return organisation_for(XERO, tenant_id, connection.name if connection else "")


def record_page(
    run: ImportRun,
    *,
    page: int | None,
    counts: dict[str, int],
    problems: list[dict[str, str]],
    total: int | None = None,
) -> None:
    """Store a page's outcome on the run (call inside the page's transaction)."""
    fields: dict[str, Any] = {
        "processed": F("processed") + sum(counts.values()),
        "created": F("created") + counts.get("created", 0),
        "updated": F("updated") + counts.get("updated", 0),
        "skipped": F("skipped") + counts.get("skipped", 0),
        "api_calls": F("api_calls") + 1,
        "pages_done": F("pages_done") + 1,
        "heartbeat_at": timezone.now(),
    }
    if page is not None:
        fields["next_page"] = page + 1
    if total is not None:
        fields["total"] = total
    if problems:
        current = list(ImportRun.objects.filter(pk=run.pk).values_list("problems", flat=True).get())
        fields["problems"] = (current + problems)[:MAX_PROBLEMS]
    ImportRun.objects.filter(pk=run.pk).update(**fields)


def note_xero_clock(run: ImportRun, body: dict[str, Any]) -> None:
    """Keep Xero's time of the run's first answer (the next run's If-Modified-Since)."""
    when = mapping.parse_date(body.get("DateTimeUTC"))
    if when is not None and run.xero_started_at is None:
        ImportRun.objects.filter(pk=run.pk, xero_started_at__isnull=True).update(
            xero_started_at=when
        )
        run.xero_started_at = when


Outcome = tuple[dict[str, int], list[dict[str, str]]]
R = TypeVar("R")


def apply_safely(
    apply: Callable[[list[R]], Outcome], records: list[R], label: Callable[[R], str]
) -> Outcome:
    """Apply a page in bulk; if the database refuses it (a clash the checks did not foresee),
    apply it record by record, each in its own savepoint, and report the ones refused, so one
    record never stops the page or the import."""
    try:
        with transaction.atomic():
            return apply(records)
    except IntegrityError:
        pass
    counts = {"created": 0, "updated": 0, "skipped": 0}
    problems: list[dict[str, str]] = []
    for record in records:
        try:
            with transaction.atomic():
                one, issues = apply([record])
        except IntegrityError as exc:
            counts["skipped"] += 1
            problems.append(problem(label(record), f"could not be saved here: {exc}"))
        else:
            for key, value in one.items():
                counts[key] = counts.get(key, 0) + value
            problems.extend(issues)
    return counts, problems


def problem(label: str, reason: str) -> dict[str, str]:
    return {"record": label[:300], "reason": reason}


def changed_since(updated: dt.datetime | None, since: dt.datetime | None) -> bool:
    # Xero compares If-Modified-Since by date only, so we filter again on the timestamp.
    return since is None or updated is None or updated >= since


def link_imported(
    kind: str, organisation_id: int, records: list[Any], remote: dict[int, Any]
) -> None:
    """Store the links of imported records (saved): each record's Xero data, `remote` keyed by
    `id(record)`, as in step with Xero."""
    record_remote(
        kind,
        organisation_id,
        [
            RemoteState(
                r.pk, remote[id(r)].xero_id, remote[id(r)].snapshot, remote[id(r)].updated_at
            )
            for r in records
        ],
    )
