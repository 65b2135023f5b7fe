"""SPEC 11 write targets bound by the password hash: Admin creates and Storefront logins.

Run from the project root with the project's virtualenv:

    .venv/bin/python bench/auth_bench.py \
        --database-url postgres://postgres@127.0.0.1:5432/clientele_bench_auth

It migrates the database, creates a staff user and confirmed customers, starts the app
(`gunicorn config.wsgi -w 2`, production settings) on a free loopback port and prints:

- the hash alone: milliseconds per Argon2id hash and per check with the configured
  `ARGON2_*` parameters, in this process, and the ceiling that puts on 2 cores;
- `POST /api/customers` (a staff token, a new customer with a password each time) and
  `POST /access-tokens` (Storefront logins, cycling through `--shoppers` customers) at 1
  and 4 clients: requests/s and p50/p99 latency, beside that ceiling.

The login rate limit (`AUTH_THROTTLE_RATE`) is lifted for the run: every request comes from
127.0.0.1 and would otherwise be refused after 10 a minute. Every loop is bounded; all
traffic stays on 127.0.0.1.
"""

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from api_bench import PYTHON, ROOT, django_env, ensure_database, gunicorn, log, manage

LOGIN_PASSWORD = "Bench-Login-Password-1"
CREATE_PASSWORD = "Bench-Create-Password-1"

SETUP_SCRIPT = """
import json
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from accounts.tokens import StaffRefreshToken
from customers.models import Customer
from customers.selectors import store_get_default
from customers.services import customer_create
store = store_get_default()
user, _ = User.objects.get_or_create(username="auth-bench", defaults={"is_staff": True})
user.is_staff = user.is_superuser = True
user.save()
access = StaffRefreshToken.for_user(user).access_token
access.set_exp(lifetime=timedelta(hours=3))
emails = [f"auth-bench-login-{n}@example.com" for n in range(%(shoppers)d)]
for email in emails:
    if not Customer.objects.filter(store=store, email=email, deleted_at__isnull=True).exists():
        customer_create(store=store, email=email, password=%(password)r)
Customer.objects.filter(store=store, email__in=emails).update(
    state="enabled", email_verified_at=timezone.now()
)
print(json.dumps({"staff_token": str(access), "login_emails": emails}))
"""

HASH_SCRIPT = """
import json, time
from django.contrib.auth.hashers import check_password, make_password
from django.conf import settings
make_password("warm-up-password")
started = time.perf_counter()
for n in range(%(rounds)d):
    encoded = make_password(f"bench-password-{n}")
hashed = (time.perf_counter() - started) / %(rounds)d
started = time.perf_counter()
for n in range(%(rounds)d):
    check_password("bench-password-x", encoded)
checked = (time.perf_counter() - started) / %(rounds)d
print(json.dumps({
    "memory_kib": settings.ARGON2_MEMORY_KIB,
    "time_cost": settings.ARGON2_TIME_COST,
    "parallelism": settings.ARGON2_PARALLELISM,
    "prefix": encoded.split("$")[:4],
    "hash_ms": hashed * 1000,
    "check_ms": checked * 1000,
}))
"""


@dataclass(frozen=True)
class Case:
    """One kind of POST: its path, headers, and a fresh body for the n-th request."""

    name: str
    path: str
    headers: dict[str, str]
    body: Callable[[int], dict]
    expect: int


def post_many(port: int, case: Case, numbers: list[int], times: list[float]) -> None:
    """POST `case` once per number over one keep-alive connection; record each duration."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for number in numbers:
        body = json.dumps(case.body(number))
        started = time.perf_counter()
        connection.request("POST", case.path, body=body, headers=case.headers)
        response = connection.getresponse()
        payload = response.read()
        times.append(time.perf_counter() - started)
        if response.status != case.expect:
            raise RuntimeError(f"{case.path} answered {response.status}: {payload[:200]!r}")
    connection.close()


def run_clients(port: int, case: Case, clients: int, requests: int, offset: int) -> dict:
    numbers = list(range(offset, offset + requests))
    chunks = [numbers[i::clients] for i in range(clients)]
    times: list[float] = []
    errors: list[BaseException] = []

    def client(chunk: list[int]) -> None:
        try:
            post_many(port, case, chunk, times)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(str(errors[0]))
    times.sort()
    return {
        "rps": len(times) / elapsed,
        "p50": statistics.median(times) * 1000,
        "p99": times[max(0, int(len(times) * 0.99) - 1)] * 1000,
    }


def load_average() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=200, help="per case and client count")
    parser.add_argument("--hash-rounds", type=int, default=50)
    parser.add_argument("--shoppers", type=int, default=40, help="customers the logins cycle")
    args = parser.parse_args()

    env = {**django_env(args.database_url), "AUTH_THROTTLE_RATE": "1000000/min"}
    ensure_database(args.database_url)
    manage(env, "migrate", "--noinput")
    setup_output = manage(
        env,
        "shell",
        "-c",
        SETUP_SCRIPT % {"password": LOGIN_PASSWORD, "shoppers": args.shoppers},
    )
    setup = json.loads(setup_output.strip().splitlines()[-1])
    hashing = json.loads(
        subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", HASH_SCRIPT % {"rounds": args.hash_rounds}],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    cores = os.cpu_count() or 1
    # A hash keeps min(lanes, cores) cores busy for its wall time.
    ceiling = cores * 1000 / (hashing["hash_ms"] * min(hashing["parallelism"], cores))
    log(
        f"Argon2id m={hashing['memory_kib']} KiB t={hashing['time_cost']} "
        f"p={hashing['parallelism']} ({'$'.join(hashing['prefix'])})"
    )
    log(
        f"hash alone: {hashing['hash_ms']:.1f} ms a hash, {hashing['check_ms']:.1f} ms a check "
        f"(wall time); ceiling on {cores} cores: {ceiling:.0f} hashes/s"
    )
    log(f"load average before the run: {load_average()}\n")

    run = secrets.token_hex(3)
    staff = {
        "Authorization": f"Bearer {setup['staff_token']}",
        "Content-Type": "application/json",
    }
    cases = [
        Case(
            "POST /api/customers (Admin create)",
            "/api/customers",
            staff,
            lambda n: {
                "email": f"auth-bench-{run}-{n}@example.com",
                "password": CREATE_PASSWORD,
                "full_name": f"Bench Create {n}",
            },
            201,
        ),
        Case(
            "POST /access-tokens (Storefront login)",
            "/access-tokens",
            {"Content-Type": "application/vnd.api+json"},
            lambda n: {
                "data": {
                    "type": "access-tokens",
                    "attributes": {
                        "username": setup["login_emails"][n % len(setup["login_emails"])],
                        "password": LOGIN_PASSWORD,
                    },
                }
            },
            201,
        ),
    ]
    with gunicorn("config.wsgi", env, ROOT) as port:
        offset = 0
        for case in cases:
            run_clients(port, case, 2, 10, offset)  # warm up both workers
            offset += 10
            for clients in (1, 4):
                result = run_clients(port, case, clients, args.requests, offset)
                offset += args.requests
                log(
                    f"{case.name:<40} {clients} client{'s' if clients > 1 else ' '} "
                    f"{result['rps']:6.1f} req/s ({100 * result['rps'] / ceiling:3.0f}% of the "
                    f"hash ceiling)  p50 {result['p50']:6.1f} ms  p99 {result['p99']:6.1f} ms"
                )
    log(f"\nload average after the run: {load_average()} (target: >= 30 req/s at 4 clients)")


if __name__ == "__main__":
    main()
