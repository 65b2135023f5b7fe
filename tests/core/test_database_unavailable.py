"""With the database unreachable every API route answers 503 in its dialect's envelope.

Two outages: every query refused by the driver (both databases), and the connection pointed
at a port where nothing listens (PostgreSQL). After each, service resumes on the next
request, without a restart (issue 14, item 10; `/readyz` says 503, `/healthz` stays 200).
"""

import contextlib
import json
import socket
import threading
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Permission, User
from django.db import OperationalError, connection
from django.urls import get_resolver, resolve
from rest_framework.test import APIClient

from accounts.models import AuthCounter
from accounts.sessions import customer_session_start
from accounts.tokens import StaffRefreshToken, customer_tokens_issue
from addresses.models import Address
from customers.models import Customer, Store
from customers.webhooks.models import Subscription
from tests.factories.customers import AddressFactory, CustomerFactory

UNAVAILABLE = "The service is temporarily unavailable. Try again later."
JSON_API = "application/vnd.api+json"

STOREFRONT_ENVELOPE = {"errors": [{"status": 503, "detail": UNAVAILABLE}]}
ADMIN_ENVELOPE = {"error": {"status": 503, "message": UNAVAILABLE}}
INTEGRATION_ENVELOPE = {"status": 503, "message": UNAVAILABLE}


def glue(resource_type: str, **attributes) -> str:
    return json.dumps({"data": {"type": resource_type, "attributes": attributes}})


def bearer(token: str, **headers) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", **headers)
    return client


class World:
    """Everything the routes need, made while the database answers."""

    def __init__(self) -> None:
        store = Store.objects.get(code="DE")
        self.customer = CustomerFactory(store=store, email="john.smith@example.com")
        self.address = AddressFactory(customer=self.customer)
        self.tokens = customer_tokens_issue(customer=self.customer)
        staff = User.objects.create_user(username="staff", password="x" * 20, is_staff=True)
        staff.user_permissions.set(Permission.objects.filter(content_type__app_label="customers"))
        staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="addresses"))
        staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="webhooks"))
        self.subscription = Subscription.objects.create(url="https://93.184.216.34/h", events=["*"])
        self.staff_refresh = StaffRefreshToken.for_user(staff)
        self.sid = customer_session_start(customer=self.customer)


def storefront_routes(world: World) -> list[tuple]:
    ref = world.customer.reference
    address = f"/customers/{ref}/addresses/{world.address.uuid}"
    customer = bearer(world.tokens.access)
    anonymous = APIClient()
    password = {
        "password": "change123",
        "newPassword": "n3w-Passw0rd",
        "confirmPassword": "n3w-Passw0rd",
    }
    restore = {
        "restorePasswordKey": "0" * 32,
        "password": "n3w-Passw0rd",
        "confirmPassword": "n3w-Passw0rd",
    }
    registration = {
        "email": "new@example.com",
        "password": "n3w-Passw0rd",
        "confirmPassword": "n3w-Passw0rd",
        "acceptedTerms": True,
        "salutation": "Mr",
        "firstName": "New",
        "lastName": "Customer",
    }
    return [
        (customer, "get", "/customers", None),
        (anonymous, "post", "/customers", glue("customers", **registration)),
        (customer, "get", f"/customers/{ref}", None),
        (customer, "patch", f"/customers/{ref}", glue("customers", firstName="Jo")),
        (customer, "delete", f"/customers/{ref}", None),
        (customer, "get", f"/customers/{ref}/addresses", None),
        (
            customer,
            "post",
            f"/customers/{ref}/addresses",
            glue("addresses", address1="A", city="B", iso2Code="DE"),
        ),
        (customer, "get", address, None),
        (customer, "patch", address, glue("addresses", city="Hamburg")),
        (customer, "delete", address, None),
        (
            anonymous,
            "post",
            "/customer-confirmation",
            glue("customer-confirmation", registrationKey="0" * 32),
        ),
        (
            anonymous,
            "post",
            "/access-tokens",
            glue("access-tokens", username="john.smith@example.com", password="change123"),
        ),
        (
            anonymous,
            "post",
            "/refresh-tokens",
            glue("refresh-tokens", refreshToken=world.tokens.refresh),
        ),
        (customer, "delete", "/refresh-tokens/mine", None),
        (customer, "patch", "/customer-password", glue("customer-password", **password)),
        (customer, "patch", f"/customer-password/{ref}", glue("customer-password", **password)),
        (
            anonymous,
            "post",
            "/customer-forgotten-password",
            glue("customer-forgotten-password", email="john.smith@example.com"),
        ),
        (
            anonymous,
            "patch",
            "/customer-restore-password",
            glue("customer-restore-password", **restore),
        ),
        (
            anonymous,
            "patch",
            "/customer-restore-password/key",
            glue("customer-restore-password", **restore),
        ),
    ]


def admin_routes(world: World) -> list[tuple]:
    staff = bearer(str(world.staff_refresh.access_token))
    anonymous = APIClient()
    session = APIClient()
    session.credentials(HTTP_X_SESSION_ID=world.sid)
    one = f"/api/customers/{world.customer.uuid}"
    return [
        (staff, "get", "/api/customers", None),
        (
            staff,
            "post",
            "/api/customers",
            {"email": "n@example.com", "password": "n3w-Passw0rd", "full_name": "N N"},
        ),
        (staff, "get", one, None),
        (staff, "patch", one, {"full_name": "John Smith"}),
        (staff, "delete", one, None),
        (anonymous, "post", "/api/auth/token", {"username": "staff", "password": "x" * 20}),
        (anonymous, "post", "/api/auth/token/refresh", {"refresh": str(world.staff_refresh)}),
        (
            anonymous,
            "post",
            "/customer/login",
            {"email": "john.smith@example.com", "password": "change123"},
        ),
        (session, "post", "/customers/logout", None),
        *webhook_routes(staff, f"/api/webhooks/{world.subscription.id}"),
    ]


def webhook_routes(staff: APIClient, hook: str) -> list[tuple]:
    return [
        (staff, "get", "/api/webhooks", None),
        (staff, "post", "/api/webhooks", {"url": "https://93.184.216.34/h", "events": ["*"]}),
        (staff, "get", hook, None),
        (staff, "patch", hook, {"active": False}),
        (staff, "delete", hook, None),
        (staff, "post", f"{hook}/rotate-secret", None),
        (staff, "get", f"{hook}/deliveries", None),
        (staff, "post", f"{hook}/deliveries/{hook.rsplit('/', 1)[1]}/redeliver", None),
    ]


def integration_routes(world: World) -> list[tuple]:
    staff = bearer(str(world.staff_refresh.access_token))
    uuid, ref = world.customer.uuid, world.customer.reference
    body = {"email": "n@example.com", "firstName": "N"}
    return [
        (staff, "post", "/api/v2/customers", body),
        (staff, "put", "/api/v2/customers", {"customerRef": ref, "firstName": "Jo"}),
        (staff, "post", "/api/v2/upload-customers", [body]),
        (staff, "post", "/api/v2/customers/validate", body),
        (staff, "get", "/api/v2/customers/search?email=john.smith@example.com", None),
        (staff, "get", f"/api/v2/customers/{ref}/ref", None),
        (staff, "delete", f"/api/v2/customers/{ref}/ref", None),
        (
            staff,
            "post",
            f"/api/v2/customers/{uuid}/address",
            {"address1": "A", "city": "B", "countryCode": "DE"},
        ),
        (staff, "get", f"/api/v2/customers/{uuid}", None),
        (staff, "delete", f"/api/v2/customers/{uuid}", None),
    ]


DIALECTS = {
    "storefront": (storefront_routes, STOREFRONT_ENVELOPE, JSON_API),
    "admin": (admin_routes, ADMIN_ENVELOPE, "application/json"),
    "integration": (integration_routes, INTEGRATION_ENVELOPE, "application/json"),
}
URL_NAME_PREFIXES = {"storefront": "storefront-", "admin": "admin-", "integration": "integration-"}


def send(client: APIClient, method: str, path: str, body):
    if body is None:
        return getattr(client, method)(path)
    if isinstance(body, str):
        return getattr(client, method)(path, body, content_type=JSON_API)
    return getattr(client, method)(path, body, format="json")


def answers(routes: list[tuple]) -> list[tuple]:
    found = []
    for client, method, path, body in routes:
        response = send(client, method, path, body)
        found.append(
            (
                method,
                path,
                response.status_code,
                response.headers.get("Content-Type"),
                response.headers.get("Retry-After"),
                response.json(),
            )
        )
    return found


@contextlib.contextmanager
def queries_refused() -> Iterator[None]:
    """Every query fails as the driver fails when the server has gone away."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(refuse):
        yield


def check_dialect(dialect: str, outage) -> None:
    # given
    make_routes, envelope, content_type = DIALECTS[dialect]
    world = World()
    routes = make_routes(world)
    customers_before = list(Customer.objects.values_list("pk", "email", "first_name", "deleted_at"))
    addresses_before = list(Address.objects.values_list("pk", "city"))

    # when
    with outage():
        found = answers(routes)
        health = APIClient().get("/healthz")
        ready = APIClient().get("/readyz")

    # then
    assert found == [
        (method, path, 503, content_type, "30", envelope) for _, method, path, _ in routes
    ]
    assert (health.status_code, ready.status_code) == (200, 503)
    assert list(Customer.objects.values_list("pk", "email", "first_name", "deleted_at")) == (
        customers_before
    )
    assert list(Address.objects.values_list("pk", "city")) == addresses_before
    # and service resumes at once, in the same process
    resumed = {
        "storefront": (
            "get",
            f"/customers/{world.customer.reference}",
            bearer(world.tokens.access),
        ),
        "admin": ("get", "/api/customers", bearer(str(world.staff_refresh.access_token))),
        "integration": (
            "get",
            f"/api/v2/customers/{world.customer.uuid}",
            bearer(str(world.staff_refresh.access_token)),
        ),
    }[dialect]
    assert send(resumed[2], resumed[0], resumed[1], None).status_code == 200
    assert APIClient().get("/readyz").status_code == 200


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_every_route_answers_503_while_queries_fail(db, dialect):
    check_dialect(dialect, queries_refused)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a server to be unreachable")
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def in_worker_thread(work):
    """Run `work` in a thread of its own, with its own connection, as a server's worker."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(work())
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=60)
    return outcome[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a server to be unreachable")
def test_a_worker_answers_503_while_the_server_is_unreachable_then_resumes(db):
    # given: this thread's test data is uncommitted, so the worker only sees migrated rows
    # (the default store); what it answers shows whether it reached the database
    port = closed_port()
    staff = User.objects.create_user(username="staff", is_staff=True)  # unseen by the worker
    staff_token = str(StaffRefreshToken.for_user(staff).access_token)
    requests = [
        (
            APIClient(),
            "post",
            "/access-tokens",
            glue("access-tokens", username="x@example.com", password="p"),
        ),
        (APIClient(), "post", "/api/auth/token", {"username": "nobody", "password": "p"}),
        (bearer(staff_token), "get", "/api/v2/customers/search?email=x@example.com", None),
    ]

    def work():
        reachable = connection.settings_dict
        connection.close()
        connection.settings_dict = {**reachable, "HOST": "127.0.0.1", "PORT": str(port)}
        down = answers(requests)
        down_ready = APIClient().get("/readyz").status_code
        # the server is back: the same worker, the same connection object
        connection.close()
        connection.settings_dict = reachable
        back = [status for _, _, status, *_ in answers(requests)]
        ready = APIClient().get("/readyz").status_code
        # The failed logins' counters were committed by this thread: leave none behind.
        AuthCounter.objects.all().delete()
        return down, down_ready, back, ready

    # when
    down, down_ready, back, back_ready = in_worker_thread(work)

    # then
    assert down == [
        ("post", "/access-tokens", 503, JSON_API, "30", STOREFRONT_ENVELOPE),
        ("post", "/api/auth/token", 503, "application/json", "30", ADMIN_ENVELOPE),
        (
            "get",
            "/api/v2/customers/search?email=x@example.com",
            503,
            "application/json",
            "30",
            INTEGRATION_ENVELOPE,
        ),
    ]
    assert down_ready == 503
    # 401s: each answer needed the database (the login lookups, the staff user's row)
    assert (back, back_ready) == ([401, 401, 401], 200)


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_the_routes_checked_are_every_route_of_the_dialect(db, dialect):
    # given
    make_routes = DIALECTS[dialect][0]
    routes = make_routes(World())

    # when
    checked = {resolve(path.partition("?")[0]).url_name for _, _, path, _ in routes}

    # then
    every = {name for name in all_url_names() if name.startswith(URL_NAME_PREFIXES[dialect])}
    assert checked == every


def all_url_names() -> set[str]:
    names = set()
    pending = list(get_resolver().url_patterns)
    while pending:
        pattern = pending.pop()
        if hasattr(pattern, "url_patterns"):
            pending.extend(pattern.url_patterns)
        elif pattern.name:
            names.add(pattern.name)
    return names
