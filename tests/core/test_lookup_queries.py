"""How many statements each lookup route runs, and on which tables (SPEC 11's hot paths).

The design (docs/decisions.md, "Lookups in two statements"): a staff lookup reads its user in
one statement, the permissions and stores of a user who is not a superuser in one more, and
the customer with the tenant's store and the addresses in a third. A Storefront lookup reads
the token's customer with its store, and answers from that. Counts are exact: a query added
to these paths fails here.
"""

import re

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.tokens import StaffRefreshToken, customer_tokens_issue
from tests.factories.customers import AddressFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def staff_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {StaffRefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def superuser():
    return User.objects.create_superuser("root", "root@example.com", "a-long-staff-password")


@pytest.fixture
def integrator(store):
    """Staff as an integration would be set up: permissions through a group, one store."""
    group = Group.objects.create(name="integrations")
    group.permissions.set(Permission.objects.filter(codename__in=["view_customer", "view_address"]))
    user = User.objects.create_user("erp", "erp@example.com", is_staff=True)
    user.groups.add(group)
    store.staff.add(user)
    return user


@pytest.fixture
def shopper(store):
    customer = CustomerFactory(
        store=store, email="anne.kraus@example.com", phone="+49301234567", state="enabled"
    )
    AddressFactory(customer=customer, is_default_shipping=True)
    AddressFactory(customer=customer)
    return customer


def tables_read(captured) -> list[list[str]]:
    """The tables each captured statement reads, in order."""
    return [
        sorted(set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', query["sql"])))
        for query in captured.captured_queries
    ]


def lookups(shopper) -> dict[str, str]:
    return {
        "by_id": f"/api/v2/customers/{shopper.uuid}",
        "by_ref": f"/api/v2/customers/{shopper.reference}/ref",
        "by_email": "/api/v2/customers/search?email=Anne.Kraus@example.com",
        "by_phone": "/api/v2/customers/search?phone=%2B49301234567",
    }


CUSTOMER_WITH_STORE_AND_ADDRESSES = ["addresses_address", "customers_customer", "customers_store"]
GRANTS = [
    "auth_group_permissions",
    "auth_permission",
    "auth_user_groups",
    "auth_user_user_permissions",
    "customers_store_staff",
    "django_content_type",
]


@pytest.mark.parametrize("route", ["by_id", "by_ref", "by_email", "by_phone"])
@pytest.mark.parametrize(
    ("principal", "statements"),
    [
        pytest.param("superuser", [["auth_user"], CUSTOMER_WITH_STORE_AND_ADDRESSES], id="root"),
        pytest.param(
            "integrator",
            [["auth_user"], GRANTS, CUSTOMER_WITH_STORE_AND_ADDRESSES],
            id="limited_staff",
        ),
    ],
)
def test_an_integration_lookup_runs_two_statements_and_one_for_limited_staff(
    request, shopper, route, principal, statements
):
    # given
    client = staff_client(request.getfixturevalue(principal))

    # when
    with CaptureQueriesContext(connection) as captured:
        response = client.get(lookups(shopper)[route])

    # then
    assert response.status_code == 200
    found = response.json()
    found = found[0] if isinstance(found, list) else found
    assert found["id"] == str(shopper.uuid)
    assert len(found["addresses"]) == 2
    assert tables_read(captured) == statements


def test_an_integration_lookup_that_finds_nobody_reads_the_store_once_more(superuser, store):
    # given
    client = staff_client(superuser)

    # when
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v2/customers/DE--404/ref")

    # then: the store is checked so that an unknown tenant would answer first
    assert response.status_code == 404
    assert tables_read(captured) == [
        ["auth_user"],
        CUSTOMER_WITH_STORE_AND_ADDRESSES,
        ["customers_store"],
    ]


def test_a_storefront_lookup_runs_one_statement(shopper):
    # given
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {customer_tokens_issue(customer=shopper).access}"
    )

    # when
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/customers/{shopper.reference}")

    # then
    assert response.status_code == 200
    assert response.json()["data"]["id"] == shopper.reference
    assert tables_read(captured) == [["customers_customer", "customers_store"]]
