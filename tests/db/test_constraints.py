"""Database constraints and transactions: the guarantees that must hold on every database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from ledgerbridge.billing.documents import LineData
from ledgerbridge.billing.models import Invoice, InvoiceLine, Sequence
from ledgerbridge.billing.services import issue_invoice
from ledgerbridge.catalog.models import TaxRate
from ledgerbridge.catalog.services import delete_tax_rate, zero_rate
from ledgerbridge.customers.models import Customer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_migrations_match_the_models():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_the_zero_rate_exists_from_the_migrations_and_cannot_be_deleted():
    rate = TaxRate.objects.get(is_zero_rate=True)
    assert rate.percentage == 0 and zero_rate() == rate
    with pytest.raises(ValidationError, match="cannot be deleted"):
        delete_tax_rate(rate)
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxRate.objects.create(name="Second zero", percentage=0, is_zero_rate=True)


def test_a_tax_rate_in_use_is_refused_with_the_records_named(customer, gst):
    with pytest.raises(ValidationError) as caught:
        delete_tax_rate(gst)
    assert "Acme Dental" in str(caught.value)
    assert TaxRate.objects.filter(pk=gst.pk).exists()


def test_duplicate_account_numbers_are_refused_but_blank_ones_are_many():
    Customer.objects.create(name="A", account_number="X1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(name="B", account_number="X1")
    Customer.objects.create(name="C", account_number="")
    Customer.objects.create(name="D", account_number="")
    assert Customer.objects.filter(account_number__isnull=True).count() == 2


@pytest.fixture
def second_line_refused_by_the_database() -> Iterator[str]:
    """A trigger that makes the database refuse an invoice line described "refused": a failure
    that comes after the invoice and its first line are written, whatever the service checks
    beforehand. (Created inside the test's transaction, so it goes when the test does.)"""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_line() RETURNS trigger AS $$ BEGIN "
                "IF NEW.description = 'refused' THEN RAISE EXCEPTION 'refused line'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_line BEFORE INSERT ON billing_invoiceline "
                "FOR EACH ROW EXECUTE FUNCTION refuse_line()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_line BEFORE INSERT ON billing_invoiceline "
                "WHEN NEW.description = 'refused' BEGIN SELECT RAISE(ABORT, 'refused line'); END"
            )
    yield "refused"


def test_a_failure_midway_leaves_no_half_saved_invoice(
    customer, gst, today, second_line_refused_by_the_database
):
    lines = [
        LineData("ok", Decimal(1), Decimal(1), gst.pk),
        LineData(second_line_refused_by_the_database, Decimal(1), Decimal(1), gst.pk),
    ]
    with pytest.raises(DatabaseError):
        issue_invoice(customer, lines, date=today)
    # The invoice, its first line and its number were written before the failure: all undone.
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()
    assert not Sequence.objects.filter(name="invoice", next_value__gt=1).exists()
    # And the service is still usable in the same transaction afterwards.
    assert issue_invoice(customer, lines[:1], date=today).number == "INV-000001"


def test_due_date_before_date_is_refused_by_the_database_too(customer, today):
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(
            number="X", customer=customer, date=today, due_date=today - dt.timedelta(days=1)
        )
