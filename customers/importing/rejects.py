"""The reject file: every rejected row in the input's own format, with its reasons added.

CSV rows keep their columns and gain an `errors` column; JSON and NDJSON items keep their
keys and gain an `errors` key (a list of `{line, field, code, message}`). The import ignores
that column and key, so an operator fixes the file and imports it as it is (SPEC 8).
"""

import csv
import json
from typing import IO, Any

from customers.importing.readers import MalformedRecord, SourceRecord
from customers.importing.rows import RowProblem

ERRORS_KEY = "errors"


def _problem_text(problem: RowProblem) -> str:
    return f"line {problem.line}: {problem.field or '-'}: {problem.message} ({problem.code})"


def _problem_object(problem: RowProblem) -> dict[str, Any]:
    return {
        "line": problem.line,
        "field": problem.field,
        "code": problem.code,
        "message": problem.message,
    }


class RejectWriter:
    """Writes rejected records to `stream` in `file_format`; `close()` ends the file."""

    def __init__(self, stream: IO[str], file_format: str) -> None:
        self.stream = stream
        self.file_format = file_format
        self.count = 0
        self._csv: csv.DictWriter | None = None

    def write(self, record: SourceRecord, problems: list[RowProblem]) -> None:
        self.count += 1
        if self.file_format == "csv":
            self._write_csv(record, problems)
            return
        item = self._json_item(record, problems)
        text = json.dumps(item, ensure_ascii=False)
        if self.file_format == "ndjson":
            self.stream.write(text + "\n")
        else:
            self.stream.write(("[\n" if self.count == 1 else ",\n") + text)

    def close(self) -> None:
        if self.file_format == "json":
            self.stream.write("[]\n" if self.count == 0 else "\n]\n")

    def _write_csv(self, record: SourceRecord, problems: list[RowProblem]) -> None:
        rows = [record.data, *record.extra_rows]
        if self._csv is None:
            # The input's header (rows are dicts in header order), plus the reasons.
            columns = [name for name in record.data if name is not None and name != ERRORS_KEY]
            self._csv = csv.DictWriter(
                self.stream, fieldnames=[*columns, ERRORS_KEY], extrasaction="ignore"
            )
            self._csv.writeheader()
        reasons = "; ".join(_problem_text(problem) for problem in problems)
        for row in rows:
            self._csv.writerow({**row, ERRORS_KEY: reasons})

    @staticmethod
    def _json_item(record: SourceRecord, problems: list[RowProblem]) -> dict[str, Any]:
        errors = [_problem_object(problem) for problem in problems]
        data = record.data
        if isinstance(data, dict):
            return {**{k: v for k, v in data.items() if k != ERRORS_KEY}, ERRORS_KEY: errors}
        # Not an object (or not JSON): the reasons, and what the line held, to be rewritten.
        source = data.text if isinstance(data, MalformedRecord) else data
        return {ERRORS_KEY: errors, "source": source}
