"""Helpers for the migrations that moved Xero links off the records into the sync table.

They work on historical models (`apps.get_model`), so they stay valid as the models change.
"""

from __future__ import annotations

from typing import Any

XERO = "xero"


def organisation_id(apps: Any, tenant_id: str, cache: dict[str, int]) -> int | None:
    """The organisation row for a Xero tenant id (made once, named after its connection)."""
    if not tenant_id:
        return None
    if tenant_id in cache:
        return cache[tenant_id]
    organisation = apps.get_model("sync", "Organisation")
    connection = apps.get_model("xero", "Connection")
    known = connection.objects.filter(tenant_id=tenant_id).first()
    name = known.name if known is not None else tenant_id
    org, _ = organisation.objects.get_or_create(
        integration=XERO, remote_id=tenant_id, defaults={"name": name[:255]}
    )
    cache[tenant_id] = int(org.pk)
    return cache[tenant_id]


def move_links(apps: Any, app_label: str, model_name: str, kind: str) -> None:
    """Give every record its organisation and a sync link for its Xero id (in step: what the
    import stored is what Xero held)."""
    model = apps.get_model(app_label, model_name)
    link = apps.get_model("sync", "Link")
    cache: dict[str, int] = {}
    rows = model.objects.exclude(xero_tenant_id="").values(
        "pk", "xero_tenant_id", "xero_id", "xero_data", "xero_updated_at"
    )
    links = []
    for row in rows.iterator(chunk_size=2000):
        org = organisation_id(apps, row["xero_tenant_id"], cache)
        model.objects.filter(pk=row["pk"]).update(organisation_id=org)
        if row["xero_id"]:
            links.append(
                link(
                    kind=kind,
                    local_id=row["pk"],
                    organisation_id=org,
                    remote_id=row["xero_id"],
                    snapshot=row["xero_data"] or {},
                    remote_updated_at=row["xero_updated_at"],
                    state="synced",
                )
            )
    link.objects.bulk_create(links, batch_size=1000)


def move_links_back(apps: Any, app_label: str, model_name: str, kind: str) -> None:
    """The reverse: the organisation's tenant id and the Xero id back on the record."""
    model = apps.get_model(app_label, model_name)
    link = apps.get_model("sync", "Link")
    found = {
        row["local_id"]: row
        for row in link.objects.filter(kind=kind).values(
            "local_id", "remote_id", "snapshot", "remote_updated_at"
        )
    }
    for record in model.objects.exclude(organisation=None).select_related("organisation"):
        row = found.get(record.pk, {})
        model.objects.filter(pk=record.pk).update(
            xero_tenant_id=record.organisation.remote_id,
            xero_id=row.get("remote_id", ""),
            xero_data=row.get("snapshot") or {},
            xero_updated_at=row.get("remote_updated_at"),
        )
    link.objects.filter(kind=kind).delete()
