"""A delivery survives a worker killed mid-send: the next worker sends it, same webhook-id.

Real processes on a database file of their own (the test database is not visible to other
processes), as in tests/accounts/test_worker.py, and a real receiver on loopback.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.webhooks.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]


def _env(database: Path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": "",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
        "WEBHOOK_HTTPS_ONLY": "0",
        "WEBHOOK_TIMEOUT": "2",
    }


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def _worker(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--no-startup-delay", "--no-reload", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(predicate, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def test_a_delivery_survives_a_worker_killed_mid_send(tmp_path, receiver):
    # given: an installation with a subscription and one customer created after it
    database = tmp_path / "db.sqlite3"
    env = _env(database)
    _manage(env, "migrate", "--noinput")
    _manage(
        env,
        "shell",
        "-c",
        "from customers.models import Store; "
        "from customers.services import customer_create; "
        "from customers.webhooks.services import subscription_create; "
        f"subscription_create(url={receiver.url!r}, events=['customer.created']); "
        "customer_create(store=Store.objects.get(code='DE'), email='ada@example.com')",
    )
    # the first request hangs: the worker is killed while it waits for the answer
    receiver.answers = [("sleep", 30, 200)]

    # when
    first = _worker(env)
    try:
        _wait_for(lambda: len(receiver.received) == 1)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

    # then: nothing was recorded as done
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT status, attempts FROM webhooks_delivery").fetchall() == [
            ("pending", 0)
        ]

    # when: a worker comes back (the dead worker's task counts as abandoned at once)
    second = _worker(env, "--abandoned-after", "0", "--interval", "0.2")
    try:
        _wait_for(lambda: len(receiver.received) == 2)
        _wait_for(
            lambda: (
                sqlite3.connect(database).execute("SELECT status FROM webhooks_delivery").fetchone()
                == ("succeeded",)
            )
        )
    finally:
        second.terminate()
        second.wait(timeout=10)

    # then: the same event, with the same webhook-id
    before, after = receiver.received
    assert before.headers["webhook-id"] == after.headers["webhook-id"]
    assert before.body == after.body
    assert json.loads(after.body)["type"] == "customer.created"
