"""Benchmark of `manage.py import_customers` on PostgreSQL against a raw COPY of the same file.

Generates a CSV of N customers (each with a `password_hash` and one address), creates a fresh
database, migrates it, imports the file with the management command in a child process, then
COPYs the same file into a bare table of text columns in the same database. Prints rows/s,
the importer's peak memory and the ratio of the two. SPEC 11 wants at least 10,000 rows/s
(or 5% of the raw COPY's rows/s) and at most 300 MB for 1,000,000 rows.

    .venv/bin/python bench/import_bench.py --rows 1000000 \
        --database-url postgres://postgres@127.0.0.1:5432/clientele_bench
"""

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def csv_columns() -> tuple[str, ...]:
    """The importer's own CSV header, so that the bench file is what an export would write."""
    import django

    django.setup()
    from customers.importing import CSV_COLUMNS

    return CSV_COLUMNS


FIRST_NAMES = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Jonas", "Lea"]
LAST_NAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"]
STREETS = ["Hauptstraße", "Schulstraße", "Gartenweg", "Bahnhofstraße", "Lindenallee"]
CITIES = [("Berlin", "10115"), ("Hamburg", "20095"), ("München", "80331"), ("Köln", "50667")]
# One real PBKDF2 hash reused for every row: the importer checks the format, never the hash.
PASSWORD_HASH = (
    "pbkdf2_sha256$1000000$benchsalt0000000000000$kR7O3Hq5U0pM0cQm1vV0wW2n3lT6q8X9y1Z2a3B4c5E="
)


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def write_file(path: Path, rows: int, seed: int, columns: tuple[str, ...]) -> None:
    """Write `rows` customers; emails and phone numbers embed the row number, so are unique."""
    generator = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns)
        for number in range(1, rows + 1):
            first, last = generator.choice(FIRST_NAMES), generator.choice(LAST_NAMES)
            city, postcode = generator.choice(CITIES)
            values = {
                "email": f"{first.lower()}.{number}@example.com",
                "first_name": first,
                "last_name": last,
                "salutation": generator.choice(["Mr", "Mrs", "Ms", ""]),
                "date_of_birth": f"19{generator.randint(50, 99)}-0{generator.randint(1, 9)}-1"
                f"{generator.randint(0, 9)}",
                "phone": f"+49 30 {10000000 + number}" if number % 2 else "",
                "state": "enabled",
                "accepts_marketing": "true" if number % 3 == 0 else "false",
                "password_hash": PASSWORD_HASH,
                "address_first_name": first,
                "address_last_name": last,
                "address_address1": f"{generator.choice(STREETS)} {generator.randint(1, 200)}",
                "address_postcode": postcode,
                "address_city": city,
                "address_country": "DE",
            }
            writer.writerow([values.get(column, "") for column in columns])


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _tree_memory_kib(pid: int) -> int:
    """Proportional set size (PSS) of `pid` and its descendants (Linux /proc), in KiB.

    PSS splits pages shared after `fork` between the processes, so the sum is the memory
    the import really holds (adding up RSS would count the shared Django pages per worker).
    """
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += int(rollup.split("\nPss:")[1].split()[0])
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except (OSError, IndexError, ValueError):
            continue
    return total


def manage(url: str, *arguments: str) -> tuple[float, int]:
    """Run a management command; return its wall time and its process tree's peak PSS."""
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        # DEBUG keeps a log of every query; production runs without it.
        "DJANGO_DEBUG": "false",
    }
    quiet = arguments[0] == "migrate"
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *arguments],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL if quiet else None,
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_memory_kib(process.pid))
        time.sleep(1.0)  # reading smaps is not free: sample once a second
    seconds = time.perf_counter() - started
    if quiet and process.returncode:
        raise SystemExit(f"{arguments[0]} failed with status {process.returncode}")
    return seconds, peak


def raw_copy(url: str, path: Path, columns: tuple[str, ...]) -> float:
    """COPY the same file into a bare table of text columns: the floor for loading it."""
    with psycopg.connect(url) as connection:
        columns = sql.SQL(", ").join(
            sql.SQL("{} text").format(sql.Identifier(name)) for name in columns
        )
        connection.execute(sql.SQL("CREATE TABLE bench_bare ({})").format(columns))
        connection.commit()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            copy_sql = "COPY bench_bare FROM STDIN WITH (FORMAT csv, HEADER true)"
            with cursor.copy(copy_sql) as copy, path.open("rb") as stream:
                while chunk := stream.read(1024 * 1024):
                    copy.write(chunk)
        connection.commit()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/clientele_bench"
    )
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    columns = csv_columns()

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "customers.csv"
        started = time.perf_counter()
        write_file(path, arguments.rows, arguments.seed, columns)
        size = path.stat().st_size / 1024 / 1024
        say(
            f"generated {arguments.rows:,} rows ({size:,.0f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        recreate_database(arguments.database_url)
        manage(arguments.database_url, "migrate", "-v0")
        rss_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        seconds, tree_peak_kib = manage(
            arguments.database_url,
            "import_customers",
            str(path),
            "--batch-size",
            str(arguments.batch_size),
        )
        rss_after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        copy_seconds = raw_copy(arguments.database_url, path, columns)

    rate = arguments.rows / seconds
    copy_rate = arguments.rows / copy_seconds
    # ru_maxrss is the largest single process so far (KiB on Linux): the importer's main
    # process or one of its workers, unless `migrate` was larger (then an upper bound).
    process_peak_mb = max(rss_before, rss_after) / 1024
    tree_peak_mb = tree_peak_kib / 1024
    report = [
        f"import_customers: {arguments.rows:,} rows in {seconds:.1f} s = {rate:,.0f} rows/s "
        f"(target >= 10,000, or 5% of the raw COPY)",
        f"peak memory: {process_peak_mb:,.0f} MB in the largest process, "
        f"{tree_peak_mb:,.0f} MB PSS for all import processes together (target <= 300)",
        f"raw COPY into a bare table: {copy_seconds:.1f} s = {copy_rate:,.0f} rows/s",
        f"ratio import / raw COPY: {rate / copy_rate:.1%} of the COPY's rows/s "
        f"({seconds / copy_seconds:.1f}x its time)",
    ]
    say("\n".join(report))


if __name__ == "__main__":
    main()
