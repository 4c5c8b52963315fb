"""Which product record a Xero record is (CUST-2, CUST-3, PROD-2, SUP-1), decided for a whole
page at once with a few queries, so imports and the importer's preview agree exactly.

Rules, in order, within one organisation:
1. the record already linked to this Xero ID (a link in the sync table);
2. else an unlinked record of this organisation, or of none yet, with the same accounts code
   (account number / product code), then the same name (case-insensitive);
3. else nothing: a new record. A record of ANOTHER organisation never matches (CUST-3), so a
   record's organisation never changes once set (CUST-5).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import F, Model, Q
from django.db.models.functions import Lower

from ledgerbridge.sync.services import linked_ids, local_ids_for

M = TypeVar("M", bound=Model)


@dataclass
class Match(Generic[M]):
    record: M | None
    how: str  # "xero id", "accounts code", "name", or "" for a new record


def match_page(
    model: type[M],
    kind: str,
    organisation_id: int,
    keys: Sequence[tuple[str, str | None, str]],
    code_field: str,
) -> list[Match[M]]:
    """Match (xero_id, code, name) triples to records of `model` (sync kind `kind`) in one
    organisation; each record is used once."""
    manager: Any = model._default_manager
    ids = [k[0] for k in keys if k[0]]
    local = local_ids_for(kind, organisation_id, ids)
    records = manager.in_bulk(list(local.values()))
    by_id = {remote: records[pk] for remote, pk in local.items() if pk in records}
    codes = {k[1] for k in keys if k[1]}
    names = {k[2].lower() for k in keys if k[2]}
    candidates = (
        manager.filter(Q(organisation_id=organisation_id) | Q(organisation__isnull=True))
        .exclude(pk__in=linked_ids(kind))
        .annotate(lname=Lower("name"))
        .filter(Q(**{f"{code_field}__in": codes}) | Q(lname__in=names))
        # This organisation's records before unassigned ones.
        .order_by(F("organisation_id").asc(nulls_last=True), "pk")
    )
    by_code: dict[str, list[M]] = defaultdict(list)
    by_name: dict[str, list[M]] = defaultdict(list)
    for record in candidates:
        if getattr(record, code_field):
            by_code[getattr(record, code_field)].append(record)
        by_name[record.lname].append(record)
    used: set[int] = set()
    matches: list[Match[M]] = []
    for xero_id, code, name in keys:
        found: Match[M] = Match(None, "")
        if xero_id in by_id:
            found = Match(by_id[xero_id], "xero id")
        else:
            for how, pool in (
                ("accounts code", by_code.get(code or "", [])),
                ("name", by_name.get(name.lower(), [])),
            ):
                record = next((r for r in pool if r.pk not in used), None)
                if record is not None:
                    found = Match(record, how)
                    break
        if found.record is not None:
            used.add(found.record.pk)
        matches.append(found)
    return matches
