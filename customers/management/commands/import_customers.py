"""`manage.py import_customers PATH`: create (or update) customers from a CSV, JSON or NDJSON file.

Touches customers and addresses of one store, through the service layer only. Streams the
file, commits batch by batch (everything is rolled back with --dry-run), writes each rejected
row to --errors-to (or stderr) and exits 0 when every row was imported, 1 when some rows
failed, 2 on a usage or file error.
"""

import csv
import os
import time
from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from customers.errors import StoreNotFound
from customers.importing import (
    FORMATS,
    READERS,
    CustomerImport,
    ImportFileError,
    ImportStats,
    RowProblem,
    guess_format,
    open_source,
)
from customers.selectors import store_get
from customers.webhooks.services import customers_imported_record

ERRORS_HEADER = ("line", "field", "code", "message")


class Command(BaseCommand):
    help = "Import customers from a CSV, JSON (array) or NDJSON file, in batches."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The file to import.")
        parser.add_argument(
            "--format", choices=FORMATS, help="The file format (default: from the extension)."
        )
        parser.add_argument("--store", help="Store code (default: the default store).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and report, but write nothing."
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per batch.")
        parser.add_argument(
            "--errors-to", metavar="FILE", help="Write rejected rows here (CSV) instead of stderr."
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="Processes that parse and validate ahead of the writer (0: none; default: CPUs).",
        )
        parser.add_argument(
            "--update-existing",
            action="store_true",
            help="Update customers matched by reference or email instead of leaving them.",
        )

    def handle(self, *args, **options):
        path = options["path"]
        file_format = options["format"] or guess_format(path)
        if file_format not in FORMATS:
            raise CommandError(
                f"Cannot tell the format of {path}; pass --format csv, json or ndjson.",
                returncode=2,
            )
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.", returncode=2)
        if options["workers"] < 0:
            raise CommandError("--workers cannot be negative.", returncode=2)
        try:
            store = store_get(code=options["store"])
        except StoreNotFound:
            raise CommandError(f"Unknown store {options['store']!r}.", returncode=2) from None
        try:
            source = open_source(path)
        except ImportFileError as error:
            raise CommandError(str(error), returncode=2) from None

        errors_file = None
        if options["errors_to"]:
            try:
                errors_file = open(options["errors_to"], "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as error:
                source.close()
                raise CommandError(
                    f"Cannot write {options['errors_to']}: {error.strerror}.", returncode=2
                ) from None
        try:
            stats, elapsed, file_error = self._run(source, file_format, store, errors_file, options)
            if not options["dry_run"]:
                customers_imported_record(
                    store=store,
                    created=stats.created,
                    updated=stats.updated,
                    failed=stats.failed,
                    source="import",
                )
        finally:
            source.close()
            if errors_file is not None:
                errors_file.close()

        rate = stats.read / elapsed if elapsed else 0.0
        dry = " (dry run: nothing was written)" if options["dry_run"] else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Read {stats.read}, created {stats.created}, updated {stats.updated}, "
                f"unchanged {stats.unchanged}, failed {stats.failed} "
                f"in {elapsed:.1f} s ({rate:,.0f} rows/s){dry}."
            )
        )
        if file_error is not None:
            raise CommandError(file_error, returncode=2)
        if stats.failed:
            where = options["errors_to"] or "stderr"
            raise CommandError(f"{stats.failed} rows were rejected; see {where}.", returncode=1)

    def _run(self, source, file_format, store, errors_file, options):
        writer = None
        if errors_file is not None:
            writer = csv.writer(errors_file)
            writer.writerow(ERRORS_HEADER)

        def on_problem(problems: list[RowProblem]) -> None:
            for problem in problems:
                if writer is not None:
                    writer.writerow([problem.line, problem.field, problem.code, problem.message])
                else:
                    self.stderr.write(
                        f"line {problem.line}: {problem.field or '-'}: {problem.message} "
                        f"({problem.code})"
                    )

        progress = None
        if self.stdout.isatty():
            progress = tqdm(unit=" rows", unit_scale=True, desc="Importing")
        started = time.monotonic()
        last = {"read": 0}

        def on_batch(stats: ImportStats) -> None:
            if progress is not None:
                progress.update(stats.read - last["read"])
                last["read"] = stats.read
                return
            elapsed = time.monotonic() - started
            self.stdout.write(
                f"{stats.read} rows: created {stats.created}, updated {stats.updated}, "
                f"unchanged {stats.unchanged}, failed {stats.failed} "
                f"({stats.read / elapsed if elapsed else 0:,.0f} rows/s)"
            )

        def on_slow_path() -> None:
            self.stderr.write(
                self.style.WARNING(
                    "The file has plain-text passwords: hashing them is the slow path "
                    + (
                        f"(spread over {options['workers']} worker processes). "
                        if options["workers"]
                        else "(in this one process; --workers spreads it). "
                    )
                    + "Import password_hash values where you can."
                )
            )

        importer = CustomerImport(
            store=store,
            file_format=file_format,
            batch_size=options["batch_size"],
            update_existing=options["update_existing"],
            workers=options["workers"],
            on_problem=on_problem,
            on_batch=on_batch,
            on_slow_path=on_slow_path,
        )
        file_error = None
        # Outside a dry run every batch commits on its own.
        with transaction.atomic() if options["dry_run"] else nullcontext():
            try:
                importer.run(READERS[file_format](source))
            except ImportFileError as error:
                file_error = str(error)
            except (UnicodeDecodeError, csv.Error) as error:
                file_error = f"The file cannot be read as {file_format}: {error}."
            if options["dry_run"]:
                transaction.set_rollback(True)
        if progress is not None:
            progress.close()
        return importer.stats, time.monotonic() - started, file_error
