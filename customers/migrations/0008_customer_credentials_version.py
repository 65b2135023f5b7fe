"""Customers carry a credentials version, bumped when their credentials are revoked.

Access tokens carry it too (accounts/tokens.py). On SQLite, adding a NOT NULL column
rebuilds the table, which drops the live-count triggers of migration 0005: they are put
back. PostgreSQL adds the column in place and keeps them.
"""

import importlib

from django.db import migrations, models

live_counts = importlib.import_module("customers.migrations.0005_store_live_customers")


def reinstall_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        live_counts.install_triggers(apps, schema_editor)


def drop_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        live_counts.uninstall_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_report_lookalike_emails"),
    ]

    operations = [
        # Backwards, removing the column rebuilds the table again: the triggers come back last.
        migrations.RunPython(migrations.RunPython.noop, reinstall_sqlite_triggers),
        migrations.AddField(
            model_name="customer",
            name="credentials_version",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(reinstall_sqlite_triggers, drop_sqlite_triggers),
    ]
