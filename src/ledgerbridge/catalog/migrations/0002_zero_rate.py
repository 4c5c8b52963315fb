from django.db import migrations


def create_zero_rate(apps, schema_editor):
    TaxRate = apps.get_model("catalog", "TaxRate")
    if not TaxRate.objects.filter(is_zero_rate=True).exists():
        name = "No tax"
        while TaxRate.objects.filter(name=name).exists():
            name += " (zero)"
        TaxRate.objects.create(name=name, percentage=0, is_zero_rate=True)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create_zero_rate, migrations.RunPython.noop)]
