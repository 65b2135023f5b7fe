"""The customer grid's queries per view, and the orderings it sends (SPEC 7, 11).

Every view of the grid runs a fixed number of queries, whatever the rows: the session, the
staff user, the stores this user sees (twice: the queryset's condition and the store filter's
choices), the store count, the groups (filter choices), then the rows. Page 1 is read first
(51 rows at most): when it is the only page, it is the count too. On PostgreSQL the planner's
estimate comes first (`pg_class` for the whole table, an `EXPLAIN` for a filtered list); it
replaces the count on large results and chooses the order of a filtered one.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.admin import CustomerAdmin
from customers.admin_paginator import EstimatedCountPaginator
from customers.models import Customer
from tests.admin.conftest import CHANGELIST_URL, change_url
from tests.factories.customers import AddressFactory, CustomerFactory

ESTIMATE = 1 if connection.vendor == "postgresql" else 0
# session, staff user, visible stores, store count, filter choices (stores, groups)
BEFORE_COUNT = 6
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="planner estimates are PostgreSQL's"
)


def listed(response) -> list[str]:
    return [customer.reference for customer in response.context["cl"].result_list]


def page_query(queries) -> str:
    """The SQL of the query that read the page's customers."""
    selects = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('SELECT "customers_customer"."id", "customers_customer"."')
    ]
    assert len(selects) == 1
    return selects[0]


@pytest.fixture
def customers(store):
    made = [
        CustomerFactory(store=store, reference="C--1", accepts_marketing=True),
        CustomerFactory(store=store, reference="C--2", state=Customer.State.DISABLED),
        CustomerFactory(store=store, reference="C--3", email_verified_at=None),
        CustomerFactory(store=store, reference="C--4", deleted_at=timezone.now()),
    ]
    for customer in made:
        AddressFactory(customer=customer)
    return made


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({}, ["C--4", "C--3", "C--2", "C--1"], id="plain_case"),
        pytest.param({"q": "c--2"}, ["C--2"], id="search_exact_case"),
        pytest.param({"q": "@example"}, ["C--4", "C--3", "C--2", "C--1"], id="search_case"),
        pytest.param({"store": "1"}, ["C--4", "C--3", "C--2", "C--1"], id="store_case"),
        pytest.param({"state__exact": "disabled"}, ["C--2"], id="state_case"),
        pytest.param({"group__id__exact": "1"}, ["C--4", "C--3", "C--2", "C--1"], id="group_case"),
        pytest.param({"accepts_marketing__exact": "1"}, ["C--1"], id="marketing_case"),
        pytest.param({"email_verified": "no"}, ["C--3"], id="email_verified_case"),
        pytest.param(
            {"created_at__gte": "2000-01-01 00:00:00+00:00"},
            ["C--4", "C--3", "C--2", "C--1"],
            id="created_case",
        ),
        pytest.param({"deleted": "yes"}, ["C--4"], id="deleted_case"),
        pytest.param({"o": "7"}, ["C--1", "C--2", "C--3", "C--4"], id="sort_created_case"),
        pytest.param({"o": "-7"}, ["C--4", "C--3", "C--2", "C--1"], id="sort_created_desc_case"),
    ],
)
def test_each_grid_view_runs_a_fixed_number_of_queries(admin_client, customers, params, expected):
    # given
    admin_client.get(CHANGELIST_URL)  # content types and session are warm

    # when
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST_URL, params)

    # then
    assert response.status_code == 200
    assert listed(response) == expected
    assert len(queries) == BEFORE_COUNT + ESTIMATE + 1  # + the page, which is the count


def test_first_page_of_several_is_read_before_the_count(admin_client, customers, monkeypatch):
    # given: pages of two
    monkeypatch.setattr(CustomerAdmin, "list_per_page", 2)

    # when
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST_URL)

    # then: the first page's query (three rows: there is a next page), then the count
    assert listed(response) == ["C--4", "C--3"]
    assert response.context["cl"].result_count == 4
    assert len(queries) == BEFORE_COUNT + ESTIMATE + 2
    assert "LIMIT 3" in page_query(queries)
    assert "COUNT(*)" in queries.captured_queries[-1]["sql"]


def test_a_deep_page_reads_its_keys_then_its_rows(admin_client, customers, monkeypatch):
    # given: pages of two, and keys first from the third row on
    monkeypatch.setattr(CustomerAdmin, "list_per_page", 2)
    monkeypatch.setattr(EstimatedCountPaginator, "keys_first_from", 2)

    # when
    first = admin_client.get(CHANGELIST_URL)
    with CaptureQueriesContext(connection) as queries:
        second = admin_client.get(CHANGELIST_URL, {"p": "2"})

    # then
    assert (listed(first), listed(second)) == (["C--4", "C--3"], ["C--2", "C--1"])
    assert len(queries) == BEFORE_COUNT + ESTIMATE + 3  # + the count, the keys, the page
    keys = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "customers_customer"."id" AS "pk" FROM')
    ]
    assert len(keys) == 1
    assert "LIMIT 2 OFFSET 2" in keys[0]
    assert " IN (" in page_query(queries)


@pytest.mark.parametrize(
    ("order", "expected_sql"),
    [
        pytest.param(
            "7",
            'ORDER BY "customers_customer"."created_at" ASC, "customers_customer"."id" ASC',
            id="ascending_case",
        ),
        pytest.param(
            "-7",
            'ORDER BY "customers_customer"."created_at" DESC, "customers_customer"."id" DESC',
            id="descending_case",
        ),
    ],
)
def test_sorting_by_created_breaks_ties_by_id_in_the_same_direction(
    admin_client, customers, order, expected_sql
):
    # when
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST_URL, {"o": order})

    # then
    assert response.status_code == 200
    assert expected_sql in page_query(queries)


@pytest.mark.parametrize("order", ["2", "-2", "3", "2.7"])
def test_hand_written_sorts_on_unsortable_columns_are_ignored(admin_client, customers, order):
    # when: email (2) and full name (3) are not sortable; sorting them reads the whole table
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST_URL, {"o": order})

    # then
    assert response.status_code == 200
    sql = page_query(queries)
    assert '"email" ASC' not in sql
    assert '"email" DESC' not in sql
    if order == "2.7":
        assert listed(response) == ["C--1", "C--2", "C--3", "C--4"]
        assert response.context["cl"].get_ordering_field_columns() == {7: "asc"}
    else:
        assert listed(response) == ["C--4", "C--3", "C--2", "C--1"]
        assert response.context["cl"].get_ordering_field_columns() == {}


def test_change_page_runs_a_fixed_number_of_queries(admin_client, store):
    # given
    customer = CustomerFactory(store=store)
    for _ in range(3):
        AddressFactory(customer=customer)
    admin_client.get(change_url(customer))  # content types and session are warm

    # when
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(change_url(customer))

    # then: session, staff user, visible stores, store count, the customer, its addresses,
    # the customer's store (read-only field), the groups (choices)
    assert response.status_code == 200
    assert len(response.context["inline_admin_formsets"][0].formset.forms) == 3
    assert len(queries) == 8


@postgresql_only
def test_large_filtered_results_are_numbered_from_the_planner_estimate(store, monkeypatch):
    # given
    for _ in range(3):
        CustomerFactory(store=store, state=Customer.State.DISABLED)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_filtered_from", 1)
    paginator = EstimatedCountPaginator(
        Customer.objects.filter(state=Customer.State.DISABLED).order_by("-id"), 2
    )

    # when
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count

    # then
    assert paginator.estimated is True
    assert count >= 1
    assert len(queries) == 1
    assert queries.captured_queries[0]["sql"].startswith("EXPLAIN (FORMAT JSON) SELECT")


def test_pages_past_an_estimated_end_are_served(store, monkeypatch):
    # given: an estimate of one row where there are three
    for _ in range(3):
        CustomerFactory(store=store)
    paginator = EstimatedCountPaginator(Customer.objects.order_by("id"), 1)
    monkeypatch.setattr(paginator, "estimated", True)
    paginator.__dict__["count"] = 1

    # when
    third = paginator.page(3)
    fourth = paginator.page(4)

    # then: no row is unreachable, and past the true end a page is empty
    assert [c.pk for c in third.object_list] == [Customer.objects.order_by("id")[2].pk]
    assert list(fourth.object_list) == []
