"""Invoice lines' tracking options are now the tracking app's (same ids)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_recurring_high_water_mark"),
        ("tracking", "0002_from_xero"),
    ]

    operations = [
        migrations.AlterField(
            model_name="invoiceline",
            name="tracking_options",
            field=models.ManyToManyField(
                blank=True, related_name="invoice_lines", to="tracking.trackingoption"
            ),
        ),
    ]
