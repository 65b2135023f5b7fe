"""The Django admin's customer grid at scale (SPEC 7, 11): each changelist view, the change page.

Run from the project root with the project's virtualenv:

    .venv/bin/python bench/admin_bench.py \
        --database-url postgres://postgres@127.0.0.1:5432/clientele_bench_admin --customers 1000000

It migrates the database and tops the default store up to `--customers` customers (as
`bench/api_bench.py` does), collects the static files, creates a staff superuser with a
random password, starts the app (`gunicorn config.wsgi -w 2`, production settings), logs in
through the admin's login form like a browser (session and CSRF cookies), and times each
view: one warm-up request, then the median and the maximum of `--runs` requests. The SPEC 11
target is 250 ms for each. Every loop is bounded; all traffic stays on 127.0.0.1.
"""

import argparse
import http.client
import json
import re
import secrets
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from api_bench import (
    PYTHON,
    ROOT,
    common_term,
    django_env,
    ensure_database,
    ensure_dataset,
    gunicorn,
    log,
    manage,
)

TARGET_MS = 250
CHANGELIST = "/admin/customers/customer/"

SETUP_SCRIPT = """
import json, random
from django.contrib.auth.models import User
from customers.models import Customer
from customers.selectors import store_get_default
store = store_get_default()
user, _ = User.objects.get_or_create(username="admin-bench")
user.is_staff = user.is_superuser = user.is_active = True
user.set_password(PASSWORD)
user.save()
live = Customer.objects.filter(store=store, deleted_at__isnull=True)
top = live.order_by("-id").values_list("id", flat=True).first() or 0
rng = random.Random(11)
ids = [rng.randint(1, top) for _ in range(50)]
with_address = (
    live.filter(id__in=ids, addresses__isnull=False).order_by("id").values("id", "email").first()
)
print(json.dumps({
    "store_id": store.pk,
    "customer_id": with_address["id"],
    "rare_term": with_address["email"].split("@")[0][-12:],
    "total": live.count(),
}))
"""


class Browser:
    """One keep-alive connection with a cookie jar: what the admin needs of a browser."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, text

    def log_in(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise RuntimeError(f"login page answered {status}")
        form = {
            "csrfmiddlewaretoken": token.group(1),
            "username": username,
            "password": password,
            "next": "/admin/",
        }
        status, _ = self.request("POST", "/admin/login/?next=/admin/", urlencode(form))
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login answered {status}")


def views(setup: dict, term: str) -> list[tuple[str, str]]:
    """(name, path) of every changelist view SPEC 11 names, and the change page."""
    today = datetime.now(UTC).date()
    week_ago = today - timedelta(days=7)
    tomorrow = today + timedelta(days=1)

    def grid(**params: str) -> str:
        return f"{CHANGELIST}?{urlencode(params)}" if params else CHANGELIST

    return [
        ("plain", grid()),
        ("deep page (p=2000)", grid(p="2000")),
        ("search, rare (email part)", grid(q=setup["rare_term"])),
        (f"search, common ({term!r})", grid(q=term.lower())),
        ("filter store", grid(store=str(setup["store_id"]))),
        ("filter state=disabled", grid(state__exact="disabled")),
        ("filter state=enabled", grid(state__exact="enabled")),
        ("filter group=Default", grid(group__id__exact="1")),
        ("filter marketing=yes", grid(accepts_marketing__exact="1")),
        ("filter email verified=yes", grid(email_verified="yes")),
        ("filter email verified=no", grid(email_verified="no")),
        (
            "filter created past 7 days",
            grid(
                created_at__gte=f"{week_ago} 00:00:00+00:00",
                created_at__lt=f"{tomorrow} 00:00:00+00:00",
            ),
        ),
        ("filter deleted=no", grid(deleted="no")),
        ("filter deleted=yes", grid(deleted="yes")),
        ("sort created ascending", grid(o="7")),
        ("sort created descending", grid(o="-7")),
        ("sort created, page 2000", grid(o="7", p="2000")),
        ("change page", f"{CHANGELIST}{setup['customer_id']}/change/"),
    ]


def time_view(browser: Browser, path: str, runs: int) -> tuple[float, float]:
    status, _ = browser.request("GET", path)  # warm-up
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        status, _ = browser.request("GET", path)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed requests per view")
    args = parser.parse_args()

    ensure_database(args.database_url)
    env = django_env(args.database_url)
    ensure_dataset(env, args.database_url, args.customers)
    manage(env, "collectstatic", "--noinput")  # the admin's pages name hashed static files
    password = secrets.token_urlsafe(24)
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", f"PASSWORD = {password!r}\n{SETUP_SCRIPT}"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    setup = json.loads(result.stdout.strip().splitlines()[-1])
    term, share = common_term(args.database_url, setup["total"])
    log(f"{setup['total']:,} live customers; common term {term!r} matches {share:.1%}")

    with gunicorn("config.wsgi", env, ROOT) as port:
        browser = Browser(port)
        browser.log_in("admin-bench", password)
        rows = [(name, *time_view(browser, path, args.runs)) for name, path in views(setup, term)]

    width = max(len(name) for name, *_ in rows)
    log(f"\n| {'view':<{width}} | median ms | max ms | <= {TARGET_MS} ms |")
    log(f"| {'-' * width} | --------: | -----: | :------: |")
    for name, median, worst in rows:
        verdict = "yes" if median <= TARGET_MS else "NO"
        log(f"| {name:<{width}} | {median:9.0f} | {worst:6.0f} | {verdict:^8} |")
    sys.exit(0 if all(median <= TARGET_MS for _, median, _ in rows) else 1)


if __name__ == "__main__":
    main()
