"""The lockout holds across server processes: two gunicorn servers, one PostgreSQL database.

Each server keeps nothing security-relevant in its own memory (SPEC 3), so failures spread
over both count as one sequence and the account is locked on both.

The servers commit their own rows; the test reads them through its transaction (read
committed) and removes them afterwards on a connection of its own, so the test database is
left as the other tests expect (a transactional test would flush the migrations' seed).
The account is an unknown email: a lockout does not depend on the account existing.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection, connections

from accounts.models import AuthCounter
from accounts.throttling import account_key

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "lockout.probe@example.com"
KEY = account_key(f"DE:{EMAIL}")
pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    auth = f"{user}:{db['PASSWORD']}" if db["PASSWORD"] else user
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _post(port: int, path: str, body: dict, content_type: str) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": content_type},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def _wait_until_up(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server on port {port} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"server on port {port} did not start")


@pytest.fixture
def two_servers():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: two servers cannot share the in-memory SQLite test database")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": "",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    ports = [_free_port(), _free_port()]
    processes = [
        subprocess.Popen(
            [gunicorn, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            _wait_until_up(port, process)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
        _delete_committed_rows()


def _delete_committed_rows() -> None:
    own = connections.create_connection("default")
    try:
        with own.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_authcounter WHERE counter_key = %s", [KEY])
            cursor.execute("DELETE FROM accounts_cache")
    finally:
        own.close()


def test_failures_on_two_servers_lock_the_account_on_both(two_servers):
    # given: two servers with their own memory
    first, second = two_servers

    # when: five failures, alternating servers, routes and spellings of the email
    statuses = [
        _post(
            port,
            "/access-tokens",
            {"data": {"type": "access-tokens", "attributes": {"username": email, "password": "x"}}},
            "application/vnd.api+json",
        )[0]
        if route == "storefront"
        else _post(port, "/customer/login", {"email": email, "password": "x"}, "application/json")[
            0
        ]
        for port, route, email in [
            (first, "storefront", EMAIL),
            (second, "storefront", "Lockout.Probe@example.com"),
            (first, "evershop", f" {EMAIL}"),
            (second, "evershop", EMAIL.upper()),
            (first, "storefront", "lockout.probe@example.\uff43\uff4f\uff4d"),
        ]
    ]

    # then: five plain failures, then any password is refused on both servers
    assert statuses == [401, 401, 401, 401, 401]
    for port in (first, second):
        status, headers, body = _post(
            port,
            "/access-tokens",
            {
                "data": {
                    "type": "access-tokens",
                    "attributes": {"username": EMAIL, "password": "change123"},
                }
            },
            "application/vnd.api+json",
        )
        assert status == 429
        assert body == {
            "errors": [
                {"code": "429", "status": 429, "detail": "Too many attempts. Try again later."}
            ]
        }
        assert 890 <= int(headers["Retry-After"]) <= 900
    assert AuthCounter.objects.get(counter_key=KEY).count == 5
