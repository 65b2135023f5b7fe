"""Importing customer files: readers, from records to service arguments, and the pipeline.

`readers` turns a file into `SourceRecord`s, `rows` turns a record into the arguments of
`customer_bulk_row` (and a row's problems into report lines), and `pipeline` hands batches to
`customer_bulk_upsert` and reports what it did with each row; `rejects` writes the rejected
rows back in their own format. Callers import from here.
"""

from customers.formats.csv import CSV_ADDRESS_FIELDS, CSV_ADDRESS_PREFIX, CSV_COLUMNS
from customers.importing.pipeline import CustomerImport, IdRanges, ImportStats, prepare_batch
from customers.importing.readers import (
    FORMATS,
    MAX_JSON_ITEM_CHARS,
    READERS,
    ImportFileError,
    SourceRecord,
    guess_format,
    open_source,
    read_csv,
    read_json_array,
    read_ndjson,
)
from customers.importing.rejects import RejectWriter
from customers.importing.rows import RowProblem, problems_of

__all__ = [
    "CSV_ADDRESS_FIELDS",
    "CSV_ADDRESS_PREFIX",
    "CSV_COLUMNS",
    "FORMATS",
    "MAX_JSON_ITEM_CHARS",
    "READERS",
    "CustomerImport",
    "IdRanges",
    "ImportFileError",
    "ImportStats",
    "RejectWriter",
    "RowProblem",
    "SourceRecord",
    "guess_format",
    "open_source",
    "prepare_batch",
    "problems_of",
    "read_csv",
    "read_json_array",
    "read_ndjson",
]
