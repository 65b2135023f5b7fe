"""Take the admin screenshots in docs/screenshots/ at 1366 px wide, with demo data.

    .venv/bin/python docs/screenshots/take.py

Builds a throw-away SQLite database in a temporary folder (migrations, a second store,
`generate_customers` with a fixed seed, a few disabled and soft-deleted customers, a staff
user), serves the project from a thread and drives the system Chromium (Debian's `chromium`
package, see `.ci/install-browser`) with Playwright (requirements-dev.txt) through the
grid, a search, a filter and a change page. Nothing outside that folder and the PNGs here
is touched.
"""

import io
import logging
import os
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
# The project's packages (the browser settings the test shares, then Django's apps).
sys.path.insert(0, str(PROJECT))

from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

VIEWPORT = {"width": 1366, "height": 900}
STAFF_USERNAME = "staff"
STAFF_PASSWORD = "demo-staff-password-1366"


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class ThreadedServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def build_demo_data() -> dict:
    """Fill the fresh database; returns what the pages to photograph need."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from addresses import services as address_services
    from customers import services
    from customers.models import Customer

    quiet = {"verbosity": 0, "stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("migrate", interactive=False, **quiet)
    call_command("create_store", "AT", "Austria", **quiet)
    call_command("generate_customers", "180", "--seed", "1366", **quiet)
    call_command("generate_customers", "60", "--store", "AT", "--seed", "1367", **quiet)

    customers = list(Customer.objects.order_by("-id")[:40])
    for customer in customers[3:12:3]:
        services.customer_set_state(customer=customer, state=Customer.State.DISABLED)
    for customer in customers[5:30:8]:
        services.customer_soft_delete(customer=customer)

    # The change page shows one complete customer: the generated ones carry no tax
    # exemptions or attribute groups, and the page should show how those read.
    featured = (
        Customer.objects.filter(store__code="DE", deleted_at__isnull=True, state="enabled")
        .order_by("-id")
        .first()
    )
    services.customer_update(
        customer=featured,
        email="anna.berg@example.com",
        salutation="Ms",
        first_name="Anna",
        last_name="Berg",
        gender="Female",
        mobile="+49 171 2345678",
        accepts_marketing=True,
        marketing_optin_level="confirmed_opt_in",
        tax_exempt=True,
        tax_exemptions=["VAT_EU_B2B", "EXPORT"],
        attribute_groups={
            "loyalty": {
                "attribute_group": "Loyalty",
                "attributes": {
                    "tier": {"attribute_value": "gold", "value_type": "STRING"},
                    "points": {"attribute_value": "1240", "value_type": "INTEGER"},
                },
                "is_obsolete": False,
            }
        },
    )
    for address in featured.addresses.order_by("id"):
        address_services.address_update(
            address=address,
            first_name="Anna",
            last_name="Berg",
            address1="Torstraße 109",
            postcode="10119",
            city="Berlin",
            country="DE",
        )
    address_services.address_create(
        customer=featured,
        label="Office",
        company="Berg & Partner GmbH",
        first_name="Anna",
        last_name="Berg",
        address1="Friedrichstraße 68",
        postcode="10117",
        city="Berlin",
        country="DE",
        is_default_billing=True,
    )
    # A search for the most common last name finds a handful of customers.
    surnames = Counter(Customer.objects.values_list("last_name", flat=True))
    search = surnames.most_common(1)[0][0]
    get_user_model().objects.create_superuser(
        username=STAFF_USERNAME, email="staff@example.com", password=STAFF_PASSWORD
    )
    return {"featured_pk": featured.pk, "search": search}


def photograph(base_url: str, demo: dict) -> list[Path]:
    from playwright.sync_api import sync_playwright

    shots = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, color_scheme="light")
            page.goto(f"{base_url}/admin/login/?next=/admin/customers/customer/")
            page.fill("#id_username", STAFF_USERNAME)
            page.fill("#id_password", STAFF_PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_url("**/admin/customers/customer/")

            def shot(name: str, path: str, *, full_page: bool = False, height: int = 0) -> None:
                page.goto(f"{base_url}{path}")
                page.wait_for_load_state("networkidle")
                target = HERE / name
                clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height}
                page.screenshot(
                    path=str(target), full_page=full_page, clip=clip if height else None
                )
                shots.append(target)

            changelist = "/admin/customers/customer/"
            shot("admin-grid.png", changelist)
            shot("admin-search.png", f"{changelist}?q={demo['search']}")
            shot("admin-filter.png", f"{changelist}?state__exact=disabled")
            shot("admin-short-search.png", f"{changelist}?q=an")
            shot("admin-change.png", f"{changelist}{demo['featured_pk']}/change/", full_page=True)
            shot("admin-index.png", "/admin/", height=720)
            shot("landing.png", "/", height=360)
        finally:
            browser.close()
    return shots


def main() -> int:
    if not os.access(CHROMIUM, os.X_OK):
        sys.stderr.write(f"No Chromium at {CHROMIUM}: run .ci/install-browser first.\n")
        return 1
    workdir = tempfile.mkdtemp(prefix="clientele-screenshots-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/demo.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DJANGO_DEBUG"] = "true"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

    import django

    django.setup()
    # The browser asks for /favicon.ico, which the project does not serve.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    from django.core.wsgi import get_wsgi_application

    demo = build_demo_data()
    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), ThreadedServer, handler_class=QuietHandler
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        shots = photograph(f"http://127.0.0.1:{server.server_port}", demo)
    finally:
        server.shutdown()
    for path in shots:
        sys.stdout.write(f"wrote docs/screenshots/{path.name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
