"""Reading and making records' links to Xero in tests: the organisation on the record, the
Xero id and data in the sync table (`ledgerbridge.sync`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Model

from ledgerbridge.catalog.models import Product, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.sync.models import Link, RecordKind
from ledgerbridge.sync.services import RemoteState, organisation_for, record_remote

KINDS: dict[type[Model], str] = {
    Customer: RecordKind.CUSTOMER,
    Supplier: RecordKind.SUPPLIER,
    Product: RecordKind.PRODUCT,
    TaxRate: RecordKind.TAX_RATE,
}


def _link(record: Any) -> Link | None:
    return Link.objects.filter(kind=KINDS[type(record)], local_id=record.pk).first()


def tenant(record: Any) -> str:
    """The Xero tenant id of the record's organisation ("" for none)."""
    record.refresh_from_db()
    return record.organisation.remote_id if record.organisation_id else ""


def xero_id(record: Any) -> str:
    link = _link(record)
    return link.remote_id if link else ""


def xero_data(record: Any) -> dict[str, Any]:
    link = _link(record)
    return dict(link.snapshot) if link else {}


def tax_type(rate: TaxRate) -> str:
    return xero_id(rate)


def xero_ids(model: type[Model]) -> set[str]:
    """Every Xero id records of `model` are linked to."""
    return set(
        Link.objects.filter(kind=KINDS[model])
        .exclude(remote_id="")
        .values_list("remote_id", flat=True)
    )


def by_xero_id(model: type[Model], remote_id: str) -> Any:
    link = Link.objects.get(kind=KINDS[model], remote_id=remote_id)
    return model._default_manager.get(pk=link.local_id)


def in_tenant(model: type[Model], tenant_id: str) -> Any:
    """The records of `model` in the organisation of a Xero tenant ("" for none)."""
    if not tenant_id:
        return model._default_manager.filter(organisation__isnull=True)
    return model._default_manager.filter(organisation__remote_id=tenant_id)


def make(model: type[Model], tenant_id: str, remote_id: str = "", **fields: Any) -> Any:
    """A record of `model` in a Xero tenant's organisation, linked to `remote_id` if given."""
    with transaction.atomic():
        org = organisation_for("xero", tenant_id)
        record = model._default_manager.create(organisation=org, **fields)
        if remote_id:
            record_remote(KINDS[model], org.pk, [RemoteState(record.pk, remote_id)])
    return record


def pairs(model: type[Model]) -> dict[str, str]:
    """Xero id -> tenant id, for every linked record of `model`."""
    return dict(
        Link.objects.filter(kind=KINDS[model])
        .exclude(remote_id="")
        .values_list("remote_id", "organisation__remote_id")
    )


def pairs_in(model: type[Model], tenant_id: str) -> list[str]:
    """The Xero ids of the records of `model` in one tenant's organisation."""
    return list(
        Link.objects.filter(kind=KINDS[model], organisation__remote_id=tenant_id)
        .exclude(remote_id="")
        .values_list("remote_id", flat=True)
    )
