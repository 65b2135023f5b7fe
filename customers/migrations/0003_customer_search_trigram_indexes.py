"""Indexes for the Admin API's customer list (SPEC 11), on PostgreSQL only.

The `keyword` search is a case-insensitive substring match (`UPPER(col) LIKE UPPER('%t%')`)
on the full name, email, phone and reference; a GIN `gin_trgm_ops` index on each of those
exact expressions lets PostgreSQL answer it without reading the whole table. A partial index
serves the counts and pages of staff limited to some stores, and expression statistics fix
the plan of the `email` filter. Other databases get nothing (SQLite is not the production
target and has no trigram indexes).
"""

from django.db import migrations

INDEXES = {
    "customers_customer_name_trgm": (
        "UPPER(((first_name || ' ' || last_name))::text) gin_trgm_ops"
    ),
    "customers_customer_email_trgm": "UPPER((email)::text) gin_trgm_ops",
    "customers_customer_phone_trgm": "UPPER((phone)::text) gin_trgm_ops",
    "customers_customer_reference_trgm": "UPPER((reference)::text) gin_trgm_ops",
}


# Live customers of some stores, by id: counts and id-ordered pages of store-limited staff.
LIVE_STORE_INDEX = "customers_customer_live_store_idx"
EMAIL_STATISTICS = "customers_customer_email_lower_stats"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer USING gin ({expression})"
        )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {LIVE_STORE_INDEX} ON customers_customer (store_id, id) "
        "WHERE deleted_at IS NULL"
    )
    if schema_editor.connection.pg_version >= 140000:
        # The email index is partial, so the planner has no statistics on lower(email) and
        # guesses thousands of matches for an `?email=` filter, then walks the whole primary
        # key backwards. Expression statistics tell it that emails are nearly unique.
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {EMAIL_STATISTICS} "
            "ON (lower((email)::text)) FROM customers_customer"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP STATISTICS IF EXISTS {EMAIL_STATISTICS}")
    for name in [*INDEXES, LIVE_STORE_INDEX]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_default_store_and_group")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
