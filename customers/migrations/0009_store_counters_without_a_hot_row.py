"""Store counters that no writer waits on: references from a sequence, counts as deltas.

Until now every customer insert updated its store's row twice (the reference counter and the
live-count trigger of 0005), so every writer in a store queued behind the open transaction of
any other. Now:

- Live counts: the triggers of 0005 insert a `LiveCustomerDelta` row instead of updating the
  store (insert-only: writers share no row); readers add a store's pending deltas to its
  folded `live_customers`, and a fold moves them in (customers/live_totals.py).
- References (PostgreSQL): a sequence per store, `customers_store_reference_<id>`, created by
  a trigger when a store is inserted and started past `last_reference_number` for existing
  stores. A sequence is not transactional, so no allocation waits for another transaction.
  `customers_reference_allocate` takes numbers; `customers_reference_reserve` moves the
  sequence past a supplied `{CODE}--{n}`. Moving a sequence forward is a read then a
  `setval`, so the two functions exclude each other with an advisory lock held only while
  they run (shared for allocations, exclusive for a reservation), never until commit.
  SQLite keeps the counter column; it serialises writers anyway.
"""

import django.db.models.deletion
from django.db import migrations, models

# pg_advisory_lock(key1, key2) space of the reference sequences; key2 is the store id.
REFERENCE_LOCK_SPACE = 1380271699

POSTGRESQL_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION customers_live_count_insert() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO customers_livecustomerdelta (store_id, delta)
        SELECT store_id, count(*) FROM inserted WHERE deleted_at IS NULL GROUP BY store_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION customers_live_count_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
            INSERT INTO customers_livecustomerdelta (store_id, delta) VALUES (OLD.store_id, -1);
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.deleted_at IS NULL THEN
            INSERT INTO customers_livecustomerdelta (store_id, delta) VALUES (NEW.store_id, 1);
        END IF;
        RETURN NULL;
    END $$
    """,
    # A new store gets a fresh sequence; one left by a store of the same id (a truncated
    # table) is replaced.
    """
    CREATE FUNCTION customers_store_reference_sequence() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        name text := 'customers_store_reference_' || COALESCE(NEW.id, OLD.id);
    BEGIN
        EXECUTE format('DROP SEQUENCE IF EXISTS %I', name);
        IF TG_OP = 'INSERT' THEN
            EXECUTE format('CREATE SEQUENCE %I AS bigint MINVALUE 0 START 1', name);
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER customers_store_reference_sequence AFTER INSERT OR DELETE
        ON customers_store FOR EACH ROW EXECUTE FUNCTION customers_store_reference_sequence()
    """,
    # The highest number handed out (0 before the first).
    """
    CREATE FUNCTION customers_reference_last(store bigint) RETURNS bigint
    LANGUAGE plpgsql AS $$
    DECLARE
        last bigint;
    BEGIN
        EXECUTE format(
            'SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM %I',
            'customers_store_reference_' || store
        ) INTO last;
        RETURN last;
    END $$
    """,
    f"""
    CREATE FUNCTION customers_reference_allocate(store bigint, count integer)
    RETURNS SETOF bigint LANGUAGE plpgsql AS $$
    DECLARE
        sequence regclass := ('customers_store_reference_' || store)::regclass;
    BEGIN
        PERFORM pg_advisory_lock_shared({REFERENCE_LOCK_SPACE}, store::integer);
        BEGIN
            RETURN QUERY SELECT nextval(sequence) FROM generate_series(1, count);
        EXCEPTION WHEN query_canceled OR others THEN
            PERFORM pg_advisory_unlock_shared({REFERENCE_LOCK_SPACE}, store::integer);
            RAISE;
        END;
        PERFORM pg_advisory_unlock_shared({REFERENCE_LOCK_SPACE}, store::integer);
    END $$
    """,
    f"""
    CREATE FUNCTION customers_reference_reserve(store bigint, number bigint)
    RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
        sequence regclass := ('customers_store_reference_' || store)::regclass;
    BEGIN
        PERFORM pg_advisory_lock({REFERENCE_LOCK_SPACE}, store::integer);
        BEGIN
            IF customers_reference_last(store) < number THEN
                PERFORM setval(sequence, number);
            END IF;
        EXCEPTION WHEN query_canceled OR others THEN
            PERFORM pg_advisory_unlock({REFERENCE_LOCK_SPACE}, store::integer);
            RAISE;
        END;
        PERFORM pg_advisory_unlock({REFERENCE_LOCK_SPACE}, store::integer);
    END $$
    """,
    # Existing stores: a sequence that continues where the counter stopped.
    """
    DO $$
    DECLARE
        store record;
    BEGIN
        FOR store IN SELECT id, last_reference_number FROM customers_store LOOP
            EXECUTE format(
                'CREATE SEQUENCE %I AS bigint MINVALUE 0 START %s',
                'customers_store_reference_' || store.id,
                store.last_reference_number + 1
            );
        END LOOP;
    END $$
    """,
]

POSTGRESQL_UNINSTALL = [
    # The counter takes over where the sequence stopped.
    """
    UPDATE customers_store SET last_reference_number = GREATEST(
        last_reference_number,
        customers_reference_last(id)
    )
    """,
    """
    DO $$
    DECLARE
        store record;
    BEGIN
        FOR store IN SELECT id FROM customers_store LOOP
            EXECUTE format('DROP SEQUENCE IF EXISTS %I', 'customers_store_reference_' || store.id);
        END LOOP;
    END $$
    """,
    "DROP TRIGGER customers_store_reference_sequence ON customers_store",
    "DROP FUNCTION customers_store_reference_sequence()",
    "DROP FUNCTION customers_reference_allocate(bigint, integer)",
    "DROP FUNCTION customers_reference_last(bigint)",
    "DROP FUNCTION customers_reference_reserve(bigint, bigint)",
    # Back to 0005: the triggers update the store row again.
    """
    CREATE OR REPLACE FUNCTION customers_live_count_insert() RETURNS trigger
    LANGUAGE plpgsql AS $$
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
    CREATE OR REPLACE FUNCTION customers_live_count_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
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
]

SQLITE_TRIGGERS = ("insert", "update", "delete")

SQLITE_INSTALL = [
    *(f"DROP TRIGGER customers_live_count_{event}" for event in SQLITE_TRIGGERS),
    """
    CREATE TRIGGER customers_live_count_insert AFTER INSERT ON customers_customer
    WHEN NEW.deleted_at IS NULL BEGIN
        INSERT INTO customers_livecustomerdelta (store_id, delta) VALUES (NEW.store_id, 1);
    END
    """,
    """
    CREATE TRIGGER customers_live_count_update AFTER UPDATE OF deleted_at, store_id
    ON customers_customer
    WHEN (OLD.deleted_at IS NULL) IS NOT (NEW.deleted_at IS NULL)
         OR OLD.store_id IS NOT NEW.store_id BEGIN
        INSERT INTO customers_livecustomerdelta (store_id, delta)
            SELECT OLD.store_id, -1 WHERE OLD.deleted_at IS NULL;
        INSERT INTO customers_livecustomerdelta (store_id, delta)
            SELECT NEW.store_id, 1 WHERE NEW.deleted_at IS NULL;
    END
    """,
    """
    CREATE TRIGGER customers_live_count_delete AFTER DELETE ON customers_customer
    WHEN OLD.deleted_at IS NULL BEGIN
        INSERT INTO customers_livecustomerdelta (store_id, delta) VALUES (OLD.store_id, -1);
    END
    """,
]

SQLITE_UNINSTALL = [
    *(f"DROP TRIGGER customers_live_count_{event}" for event in SQLITE_TRIGGERS),
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

# Going back folds what is pending, so that the store rows are exact again.
FOLD_PENDING = """
UPDATE customers_store SET live_customers = live_customers + COALESCE((
    SELECT sum(delta) FROM customers_livecustomerdelta AS pending
    WHERE pending.store_id = customers_store.id
), 0)
"""


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"No store counters for {vendor}.")
    for statement in statements:
        schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL_UNINSTALL, "sqlite": SQLITE_UNINSTALL}[vendor]
    for statement in [FOLD_PENDING, *statements]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_customer_credentials_version")]

    operations = [
        migrations.CreateModel(
            name="LiveCustomerDelta",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("delta", models.BigIntegerField()),
                (
                    "store",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="customers.store",
                    ),
                ),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.RunPython(install, uninstall),
    ]
