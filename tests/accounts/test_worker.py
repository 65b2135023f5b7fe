"""`manage.py worker`: a task survives a worker killed mid-run and runs when one comes back.

The worker is a real process on a database file of its own (the test databases are not
visible to other processes), migrated by `manage.py migrate` like a fresh installation.
"""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _manage(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        **kwargs,
    )


def _statuses(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        return [
            row[0] for row in db.execute("SELECT status FROM django_tasks_database_dbtaskresult")
        ]


def _wait_for(predicate, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def _env(database: Path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": "",
    }


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory) -> Path:
    database = tmp_path_factory.mktemp("installation") / "db.sqlite3"
    _manage(_env(database), "migrate", "--noinput")
    return database


@pytest.fixture
def installation(migrated_database, tmp_path):
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(migrated_database, database)
    return _env(database), database


def test_a_task_survives_a_worker_killed_mid_run(installation, tmp_path):
    # given: one queued task
    env, database = installation
    _manage(
        env,
        "shell",
        "-c",
        "from tests.accounts.worker_tasks import hold_until_released; "
        f"hold_until_released.enqueue(folder={str(tmp_path)!r})",
    )
    assert _statuses(database) == ["READY"]

    # when: a worker takes it and is killed before it finishes
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--no-startup-delay", "--no-reload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: (tmp_path / "runs").exists())
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

    # then: the task is still there, left running by the dead worker
    assert _statuses(database) == ["RUNNING"]
    assert not (tmp_path / "done").exists()

    # when: a worker comes back (the task counts as abandoned at once here)
    (tmp_path / "release").write_text("go")
    result = _manage(
        env, "worker", "--batch", "--no-startup-delay", "--no-reload", "--abandoned-after", "0"
    )

    # then: it was put back and ran to the end
    assert "Put 1 abandoned task(s) back on the queue." in result.stdout
    assert _statuses(database) == ["SUCCESSFUL"]
    assert (tmp_path / "runs").read_text() == "started\nstarted\n"
    assert (tmp_path / "done").read_text() == "done"


def test_a_running_task_is_left_alone_until_it_counts_as_abandoned(installation, tmp_path):
    # given: a task a worker took a moment ago (it may still be running)
    env, database = installation
    _manage(
        env,
        "shell",
        "-c",
        "from tests.accounts.worker_tasks import hold_until_released; "
        f"hold_until_released.enqueue(folder={str(tmp_path)!r})",
    )
    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE django_tasks_database_dbtaskresult SET status = 'RUNNING', "
            "started_at = datetime('now')"
        )

    # when: another worker starts with the default grace (TASK_ABANDONED_AFTER, 300 s)
    result = _manage(env, "worker", "--batch", "--no-startup-delay", "--no-reload")

    # then
    assert "abandoned" not in result.stdout
    assert _statuses(database) == ["RUNNING"]
