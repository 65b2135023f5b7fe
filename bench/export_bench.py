"""Benchmark of `manage.py export_customers` on PostgreSQL against a raw COPY of the same rows.

Creates a fresh database, migrates it, loads N customers with 1.5 addresses each (by default
with two INSERT ... SELECT statements, since the bench measures the export, not the load;
`--loader generate` uses `generate_customers`, through the bulk write service, which is far
slower), then times `export_customers` (NDJSON and CSV, each in a child process, with its
peak memory) and a raw `COPY (SELECT customers with a json_agg of their addresses) TO STDOUT`
of the same rows, and prints both and their ratio. The issue's target: 1,000,000 customers
in <= 30 s.

    .venv/bin/python bench/export_bench.py --customers 1000000 \
        --database-url postgres://postgres@127.0.0.1:5432/clientele_export_bench

With --reuse, an already loaded database of that name is exported again without reloading.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_bench import manage, recreate_database, say

# The same rows the export reads, rendered by nothing but PostgreSQL: the floor.
RAW_COPY = """
COPY (
    SELECT c.*, s.code,
           (SELECT json_agg(a ORDER BY a.id) FROM addresses_address a WHERE a.customer_id = c.id)
    FROM customers_customer c JOIN customers_store s ON s.id = c.store_id
    WHERE c.deleted_at IS NULL AND c.anonymized_at IS NULL
    ORDER BY c.id
) TO STDOUT
"""


def raw_copy(url: str, path: Path) -> float:
    started = time.perf_counter()
    with (
        psycopg.connect(url) as connection,
        connection.cursor() as cursor,
        cursor.copy(RAW_COPY) as copy,
        path.open("wb") as stream,
    ):
        for chunk in copy:
            stream.write(chunk)
    return time.perf_counter() - started


def counts(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as connection:
        customers = connection.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
        addresses = connection.execute("SELECT count(*) FROM addresses_address").fetchone()[0]
    return customers, addresses


# Customers of the default store shaped like `generate_customers`' (every optional field
# filled for some), and a second address for every other customer.
LOAD_CUSTOMERS = """
INSERT INTO customers_customer (
    created_at, updated_at, uuid, reference, store_id, email, password, salutation,
    first_name, last_name, gender, date_of_birth, phone, mobile, state, group_id,
    accepts_marketing, marketing_optin_level, marketing_preferences_updated_at, tax_exempt,
    tax_exemptions, email_verified_at, accepted_terms_at, self_registered, attribute_groups,
    last_login_at, deleted_at, anonymized_at, credentials_version)
SELECT now() - n * interval '1 minute', now(), gen_random_uuid(), 'DE--' || n, store.id,
       'customer.' || n || '@example.com',
       'pbkdf2_sha256$1000000$benchsalt$kR7O3Hq5U0pM0cQm1vV0wW2n3lT6q8X9y1Z2a3B4c5E=',
       (ARRAY['Mr', 'Ms', ''])[1 + n %% 3],
       (ARRAY['Jonas', 'Anna', 'Kim'])[1 + n %% 3],
       (ARRAY['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber'])[1 + n %% 5],
       (ARRAY['Male', 'Female', NULL])[1 + n %% 3],
       date '1950-01-01' + n %% 20000,
       CASE WHEN n %% 2 = 0 THEN '+4930' || (10000000 + n) END,
       CASE WHEN n %% 5 = 0 THEN '+49151' || (10000000 + n) END,
       'enabled', 1, n %% 3 = 0, CASE WHEN n %% 3 = 0 THEN 'single_opt_in' END,
       CASE WHEN n %% 3 = 0 THEN now() END, false, '[]', CASE WHEN n %% 2 = 0 THEN now() END,
       NULL, false, '{}', NULL, NULL, NULL, 0
FROM generate_series(1, %(customers)s) AS n,
     (SELECT id FROM customers_store WHERE code = 'DE') AS store
"""
LOAD_ADDRESSES = """
INSERT INTO addresses_address (
    created_at, updated_at, uuid, customer_id, label, salutation, first_name, last_name,
    company, address1, address2, address3, postcode, city, province, province_code, country,
    phone, email, is_default_shipping, is_default_billing)
SELECT now(), now(), gen_random_uuid(), c.id, '', c.salutation, c.first_name, c.last_name,
       '', 'Hauptstraße ' || (c.id % 200 + 1), '', '', '10115', 'Berlin', '', '', 'DE', '',
       '', k = 1, k = 1
FROM customers_customer AS c, generate_series(1, 2) AS k
WHERE k = 1 OR c.id % 2 = 0
ORDER BY c.id, k
"""


def load(url: str, customers: int, loader: str) -> None:
    recreate_database(url)
    manage(url, "migrate", "-v0")
    started = time.perf_counter()
    if loader == "generate":
        manage(
            url,
            "generate_customers",
            str(customers),
            "--addresses-per-customer",
            "1.5",
            "--seed",
            "1",
            "--batch-size",
            "10000",
        )
    else:
        with psycopg.connect(url) as connection:
            connection.execute(LOAD_CUSTOMERS, {"customers": customers})
            connection.execute(LOAD_ADDRESSES)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    say(f"loaded {customers:,} customers in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/clientele_export_bench"
    )
    parser.add_argument("--reuse", action="store_true", help="Export the loaded database again.")
    parser.add_argument("--loader", choices=("sql", "generate"), default="sql")
    arguments = parser.parse_args()
    url = arguments.database_url
    if not arguments.reuse:
        load(url, arguments.customers, arguments.loader)
    customers, addresses = counts(url)
    say(f"database: {customers:,} customers, {addresses:,} addresses")

    report = []
    with tempfile.TemporaryDirectory() as directory:
        copy_seconds = raw_copy(url, Path(directory) / "raw.txt")
        report.append(
            f"raw COPY (SELECT ...) TO STDOUT: {copy_seconds:.1f} s "
            f"= {customers / copy_seconds:,.0f} customers/s"
        )
        for file_format in ("ndjson", "csv"):
            path = Path(directory) / f"customers.{file_format}"
            seconds, peak_kib = manage(
                url, "export_customers", "--format", file_format, "--output", str(path)
            )
            size = path.stat().st_size / 1024 / 1024
            report.append(
                f"export_customers --format {file_format}: {seconds:.1f} s "
                f"= {customers / seconds:,.0f} customers/s, {size:,.0f} MB, "
                f"peak {peak_kib / 1024:,.0f} MB PSS; "
                f"{copy_seconds / seconds:.0%} of the raw COPY's speed "
                f"({seconds / copy_seconds:.1f}x its time; target <= 30 s for 1,000,000)"
            )
    say("\n".join(report))


if __name__ == "__main__":
    main()
