"""Tracking categories, options and the setting move from the Xero app to this one, keeping
their ids (so the options chosen on groups, products and lines stay as they are)."""

from django.db import migrations

from ledgerbridge.sync.legacy import organisation_id


def forwards(apps, schema_editor):
    old_settings = apps.get_model("xero", "TrackingSettings")
    old_category = apps.get_model("xero", "TrackingCategory")
    old_option = apps.get_model("xero", "TrackingOption")
    settings = apps.get_model("tracking", "TrackingSettings")
    category = apps.get_model("tracking", "TrackingCategory")
    option = apps.get_model("tracking", "TrackingOption")
    for row in old_settings.objects.all():
        settings.objects.create(
            pk=row.pk,
            enabled=row.enabled,
            placeholder_1=row.placeholder_1,
            placeholder_2=row.placeholder_2,
        )
    cache = {}
    category.objects.bulk_create(
        category(
            pk=row.pk,
            organisation_id=organisation_id(apps, row.xero_tenant_id, cache),
            remote_id=row.xero_id,
            name=row.name,
            status=row.status,
            placeholder=row.placeholder,
        )
        for row in old_category.objects.all()
    )
    option.objects.bulk_create(
        option(
            pk=row.pk,
            category_id=row.category_id,
            remote_id=row.xero_id,
            name=row.name,
            status=row.status,
        )
        for row in old_option.objects.all()
    )
    # PostgreSQL: the copied ids were given explicitly, so move the sequences past them.
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            for model in (settings, category, option):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0001_initial"),
        ("xero", "0003_import_xero_clock"),
    ]

    # The way back is in the Xero app's next migration, once its tables exist again.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
