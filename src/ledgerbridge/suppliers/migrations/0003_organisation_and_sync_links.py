"""Suppliers keep their organisation as a row of their own; their Xero links move to the
sync table."""

import django.db.models.deletion
from django.db import migrations, models

from ledgerbridge.sync.legacy import move_links, move_links_back


def forwards(apps, schema_editor):
    move_links(apps, "suppliers", "Supplier", "supplier")


def backwards(apps, schema_editor):
    move_links_back(apps, "suppliers", "Supplier", "supplier")


class Migration(migrations.Migration):
    dependencies = [
        ("suppliers", "0002_xero_links"),
        ("sync", "0001_initial"),
        ("xero", "0003_import_xero_clock"),
    ]

    operations = [
        migrations.AddField(
            model_name="supplier",
            name="organisation",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="sync.organisation",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="supplier", name="suppliers_supplier_account_number_per_tenant"
        ),
        migrations.RemoveConstraint(model_name="supplier", name="suppliers_supplier_one_per_xero_id"),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="supplier", name="xero_data"),
        migrations.RemoveField(model_name="supplier", name="xero_id"),
        migrations.RemoveField(model_name="supplier", name="xero_tenant_id"),
        migrations.RemoveField(model_name="supplier", name="xero_updated_at"),
        migrations.AddConstraint(
            model_name="supplier",
            constraint=models.UniqueConstraint(
                fields=("organisation", "account_number"),
                name="suppliers_supplier_account_number_per_org",
            ),
        ),
        migrations.AddConstraint(
            model_name="supplier",
            constraint=models.UniqueConstraint(
                condition=models.Q(("organisation__isnull", True)),
                fields=("account_number",),
                name="suppliers_supplier_account_number_no_org",
            ),
        ),
    ]
