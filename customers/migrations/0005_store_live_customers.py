"""`Store.live_customers`, kept exact by triggers on customers_customer.

A customer counts while `deleted_at` is NULL. Inserts on PostgreSQL are counted once per
statement from the transition table, so a COPY of thousands of rows updates each store once;
updates and deletes are counted per row, and only when liveness or the store changes. SQLite
has row triggers only, which is enough for a development database.
"""

from django.db import migrations, models

POSTGRESQL_INSTALL = [
    """
    CREATE FUNCTION customers_live_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE customers_store AS store SET live_customers = store.live_customers + added.n
        FROM (
            SELECT store_id, count(*) AS n FROM inserted WHERE deleted_at IS NULL GROUP BY store_id
        ) AS added
        WHERE store.id = added.store_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION customers_live_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
            UPDATE customers_store SET live_customers = live_customers - 1 WHERE id = OLD.store_id;
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.deleted_at IS NULL THEN
            UPDATE customers_store SET live_customers = live_customers + 1 WHERE id = NEW.store_id;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER customers_live_count_insert AFTER INSERT ON customers_customer
        REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION customers_live_count_insert()
    """,
    """
    CREATE TRIGGER customers_live_count_update AFTER UPDATE OF deleted_at, store_id
        ON customers_customer FOR EACH ROW
        WHEN ((OLD.deleted_at IS NULL) IS DISTINCT FROM (NEW.deleted_at IS NULL)
              OR OLD.store_id IS DISTINCT FROM NEW.store_id)
        EXECUTE FUNCTION customers_live_count_change()
    """,
    """
    CREATE TRIGGER customers_live_count_delete AFTER DELETE ON customers_customer
        FOR EACH ROW WHEN (OLD.deleted_at IS NULL)
        EXECUTE FUNCTION customers_live_count_change()
    """,
]

POSTGRESQL_UNINSTALL = [
    "DROP TRIGGER IF EXISTS customers_live_count_insert ON customers_customer",
    "DROP TRIGGER IF EXISTS customers_live_count_update ON customers_customer",
    "DROP TRIGGER IF EXISTS customers_live_count_delete ON customers_customer",
    "DROP FUNCTION IF EXISTS customers_live_count_insert()",
    "DROP FUNCTION IF EXISTS customers_live_count_change()",
]

SQLITE_INSTALL = [
    """
    CREATE TRIGGER customers_live_count_insert AFTER INSERT ON customers_customer
    WHEN NEW.deleted_at IS NULL BEGIN
        UPDATE customers_store SET live_customers = live_customers + 1 WHERE id = NEW.store_id;
    END
    """,
    """
    CREATE TRIGGER customers_live_count_update AFTER UPDATE OF deleted_at, store_id
    ON customers_customer
    WHEN (OLD.deleted_at IS NULL) IS NOT (NEW.deleted_at IS NULL)
         OR OLD.store_id IS NOT NEW.store_id BEGIN
        UPDATE customers_store SET live_customers = live_customers - 1
            WHERE id = OLD.store_id AND OLD.deleted_at IS NULL;
        UPDATE customers_store SET live_customers = live_customers + 1
            WHERE id = NEW.store_id AND NEW.deleted_at IS NULL;
    END
    """,
    """
    CREATE TRIGGER customers_live_count_delete AFTER DELETE ON customers_customer
    WHEN OLD.deleted_at IS NULL BEGIN
        UPDATE customers_store SET live_customers = live_customers - 1 WHERE id = OLD.store_id;
    END
    """,
]

SQLITE_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS customers_live_count_{event}"
    for event in ("insert", "update", "delete")
]

COUNT_EXISTING = """
UPDATE customers_store SET live_customers = (
    SELECT count(*) FROM customers_customer AS customer
    WHERE customer.store_id = customers_store.id AND customer.deleted_at IS NULL
)
"""


def install_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"No live customer count triggers for {vendor}.")
    for statement in [*statements, COUNT_EXISTING]:
        schema_editor.execute(statement)


def uninstall_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL_UNINSTALL, "sqlite": SQLITE_UNINSTALL}[vendor]
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_updated_at_follows_created_at")]

    operations = [
        migrations.AddField(
            model_name="store",
            name="live_customers",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(install_triggers, uninstall_triggers),
    ]
