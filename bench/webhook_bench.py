"""What an event adds to a write, and proof that a slow receiver does not slow the API.

Admin create and a 1,000-customer upload, with and without a subscriber.

Run from the project root with the project's virtualenv, on a database of its own:

    .venv/bin/python bench/webhook_bench.py \
        --database-url postgres://postgres@127.0.0.1:5432/clientele_bench_webhooks

It migrates the database and drives the app in-process (Django's test client, no network
between client and app) with the Admin API's `POST /api/customers` and the Integration API's
`POST /api/v2/upload-customers`, in rounds that alternate between no active subscription
and one subscription to every event whose receiver (on loopback) takes 5 s to answer. No
worker runs: deliveries are only queued, which is all a request ever does. It prints the
median time of each operation in both phases, the share the event adds, and the events,
deliveries and queued tasks written.
"""

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class SlowReceiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        time.sleep(5)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def database_ensure(url: str) -> None:
    """Create the database of `url` when it does not exist yet (PostgreSQL)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as db:
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            db.execute(f'CREATE DATABASE "{name}"')


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=5, help="Rounds of both phases.")
    parser.add_argument("--creates", type=int, default=40, help="Admin creates per round.")
    parser.add_argument("--uploads", type=int, default=1, help="1,000-customer uploads per round.")
    args = parser.parse_args()
    if args.database_url.startswith("postgres"):
        database_ensure(args.database_url)

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": args.database_url,
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
            "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
            "WEBHOOK_HTTPS_ONLY": "0",
        }
    )
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult
    from rest_framework.test import APIClient

    from accounts.tokens import StaffRefreshToken
    from customers.webhooks.models import Delivery, Event, Subscription
    from customers.webhooks.services import subscription_create

    call_command("migrate", verbosity=0)
    staff, _ = User.objects.get_or_create(username="webhook-bench", defaults={"is_staff": True})
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {StaffRefreshToken.for_user(staff).access_token}"
    )
    run = uuid.uuid4().hex[:8]

    def creates(phase: str) -> list[float]:
        samples = []
        for n in range(args.creates):
            body = {
                "email": f"{run}-{phase}-{n}@bench.example",
                "password": "Bench-pass-123",
                "full_name": "Bench Customer",
            }
            started = time.perf_counter()
            response = client.post("/api/customers", body, format="json")
            samples.append(time.perf_counter() - started)
            assert response.status_code == 201, response.content
        return samples

    def uploads(phase: str) -> list[float]:
        samples = []
        for n in range(args.uploads):
            body = [
                {
                    "email": f"{run}-{phase}-u{n}-{i}@bench.example",
                    "firstName": "B",
                    "lastName": str(i),
                }
                for i in range(1000)
            ]
            started = time.perf_counter()
            response = client.post("/api/v2/upload-customers", body, format="json")
            samples.append(time.perf_counter() - started)
            assert response.status_code == 201, response.content[:300]
        return samples

    def counts() -> tuple[int, int, int]:
        return Event.objects.count(), Delivery.objects.count(), DBTaskResult.objects.count()

    # The two phases alternate, round by round, so that drift (caches, autovacuum, other
    # load on the machine) falls on both alike.
    Subscription.objects.all().delete()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    subscription = subscription_create(
        url=f"http://127.0.0.1:{server.server_port}/slow", events=["*"], user=staff
    )
    without: dict[str, list[float]] = {"create": [], "upload": []}
    with_: dict[str, list[float]] = {"create": [], "upload": []}
    written = {"without": [0, 0, 0], "with": [0, 0, 0]}
    for round_ in range(args.rounds):
        for active, samples, key in ((False, without, "without"), (True, with_, "with")):
            Subscription.objects.filter(pk=subscription.pk).update(active=active)
            tag = f"{key}{round_}"
            before = counts()
            samples["create"] += creates(tag)
            samples["upload"] += uploads(tag)
            after = counts()
            written[key] = [w + y - x for w, x, y in zip(written[key], before, after, strict=True)]
    subscription.delete()
    server.shutdown()

    say(f"{'operation':<28}{'no subscriber':>16}{'subscriber':>14}{'share':>9}")
    for name, label in (
        ("create", "Admin create (1 customer)"),
        ("upload", "upload (1,000 customers)"),
    ):
        a, b = median_ms(without[name]), median_ms(with_[name])
        say(f"{label:<28}{a:>13.1f} ms{b:>11.1f} ms{(b - a) / a:>+9.1%}")
    say(f"written without a subscriber: events, deliveries, tasks = {tuple(written['without'])}")
    say(
        "written with a subscriber (receiver answers after 5 s, no worker running): "
        f"events, deliveries, tasks = "
        f"{tuple(written['with'])}"
    )
    slowest = max(with_["create"]) * 1000
    say(f"slowest create with the 5 s receiver: {slowest:.1f} ms (deliveries wait for a worker)")


if __name__ == "__main__":
    main()
