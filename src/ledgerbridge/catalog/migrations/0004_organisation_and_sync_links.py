"""Tax rates and products keep their organisation as a row of their own; their Xero links move
to the sync table; tracking options are now the tracking app's (same ids)."""

import django.db.models.deletion
from django.db import migrations, models

from ledgerbridge.sync.legacy import move_links, move_links_back, organisation_id


def forwards(apps, schema_editor):
    move_links(apps, "catalog", "Product", "product")
    rate = apps.get_model("catalog", "TaxRate")
    link = apps.get_model("sync", "Link")
    cache = {}
    for row in rate.objects.exclude(xero_tenant_id=""):
        org = organisation_id(apps, row.xero_tenant_id, cache)
        rate.objects.filter(pk=row.pk).update(organisation_id=org)
        if row.xero_tax_type:
            link.objects.create(
                kind="tax_rate",
                local_id=row.pk,
                organisation_id=org,
                remote_id=row.xero_tax_type,
                snapshot={"Name": row.xero_name} if row.xero_name else {},
                state="synced",
            )


def backwards(apps, schema_editor):
    move_links_back(apps, "catalog", "Product", "product")
    rate = apps.get_model("catalog", "TaxRate")
    link = apps.get_model("sync", "Link")
    found = {row.local_id: row for row in link.objects.filter(kind="tax_rate")}
    for row in rate.objects.exclude(organisation=None).select_related("organisation"):
        linked = found.get(row.pk)
        rate.objects.filter(pk=row.pk).update(
            xero_tenant_id=row.organisation.remote_id,
            xero_tax_type=linked.remote_id if linked else "",
            xero_name=(linked.snapshot or {}).get("Name", "") if linked else "",
        )
    link.objects.filter(kind="tax_rate").delete()


def organisation_field():
    return models.ForeignKey(
        blank=True,
        editable=False,
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="sync.organisation",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_xero_links"),
        ("sync", "0001_initial"),
        ("tracking", "0002_from_xero"),
        ("xero", "0003_import_xero_clock"),
    ]

    operations = [
        migrations.AddField(model_name="product", name="organisation", field=organisation_field()),
        migrations.AddField(model_name="taxrate", name="organisation", field=organisation_field()),
        migrations.RemoveConstraint(model_name="product", name="product_code_per_tenant"),
        migrations.RemoveConstraint(model_name="product", name="one_product_per_xero_id"),
        migrations.RemoveConstraint(model_name="taxrate", name="tax_name_per_tenant"),
        migrations.RemoveConstraint(model_name="taxrate", name="one_rate_per_xero_tax_type"),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="product", name="xero_data"),
        migrations.RemoveField(model_name="product", name="xero_id"),
        migrations.RemoveField(model_name="product", name="xero_tenant_id"),
        migrations.RemoveField(model_name="product", name="xero_updated_at"),
        migrations.RemoveField(model_name="taxrate", name="xero_name"),
        migrations.RemoveField(model_name="taxrate", name="xero_tax_type"),
        migrations.RemoveField(model_name="taxrate", name="xero_tenant_id"),
        migrations.AddConstraint(
            model_name="product",
            constraint=models.UniqueConstraint(
                condition=models.Q(("code", ""), _negated=True),
                fields=("organisation", "code"),
                name="product_code_per_org",
            ),
        ),
        migrations.AddConstraint(
            model_name="product",
            constraint=models.UniqueConstraint(
                condition=models.Q(models.Q(("code", ""), _negated=True), ("organisation__isnull", True)),
                fields=("code",),
                name="product_code_no_org",
            ),
        ),
        migrations.AddConstraint(
            model_name="taxrate",
            constraint=models.UniqueConstraint(
                fields=("organisation", "name"), name="tax_name_per_org"
            ),
        ),
        migrations.AddConstraint(
            model_name="taxrate",
            constraint=models.UniqueConstraint(
                condition=models.Q(("organisation__isnull", True)),
                fields=("name",),
                name="tax_name_no_org",
            ),
        ),
        migrations.AlterField(
            model_name="product",
            name="tracking_options",
            field=models.ManyToManyField(
                blank=True, related_name="products", to="tracking.trackingoption"
            ),
        ),
        migrations.AlterField(
            model_name="productgroup",
            name="tracking_options",
            field=models.ManyToManyField(
                blank=True, related_name="product_groups", to="tracking.trackingoption"
            ),
        ),
    ]
