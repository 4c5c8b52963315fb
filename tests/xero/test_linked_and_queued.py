"""CONN-5 and CONN-6 with real linked records and real queued work, and Xero's rounding
(money.py) against the totals the sandbox computes for the same invoices."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.customers.models import Customer
from ledgerbridge.money import AmountType, LineInput, document_totals
from ledgerbridge.xero import connections
from ledgerbridge.xero.imports import run_import, start_import
from ledgerbridge.xero.models import ImportStatus, TokenSet
from ledgerbridge.xero.tasks import run_import_task

from .helpers import REDIRECT_URI, admin_call, connect, consent, fast_client
from .links import pairs

pytestmark = pytest.mark.django_db


def test_conn_5_disconnect_and_delete_lose_nothing_linked_and_reconnecting_links_again(
    xero_settings, sandbox
):
    books = connect(sandbox, "Books", "Demo Company (NZ)")
    run = start_import(books, "customers", background=False)
    with fast_client(books) as client:
        run_import(run.pk, client=client)
    linked = pairs(Customer)
    assert linked and set(linked.values()) == {books.tenant_id}

    connections.disconnect(books)
    assert pairs(Customer) == linked
    connections.delete_connection(books)
    assert pairs(Customer) == linked

    again = connect(sandbox, "Books again", "Demo Company (NZ)")
    rerun = start_import(again, "customers", params={"full": True}, background=False)
    with fast_client(again) as client:
        done = run_import(rerun.pk, client=client)
    assert (done.created, done.updated) == (0, len(linked))  # matched by Xero ID: no duplicate
    assert Customer.objects.count() == len(linked)


def test_conn_6_queued_work_waits_for_reauthorisation_and_then_finishes(
    xero_settings, sandbox, django_capture_on_commit_callbacks
):
    books = connect(sandbox, "Books", "Demo Company (NZ)")
    queued = start_import(books, "customers", background=False)
    # The grant is revoked in Xero before the worker gets to the queued import.
    token_set = TokenSet.objects.get()
    httpx.post(
        f"{sandbox.url}/connect/revocation",
        data={
            "token": token_set.refresh_token,
            "client_id": xero_settings.XERO_CLIENT_ID,
            "client_secret": xero_settings.XERO_CLIENT_SECRET,
        },
    )
    TokenSet.objects.update(expires_at=timezone.now())
    waiting = run_import(queued.pk)
    assert (
        waiting.status == ImportStatus.WAITING and "Waiting for the connection" in waiting.message
    )
    books.refresh_from_db()
    assert books.state == "needs_reauth"

    url = connections.start_authorisation(books, None, REDIRECT_URI)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        connections.complete_authorisation(consent(sandbox, url), REDIRECT_URI)
    assert callbacks  # reconnecting queued the waiting import again (and the sync)
    queued_again = DBTaskResult.objects.filter(task_path=run_import_task.module_path)
    for callback in callbacks:
        callback()
    assert queued_again.get().args_kwargs["args"] == [queued.pk]
    finished = run_import(queued.pk)
    assert finished.status == ImportStatus.DONE and finished.created > 0


RATES = {"OUTPUT2": Decimal(15), "NONE": Decimal(0)}
lines = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal(500), places=2),
        st.decimals(min_value=Decimal(0), max_value=Decimal(5000), places=4),
        st.sampled_from(sorted(RATES)),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(lines, st.sampled_from(list(AmountType)))
def test_money_totals_equal_the_totals_xero_computes(xero_settings, sandbox, doc, amount_type):
    books = _connected()
    if books is None:
        admin_call(sandbox, "POST", "settings", minute_limit=100000)  # examples, not limits
        books = connect(sandbox, "Books", "Demo Company (NZ)")
    with fast_client(books) as client:
        contact = client.put(
            "/Contacts",
            {"Contacts": [{"Name": "Rounding Ltd"}]},
            params={"summarizeErrors": "false"},
        )["Contacts"][0]
        contact_id = (
            contact.get("ContactID")
            or client.get("/Contacts", params={"where": 'Name=="Rounding Ltd"', "page": 1})[
                "Contacts"
            ][0]["ContactID"]
        )
        answer = client.put(
            "/Invoices",
            {
                "Invoices": [
                    {
                        "Type": "ACCREC",
                        "Contact": {"ContactID": contact_id},
                        "LineAmountTypes": amount_type.value,
                        "LineItems": [
                            {
                                "Description": "x",
                                "Quantity": float(q),
                                "UnitAmount": float(u),
                                "AccountCode": "200",
                                "TaxType": t,
                            }
                            for q, u, t in doc
                        ],
                    }
                ]
            },
            params={"unitdp": "4"},
        )["Invoices"][0]
    ours = document_totals([LineInput(q, u, RATES[t]) for q, u, t in doc], amount_type)
    theirs = tuple(Decimal(str(answer[k])) for k in ("SubTotal", "TotalTax", "Total"))
    assert (ours.subtotal, ours.total_tax, ours.total) == theirs


def _connected():
    from ledgerbridge.xero.models import Connection

    return Connection.objects.filter(name="Books").first()
