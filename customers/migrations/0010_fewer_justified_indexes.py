"""Customer indexes declared in the model, each serving a query, built without locking writes.

- The trigram indexes of `keyword` search and the live-by-store index move from raw SQL
  (0003) into `Customer.Meta`. On a database that has them already, 0003's names that are
  too long for Django are renamed (instant) and `CREATE INDEX CONCURRENTLY IF NOT EXISTS`
  finds them; on a new database it builds them.
- `deleted_at` is indexed only where it is set: the admin's soft-deleted filter reads those
  few rows, and inserting a live customer no longer writes the index.
- The `store` foreign key loses its own index: the reference constraint (store, reference)
  leads with the same column.

PostgreSQL builds and drops concurrently, so the table stays writable; that needs a
migration outside a transaction. Other databases get the plain indexes and no trigram ones.
"""

import django.contrib.postgres.indexes
import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

from customers.migration_operations import AddIndexWithoutLocking, RemoveIndexWithoutLocking

RENAMED = {
    "customers_customer_reference_trgm": "customers_customer_ref_trgm",
    "customers_customer_live_store_idx": "customers_customer_live_store",
}
STORE_INDEX = "customers_customer_store_id_3de17114"


def _postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def rename_long_names(apps, schema_editor):
    if _postgresql(schema_editor):
        for old, new in RENAMED.items():
            schema_editor.execute(f"ALTER INDEX IF EXISTS {old} RENAME TO {new}", params=None)


def restore_long_names(apps, schema_editor):
    if _postgresql(schema_editor):
        for old, new in RENAMED.items():
            schema_editor.execute(f"ALTER INDEX IF EXISTS {new} RENAME TO {old}", params=None)


def drop_store_index(apps, schema_editor):
    concurrently = "CONCURRENTLY " if _postgresql(schema_editor) else ""
    schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {STORE_INDEX}", params=None)


def create_store_index(apps, schema_editor):
    concurrently = "CONCURRENTLY " if _postgresql(schema_editor) else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently}IF NOT EXISTS {STORE_INDEX} ON customers_customer (store_id)",
        params=None,
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0009_store_counters_without_a_hot_row")]

    operations = [
        migrations.RunPython(rename_long_names, restore_long_names),
        RemoveIndexWithoutLocking(model_name="customer", name="customers_customer_deleted_idx"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="store",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="customers",
                        to="customers.store",
                    ),
                ),
            ],
            # Not AlterField: it would drop and re-validate the foreign key.
            database_operations=[migrations.RunPython(drop_store_index, create_store_index)],
        ),
        AddIndexWithoutLocking(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", False)),
                fields=["deleted_at"],
                name="customers_customer_deleted",
            ),
        ),
        AddIndexWithoutLocking(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["store", "id"],
                name="customers_customer_live_store",
            ),
            keep_on_reverse=True,
        ),
        AddIndexWithoutLocking(
            model_name="customer",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        models.Func(
                            models.F("first_name"),
                            models.Value(" "),
                            models.F("last_name"),
                            arg_joiner=" || ",
                            template="(%(expressions)s)",
                        )
                    ),
                    name="gin_trgm_ops",
                ),
                name="customers_customer_name_trgm",
            ),
            keep_on_reverse=True,
        ),
        AddIndexWithoutLocking(
            model_name="customer",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(models.F("email")), name="gin_trgm_ops"
                ),
                name="customers_customer_email_trgm",
            ),
            keep_on_reverse=True,
        ),
        AddIndexWithoutLocking(
            model_name="customer",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(models.F("phone")), name="gin_trgm_ops"
                ),
                name="customers_customer_phone_trgm",
            ),
            keep_on_reverse=True,
        ),
        AddIndexWithoutLocking(
            model_name="customer",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(models.F("reference")),
                    name="gin_trgm_ops",
                ),
                name="customers_customer_ref_trgm",
            ),
            keep_on_reverse=True,
        ),
    ]
