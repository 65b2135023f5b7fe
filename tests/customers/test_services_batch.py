"""customers_check_batch and customers_insert_batch: the bulk upload's set-based path."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from addresses.models import Address
from customers.errors import EmailAlreadyUsed, PhoneAlreadyUsed, ReferenceAlreadyUsed
from customers.models import Customer
from customers.services import (
    customer_build,
    customer_create,
    customer_soft_delete,
    customers_check_batch,
    customers_insert_batch,
)
from customers.services.references import references_last_number


def drafts(store, *rows):
    return [customer_build(store=store, **row) for row in rows]


def test_check_batch_finds_duplicates_inside_the_batch(store):
    # given
    batch = drafts(
        store,
        {"email": "a@example.com", "phone": "+49301234567"},
        {"email": "A@EXAMPLE.com"},
        {"email": "c@example.com", "phone": "+49 30 1234567"},
        {"email": "d@example.com", "mobile": "+491711234567", "reference": "ERP-1"},
        {"email": "e@example.com", "mobile": "+491711234567", "reference": "ERP-1"},
    )

    # when
    problems = customers_check_batch(store=store, drafts=batch)

    # then
    assert problems == {
        1: [(EmailAlreadyUsed, "email")],
        2: [(PhoneAlreadyUsed, "phone")],
        4: [(PhoneAlreadyUsed, "mobile"), (ReferenceAlreadyUsed, "reference")],
    }


def test_check_batch_finds_duplicates_against_the_store(store, other_store):
    # given
    customer_create(
        store=store,
        email="taken@example.com",
        phone="+49301234567",
        mobile="+491711234567",
        reference="ERP-1",
    )
    gone = customer_create(store=store, email="gone@example.com")
    customer_soft_delete(customer=gone)
    customer_create(store=other_store, email="elsewhere@example.com")
    batch = drafts(
        store,
        {"email": "TAKEN@example.com"},
        {"email": "b@example.com", "phone": "+49301234567"},
        {"email": "c@example.com", "mobile": "+491711234567"},
        {"email": "d@example.com", "reference": "ERP-1"},
        {"email": "gone@example.com"},
        {"email": "elsewhere@example.com"},
    )

    # when
    problems = customers_check_batch(store=store, drafts=[None, *batch])

    # then
    assert problems == {
        1: [(EmailAlreadyUsed, "email")],
        2: [(PhoneAlreadyUsed, "phone")],
        3: [(PhoneAlreadyUsed, "mobile")],
        4: [(ReferenceAlreadyUsed, "reference")],
    }


def _check_queries(store, size: int) -> int:
    batch = drafts(
        store,
        *(
            {"email": f"c{i}@example.com", "phone": f"+4930123{i:04d}", "reference": f"R-{i}"}
            for i in range(size)
        ),
    )
    with CaptureQueriesContext(connection) as queries:
        customers_check_batch(store=store, drafts=batch)
    return len(queries)


def test_check_batch_query_count_does_not_grow_with_the_batch(store):
    # when
    small = _check_queries(store, 2)
    large = _check_queries(store, 60)

    # then
    assert small == large


def test_insert_batch_allocates_references_in_one_step(store):
    # given
    customer_create(store=store, email="first@example.com")
    batch = drafts(
        store,
        {
            "email": "a@example.com",
            "addresses": [{"address1": "A 1", "city": "Berlin", "country": "DE"}],
        },
        {"email": "b@example.com", "reference": "ERP-7"},
        {"email": "c@example.com"},
    )

    # when
    created = customers_insert_batch(store=store, drafts=batch)

    # then
    assert [c.reference for c in created] == ["DE--2", "ERP-7", "DE--3"]
    assert references_last_number(store=store) == 3
    assert list(Customer.objects.order_by("id").values_list("reference", "email")) == [
        ("DE--1", "first@example.com"),
        ("DE--2", "a@example.com"),
        ("ERP-7", "b@example.com"),
        ("DE--3", "c@example.com"),
    ]
    address = Address.objects.get()
    assert (address.customer_id, address.is_default_shipping, address.is_default_billing) == (
        created[0].pk,
        True,
        True,
    )


def _insert_queries(store, size: int, offset: int) -> int:
    batch = drafts(
        store,
        *(
            {
                "email": f"i{offset + i}@example.com",
                "addresses": [{"address1": "A 1", "city": "Berlin", "country": "DE"}],
            }
            for i in range(size)
        ),
    )
    with CaptureQueriesContext(connection) as queries:
        customers_insert_batch(store=store, drafts=batch)
    return len(queries)


def test_insert_batch_query_count_does_not_grow_with_the_batch(store):
    # when: 20 rows stay within one bulk INSERT even on SQLite (999 parameters a statement)
    small = _insert_queries(store, 2, offset=0)
    large = _insert_queries(store, 20, offset=100)

    # then
    assert small == large
    assert Customer.objects.count() == 22


def test_insert_batch_maps_a_lost_race_to_a_domain_error(store):
    # given: the check ran before another writer took the email
    batch = drafts(store, {"email": "a@example.com"}, {"email": "race@example.com"})
    customer_create(store=store, email="RACE@example.com")

    # when
    with pytest.raises(EmailAlreadyUsed):
        customers_insert_batch(store=store, drafts=batch)

    # then
    assert list(Customer.objects.values_list("email", flat=True)) == ["RACE@example.com"]
