"""How the operators' commands end: one summary, a plain sentence, an exit status."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import load_command_class

from customers.models import Customer
from tests.commands.conftest import run_command

SUMMARY = r"Read 2, created 2, updated 0, unchanged 0, failed 0 in \d+\.\d s \([\d,]+ rows/s\)\."


def run_from_command_line(name, *args):
    """Run a command as `manage.py` does (not through call_command); return its exit status."""
    command = load_command_class("customers", name)
    try:
        command.run_from_argv(["manage.py", name, *args])
    except SystemExit as exit_:
        return exit_.code
    return 0


@pytest.fixture
def keep_test_connection(monkeypatch):
    # `run_from_argv` closes every connection at the end, which would end the test's
    # transaction; the command's own behaviour is unchanged.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)


def test_the_summary_is_printed_once_without_a_terminal(store, write_csv):
    # given
    path = write_csv([{"email": "a@example.com"}, {"email": "b@example.com"}])

    # when
    result = run_command("import_customers", str(path), "--batch-size", "1")

    # then
    assert result.code == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert re.fullmatch(SUMMARY, lines[0])


def test_rejected_rows_end_with_a_plain_sentence_and_status_1(
    store, write_csv, capsys, keep_test_connection
):
    # given
    path = write_csv([{"email": "a@example.com"}, {"email": "not-an-email"}])

    # when
    status = run_from_command_line("import_customers", str(path))

    # then
    output = capsys.readouterr()
    assert status == 1
    assert output.err == (
        "line 3: email: Enter a valid email address. (invalid)\n1 row was rejected; see stderr.\n"
    )
    assert output.out.startswith("Read 2, created 1, updated 0, unchanged 0, failed 1 in ")
    assert list(Customer.objects.values_list("email", flat=True)) == ["a@example.com"]


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        (
            "import_customers",
            ["missing.csv"],
            "Cannot open missing.csv: No such file or directory.",
        ),
        ("export_customers", ["--store", "XX"], "Unknown store 'XX'."),
        ("generate_customers", ["1", "--store", "XX"], "Unknown store 'XX'."),
    ],
    ids=["import_case", "export_case", "generate_case"],
)
def test_usage_and_file_errors_end_with_a_plain_sentence_and_status_2(
    db, capsys, keep_test_connection, name, arguments, message
):
    # when
    status = run_from_command_line(name, *arguments)

    # then
    output = capsys.readouterr()
    assert status == 2
    assert output.err == message + "\n"
    assert Customer.objects.count() == 0


def test_a_closed_output_pipe_ends_the_export_quietly(tmp_path):
    # given: a database of its own with one customer (the test database is not visible to
    # another process), and a reader that is gone before the export writes its first line
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'pipe.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=environment, check=True)
    source = tmp_path / "one.ndjson"
    source.write_text('{"email": "anna@example.com"}\n', encoding="utf-8")
    subprocess.run(
        [*manage, "import_customers", str(source)],
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    endings = {}

    # when
    for file_format in ("ndjson", "csv"):
        process = subprocess.Popen(
            [*manage, "export_customers", "--format", file_format],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        process.stdout.close()
        stderr = process.stderr.read().decode()
        endings[file_format] = (process.wait(), stderr)

    # then: no traceback, and the status a shell gives a process ended by a closed pipe
    assert endings == {"ndjson": (141, ""), "csv": (141, "")}
