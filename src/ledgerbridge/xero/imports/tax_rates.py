"""Tax rates (TAX-1, TAX-3): every tax rate of the organisation comes across, linked; unused
rates of no organisation go (except the zero rate); rates still in use are listed and kept."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q

from ledgerbridge.catalog.models import TaxRate
from ledgerbridge.deletion import delete_unless_used
from ledgerbridge.sync.models import RecordKind
from ledgerbridge.sync.services import Link, RemoteState, record_remote
from ledgerbridge.xero import mapping
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.imports.common import (
    organisation,
    problem,
    record_page,
)
from ledgerbridge.xero.models import ImportRun


def xero_tax_rates(client: XeroClient) -> list[mapping.TaxRateData]:
    """The organisation's active Xero tax rates (TAX-2's picker reads them live too)."""
    body = client.get("/TaxRates")
    rates = [mapping.tax_rate_data(r) for r in body.get("TaxRates") or []]
    return [r for r in rates if r.status == "ACTIVE" and r.tax_type]


# Words that say nothing about which tax a rate is ("GST on Income" and "GST 15%" share GST).
GENERIC_WORDS = frozenset({"tax", "taxes", "rate", "rated", "on", "of", "the", "and", "for", "in"})


def name_family(name: str) -> set[str]:
    """The words naming a rate's tax: "GST on Income" -> {"gst", "income"}; "GST 15%" ->
    {"gst"}. Two rates of the same percentage sharing one are the same tax."""
    words = {w.lower() for w in re.findall(r"[^\W\d_]{2,}", name)}
    return words - GENERIC_WORDS


def _adoptable(org_pk: int) -> list[TaxRate]:
    """Rates an import may link instead of creating a twin: not the zero rate, of this
    organisation or of none, and linked to nothing in this organisation."""
    linked = Link.objects.filter(kind=RecordKind.TAX_RATE, organisation_id=org_pk).exclude(
        remote_id=""
    )
    return list(
        TaxRate.objects.filter(Q(organisation_id=org_pk) | Q(organisation__isnull=True))
        .filter(is_zero_rate=False)
        .exclude(pk__in=linked.values("local_id"))
        # The organisation's own first, then those of no organisation.
        .order_by(F("organisation_id").asc(nulls_last=True), "pk")
    )


def _twin_of(data: mapping.TaxRateData, candidates: list[TaxRate]) -> TaxRate | None:
    family = name_family(data.name)
    for rate in candidates:
        if rate.percentage == data.percentage and family & name_family(rate.name):
            return rate
    return None


def import_tax_rates(
    run: ImportRun, client: XeroClient, progress: Callable[[ImportRun], None]
) -> None:
    """TAX-1, TAX-3. A Xero rate with no linked rate here links an existing unlinked rate of the
    same percentage and name family ("GST 15%" for "GST on Income", sales rates first) before
    creating a new one; every adoption and every percentage changed to Xero's is reported in
    the run's problems, so nothing changes silently."""
    org = organisation(run.xero_tenant_id)
    rates = xero_tax_rates(client)
    counts = {"created": 0, "updated": 0, "skipped": 0}
    problems: list[dict[str, str]] = []
    with transaction.atomic():
        mine = {r.pk: r for r in TaxRate.objects.filter(organisation=org)}
        links = Link.objects.filter(
            kind=RecordKind.TAX_RATE, organisation=org, local_id__in=list(mine)
        ).exclude(remote_id="")
        existing = {link.remote_id: mine[link.local_id] for link in links}
        names = {r.name.lower() for r in mine.values()}
        candidates = _adoptable(org.pk)
        # Sales rates choose first: "GST 15%" on invoices is "GST on Income", not "on Expenses".
        for data in sorted((d for d in rates if d.tax_type not in existing), key=_sales_first):
            twin = _twin_of(data, candidates)
            if twin is None or (twin.organisation_id is None and twin.name.lower() in names):
                continue
            candidates.remove(twin)
            existing[data.tax_type] = twin
            names.add(twin.name.lower())
            problems.append(
                problem(
                    twin.name,
                    f"linked to {data.name} ({data.tax_type}) in Xero, of the same percentage "
                    f"and tax, instead of importing that as a second rate",
                )
            )
        states = []
        for data in rates:
            rate = existing.get(data.tax_type)
            if rate is None:
                name = (
                    data.name
                    if data.name.lower() not in names
                    else f"{data.name} ({data.tax_type})"
                )
                rate = TaxRate(organisation=org, name=name[:100])
                counts["created"] += 1
            else:
                counts["updated"] += 1
            names.add(rate.name.lower())
            percentage = min(max(data.percentage, Decimal(0)), Decimal(100))
            if rate.pk is not None and rate.percentage != percentage:
                problems.append(
                    problem(
                        rate.name,
                        f"percentage changed from {percent(rate.percentage)} to "
                        f"{percent(percentage)}, as {data.name} ({data.tax_type}) is in Xero",
                    )
                )
            rate.percentage = percentage
            rate.organisation = org
            rate.save()
            states.append(RemoteState(rate.pk, data.tax_type, {"Name": data.name}))
        record_remote(RecordKind.TAX_RATE, org.pk, states)
        # TAX-1: a link to a Xero tax rate that is no longer active would fail at sync time.
        active = {data.tax_type for data in rates}
        for tax_type, stale in existing.items():
            if tax_type not in active:
                problems.append(
                    problem(
                        stale.name,
                        f"its Xero tax rate {tax_type} is no longer "
                        "active in Xero; link it to another or stop using it",
                    )
                )
        # TAX-3: rates assigned to no organisation go, except the zero rate and rates in use.
        for orphan in TaxRate.objects.filter(organisation__isnull=True, is_zero_rate=False):
            try:
                delete_unless_used(orphan, f"Tax rate {orphan.name}", "so it was kept.")
            except ValidationError as exc:
                problems.append(problem(orphan.name, " ".join(exc.messages)))
        run.total = len(rates)
        record_page(run, page=None, counts=counts, problems=problems, total=len(rates))
    progress(run)


def _sales_first(data: mapping.TaxRateData) -> int:
    return 0 if data.revenue else 1


def percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def tax_rate_map(organisation_id: int) -> dict[str, int]:
    """Xero tax type -> the linked tax rate's id, in one organisation (CUST-6, PROD-4)."""
    links = Link.objects.filter(kind=RecordKind.TAX_RATE, organisation_id=organisation_id)
    return dict(links.exclude(remote_id="").values_list("remote_id", "local_id"))


def tax_type_of(organisation_id: int) -> dict[int, str]:
    """Tax rate id -> its linked Xero tax type, in one organisation (what the sync sends)."""
    return {local: remote for remote, local in tax_rate_map(organisation_id).items()}
