"""Schemathesis against the in-process API, with every check schemathesis has, on data that
fits the document and data that does not (positive and negative): no 5xx, every answer as
documented (status, body, content type), valid data accepted and invalid data refused.

The schema is the one /api/v1/openapi.json serves, built by the app itself (the served
document needs a token, and tokens live in the per-test database). Requests go to the WSGI
app in-process with an admin token, over a database seeded with one of each record so that
generated ids sometimes hit real rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from ninja.responses import NinjaJSONEncoder
from schemathesis.generation.modes import GenerationMode

from ledgerbridge.accounts.models import User
from ledgerbridge.api import api
from ledgerbridge.catalog.models import ChargeRate, Product, TaxRate
from ledgerbridge.customers.models import Customer
from ledgerbridge.suppliers.models import Supplier
from ledgerbridge.work.models import Ticket, TimeEntry
from ledgerbridge.wsgi import application

from .conftest import token_for

# Database-sensitive (constraints, rollback, odd values): run again on PostgreSQL.
pytestmark = pytest.mark.postgres

schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))
)
schema.app = application
# Both kinds of data, explicitly (also schemathesis's default today). The token is the test's
# own (an admin's), so schemathesis does not generate or drop the Authorization header; unknown
# query parameters are ignored by the API, as by most, so they are not sent as "invalid".
schema.config.generation.update(
    modes=list(GenerationMode), with_security_parameters=False, allow_extra_parameters=False
)
# Every check, with one widening: the document cannot express rules across records (an id in a
# body must name an existing record, a product cannot be its own parent), so data valid by the
# document alone may still be refused with a 422 naming the field; any other refusal (e.g. a
# 422 for a value of the documented type, or a 400) is a finding.
schema.config.checks.update(included_check_names=["all"])
schema.config.checks.positive_data_acceptance.expected_statuses = [
    *schema.config.checks.positive_data_acceptance.expected_statuses,
    "422",
]


@pytest.fixture
def auth_headers(
    admin: User,
    customer: Customer,
    supplier: Supplier,
    product: Product,
    charge_rate: ChargeRate,
    no_tax: TaxRate,
    ticket: Ticket,
) -> Iterator[dict[str, str]]:
    TimeEntry.objects.create(
        ticket=ticket,
        agent=admin,
        date="2026-11-20",
        hours=1,
        charge_rate=charge_rate,
        summary="Seeded",
    )
    # The raw WSGI app closes the connection after each request; the test database lives in
    # that connection's transaction, so keep it open, as Django's test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {token_for(admin)}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    # Bounded: a dozen cases per operation and mode keep the run to about a minute (CI's 20
    # minutes hold the whole suite, twice over the databases).
    max_examples=12,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_keeps_every_promise_of_its_document(case: Any, auth_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=auth_headers)  # all checks
