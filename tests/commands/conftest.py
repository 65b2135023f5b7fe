"""Helpers for the management command tests: write an input file, run a command."""

import csv
import io
from dataclasses import dataclass

import pytest
from django.core.management import CommandError, call_command

from customers.importing import CSV_COLUMNS


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_command(name, *args):
    """Run a command as an operator would; the exit status is CommandError's returncode."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
    except CommandError as error:
        return Run(error.returncode, out.getvalue(), err.getvalue() + str(error))
    return Run(0, out.getvalue(), err.getvalue())


@pytest.fixture
def write_csv(tmp_path):
    """Write rows (dicts of column -> text) under the importer's full header."""

    def write(rows, name="customers.csv", columns=CSV_COLUMNS):
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
        return path

    return write


@pytest.fixture
def errors_path(tmp_path):
    return tmp_path / "errors.csv"


def reject_reasons(path, key="email"):
    """A CSV reject file's header and its rows as (`key` cell, `errors` cell) pairs."""
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        rows = [(row[key], row["errors"]) for row in reader]
        return reader.fieldnames, rows
