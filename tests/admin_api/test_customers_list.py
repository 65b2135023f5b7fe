"""GET /api/customers: the EverShop list envelope, pagination, filters and scoping (SPEC 5)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import CustomerGroup
from tests.admin_api.conftest import (
    SEED_CREATED,
    SEED_UPDATED,
    bearer_client,
    fixed_times,
    staff_client_for,
)
from tests.factories.customers import CustomerFactory

URL = "/api/customers"


def row(customer) -> dict:
    return {
        "customer_id": customer.pk,
        "uuid": str(customer.uuid),
        "status": 1 if customer.state == "enabled" else 0,
        "group_id": customer.group_id,
        "email": customer.email,
        "full_name": customer.full_name,
        "created_at": customer.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "updated_at": customer.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
    }


def ids(response) -> list[int]:
    return [item["customer_id"] for item in response.json()["data"]]


@pytest.fixture
def many(store):
    """25 customers, oldest first."""
    return [CustomerFactory(store=store, email=f"c{n:02d}@example.com") for n in range(25)]


def test_list_replays_the_seed(staff_client, store):
    # given
    jane = fixed_times(
        CustomerFactory(
            store=store, email="jane.doe@example.com", first_name="Jane", last_name="Doe"
        ),
        datetime(2023, 2, 6, 10, 15, 22, tzinfo=UTC),
    )
    john = fixed_times(
        CustomerFactory(
            store=store, email="john.smith@example.com", first_name="John", last_name="A. Smith"
        ),
        SEED_CREATED,
        SEED_UPDATED,
    )

    # when
    response = staff_client.get(URL, {"ordering": "id"})

    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": [
            {
                "customer_id": jane.pk,
                "uuid": str(jane.uuid),
                "status": 1,
                "group_id": 1,
                "email": "jane.doe@example.com",
                "full_name": "Jane Doe",
                "created_at": "2023-02-06 10:15:22",
                "updated_at": "2023-02-06 10:15:22",
            },
            {
                "customer_id": john.pk,
                "uuid": str(john.uuid),
                "status": 1,
                "group_id": 1,
                "email": "john.smith@example.com",
                "full_name": "John A. Smith",
                "created_at": "2023-02-07 14:18:05",
                "updated_at": "2023-02-07 14:18:06",
            },
        ],
        "links": {
            "first": "/api/customers?ordering=id&page=1",
            "last": "/api/customers?ordering=id&page=1",
            "prev": None,
            "next": None,
        },
        "meta": {
            "current_page": 1,
            "from": 1,
            "last_page": 1,
            "path": "/api/customers",
            "per_page": 20,
            "to": 2,
            "total": 2,
        },
    }


def test_plain_list_links_match_the_seed(staff_client, customer):
    # when
    response = staff_client.get(URL)

    # then
    assert response.json()["links"] == {
        "first": "/api/customers?page=1",
        "last": "/api/customers?page=1",
        "prev": None,
        "next": None,
    }
    assert response.json()["data"] == [row(customer)]


def test_empty_list(staff_client, db):
    # when
    response = staff_client.get(URL)

    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": [],
        "links": {
            "first": "/api/customers?page=1",
            "last": "/api/customers?page=1",
            "prev": None,
            "next": None,
        },
        "meta": {
            "current_page": 1,
            "from": None,
            "last_page": 1,
            "path": "/api/customers",
            "per_page": 20,
            "to": None,
            "total": 0,
        },
    }


def test_first_page(staff_client, many):
    # when
    response = staff_client.get(URL, {"limit": 10})

    # then
    assert ids(response) == [c.pk for c in reversed(many)][:10]
    assert response.json()["links"] == {
        "first": "/api/customers?limit=10&page=1",
        "last": "/api/customers?limit=10&page=3",
        "prev": None,
        "next": "/api/customers?limit=10&page=2",
    }
    assert response.json()["meta"] == {
        "current_page": 1,
        "from": 1,
        "last_page": 3,
        "path": "/api/customers",
        "per_page": 10,
        "to": 10,
        "total": 25,
    }


def test_middle_page(staff_client, many):
    # when
    response = staff_client.get(URL, {"limit": 10, "page": 2})

    # then
    assert ids(response) == [c.pk for c in reversed(many)][10:20]
    assert response.json()["links"] == {
        "first": "/api/customers?limit=10&page=1",
        "last": "/api/customers?limit=10&page=3",
        "prev": "/api/customers?limit=10&page=1",
        "next": "/api/customers?limit=10&page=3",
    }
    assert (response.json()["meta"]["from"], response.json()["meta"]["to"]) == (11, 20)


def test_last_page(staff_client, many):
    # when
    response = staff_client.get(URL, {"limit": 10, "page": 3})

    # then
    assert ids(response) == [c.pk for c in reversed(many)][20:]
    assert response.json()["links"]["next"] is None
    assert response.json()["links"]["prev"] == "/api/customers?limit=10&page=2"
    assert response.json()["meta"] == {
        "current_page": 3,
        "from": 21,
        "last_page": 3,
        "path": "/api/customers",
        "per_page": 10,
        "to": 25,
        "total": 25,
    }


def test_past_the_end_page_is_empty_with_consistent_meta(staff_client, many):
    # when
    response = staff_client.get(URL, {"limit": 10, "page": 7})

    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": [],
        "links": {
            "first": "/api/customers?limit=10&page=1",
            "last": "/api/customers?limit=10&page=3",
            "prev": "/api/customers?limit=10&page=3",
            "next": None,
        },
        "meta": {
            "current_page": 7,
            "from": None,
            "last_page": 3,
            "path": "/api/customers",
            "per_page": 10,
            "to": None,
            "total": 25,
        },
    }


def test_default_limit_is_20(staff_client, many):
    # when
    response = staff_client.get(URL)

    # then
    assert len(response.json()["data"]) == 20
    assert response.json()["meta"]["per_page"] == 20
    assert response.json()["meta"]["last_page"] == 2


def test_limit_is_clamped_to_100(staff_client, store):
    # given
    CustomerFactory.create_batch(101, store=store)

    # when
    response = staff_client.get(URL, {"limit": 1000})

    # then
    assert len(response.json()["data"]) == 100
    assert response.json()["meta"]["per_page"] == 100
    assert response.json()["meta"]["last_page"] == 2
    assert response.json()["links"]["next"] == "/api/customers?limit=1000&page=2"


def test_other_parameters_are_kept_in_the_links(staff_client, many):
    # when
    response = staff_client.get(URL, {"keyword": "example", "limit": 10})

    # then
    assert response.json()["links"]["next"] == "/api/customers?keyword=example&limit=10&page=2"


# --- Filters ----------------------------------------------------------------------------------


def test_keyword_matches_first_and_last_name_across_the_space(
    staff_client, customer, other_customer
):
    # when
    response = staff_client.get(URL, {"keyword": "JOHN smi"})

    # then
    assert ids(response) == [customer.pk]


@pytest.mark.parametrize(
    "keyword",
    [
        pytest.param("SMITH@EXAM", id="email_case"),
        pytest.param("3012345", id="phone_case"),
        pytest.param("ref-77", id="reference_case"),
        pytest.param("  john   smith ", id="whitespace_case"),
    ],
)
def test_keyword_matches_email_phone_and_reference(staff_client, store, other_customer, keyword):
    # given
    match = CustomerFactory(
        store=store,
        email="john.smith@example.com",
        first_name="John",
        last_name="Smith",
        phone="+49301234567",
        reference="REF-77",
    )

    # when
    response = staff_client.get(URL, {"keyword": keyword})

    # then
    assert ids(response) == [match.pk]


def test_email_filter_is_exact_and_case_insensitive(staff_client, store, customer):
    # given
    CustomerFactory(store=store, email="john.smith@example.com.test")

    # when
    response = staff_client.get(URL, {"email": "JOHN.Smith@example.com"})

    # then
    assert ids(response) == [customer.pk]


@pytest.mark.parametrize(
    ("status", "expected"),
    [pytest.param("1", "enabled", id="enabled_case"), pytest.param("0", "other", id="other_case")],
)
def test_status_filter(staff_client, store, status, expected):
    # given
    enabled = CustomerFactory(store=store, state="enabled")
    others = [
        CustomerFactory(store=store, state=state) for state in ("disabled", "invited", "declined")
    ]

    # when
    response = staff_client.get(URL, {"status": status, "ordering": "id"})

    # then
    assert ids(response) == ([enabled.pk] if expected == "enabled" else [c.pk for c in others])


def test_group_id_filter(staff_client, store, customer):
    # given
    group = CustomerGroup.objects.create(name="Wholesale")
    member = CustomerFactory(store=store, group=group)

    # when
    response = staff_client.get(URL, {"group_id": group.pk})

    # then
    assert ids(response) == [member.pk]


def test_store_filter(staff_client, customer, other_store):
    # given
    austrian = CustomerFactory(store=other_store)

    # when
    response = staff_client.get(URL, {"store": "at"})

    # then
    assert ids(response) == [austrian.pk]


def test_created_from_and_to_filters_include_both_days(staff_client, store):
    # given
    days = [datetime(2024, 5, day, 23, 59, 59, tzinfo=UTC) for day in (1, 2, 3, 4)]
    customers = [fixed_times(CustomerFactory(store=store), day) for day in days]

    # when
    response = staff_client.get(
        URL, {"created_from": "2024-05-02", "created_to": "2024-05-03", "ordering": "id"}
    )

    # then
    assert ids(response) == [customers[1].pk, customers[2].pk]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        pytest.param("created_at", ["b", "c", "a"], id="created_at_case"),
        pytest.param("-created_at", ["a", "c", "b"], id="created_at_desc_case"),
        pytest.param("email", ["a", "b", "c"], id="email_case"),
        pytest.param("-email", ["c", "b", "a"], id="email_desc_case"),
        pytest.param("full_name", ["c", "a", "b"], id="full_name_case"),
        pytest.param("-full_name", ["b", "a", "c"], id="full_name_desc_case"),
        pytest.param("id", ["a", "b", "c"], id="id_case"),
        pytest.param("-id", ["c", "b", "a"], id="id_desc_case"),
        pytest.param("", ["c", "b", "a"], id="default_case"),
    ],
)
def test_ordering(staff_client, store, ordering, expected):
    # given
    made = {
        "a": fixed_times(
            CustomerFactory(store=store, email="a@example.com", first_name="Bea", last_name="X"),
            datetime(2024, 1, 3, tzinfo=UTC),
        ),
        "b": fixed_times(
            CustomerFactory(store=store, email="b@example.com", first_name="Cy", last_name="X"),
            datetime(2024, 1, 1, tzinfo=UTC),
        ),
        "c": fixed_times(
            CustomerFactory(store=store, email="c@example.com", first_name="Al", last_name="X"),
            datetime(2024, 1, 2, tzinfo=UTC),
        ),
    }

    # when
    response = staff_client.get(URL, {"ordering": ordering})

    # then
    assert ids(response) == [made[key].pk for key in expected]


def test_soft_deleted_customers_are_not_listed(staff_client, store, customer):
    # given
    CustomerFactory(store=store, deleted_at=datetime(2024, 1, 1, tzinfo=UTC))

    # when
    response = staff_client.get(URL)

    # then
    assert ids(response) == [customer.pk]
    assert response.json()["meta"]["total"] == 1


def counts_customers(queries) -> bool:
    return any(
        "COUNT(" in q["sql"].upper() and "customers_customer" in q["sql"]
        for q in queries.captured_queries
    )


def test_totals_without_a_narrowing_filter_come_from_the_store_counts(
    staff_client, many, other_store
):
    # given
    CustomerFactory(store=other_store)
    CustomerFactory(store=other_store, deleted_at=datetime(2024, 1, 1, tzinfo=UTC))

    # when
    with CaptureQueriesContext(connection) as every_store:
        everything = staff_client.get(URL, {"ordering": "-id"})
    with CaptureQueriesContext(connection) as one_store:
        germany = staff_client.get(URL, {"store": "DE"})

    # then
    assert everything.json()["meta"]["total"] == 26
    assert germany.json()["meta"]["total"] == 25
    assert not counts_customers(every_store)
    assert not counts_customers(one_store)


def test_a_narrowing_filter_counts_the_matching_customers(staff_client, many):
    # when
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(URL, {"keyword": "c1"})

    # then
    assert response.json()["meta"]["total"] == 10
    assert counts_customers(queries)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"page": "0"}, "page: Must be a positive integer.", id="page_zero_case"),
        pytest.param({"page": "-1"}, "page: Must be a positive integer.", id="page_negative_case"),
        pytest.param({"page": "abc"}, "page: Must be a positive integer.", id="page_word_case"),
        pytest.param({"page": "1.5"}, "page: Must be a positive integer.", id="page_float_case"),
        pytest.param({"limit": "abc"}, "limit: Must be a positive integer.", id="limit_word_case"),
        pytest.param({"limit": "0"}, "limit: Must be a positive integer.", id="limit_zero_case"),
        pytest.param(
            {"ordering": "bogus"},
            "ordering: Select a valid choice. bogus is not one of the available choices.",
            id="ordering_case",
        ),
        pytest.param(
            {"ordering": "password"},
            "ordering: Select a valid choice. password is not one of the available choices.",
            id="ordering_hidden_field_case",
        ),
        pytest.param({"status": "2"}, "status: Must be 0 or 1.", id="status_two_case"),
        pytest.param({"status": "true"}, "status: Must be 0 or 1.", id="status_word_case"),
        pytest.param({"group_id": "abc"}, "group_id: Enter a whole number.", id="group_word_case"),
        pytest.param(
            {"group_id": "0"},
            "group_id: Ensure this value is greater than or equal to 1.",
            id="group_zero_case",
        ),
        pytest.param(
            {"group_id": "99999999999999999999"},
            "group_id: Ensure this value is less than or equal to 9223372036854775807.",
            id="group_overflow_case",
        ),
        pytest.param(
            {"store": "ZZ"},
            "store: Select a valid choice. That choice is not one of the available choices.",
            id="store_unknown_case",
        ),
        pytest.param(
            {"created_from": "notadate"},
            "created_from: Enter a valid date.",
            id="created_from_case",
        ),
        pytest.param(
            {"created_to": "05/31/2024"}, "created_to: Enter a valid date.", id="created_to_case"
        ),
        pytest.param(
            {"keyword": "x" * 201},
            "keyword: Ensure this value has at most 200 characters (it has 201).",
            id="keyword_too_long_case",
        ),
    ],
)
def test_invalid_parameters_are_400(staff_client, customer, params, message):
    # when
    response = staff_client.get(URL, params)

    # then
    assert response.status_code == 400
    assert response.json() == {"error": {"status": 400, "message": message}}


def test_empty_parameters_are_ignored(staff_client, customer):
    # when
    response = staff_client.get(URL + "?page=&limit=&status=&keyword=&ordering=")

    # then
    assert response.status_code == 200
    assert ids(response) == [customer.pk]


# --- Permissions and store scoping ------------------------------------------------------------


def test_list_without_credentials_is_401(api_client, customer):
    # when
    response = api_client.get(URL)

    # then
    assert response.status_code == 401
    assert response.json() == {
        "error": {"status": 401, "message": "Authentication credentials were not provided."}
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_list_with_a_customer_token_is_403(customer_token_client):
    # when
    response = customer_token_client.get(URL)

    # then
    assert response.status_code == 403
    assert response.json() == {
        "error": {"status": 403, "message": "You do not have permission to perform this action."}
    }


def test_list_with_a_customer_session_is_403(session_client):
    # when
    response = session_client.get(URL)

    # then
    assert response.status_code == 403


def test_list_without_view_permission_is_403(make_staff, customer):
    # given
    client = staff_client_for(make_staff(permissions=("add", "change", "delete")))

    # when
    response = client.get(URL)

    # then
    assert response.status_code == 403


def test_staff_of_one_store_sees_only_its_customers(make_staff, customer, other_store):
    # given
    user = make_staff()
    other_store.staff.add(user)
    austrian = CustomerFactory(store=other_store)

    # when
    response = staff_client_for(user).get(URL)

    # then
    assert ids(response) == [austrian.pk]
    assert response.json()["meta"]["total"] == 1


def test_staff_of_one_store_filtering_another_store_is_403(make_staff, customer, other_store):
    # given
    user = make_staff()
    other_store.staff.add(user)

    # when
    response = staff_client_for(user).get(URL, {"store": "DE"})

    # then
    assert response.status_code == 403
    assert response.json() == {
        "error": {"status": 403, "message": "You may not access this store."}
    }


def test_an_expired_or_forged_token_is_401(customer):
    # when
    response = bearer_client("abc.def.ghi").get(URL)

    # then
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


def test_the_admin_session_cookie_works_for_staff(client, staff_user, customer):
    # given
    client.force_login(staff_user)

    # when
    response = client.get(URL)

    # then
    assert response.status_code == 200
    assert ids(response) == [customer.pk]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        pytest.param(None, ["cy", "bo", "al"], id="default_newest_first_case"),
        pytest.param("email", ["al", "bo", "cy"], id="email_case"),
        pytest.param("-email", ["cy", "bo", "al"], id="email_descending_case"),
        pytest.param("full_name", ["bo", "cy", "al"], id="full_name_case"),
    ],
)
def test_a_search_with_few_matches_keeps_the_requested_order(
    staff_client, store, ordering, expected
):
    # given
    made = {
        key: CustomerFactory(
            store=store, email=f"{key}@shop.example", first_name=first, last_name="Shopper"
        )
        for key, first in (("al", "Zora"), ("bo", "Anna"), ("cy", "Nina"))
    }
    CustomerFactory(store=store, email="other@example.com")
    params = {"keyword": "shop"}
    if ordering:
        params["ordering"] = ordering

    # when
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(URL, params)

    # then
    assert ids(response) == [made[key].pk for key in expected]
    assert response.json()["meta"]["total"] == 3
    page_keys = next(
        q["sql"]
        for q in queries.captured_queries
        if "customers_customer" in q["sql"] and "LIMIT" in q["sql"]
    )
    assert "COALESCE" in page_keys
