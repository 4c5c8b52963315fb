"""Tracking categories with their options (TRK-2), and branding themes (INV-3)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from ledgerbridge.billing.models import BrandingTheme
from ledgerbridge.tracking.models import TrackingCategory, TrackingOption
from ledgerbridge.xero.client import XeroClient
from ledgerbridge.xero.imports.common import (
    organisation,
    record_page,
)
from ledgerbridge.xero.models import ImportRun


def import_tracking(
    run: ImportRun, client: XeroClient, progress: Callable[[ImportRun], None]
) -> None:
    org = organisation(run.xero_tenant_id)
    body = client.get("/TrackingCategories")
    counts = {"created": 0, "updated": 0, "skipped": 0}
    with transaction.atomic():
        seen = []
        for raw in body.get("TrackingCategories") or []:
            category, made = TrackingCategory.objects.update_or_create(
                organisation=org,
                remote_id=str(raw["TrackingCategoryID"]),
                defaults={
                    "name": str(raw.get("Name") or "")[:100],
                    "status": str(raw.get("Status") or "ACTIVE"),
                },
            )
            counts["created" if made else "updated"] += 1
            seen.append(category.pk)
            listed = [str(o["TrackingOptionID"]) for o in raw.get("Options") or []]
            category.options.exclude(remote_id__in=listed).update(status="REMOVED")
            for option in raw.get("Options") or []:
                TrackingOption.objects.update_or_create(
                    category=category,
                    remote_id=str(option["TrackingOptionID"]),
                    defaults={
                        "name": str(option.get("Name") or "")[:100],
                        "status": str(option.get("Status") or "ACTIVE"),
                    },
                )
        TrackingCategory.objects.filter(organisation=org).exclude(pk__in=seen).update(
            status="REMOVED"
        )
        record_page(run, page=None, counts=counts, problems=[], total=len(seen))
    progress(run)


def import_branding(
    run: ImportRun, client: XeroClient, progress: Callable[[ImportRun], None]
) -> None:
    org = organisation(run.xero_tenant_id)
    body = client.get("/BrandingThemes")
    counts = {"created": 0, "updated": 0, "skipped": 0}
    with transaction.atomic():
        seen = []
        for raw in body.get("BrandingThemes") or []:
            theme, made = BrandingTheme.objects.update_or_create(
                organisation=org,
                remote_id=str(raw["BrandingThemeID"]),
                defaults={
                    "name": str(raw.get("Name") or "")[:255],
                    "sort_order": int(raw.get("SortOrder") or 0),
                    "logo_url": str(raw.get("LogoUrl") or "")[:500],
                },
            )
            counts["created" if made else "updated"] += 1
            seen.append(theme.pk)
        # A theme gone from Xero: documents that chose it take the customer's default again.
        BrandingTheme.objects.filter(organisation=org).exclude(pk__in=seen).delete()
        record_page(run, page=None, counts=counts, problems=[], total=len(seen))
    progress(run)
