"""The trigram extension and the email statistics for the Admin API's customer list (SPEC 11).

PostgreSQL only. The `keyword` search (`UPPER(col) LIKE UPPER('%t%')` on the full name,
email, phone and reference) is served by trigram GIN indexes, which this migration used to
create in raw SQL, with the partial live-by-store index; they are declared in
`Customer.Meta` now and built by 0010 (which keeps those that a database has already).
Other databases get nothing (SQLite is not the production target).
"""

from django.db import migrations

INDEXES = (
    "customers_customer_name_trgm",
    "customers_customer_email_trgm",
    "customers_customer_phone_trgm",
    "customers_customer_reference_trgm",
)
LIVE_STORE_INDEX = "customers_customer_live_store_idx"
EMAIL_STATISTICS = "customers_customer_email_lower_stats"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
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
