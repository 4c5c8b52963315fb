"""The tracking setting, categories and options now live in the tracking app (moved there, with
their ids, by tracking.0002)."""

from django.db import migrations


def copy_back(apps, schema_editor):
    old_settings = apps.get_model("xero", "TrackingSettings")
    old_category = apps.get_model("xero", "TrackingCategory")
    old_option = apps.get_model("xero", "TrackingOption")
    for row in apps.get_model("tracking", "TrackingSettings").objects.all():
        old_settings.objects.update_or_create(
            pk=row.pk,
            defaults={
                "enabled": row.enabled,
                "placeholder_1": row.placeholder_1,
                "placeholder_2": row.placeholder_2,
            },
        )
    for row in apps.get_model("tracking", "TrackingCategory").objects.select_related(
        "organisation"
    ):
        old_category.objects.update_or_create(
            pk=row.pk,
            defaults={
                "xero_tenant_id": row.organisation.remote_id,
                "xero_id": row.remote_id,
                "name": row.name,
                "status": row.status,
                "placeholder": row.placeholder,
            },
        )
    for row in apps.get_model("tracking", "TrackingOption").objects.all():
        old_option.objects.update_or_create(
            pk=row.pk,
            defaults={
                "category_id": row.category_id,
                "xero_id": row.remote_id,
                "name": row.name,
                "status": row.status,
            },
        )



class Migration(migrations.Migration):
    dependencies = [
        ("xero", "0003_import_xero_clock"),
        ("tracking", "0002_from_xero"),
        ("catalog", "0004_organisation_and_sync_links"),
        ("billing", "0004_tracking_options_moved"),
    ]

    operations = [
        # Reversed last: the old tables exist again by then.
        migrations.RunPython(migrations.RunPython.noop, copy_back),
        migrations.DeleteModel(name="TrackingOption"),
        migrations.DeleteModel(name="TrackingCategory"),
        migrations.DeleteModel(name="TrackingSettings"),
    ]
