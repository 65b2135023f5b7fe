"""Importing customer files: streaming readers for CSV, JSON arrays and NDJSON, and the pipeline.

The readers turn a file into `SourceRecord`s (a line number and the row's data) without ever
holding more than one record, or one read chunk, in memory. The pipeline parses
batches of records into service arguments, validates them (`customer_bulk_row`, in worker
processes when asked) and hands each batch to `customer_bulk_upsert`, which matches existing
customers (by reference, else by email), leaves or updates them, checks uniqueness and
inserts the rest (COPY on PostgreSQL); the pipeline reports what it did with each row.
"""

import bisect
import csv
import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection

from config.errors import DomainError
from customers.formats.twc import twc_field, twc_to_domain
from customers.models import Customer, Store
from customers.services import (
    BulkMode,
    BulkRow,
    BulkStatus,
    customer_bulk_row,
    customer_bulk_upsert,
    customer_groups_known,
)

FORMATS = ("csv", "json", "ndjson")

# CSV: one customer a row, the header names domain fields (SPEC 8). `tax_exemptions` and
# `attribute_groups` (JSON text) are extra columns so that an export reads back losslessly.
CSV_CUSTOMER_COLUMNS = (
    "reference",
    "email",
    "first_name",
    "last_name",
    "salutation",
    "gender",
    "date_of_birth",
    "phone",
    "mobile",
    "state",
    "group_id",
    "accepts_marketing",
    "marketing_optin_level",
    "tax_exempt",
    "tax_exemptions",
    "attribute_groups",
    "email_verified_at",
    "password_hash",
)
CSV_ADDRESS_FIELDS = (
    "label",
    "salutation",
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "address3",
    "postcode",
    "city",
    "province",
    "province_code",
    "country",
    "phone",
    "email",
)
CSV_ADDRESS_PREFIX = "address_"
CSV_COLUMNS = CSV_CUSTOMER_COLUMNS + tuple(CSV_ADDRESS_PREFIX + name for name in CSV_ADDRESS_FIELDS)
CSV_PASSWORD_COLUMN = "password"
TWC_STATE_KEYS = {"active", "customer_state", "customerState"}
# What the TWC representation cannot say, carried as extra keys by export and import.
TWC_EXTRA_KEYS = (
    "password_hash",
    CSV_PASSWORD_COLUMN,
    "email_verified_at",
    "group_id",
    "salutation",
    "gender",
)
TWC_EXTRA_ADDRESS_KEYS = ("salutation", "address3")
_CSV_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

# One JSON array item may not grow the read buffer beyond this: a broken file must not be
# read whole into memory while looking for the end of an item.
MAX_JSON_ITEM_CHARS = 16 * 1024 * 1024
_JSON_CHUNK_CHARS = 256 * 1024


class ImportFileError(Exception):
    """The file cannot be read as the format says (the command exits with status 2)."""


@dataclass
class SourceRecord:
    """One customer as read from the file: the line it starts on and its raw data."""

    line: int
    data: Any
    # CSV only: further rows of the same customer (same reference) carry extra addresses.
    extra_addresses: list[dict[str, str]] = field(default_factory=list)


@dataclass
class RowProblem:
    line: int
    field: str
    code: str
    message: str


@dataclass
class ImportStats:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0


def guess_format(path: str) -> str | None:
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"jsonl": "ndjson"}.get(suffix, suffix) if suffix else None


# --- Readers ----------------------------------------------------------------------------------


def read_csv(stream: IO[str]) -> Iterator[SourceRecord]:
    """Rows of a CSV file with a header; consecutive rows with one reference are one customer.

    Raises:
        ImportFileError: no header, or no `email` column.
    """
    reader = csv.DictReader(stream)
    header = reader.fieldnames
    if not header:
        raise ImportFileError("The file is empty: a CSV header is required.")
    if "email" not in header:
        raise ImportFileError("The CSV header has no 'email' column.")
    pending: SourceRecord | None = None
    next_line = 2
    for cells in reader:
        line, next_line = next_line, reader.line_num + 1
        cells.pop(None, None)  # cells beyond the header's columns are ignored
        reference = (cells.get("reference") or "").strip()
        if pending is not None and reference and pending.data.get("reference", "") == reference:
            # A continuation row: the same customer again, with one more address.
            pending.extra_addresses.append(_csv_address_cells(cells))
            continue
        if pending is not None:
            yield pending
        pending = SourceRecord(line=line, data=cells)
    if pending is not None:
        yield pending


def read_ndjson(stream: IO[str]) -> Iterator[SourceRecord]:
    """One JSON object a line; blank lines are skipped, a malformed line is that row's error."""
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            data = _Malformed(f"Malformed JSON: {error.msg} (column {error.colno}).")
        yield SourceRecord(line=number, data=data)


@dataclass
class _Malformed:
    message: str


def read_json_array(stream: IO[str]) -> Iterator[SourceRecord]:
    """The items of one top-level JSON array, decoded one at a time from read chunks.

    Raises:
        ImportFileError: not an array, malformed JSON, or an item larger than
            MAX_JSON_ITEM_CHARS.
    """
    decoder = json.JSONDecoder()
    buffer = ""
    position = 0
    line = 1
    exhausted = False

    def fill() -> bool:
        nonlocal buffer, position, exhausted
        if exhausted:
            return False
        chunk = stream.read(_JSON_CHUNK_CHARS)
        if not chunk:
            exhausted = True
            return False
        buffer = buffer[position:] + chunk
        position = 0
        return True

    def skip_whitespace() -> str:
        nonlocal position, line
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n":
                if buffer[position] == "\n":
                    line += 1
                position += 1
            if position < len(buffer):
                return buffer[position]
            if not fill():
                return ""

    if skip_whitespace() != "[":
        raise ImportFileError("line 1: a JSON file must hold one array of customers.")
    position += 1
    expect_item = True
    first = True
    while True:
        char = skip_whitespace()
        if char == "]" and (first or not expect_item):
            position += 1
            break
        if not char:
            raise ImportFileError(f"line {line}: the JSON array is not closed.")
        if not expect_item:
            if char != ",":
                raise ImportFileError(f"line {line}: expected ',' or ']' between customers.")
            position += 1
            expect_item = True
            continue
        start_line = line
        while True:
            try:
                data, end = decoder.raw_decode(buffer, position)
                break
            except json.JSONDecodeError as error:
                if len(buffer) - position > MAX_JSON_ITEM_CHARS:
                    raise ImportFileError(
                        f"line {start_line}: a customer is larger than the item limit."
                    ) from None
                # Most often the item runs past the end of the buffer: read on and retry.
                if not fill():
                    raise ImportFileError(
                        f"line {start_line + buffer.count(chr(10), position, error.pos)}: "
                        f"malformed JSON: {error.msg}."
                    ) from None
        line += buffer.count("\n", position, end)
        position = end
        expect_item = first = False
        yield SourceRecord(line=start_line, data=data)
    if skip_whitespace():
        raise ImportFileError(f"line {line}: unexpected data after the JSON array.")


READERS: dict[str, Callable[[IO[str]], Iterator[SourceRecord]]] = {
    "csv": read_csv,
    "json": read_json_array,
    "ndjson": read_ndjson,
}


def open_source(path: str) -> IO[str]:
    """Open `path` for reading as UTF-8 (a BOM is skipped); `-` is not supported."""
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ImportFileError(f"Cannot open {path}: {error.strerror}.") from None


# --- From a record to the service's arguments -------------------------------------------------


def _csv_address_cells(cells: dict[str, Any]) -> dict[str, str]:
    return {
        name: (cells.get(CSV_ADDRESS_PREFIX + name) or "").strip()
        for name in CSV_ADDRESS_FIELDS
        if CSV_ADDRESS_PREFIX + name in cells
    }


def _csv_value(name: str, text: str) -> Any:
    """Turn one CSV cell into the Python value the service takes (the CSV 'serializer')."""
    if name in ("accepts_marketing", "tax_exempt"):
        if text.lower() not in _CSV_BOOLEANS:
            raise ValidationError("Must be true or false.", code="invalid")
        return _CSV_BOOLEANS[text.lower()]
    if name == "date_of_birth":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValidationError("Enter a date as YYYY-MM-DD.", code="invalid") from None
    if name == "email_verified_at":
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                "Enter an ISO 8601 date-time, e.g. 2024-05-01T10:00:00Z.", code="invalid"
            ) from None
    if name == "group_id":
        if not (text.isascii() and text.isdigit()):
            raise ValidationError("Enter a whole number.", code="invalid")
        return int(text)
    if name in ("tax_exemptions", "attribute_groups"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValidationError("Enter valid JSON.", code="invalid") from None
    return text


def csv_record_arguments(record: SourceRecord) -> dict[str, Any]:
    """The `customer_row_build` arguments of a CSV record; empty cells are not given.

    Raises:
        ValidationError: cells that cannot be read as their type, keyed by column.
    """
    cells = record.data
    arguments: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}
    for name in (*CSV_CUSTOMER_COLUMNS, CSV_PASSWORD_COLUMN):
        text = (cells.get(name) or "").strip()
        if not text:
            continue
        try:
            arguments[name] = _csv_value(name, text)
        except ValidationError as error:
            errors[name] = error.error_list
    if errors:
        raise ValidationError(errors)
    addresses = [_csv_address_cells(cells), *record.extra_addresses]
    arguments["addresses"] = [
        {name: value for name, value in address.items() if value}
        for address in addresses
        if any(address.values())
    ]
    return arguments


def twc_record_arguments(record: SourceRecord) -> dict[str, Any]:
    """The `customer_row_build` arguments of a JSON/NDJSON record (TWC representation).

    Besides the TWC keys, a record may carry `password_hash` (or a plain `password`), and
    what the representation cannot say (TWC_EXTRA_KEYS): `email_verified_at` (TWC's
    `verified_email` is a read-only flag), `group_id`, `salutation`, `gender`, and on each
    address `salutation` and `address3`.

    Raises:
        ValidationError: keyed by TWC field names (the codec's) or by those extra keys.
    """
    data = record.data
    if isinstance(data, _Malformed):
        raise ValidationError({"__all__": [ValidationError(data.message, code="parse_error")]})
    if not isinstance(data, dict):
        raise ValidationError(
            {"__all__": [ValidationError("Each customer must be a JSON object.", code="invalid")]}
        )
    data = dict(data)
    extras = {name: data.pop(name, None) for name in TWC_EXTRA_KEYS}
    address_extras = []
    if isinstance(data.get("addresses"), list):
        data["addresses"] = [
            dict(item) if isinstance(item, dict) else item for item in data["addresses"]
        ]
        for item in data["addresses"]:
            found = {}
            if isinstance(item, dict):
                found = {key: item.pop(key) for key in TWC_EXTRA_ADDRESS_KEYS if key in item}
            address_extras.append(found)
    arguments = twc_to_domain(data)
    if not TWC_STATE_KEYS & data.keys():
        # The codec makes a stateless TWC customer `invited` because TWC customers have no
        # password. Here a row may carry a password, and an update must not change the state
        # of an existing customer, so the import applies its own default (`prepare_batch`).
        arguments.pop("state", None)
    errors: dict[str, list[ValidationError]] = {}
    for index, found in enumerate(address_extras):
        for key, value in found.items():
            if value is None or isinstance(value, str):
                arguments["addresses"][index][key] = value
            else:
                errors[f"addresses[{index}].{key}"] = [
                    ValidationError("Must be a string.", code="invalid")
                ]
    for name, value in extras.items():
        if value is None or value == "":
            continue
        if name == "group_id":
            if isinstance(value, bool) or not isinstance(value, int):
                errors[name] = [ValidationError("Enter a whole number.", code="invalid")]
            else:
                arguments[name] = value
        elif not isinstance(value, str):
            errors[name] = [ValidationError("Must be a string.", code="invalid")]
        elif name == "email_verified_at":
            try:
                arguments[name] = _csv_value(name, value)
            except ValidationError as error:
                errors[name] = error.error_list
        else:
            arguments[name] = value
    if errors:
        raise ValidationError(errors)
    return arguments


ARGUMENT_READERS: dict[str, Callable[[SourceRecord], dict[str, Any]]] = {
    "csv": csv_record_arguments,
    "json": twc_record_arguments,
    "ndjson": twc_record_arguments,
}


def csv_field(name: str | None) -> str:
    """The CSV column a domain error is about (addresses keep `addresses.<i>.<field>`)."""
    return {"group": "group_id", "__all__": "", None: ""}.get(name, name)


def twc_field_name(name: str | None) -> str:
    """The TWC key a domain error is about, as the Integration API names it."""
    return twc_field(name) or ""


FIELD_NAMERS: dict[str, Callable[[str | None], str]] = {
    "csv": csv_field,
    "json": twc_field_name,
    "ndjson": twc_field_name,
}


def problems_of(
    line: int, error: ValidationError | DomainError, name_field: Callable[[str | None], str]
) -> list[RowProblem]:
    if isinstance(error, DomainError):
        return [RowProblem(line, name_field(error.field), error.code, error.message)]
    problems = []
    for name, messages in error.error_dict.items():
        for message in messages:
            text = message.message % message.params if message.params else message.message
            code = message.code or "invalid"
            problems.append(RowProblem(line, name_field(name), code, str(text)))
    return problems


# --- The CPU-bound steps, run in worker processes ----------------------------------------


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
class PreparedBatch:
    """A batch after parsing, password hashing and validation, ready for the database."""

    read: int
    # (line, the validated row) of every row that passed.
    rows: list[tuple[int, BulkRow]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    failed: int = 0
    plain_passwords: bool = False


def prepare_batch(
    records: list[SourceRecord], file_format: str, group_ids: frozenset[int]
) -> PreparedBatch:
    """Parse, hash and validate one batch (`customer_bulk_row`); touches no database.

    Pure CPU work, so the command runs it in worker processes while the main process writes
    the previous batch.
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
        # SPEC 8: a customer imported without a password is invited (when created; an
        # update leaves the state of an existing customer alone).
        row = customer_bulk_row(
            arguments, group_ids=group_ids, default_state=Customer.State.INVITED
        )
        if row.error is not None:
            fail(problems_of(record.line, row.error, name_field))
            continue
        prepared.rows.append((record.line, row))
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


# --- The pipeline -----------------------------------------------------------------------------


@dataclass
class CustomerImport:
    """Imports records in batches into `store`; every batch commits on its own.

    With `workers`, batches are parsed and validated (and plain passwords hashed) in that
    many processes, a bounded window ahead of the main process, which matches, checks and
    writes them in file order. `on_problem` receives each batch's rejected rows; `on_batch`
    the running totals. Customers created by this run are remembered by id, so that a second
    row for one of them later in the file is a duplicate, not an unchanged customer.
    """

    store: Store
    file_format: str
    batch_size: int = 5000
    update_existing: bool = False
    workers: int = 0
    on_problem: Callable[[list[RowProblem]], None] = lambda problems: None
    on_batch: Callable[[ImportStats], None] = lambda stats: None
    on_slow_path: Callable[[], None] = lambda: None
    stats: ImportStats = field(default_factory=ImportStats)
    _created_ids: IdRanges = field(default_factory=IdRanges)
    _problems: list[RowProblem] = field(default_factory=list)
    _warned: bool = False
    _inserted_since_analyze: int = 0
    _rows_at_analyze: int = 0

    def run(self, records: Iterable[SourceRecord]) -> ImportStats:
        batches = _batches(records, self.batch_size)
        if self.workers < 1:
            for batch in batches:
                self._store(prepare_batch(batch, self.file_format, customer_groups_known()))
            return self.stats
        with ProcessPoolExecutor(max_workers=self.workers) as pool:
            pending: deque[Future[PreparedBatch]] = deque()
            try:
                for batch in batches:
                    group_ids = customer_groups_known()
                    pending.append(pool.submit(prepare_batch, batch, self.file_format, group_ids))
                    # A window of a few batches: the file is never read far ahead.
                    if len(pending) > self.workers:
                        self._store(pending.popleft().result())
            finally:
                # Batches read before a file error are still imported, as without workers.
                while pending:
                    self._store(pending.popleft().result())
        return self.stats

    def _store(self, prepared: PreparedBatch) -> None:
        self.stats.read += prepared.read
        self.stats.failed += prepared.failed
        self._problems = list(prepared.problems)
        if prepared.plain_passwords and not self._warned:
            self._warned = True
            self.on_slow_path()
        try:
            self._write(prepared.rows)
        finally:
            # Reported in file order, whichever step found them.
            if self._problems:
                self.on_problem(sorted(self._problems, key=lambda problem: problem.line))
        self.on_batch(self.stats)

    def _reject(self, problems: list[RowProblem]) -> None:
        self.stats.failed += 1
        self._problems.extend(problems)

    def _write(self, rows: list[tuple[int, BulkRow]]) -> None:
        results = customer_bulk_upsert(
            store=self.store,
            rows=[row for _, row in rows],
            mode=BulkMode.UPDATE_EXISTING if self.update_existing else BulkMode.SKIP_EXISTING,
            created_earlier=self._created_ids,
        )
        created = []
        for (line, _), result in zip(rows, results, strict=True):
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
