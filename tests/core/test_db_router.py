"""Reads on replicas, writes and current reads on the primary (config/db_router.py, SPEC 10).

The replica alias `replica_0` points at the test database itself (config/settings/test.py,
read-only on PostgreSQL); a test turns the routing on by listing it in DATABASE_REPLICAS.
A replica is another connection, so these tests are transactional: it sees committed rows.
"""

import json
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import CustomerRefreshToken
from accounts.tokens import customer_tokens_issue
from config.db_router import PrimaryReplicaRouter, primary_reads, request_scope
from config.env import BASE_DIR
from config.middleware import PRIMARY_PIN_COOKIE, ReplicaRoutingMiddleware
from customers.models import Customer, CustomerGroup, Store
from tests.admin.conftest import CHANGELIST_URL, change_url
from tests.factories.customers import CustomerFactory
from tests.integration_api.conftest import staff_client_for

REPLICA = "replica_0"
routed = pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=[DEFAULT_DB_ALIAS, REPLICA]
)
router = PrimaryReplicaRouter()


@pytest.fixture
def replica(settings):
    settings.DATABASE_REPLICAS = [REPLICA]
    return REPLICA


@contextmanager
def queries_on_each():
    """(queries on the primary, queries on the replica) of the block."""
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        yield primary, replica


def reading(captured, table: str) -> list[str]:
    return [query["sql"] for query in captured if f'"{table}"' in query["sql"]]


def staff_user() -> User:
    return User.objects.create_superuser("staff", "staff@example.com", "a-long-staff-password")


# --- Routing decisions --------------------------------------------------------------------


def test_reads_in_a_request_go_to_the_replica_and_writes_to_the_primary(replica):
    # when
    with request_scope() as scope:
        read = router.db_for_read(Customer)
        written = router.db_for_write(Customer)
        read_after_write = router.db_for_read(Customer)

    # then
    assert (read, written, read_after_write) == (REPLICA, DEFAULT_DB_ALIAS, DEFAULT_DB_ALIAS)
    assert scope.wrote is True


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(User, id="staff_user_case"),
        pytest.param(Store, id="store_case"),
        pytest.param(Store.staff.through, id="store_staff_case"),
        pytest.param(CustomerRefreshToken, id="customer_token_case"),
        pytest.param(Session, id="session_case"),
    ],
)
def test_credentials_and_tenancy_are_read_on_the_primary(replica, model):
    # when
    with request_scope():
        read = router.db_for_read(model)

    # then
    assert read == DEFAULT_DB_ALIAS


def test_pinned_scope_and_primary_reads_read_the_primary(replica):
    # when
    with request_scope(pinned=True):
        pinned = router.db_for_read(Customer)
    with request_scope():
        with primary_reads():
            asked = router.db_for_read(Customer)
        after = router.db_for_read(Customer)

    # then
    assert (pinned, asked, after) == (DEFAULT_DB_ALIAS, DEFAULT_DB_ALIAS, REPLICA)


def test_reads_outside_a_request_go_to_the_primary(replica):
    # when: management commands and the task worker have no request scope
    read = router.db_for_read(Customer)

    # then
    assert read is None


def test_replicas_are_never_migrated(replica):
    # when
    on_replica = router.allow_migrate(REPLICA, "customers", "customer")
    on_primary = router.allow_migrate(DEFAULT_DB_ALIAS, "customers", "customer")

    # then
    assert (on_replica, on_primary) == (False, None)


def test_without_replicas_the_router_changes_nothing(settings):
    # given
    settings.DATABASE_REPLICAS = []

    # when
    with request_scope() as scope:
        answers = (
            router.db_for_read(Customer),
            router.db_for_write(Customer),
            router.allow_relation(Customer(), Store()),
            router.allow_migrate(DEFAULT_DB_ALIAS, "customers", "customer"),
        )

    # then
    assert scope is None
    assert answers == (None, None, None, None)


def test_without_replicas_no_pin_cookie_is_set(settings, rf: RequestFactory):
    # given
    settings.DATABASE_REPLICAS = []
    middleware = ReplicaRoutingMiddleware(lambda request: HttpResponse("ok"))

    # when
    response = middleware(rf.post("/anything"))

    # then
    assert PRIMARY_PIN_COOKIE not in response.cookies


@pytest.mark.parametrize(
    ("environment", "aliases"),
    [
        pytest.param({}, [DEFAULT_DB_ALIAS], id="none_case"),
        pytest.param(
            {
                "DATABASE_REPLICA_URLS": (
                    "postgres://reader@replica-a:5432/clientele,"
                    "postgres://reader@replica-b:5433/clientele"
                )
            },
            [DEFAULT_DB_ALIAS, "replica_0", "replica_1"],
            id="two_replicas_case",
        ),
    ],
)
def test_database_replica_urls_add_replica_aliases(environment, aliases):
    # given
    script = (
        "import json; from django.conf import settings; print(json.dumps(["
        "list(settings.DATABASES), settings.DATABASE_REPLICAS, settings.DATABASE_ROUTERS, "
        "[settings.DATABASES[a].get('HOST') for a in settings.DATABASE_REPLICAS]]))"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DATABASE_REPLICA_URLS")
    }
    env.update(
        environment,
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_SECRET_KEY="settings-test-only-0123456789abcdef0123456789",
    )

    # when
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    # then
    databases, replicas, routers, hosts = json.loads(result.stdout)
    assert databases == aliases
    assert replicas == aliases[1:]
    assert routers == ["config.db_router.PrimaryReplicaRouter"]
    assert hosts == ["replica-a", "replica-b"][: len(replicas)]


# --- Requests against a replica on the same database --------------------------------------


@routed
def test_list_search_and_change_page_read_customers_on_the_replica(client, replica, store):
    # given
    customer = CustomerFactory(store=store, email="john.smith@example.com")
    client.force_login(staff_user())

    # when
    with queries_on_each() as (primary, on_replica):
        listed = client.get(CHANGELIST_URL)
        searched = client.get(CHANGELIST_URL, {"q": "john.smith"})
        changed = client.get(change_url(customer))

    # then
    assert (listed.status_code, searched.status_code, changed.status_code) == (200, 200, 200)
    assert [c.pk for c in listed.context["cl"].result_list] == [customer.pk]
    assert [c.pk for c in searched.context["cl"].result_list] == [customer.pk]
    assert reading(primary, "customers_customer") == []
    assert len(reading(on_replica, "customers_customer")) >= 3
    # Sessions and the staff user are authentication: the primary only.
    assert reading(on_replica, "django_session") == reading(on_replica, "auth_user") == []
    assert reading(primary, "django_session")
    assert reading(primary, "auth_user")
    assert PRIMARY_PIN_COOKIE not in listed.cookies


@routed
def test_api_lookup_reads_the_customer_on_the_replica(replica, store):
    # given
    customer = CustomerFactory(store=store)
    user = User.objects.create_user("integrator", is_staff=True, is_superuser=True)
    api = staff_client_for(user)

    # when
    with queries_on_each() as (primary, on_replica):
        response = api.get(f"/api/v2/customers/{customer.uuid}")

    # then
    assert response.status_code == 200
    assert response.json()["id"] == str(customer.uuid)
    assert reading(primary, "customers_customer") == []
    assert reading(on_replica, "customers_customer")
    assert reading(on_replica, "auth_user") == []


@routed
def test_a_customer_token_is_checked_on_the_primary(replica, store):
    # given: a confirmed customer with an access token
    customer = CustomerFactory(store=store)
    token = customer_tokens_issue(customer=customer).access

    # when
    with queries_on_each() as (primary, on_replica):
        response = Client().get(
            f"/customers/{customer.reference}", HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    # then: who the caller is, and that it may still act, is read where writes land
    assert response.status_code == 200

    def by_uuid(captured) -> list[str]:
        return [sql for sql in reading(captured, "customers_customer") if "uuid =" in sql]

    assert len(by_uuid(primary)) == 1
    assert by_uuid(on_replica) == []


@routed
def test_a_read_after_a_write_in_the_same_request_goes_to_the_primary(replica, rf):
    # given
    seen = {}

    def view(request):
        seen["before"] = Customer.objects.count()
        CustomerGroup.objects.create(name="Wholesale")
        seen["groups_after"] = list(CustomerGroup.objects.values_list("name", flat=True))
        return HttpResponse("ok")

    middleware = ReplicaRoutingMiddleware(view)

    # when
    with queries_on_each() as (primary, on_replica):
        response = middleware(rf.get("/writes-on-a-get"))

    # then
    assert seen == {"before": 0, "groups_after": ["Default", "Wholesale"]}
    assert len(reading(on_replica, "customers_customer")) == 1
    assert reading(on_replica, "customers_customergroup") == []
    assert len(reading(primary, "customers_customergroup")) == 2  # the insert, the read
    cookie = response.cookies[PRIMARY_PIN_COOKIE]
    assert (cookie.value, cookie["max-age"], cookie["httponly"]) == (
        "1",
        django_settings.DATABASE_REPLICA_PIN_SECONDS,
        True,
    )


@routed
@pytest.mark.parametrize(
    ("method", "cookies"),
    [
        pytest.param("post", {}, id="unsafe_method_case"),
        pytest.param("get", {PRIMARY_PIN_COOKIE: "1"}, id="caller_just_wrote_case"),
    ],
)
def test_writers_read_the_primary(replica, rf, store, method, cookies):
    # given
    CustomerFactory(store=store)
    request = getattr(rf, method)("/anything")
    request.COOKIES.update(cookies)
    middleware = ReplicaRoutingMiddleware(lambda request: HttpResponse(Customer.objects.count()))

    # when
    with queries_on_each() as (primary, on_replica):
        response = middleware(request)

    # then
    assert response.content == b"1"
    assert len(reading(primary, "customers_customer")) == 1
    assert on_replica.captured_queries == []
    assert PRIMARY_PIN_COOKIE not in response.cookies


@routed
def test_atomic_blocks_and_locks_read_the_primary(replica, store):
    # given
    customer = CustomerFactory(store=store)

    # when
    with request_scope(), queries_on_each() as (primary, on_replica):
        outside = Customer.objects.get(pk=customer.pk)
        with transaction.atomic():
            inside = Customer.objects.get(pk=customer.pk)
            locked = Customer.objects.select_for_update().get(pk=customer.pk)

    # then
    assert outside == inside == locked == customer
    assert len(reading(on_replica, "customers_customer")) == 1
    assert len(reading(primary, "customers_customer")) == 2


@routed
def test_admin_login_and_writes_go_to_the_primary(client, replica, store):
    # given
    staff_user()
    customer = CustomerFactory(store=store, state=Customer.State.ENABLED)

    # when
    with queries_on_each() as (primary, on_replica):
        logged_in = client.post(
            "/admin/login/",
            {"username": "staff", "password": "a-long-staff-password", "next": "/admin/"},
        )
        disabled = client.post(
            CHANGELIST_URL,
            {"action": "disable_customers", "index": "0", "_selected_action": [customer.pk]},
        )

    # then
    assert (logged_in.status_code, disabled.status_code) == (302, 302)
    assert on_replica.captured_queries == []
    assert reading(primary, "auth_user")
    assert reading(primary, "django_session")
    customer.refresh_from_db()
    assert customer.state == Customer.State.DISABLED
    assert disabled.cookies[PRIMARY_PIN_COOKIE].value == "1"
