"""The customer grid does not count the whole table on every page view (SPEC 7, 11)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.admin_paginator import EstimatedCountPaginator
from customers.models import Customer
from tests.admin.conftest import CHANGELIST_URL
from tests.factories.customers import CustomerFactory

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_class estimates are PostgreSQL's"
)


def count_queries(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_small_tables_are_counted_exactly(store):
    # given
    for _ in range(3):
        CustomerFactory(store=store)
    paginator = EstimatedCountPaginator(Customer.objects.order_by("-id"), 2)

    # when
    count = paginator.count

    # then
    assert (count, paginator.num_pages) == (3, 2)


@postgresql_only
def test_unfiltered_large_table_uses_the_estimate_without_count(store, monkeypatch):
    # given
    for _ in range(3):
        CustomerFactory(store=store)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 1)
    paginator = EstimatedCountPaginator(Customer.objects.select_related("store").order_by("-id"), 2)

    # when
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count

    # then
    assert count == 3
    assert count_queries(queries) == []
    assert len(queries) == 1
    assert "pg_class" in queries.captured_queries[0]["sql"]


@postgresql_only
def test_filtered_querysets_are_counted_exactly(store, monkeypatch):
    # given
    for _ in range(3):
        CustomerFactory(store=store)
    CustomerFactory(store=store, state=Customer.State.DISABLED)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 1)
    paginator = EstimatedCountPaginator(Customer.objects.filter(state="disabled"), 2)

    # when
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count

    # then
    assert count == 1
    assert len(count_queries(queries)) == 1


@postgresql_only
def test_changelist_page_issues_no_count_on_a_large_table(admin_client, store, monkeypatch):
    # given
    for _ in range(3):
        CustomerFactory(store=store)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 1)

    # when
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST_URL)

    # then
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    assert [sql for sql in count_queries(queries) if "customers_customer" in sql] == []
