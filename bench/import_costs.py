"""The cost of one imported row, stage by stage, in one process on PostgreSQL.

Writes the same CSV as `import_bench.py`, creates a fresh database, and imports the file in
batches of 5,000 through the import's own functions, timing each stage of every batch:

- parse: reading the CSV into records and records into service arguments;
- validate: `customer_bulk_row`, the rule table the APIs apply;
- format: the rows as COPY text (`customers_copy_format`);
- uniqueness: what checking first would cost (`customers_check_batch` and the lookups that
  match rows to existing customers), run and discarded: insert-first skips it;
- write: `customer_bulk_create_new`, the COPY of customers and addresses (its wall time is
  mostly PostgreSQL's own work; the CPU figure is this process's share).

Prints microseconds per row, CPU time of this process and wall time, over the batches after
the first `--rows` / 10 rows (a warm, non-empty table).

    .venv/bin/python bench/import_costs.py --rows 200000
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import import_bench  # noqa: E402

STAGES = ("parse", "validate", "format", "uniqueness", "write")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/clientele_bench_costs"
    )
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    os.environ.update(
        DATABASE_URL=arguments.database_url,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_DEBUG="false",
    )
    import_bench.recreate_database(arguments.database_url)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], cwd=ROOT, check=True
    )

    import django

    django.setup()
    from django.db import connection

    from customers.importing import CSV_COLUMNS, open_source, read_csv
    from customers.importing.rows import csv_record_arguments
    from customers.models import Customer
    from customers.selectors import store_get_default
    from customers.services import (
        BulkMode,
        customer_bulk_create_new,
        customer_bulk_row,
        customer_groups_known,
        customers_check_batch,
        customers_copy_format,
    )
    from customers.services.bulk import _existing_rows_update_or_skip
    from customers.validation import store_phone_region

    store = store_get_default()
    group_ids = customer_groups_known()
    phone_region = store_phone_region(store)
    cpu = dict.fromkeys(STAGES, 0.0)
    wall = dict.fromkeys(STAGES, 0.0)
    measured = 0

    def timed(stage, work, count):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        result = work()
        if count:
            cpu[stage] += time.process_time() - started_cpu
            wall[stage] += time.perf_counter() - started_wall
        return result

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "customers.csv"
        import_bench.write_file(path, arguments.rows, arguments.seed, CSV_COLUMNS)
        with open_source(str(path)) as stream:
            records = iter(read_csv(stream))
            done = 0
            analyzed = 2500
            while True:
                count = done >= arguments.rows // 10
                batch = timed("parse", lambda: list(islice(records, 5000)), count)
                if not batch:
                    break
                rows = timed("parse", lambda b=batch: [csv_record_arguments(r) for r in b], count)
                built = timed(
                    "validate",
                    lambda r=rows: [
                        customer_bulk_row(
                            a, group_ids=group_ids, restore=True, phone_region=phone_region
                        )
                        for a in r
                    ],
                    count,
                )
                ready = timed(
                    "format", lambda b=built: customers_copy_format(r.built for r in b), count
                )

                def check_first(b=built):
                    # Without writing: the checks insert-first replaces.
                    _existing_rows_update_or_skip(
                        store,
                        b,
                        list(range(len(b))),
                        {},
                        mode=BulkMode.SKIP_EXISTING,
                        created_earlier=(),
                    )
                    return customers_check_batch(store=store, drafts=[r.built for r in b])

                timed("uniqueness", check_first, count)
                results = timed(
                    "write", lambda r=ready: customer_bulk_create_new(store=store, ready=r), count
                )
                if results is None:
                    raise SystemExit("a batch was refused: the file should be all new customers")
                done += len(batch)
                measured += len(batch) if count else 0
                if done >= 2 * analyzed:
                    # As the importer does: statistics that follow the table's growth, so
                    # that the lookups are planned on the indexes.
                    analyzed = done
                    with connection.cursor() as cursor:
                        cursor.execute(f"ANALYZE {Customer._meta.db_table}")

    lines = [f"{measured:,} rows measured (of {arguments.rows:,}); microseconds per row:"]
    lines.append(f"{'stage':<12}{'CPU':>8}{'wall':>8}")
    for stage in STAGES:
        lines.append(
            f"{stage:<12}{cpu[stage] * 1e6 / measured:>8.1f}{wall[stage] * 1e6 / measured:>8.1f}"
        )
    total_cpu = sum(cpu[s] for s in STAGES if s != "uniqueness")
    total_wall = sum(wall[s] for s in STAGES if s != "uniqueness")
    lines.append(
        f"{'insert-first':<12}{total_cpu * 1e6 / measured:>8.1f}{total_wall * 1e6 / measured:>8.1f}"
        "  (all but uniqueness)"
    )
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
