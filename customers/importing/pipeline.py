"""The import pipeline: batches of records through `customer_bulk_upsert`, with a report.

Batches are parsed and validated (plain passwords hashed) in worker processes when asked;
the main process writes them in file order, one commit a batch.
"""

import bisect
import gc
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection

from customers.errors import StoreNotFound
from customers.formats.csv import CSV_PASSWORD_COLUMN
from customers.importing.readers import SourceRecord
from customers.importing.rows import ARGUMENT_READERS, FIELD_NAMERS, RowProblem, problems_of
from customers.models import Customer, Store
from customers.selectors import store_get
from customers.services import (
    BulkMode,
    BulkResult,
    BulkRow,
    BulkStatus,
    CopyReadyCustomers,
    CustomerRow,
    customer_bulk_create_new,
    customer_bulk_row,
    customer_bulk_upsert,
    customer_groups_known,
    customers_copy_format,
)
from customers.validation import store_code_phone_region


@dataclass
class ImportStats:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0


def hash_plain_password(password: str) -> tuple[str | None, list[tuple[str, str]]]:
    """Validate and hash one password: (hash, problems). The slow part of an import."""
    try:
        validate_password(password)
    except ValidationError as error:
        return None, [
            (item.message % item.params if item.params else item.message, item.code or "invalid")
            for item in error.error_list
        ]
    return make_password(password), []


@dataclass
class ReadyRows:
    """The rows of a batch that name one store, made ready for COPY (`customers_copy_format`)."""

    lines: list[int]
    ready: CopyReadyCustomers


@dataclass
class PreparedBatch:
    """A batch after parsing, password hashing and validation, ready for the database."""

    read: int
    # (line, the validated row, the store code the row names or "") of every row that passed.
    rows: list[tuple[int, BulkRow, str]] = field(default_factory=list)
    # With `copy_ready`, the rows that passed as COPY text instead, by the store code they
    # name ("" for none).
    ready: dict[str, ReadyRows] | None = None
    problems: list[RowProblem] = field(default_factory=list)
    failed: int = 0
    plain_passwords: bool = False


def prepare_batch(
    records: list[SourceRecord],
    file_format: str,
    group_ids: frozenset[int],
    *,
    store_code: str,
    store_per_row: bool = False,
    copy_ready: bool = False,
) -> PreparedBatch:
    """Parse, hash and validate one batch (`customer_bulk_row`); touches no database.

    Pure CPU work, so the command runs it in worker processes while the main process writes
    the previous batch. A row's national phone numbers are read in the country of its store:
    `store_code`'s, or with `store_per_row` the one the row names. With `copy_ready` the
    valid rows come back as COPY text (for `customer_bulk_create_new`), which is also less to
    send back to the main process.
    """
    name_field = FIELD_NAMERS[file_format]
    read_arguments = ARGUMENT_READERS[file_format]
    prepared = PreparedBatch(read=len(records))

    def fail(problems: list[RowProblem]) -> None:
        prepared.failed += 1
        prepared.problems.extend(problems)

    for record in records:
        try:
            arguments = read_arguments(record)
        except ValidationError as error:
            fail(problems_of(record.line, error, name_field))
            continue
        if CSV_PASSWORD_COLUMN in arguments:
            prepared.plain_passwords = True
            hashed, messages = hash_plain_password(arguments.pop(CSV_PASSWORD_COLUMN))
            if hashed is None:
                fail(
                    [
                        RowProblem(record.line, CSV_PASSWORD_COLUMN, code, message)
                        for message, code in messages
                    ]
                )
                continue
            arguments["password_hash"] = hashed
        named = arguments.pop("store", "")
        row_store = named.strip().upper() if store_per_row and named else store_code
        # SPEC 8: a customer imported without a password is invited (when created; an
        # update leaves the state of an existing customer alone).
        row = customer_bulk_row(
            arguments,
            group_ids=group_ids,
            default_state=Customer.State.INVITED,
            restore=True,
            phone_region=store_code_phone_region(row_store),
        )
        if row.error is not None:
            fail(problems_of(record.line, row.error, name_field))
            continue
        prepared.rows.append((record.line, row, named))
    if copy_ready:
        by_store: dict[str, tuple[list[int], list[CustomerRow]]] = {}
        for line, row, store_code in prepared.rows:
            lines, rows = by_store.setdefault(store_code, ([], []))
            lines.append(line)
            rows.append(row.built)
        prepared.ready = {
            store_code: ReadyRows(lines, customers_copy_format(rows))
            for store_code, (lines, rows) in by_store.items()
        }
        prepared.rows = []
    return prepared


class IdRanges:
    """A set of integer ids kept as sorted, disjoint ranges.

    The ids one import creates come from a sequence, so they are a few long runs: a million
    of them take a few ranges here instead of tens of megabytes in a `set`.
    """

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def add(self, ids: Iterable[int]) -> None:
        run_start = run_end = None
        for value in sorted(ids):
            if run_end is not None and value == run_end + 1:
                run_end = value
                continue
            if run_start is not None:
                self._add_range(run_start, run_end)
            run_start = run_end = value
        if run_start is not None:
            self._add_range(run_start, run_end)

    def _add_range(self, start: int, end: int) -> None:
        index = bisect.bisect_right(self._starts, start)
        if index and self._ends[index - 1] + 1 == start:
            # Extends the range before it (the common case: the next batch of a sequence).
            self._ends[index - 1] = end
            return
        self._starts.insert(index, start)
        self._ends.insert(index, end)

    def __contains__(self, value: int) -> bool:
        index = bisect.bisect_right(self._starts, value)
        return bool(index) and value <= self._ends[index - 1]


def _batches(records: Iterable[SourceRecord], size: int) -> Iterator[list[SourceRecord]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass
class CustomerImport:
    """Imports records in batches into `store`; every batch commits on its own.

    With `store_per_row`, a row that names a store (an export of several stores) goes to
    that store, the others to `store`; a row naming an unknown or inactive store fails.

    With `workers`, batches are parsed and validated (and plain passwords hashed) in that
    many processes, a bounded window ahead of the main process, which matches, checks and
    writes them in file order. `on_problem` receives each batch's rejected rows; `on_batch`
    the running totals. Customers created by this run are remembered by id, so that a second
    row for one of them later in the file is a duplicate, not an unchanged customer.
    """

    store: Store
    file_format: str
    store_per_row: bool = False
    batch_size: int = 5000
    update_existing: bool = False
    workers: int = 0
    on_problem: Callable[[list[RowProblem]], None] = lambda problems: None
    on_rejected: Callable[[SourceRecord, list[RowProblem]], None] = lambda record, problems: None
    on_batch: Callable[[ImportStats], None] = lambda stats: None
    on_slow_path: Callable[[], None] = lambda: None
    stats: ImportStats = field(default_factory=ImportStats)
    _created_ids: IdRanges = field(default_factory=IdRanges)
    # Whether the next batch is inserted before it is checked (`expect_new`): while every
    # row of the last batch was a new customer, the next one likely is too.
    _expect_new: bool = True
    _problems: list[RowProblem] = field(default_factory=list)
    _warned: bool = False
    _inserted_since_analyze: int = 0
    _rows_at_analyze: int = 0
    _stores: dict[str, Store | None] = field(default_factory=dict)

    def run(self, records: Iterable[SourceRecord]) -> ImportStats:
        batches = _batches(records, self.batch_size)
        if self.workers < 1:
            for batch in batches:
                self._store(self._prepare(batch), batch)
            return self.stats
        # The workers are forked from this process: objects the collector leaves alone keep
        # their pages shared with the workers instead of copied into each (peak memory).
        gc.freeze()
        try:
            self._run_in_workers(batches)
        finally:
            gc.unfreeze()
        return self.stats

    def _run_in_workers(self, batches: Iterator[list[SourceRecord]]) -> None:
        with ProcessPoolExecutor(max_workers=self.workers) as pool:
            # The records stay here too: a rejected one is written back as it was read.
            pending: deque[tuple[Future[PreparedBatch], list[SourceRecord]]] = deque()
            try:
                for batch in batches:
                    future = pool.submit(prepare_batch, batch, **self._batch_options())
                    pending.append((future, batch))
                    # A window of a few batches: the file is never read far ahead.
                    if len(pending) > self.workers:
                        future, records = pending.popleft()
                        self._store(future.result(), records)
            finally:
                # Batches read before a file error are still imported, as without workers.
                while pending:
                    future, records = pending.popleft()
                    self._store(future.result(), records)

    def _copy_ready(self) -> bool:
        """Whether a batch is prepared as COPY text: while rows are expected to be new."""
        return self._expect_new and connection.vendor == "postgresql"

    def _batch_options(self, copy_ready: bool | None = None) -> dict[str, Any]:
        """`prepare_batch`'s arguments besides the records, worked out here (not in a worker)."""
        return {
            "file_format": self.file_format,
            "group_ids": customer_groups_known(),
            "store_code": self.store.code,
            "store_per_row": self.store_per_row,
            "copy_ready": self._copy_ready() if copy_ready is None else copy_ready,
        }

    def _prepare(
        self, records: list[SourceRecord], copy_ready: bool | None = None
    ) -> PreparedBatch:
        return prepare_batch(records, **self._batch_options(copy_ready))

    def _report(self, records: list[SourceRecord]) -> None:
        """Hand the batch's problems on in file order, and each rejected record with its own."""
        problems = sorted(self._problems, key=lambda problem: problem.line)
        self.on_problem(problems)
        by_line: dict[int, list[RowProblem]] = {}
        for problem in problems:
            by_line.setdefault(problem.line, []).append(problem)
        for record in records:
            if record.line in by_line:
                self.on_rejected(record, by_line[record.line])

    def _store(self, prepared: PreparedBatch, records: list[SourceRecord]) -> None:
        self.stats.read += prepared.read
        self.stats.failed += prepared.failed
        self._problems = list(prepared.problems)
        if prepared.plain_passwords and not self._warned:
            self._warned = True
            self.on_slow_path()
        try:
            self._write(prepared.rows)
            for code, group in (prepared.ready or {}).items():
                self._write_ready(code, group, records)
        finally:
            # Reported in file order, whichever step found them.
            if self._problems:
                self._report(records)
        self.on_batch(self.stats)

    def _reject(self, problems: list[RowProblem]) -> None:
        self.stats.failed += 1
        self._problems.extend(problems)

    def _store_of(self, code: str) -> Store | None:
        if not self.store_per_row or not code:
            return self.store
        key = code.strip().upper()
        if key not in self._stores:
            try:
                self._stores[key] = store_get(code=key)
            except StoreNotFound:
                self._stores[key] = None
        return self._stores[key]

    def _store_unknown(self, line: int) -> None:
        self._reject(
            problems_of(
                line,
                StoreNotFound("Unknown or inactive store.", field="store"),
                FIELD_NAMERS[self.file_format],
            )
        )

    def _write(self, rows: list[tuple[int, BulkRow, str]]) -> None:
        # One upsert per store, in file order within each store.
        by_store: dict[int, tuple[Store, list[tuple[int, BulkRow]]]] = {}
        for line, row, code in rows:
            store = self._store_of(code)
            if store is None:
                self._store_unknown(line)
                continue
            by_store.setdefault(store.pk, (store, []))[1].append((line, row))
        for store, store_rows in by_store.values():
            self._write_store(store, store_rows)

    def _write_ready(self, code: str, group: ReadyRows, records: list[SourceRecord]) -> None:
        """Insert rows made ready as COPY text; rows that are not all new go the checked way."""
        store = self._store_of(code)
        if store is None:
            for line in group.lines:
                self._store_unknown(line)
            return
        results = None
        if self._expect_new:
            results = customer_bulk_create_new(store=store, ready=group.ready)
        if results is not None:
            self._count(group.lines, results)
            return
        # Some row names a customer that exists (or another row's): validated again here as
        # rows for `customer_bulk_upsert`, which matches and checks them.
        lines = set(group.lines)
        again = self._prepare([r for r in records if r.line in lines], copy_ready=False)
        self.stats.failed += again.failed
        self._problems.extend(again.problems)
        self._write_store(store, [(line, row) for line, row, _ in again.rows])

    def _write_store(self, store: Store, rows: list[tuple[int, BulkRow]]) -> None:
        results = customer_bulk_upsert(
            store=store,
            rows=[row for _, row in rows],
            mode=BulkMode.UPDATE_EXISTING if self.update_existing else BulkMode.SKIP_EXISTING,
            created_earlier=self._created_ids,
            expect_new=self._expect_new,
        )
        self._count([line for line, _ in rows], results)

    def _count(self, lines: list[int], results: list[BulkResult]) -> None:
        """Add a store's results to the totals and their problems to the batch's."""
        self._expect_new = all(result.status == BulkStatus.CREATED for result in results)
        created = []
        for line, result in zip(lines, results, strict=True):
            if result.status == BulkStatus.CREATED:
                created.append(result.customer_id)
            elif result.status == BulkStatus.UPDATED:
                self.stats.updated += 1
            elif result.status == BulkStatus.UNCHANGED:
                self.stats.unchanged += 1
            else:
                self._reject(
                    [
                        problem
                        for error in result.errors
                        for problem in problems_of(line, error, FIELD_NAMERS[self.file_format])
                    ]
                )
        self._created_ids.add(created)
        self.stats.created += len(created)
        self._refresh_statistics(len(created))

    def _refresh_statistics(self, inserted: int) -> None:
        """Re-ANALYZE the customer table each time this run has doubled it (PostgreSQL).

        The batch lookups (`lower(email) IN (...)`) are planned from the table statistics; a
        table that grew from nothing to millions within minutes would otherwise be planned as
        empty, and every batch would scan the whole table.
        """
        if connection.vendor != "postgresql":
            return
        self._inserted_since_analyze += inserted
        if self._inserted_since_analyze < max(self.batch_size, self._rows_at_analyze):
            return
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Customer._meta.db_table}")
        self._rows_at_analyze += self._inserted_since_analyze
        self._inserted_since_analyze = 0
