"""`manage.py import_customers PATH`: create (or update) customers from a CSV, JSON or NDJSON file.

Touches customers and addresses, through the service layer only: of one store with --store,
else of the store each row names (or the default store). Streams the file, commits batch by
batch (everything is rolled back with --dry-run), writes each rejected row, in the input's
format with its reasons added, to --errors-to (or its reasons to stderr), and exits 0 when
every row was imported, 1 when some rows were rejected, 2 on a usage or file error.
"""

import csv
import os
import time
from contextlib import nullcontext

from django.core.management.base import CommandError
from django.db import transaction
from tqdm import tqdm

from customers.errors import StoreNotFound
from customers.importing import (
    FORMATS,
    READERS,
    CustomerImport,
    ImportFileError,
    ImportStats,
    RejectWriter,
    RowProblem,
    SourceRecord,
    guess_format,
    open_source,
)
from customers.management.endings import OperatorCommand
from customers.selectors import store_get
from customers.webhooks.services import customers_imported_record

# Without a terminal, a progress line at most this often (a short import prints none).
PROGRESS_EVERY_SECONDS = 10.0


class Command(OperatorCommand):
    help = "Import customers from a CSV, JSON (array) or NDJSON file, in batches."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The file to import.")
        parser.add_argument(
            "--format", choices=FORMATS, help="The file format (default: from the extension)."
        )
        parser.add_argument(
            "--store",
            help="Import every row into this store (default: the store a row names, "
            "else the default store).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and report, but write nothing."
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per batch.")
        parser.add_argument(
            "--errors-to",
            metavar="FILE",
            help="Write the rejected rows here, in the input's format with their reasons added "
            "(an 'errors' column or key), instead of listing the reasons on stderr.",
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
            rows = "1 row was" if stats.failed == 1 else f"{stats.failed} rows were"
            raise CommandError(f"{rows} rejected; see {where}.", returncode=1)

    def _run(self, source, file_format, store, errors_file, options):
        rejects = RejectWriter(errors_file, file_format) if errors_file is not None else None

        def on_problem(problems: list[RowProblem]) -> None:
            if rejects is not None:
                return
            for problem in problems:
                self.stderr.write(
                    f"line {problem.line}: {problem.field or '-'}: {problem.message} "
                    f"({problem.code})"
                )

        def on_rejected(record: SourceRecord, problems: list[RowProblem]) -> None:
            if rejects is not None:
                rejects.write(record, problems)

        progress = None
        if self.stdout.isatty():
            progress = tqdm(unit=" rows", unit_scale=True, desc="Importing")
        started = time.monotonic()
        last = {"read": 0, "reported": started}

        def on_batch(stats: ImportStats) -> None:
            if progress is not None:
                progress.update(stats.read - last["read"])
                last["read"] = stats.read
                return
            # Without a terminal (a log), a progress line on stderr now and then: stdout
            # carries the summary alone, once.
            now = time.monotonic()
            if now - last["reported"] < PROGRESS_EVERY_SECONDS:
                return
            last["reported"] = now
            self.stderr.write(
                f"Progress: {stats.read} rows read: created {stats.created}, "
                f"updated {stats.updated}, unchanged {stats.unchanged}, failed {stats.failed} "
                f"({stats.read / (now - started):,.0f} rows/s)"
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
            # Without --store, rows that name their store (an export) go to it.
            store_per_row=not options["store"],
            file_format=file_format,
            batch_size=options["batch_size"],
            update_existing=options["update_existing"],
            workers=options["workers"],
            on_problem=on_problem,
            on_rejected=on_rejected,
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
        if rejects is not None:
            rejects.close()
        if progress is not None:
            progress.close()
        return importer.stats, time.monotonic() - started, file_error
