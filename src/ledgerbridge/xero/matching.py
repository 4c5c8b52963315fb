"""Which product record a Xero record is (CUST-2, CUST-3, PROD-2, SUP-1), decided for a whole
page at once with a few queries, so imports and the importer's preview agree exactly.

Rules, in order, within one organisation (tenant):
1. the record already linked to this Xero ID;
2. else an unlinked record of this tenant, or of no tenant yet, with the same accounts code
   (account number / product code), then the same name (case-insensitive);
3. else nothing: a new record. A record of ANOTHER tenant never matches (CUST-3), so a
   record's organisation never changes once set (CUST-5).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q
from django.db.models.functions import Lower

M = TypeVar("M", bound=Model)


@dataclass
class Match(Generic[M]):
    record: M | None
    how: str  # "xero id", "accounts code", "name", or "" for a new record


def match_page(
    model: type[M],
    tenant_id: str,
    keys: Sequence[tuple[str, str | None, str]],
    code_field: str,
) -> list[Match[M]]:
    """Match (xero_id, code, name) triples to records of `model`; each record is used once."""
    manager: Any = model._default_manager
    ids = [k[0] for k in keys if k[0]]
    by_id = {r.xero_id: r for r in manager.filter(xero_tenant_id=tenant_id, xero_id__in=ids)}
    codes = {k[1] for k in keys if k[1]}
    names = {k[2].lower() for k in keys if k[2]}
    candidates = (
        manager.filter(Q(xero_tenant_id=tenant_id) | Q(xero_tenant_id=""), xero_id="")
        .annotate(lname=Lower("name"))
        .filter(Q(**{f"{code_field}__in": codes}) | Q(lname__in=names))
        .order_by("-xero_tenant_id", "pk")  # this tenant's records before unassigned ones
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
