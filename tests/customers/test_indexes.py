"""Every index on the customer table serves a query the product runs (PostgreSQL plans).

Each test runs a query as the selectors, the filters or the admin build it, asks PostgreSQL
for its plan with sequential scans priced out (a table of a few thousand rows would
otherwise be read whole), and asserts the index that answers it. The last test lists the
table's indexes, so that an index added without a query to serve fails here.
"""

import pytest
from django.contrib.auth.models import User
from django.db import connection

from customers.models import Customer
from customers.selectors import (
    customer_get,
    customer_list,
    customer_search,
    tenant_customer_get,
    tenant_customers_query,
)
from customers.services import customer_groups_known, customer_row_build, customers_rows_insert
from tests.factories.customers import StoreFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="index plans are PostgreSQL's"
)

ROWS = 3_000
SEARCH_INDEX = "customers_customer_search_trgm"


def insert_customers(store, count: int, prefix: str = "shopper") -> None:
    group_ids = customer_groups_known()
    rows = [
        customer_row_build(
            group_ids=group_ids,
            email=f"{prefix}{n}@example.com",
            first_name=f"First{n}",
            last_name=f"Last{n}",
            phone=f"+4930{1000000 + n}",
            mobile=f"+49170{1000000 + n}",
        )
        for n in range(count)
    ]
    customers_rows_insert(store=store, rows=rows)


@pytest.fixture
def populated(store):
    insert_customers(store, ROWS)
    Customer.objects.filter(email="shopper7@example.com").update(deleted_at="2024-01-01T00:00:00Z")
    with connection.cursor() as cursor:
        # As autovacuum would: move the GIN index's pending entries into the index
        # (the planner prices a long pending list as read in full) and gather statistics.
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [SEARCH_INDEX])
        cursor.execute("ANALYZE customers_customer")
        cursor.execute("SET LOCAL enable_seqscan = off")
    return store


def plan(queryset) -> str:
    return queryset.explain()


def sql_plan(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_default_list_page_reads_the_live_id_index(populated, admin_user):
    # when
    listing = customer_list(filters={}, user=admin_user)

    # then
    text = plan(listing.customers.values_list("id", flat=True)[:20])
    assert "customers_customer_live_id_idx" in text


def test_a_store_limited_list_reads_the_live_store_index(populated):
    # given: a staff user limited to a small store beside the large one
    small = StoreFactory(code="AT")
    insert_customers(small, 30, prefix="small")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    staff = User.objects.create_user(username="limited", is_staff=True)
    small.staff.add(staff)

    # when
    listing = customer_list(filters={}, user=staff)

    # then
    text = plan(listing.customers.values_list("id", flat=True)[:20])
    assert "customers_customer_live_store" in text


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("quaxw", 1),
        ("first1234 quax", 1),
        ("SHOPPER1234@exa", 1),
        ("+49301001234", 1),
        ("--123", 11),  # references DEFAULT--123 and DEFAULT--1230 to --1239
        ("quaxwell shopper1234", 0),  # the end of the name and the start of the email
    ],
    ids=["last name", "first and last name", "email", "phone", "reference", "across two"],
)
def test_keyword_search_reads_the_one_search_index(populated, admin_user, term, found):
    # given: one customer with a rare name
    Customer.objects.filter(email="shopper1234@example.com").update(last_name="Quaxwell")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    # What searching each column on its own finds: the name as "first last".
    expected = sorted(
        customer.pk
        for customer in Customer.objects.filter(deleted_at__isnull=True)
        if any(
            term.upper() in text.upper()
            for text in (
                f"{customer.first_name} {customer.last_name}",
                customer.email,
                str(customer.phone or ""),
                customer.reference,
            )
        )
    )

    # when
    listing = customer_list(filters={"search": term}, user=admin_user)

    # then: the one index answers, and finds just that
    assert SEARCH_INDEX in plan(listing.customers[:20])
    assert sorted(customer.pk for customer in listing.customers) == expected
    assert listing.total == len(expected) == found


def test_lookup_by_reference_reads_the_reference_constraint(populated):
    # given
    reference = Customer.objects.get(email="shopper5@example.com").reference

    # when
    queryset = Customer.objects.filter(store=populated, reference=reference)

    # then: the ORM's lookup and the Integration API's
    assert "customers_customer_reference_unique" in plan(queryset)
    assert customer_get(store=populated, reference=reference).email == "shopper5@example.com"
    assert "customers_customer_reference_unique" in sql_plan(
        *tenant_customers_query(populated.code, {"reference": reference}, limit=1)
    )


def test_lookup_by_uuid_reads_the_uuid_key(populated):
    # given
    uuid = Customer.objects.get(email="shopper5@example.com").uuid

    # then: the admin's lookup and the Integration API's
    assert "customers_customer_uuid_key" in plan(Customer.objects.filter(uuid=uuid))
    assert "customers_customer_uuid_key" in sql_plan(
        *tenant_customers_query(populated.code, {"uuid": uuid}, limit=1)
    )
    assert tenant_customer_get(store_code=populated.code, uuid=str(uuid)).uuid == uuid


@pytest.mark.parametrize(
    ("criteria", "index"),
    [
        pytest.param(
            {"email": "Shopper5@Example.com"}, "customers_customer_email_unique", id="email_case"
        ),
        pytest.param({"phone": "+49301000005"}, "customers_customer_phone_unique", id="phone_case"),
        pytest.param(
            {"mobile": "+491701000005"}, "customers_customer_mobile_unique", id="mobile_case"
        ),
    ],
)
def test_searches_by_email_and_phone_read_their_unique_indexes(populated, criteria, index):
    # when
    found = customer_search(store_code=populated.code, **criteria)

    # then: the statement the search ran, criteria in their stored form
    stored = {name: value.lower() if name == "email" else value for name, value in criteria.items()}
    assert index in sql_plan(*tenant_customers_query(populated.code, stored, limit=50))
    assert [customer.email for customer in found] == ["shopper5@example.com"]


def test_the_created_filter_reads_the_created_index(populated, admin_user):
    # when
    listing = customer_list(
        filters={"created_after": "2999-01-01", "ordering": "created_at"}, user=admin_user
    )

    # then
    assert "customers_customer_created_idx" in plan(listing.customers[:20])
    assert listing.total == 0


def test_the_admins_soft_deleted_filter_reads_the_deleted_index(populated):
    # when
    queryset = Customer.objects.filter(deleted_at__isnull=False)

    # then
    assert "customers_customer_deleted" in plan(queryset)
    assert list(queryset.values_list("email", flat=True)) == ["shopper7@example.com"]


def test_the_group_filter_reads_the_group_index(populated, admin_user):
    # when
    listing = customer_list(filters={"group_id": 2}, user=admin_user)

    # then
    assert "customers_customer_group_id_" in plan(listing.customers[:20])
    assert listing.total == 0


def test_the_admins_email_verified_filter_reads_the_verification_index(populated):
    # when: the grid's "email verified: yes" (nobody in the populated table is verified)
    queryset = Customer.objects.filter(email_verified_at__isnull=False)

    # then
    assert "customers_customer_verify_idx" in plan(queryset)
    assert list(queryset) == []


def test_the_customer_table_has_exactly_the_indexes_above(db):
    # when
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'customers_customer' "
            "ORDER BY indexname"
        )
        names = [name for (name,) in cursor.fetchall()]

    # then: one entry per query above, plus the primary key
    assert [name.rsplit("_", 1)[0] if "group_id" in name else name for name in names] == [
        "customers_customer_created_idx",
        "customers_customer_deleted",
        "customers_customer_email_unique",
        "customers_customer_group_id",
        "customers_customer_live_id_idx",
        "customers_customer_live_store",
        "customers_customer_mobile_unique",
        "customers_customer_phone_unique",
        "customers_customer_pkey",
        "customers_customer_reference_unique",
        "customers_customer_search_trgm",
        "customers_customer_uuid_key",
        "customers_customer_verify_idx",
    ]
