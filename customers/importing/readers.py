"""Streaming readers: a CSV, JSON array or NDJSON file as `SourceRecord`s.

They never hold more than one record, or one read chunk, in memory.
"""

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

FORMATS = ("csv", "json", "ndjson")


# Consecutive CSV rows that agree on these are one customer (an export of several stores
# may hold one reference in two stores).
_CUSTOMER_KEY_COLUMNS = ("reference", "store", "uuid")


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
    # CSV only: further rows of the same customer (same store, reference and uuid), each
    # with one more address.
    extra_rows: list[dict[str, str]] = field(default_factory=list)


def guess_format(path: str) -> str | None:
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"jsonl": "ndjson"}.get(suffix, suffix) if suffix else None


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
        if (
            pending is not None
            and reference
            and all(
                (pending.data.get(name) or "").strip() == (cells.get(name) or "").strip()
                for name in _CUSTOMER_KEY_COLUMNS
            )
        ):
            # A continuation row: the same customer again, with one more address.
            pending.extra_rows.append(cells)
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
            data = MalformedRecord(
                f"Malformed JSON: {error.msg} (column {error.colno}).", text.rstrip("\r\n")
            )
        yield SourceRecord(line=number, data=data)


@dataclass
class MalformedRecord:
    message: str
    text: str = ""


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
