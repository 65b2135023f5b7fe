"""Create the default store (DEFAULT_STORE_CODE) and customer group 1 "Default"."""

from django.conf import settings
from django.db import migrations


def create_defaults(apps, schema_editor):
    Store = apps.get_model("customers", "Store")
    CustomerGroup = apps.get_model("customers", "CustomerGroup")
    CustomerGroup.objects.get_or_create(pk=1, defaults={"name": "Default"})
    code = settings.DEFAULT_STORE_CODE
    Store.objects.get_or_create(code=code, defaults={"name": f"Store {code}"})
    if schema_editor.connection.vendor == "postgresql":
        # Group 1 was inserted with an explicit id: move the sequence past it.
        schema_editor.execute(
            "SELECT setval(pg_get_serial_sequence('customers_customergroup', 'id'), "
            "(SELECT MAX(id) FROM customers_customergroup))"
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
