"""customer_bulk_upsert(expect_new=True): insert first, match and check only when refused.

Each case runs the same rows with and without `expect_new` and asserts the same results
and the same database: the unique constraints catch what the up-front checks catch, and a
refused insert leaves nothing behind.
"""

import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from addresses.models import Address
from customers.models import Customer
from customers.services import (
    BulkMode,
    BulkStatus,
    customer_bulk_create_new,
    customer_bulk_row,
    customer_bulk_upsert,
    customer_groups_known,
    customers_copy_format,
)
from tests.customers.test_bulk_upsert import summary
from tests.factories.customers import AddressFactory, CustomerFactory

ADDRESS = {"address1": "Main 1", "city": "Berlin", "country": "DE"}


def database(store):
    """Each customer of `store`: email, reference (a generated one as its prefix), addresses."""
    return sorted(
        (
            customer.email,
            f"{store.code}--"
            if customer.reference.startswith(f"{store.code}--")
            else customer.reference,
            sorted(address.address1 for address in customer.addresses.all()),
        )
        for customer in Customer.objects.filter(store=store).prefetch_related("addresses")
    )


def both_ways(store, rows, mode=BulkMode.CREATE):
    """(results, database) with `expect_new`, then without it, each from the same start."""
    outcomes = []
    for expect_new in (True, False):
        with transaction.atomic():
            results = customer_bulk_upsert(
                store=store, rows=[dict(row) for row in rows], mode=mode, expect_new=expect_new
            )
            outcomes.append((summary(results), database(store)))
            transaction.set_rollback(True)
    return outcomes


def test_new_rows_are_inserted_with_ids_and_references(store):
    # given
    rows = [
        {"email": "a@example.com", "addresses": [ADDRESS]},
        {"email": "b@example.com", "reference": "ERP-1"},
    ]

    # when
    with CaptureQueriesContext(connection) as queries:
        results = customer_bulk_upsert(store=store, rows=rows, expect_new=True)

    # then: nothing was looked up in the customer table before the insert
    assert [q["sql"] for q in queries if 'FROM "customers_customer"' in q["sql"]] == []
    created = {c.email: c for c in Customer.objects.filter(store=store)}
    assert [(r.status, r.customer_id, r.reference) for r in results] == [
        (BulkStatus.CREATED, created["a@example.com"].pk, created["a@example.com"].reference),
        (BulkStatus.CREATED, created["b@example.com"].pk, "ERP-1"),
    ]
    assert created["a@example.com"].reference.startswith(f"{store.code}--")
    assert list(
        Address.objects.filter(customer=created["a@example.com"]).values_list(
            "address1", "is_default_shipping", "is_default_billing"
        )
    ) == [("Main 1", True, True)]


def test_a_row_naming_a_taken_email_falls_back_to_the_checks(store):
    # given
    CustomerFactory(store=store, email="taken@example.com", reference="OLD-1")
    rows = [
        {"email": "new@example.com", "addresses": [ADDRESS]},
        {"email": "TAKEN@example.com"},
    ]

    # when
    with_insert_first, with_checks = both_ways(store, rows)

    # then: the same answer either way, and the new row alone is written
    assert (
        with_insert_first
        == with_checks
        == (
            [(BulkStatus.CREATED, []), (BulkStatus.ERROR, [("email", "customer_email_taken")])],
            [
                ("new@example.com", f"{store.code}--", ["Main 1"]),
                ("taken@example.com", "OLD-1", []),
            ],
        )
    )


def test_duplicates_inside_the_batch_fall_back_to_the_checks(store):
    # given
    rows = [
        {"email": "one@example.com", "phone": "+49 30 1234567"},
        {"email": "two@example.com", "phone": "+49301234567"},
        {"email": "three@example.com", "reference": "R-1"},
        {"email": "four@example.com", "reference": "R-1"},
    ]

    # when
    with_insert_first, with_checks = both_ways(store, rows)

    # then
    assert (
        with_insert_first
        == with_checks
        == (
            [
                (BulkStatus.CREATED, []),
                (BulkStatus.ERROR, [("phone", "customer_phone_taken")]),
                (BulkStatus.CREATED, []),
                (BulkStatus.ERROR, [("reference", "customer_reference_taken")]),
            ],
            [
                ("one@example.com", f"{store.code}--", []),
                ("three@example.com", "R-1", []),
            ],
        )
    )


def test_an_existing_customer_is_left_unchanged_when_skipping(store):
    # given
    CustomerFactory(store=store, email="here@example.com", reference="HERE-1")
    rows = [{"email": "here@example.com"}, {"email": "fresh@example.com"}]

    # when
    with_insert_first, with_checks = both_ways(store, rows, mode=BulkMode.SKIP_EXISTING)

    # then
    assert (
        with_insert_first
        == with_checks
        == (
            [(BulkStatus.UNCHANGED, []), (BulkStatus.CREATED, [])],
            [
                ("fresh@example.com", f"{store.code}--", []),
                ("here@example.com", "HERE-1", []),
            ],
        )
    )


def test_a_taken_address_uuid_falls_back_to_the_checks(store):
    # given: an address uuid another customer's address has (an export imported twice)
    taken = AddressFactory(customer=CustomerFactory(store=store, email="owner@example.com")).uuid
    group_ids = customer_groups_known()
    rows = [
        customer_bulk_row(
            {"email": "a@example.com", "addresses": [{**ADDRESS, "uuid": taken}]},
            group_ids=group_ids,
            restore=True,
        ),
        customer_bulk_row({"email": "b@example.com"}, group_ids=group_ids, restore=True),
    ]

    # when
    results = customer_bulk_upsert(store=store, rows=rows, expect_new=True)

    # then: the address's uuid is refused; nothing of that customer is written
    assert summary(results) == [
        (BulkStatus.ERROR, [("addresses.0.uuid", "unique")]),
        (BulkStatus.CREATED, []),
    ]
    assert sorted(Customer.objects.filter(store=store).values_list("email", flat=True)) == [
        "b@example.com",
        "owner@example.com",
    ]
    assert Address.objects.filter(uuid=taken).count() == 1


def test_an_invalid_row_sends_the_batch_to_the_checks(store, customer):
    # given: one invalid row; its valid duplicate email is reported too (CREATE)
    rows = [{"email": customer.email, "phone": "nope"}, {"email": "ok@example.com"}]

    # when
    with_insert_first, with_checks = both_ways(store, rows)

    # then
    assert (
        with_insert_first
        == with_checks
        == (
            [
                (
                    BulkStatus.ERROR,
                    [("phone", "invalid_phone_number"), ("email", "customer_email_taken")],
                ),
                (BulkStatus.CREATED, []),
            ],
            [
                (customer.email, customer.reference, []),
                ("ok@example.com", f"{store.code}--", []),
            ],
        )
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="rows made ready for COPY")
def test_a_refused_ready_batch_writes_nothing_and_takes_no_reference_twice(store):
    # given: rows formatted ahead (as an import's workers do), one taking a used email
    CustomerFactory(store=store, email="used@example.com")
    group_ids = customer_groups_known()
    rows = [
        customer_bulk_row({"email": email}, group_ids=group_ids).built
        for email in ("first@example.com", "used@example.com")
    ]
    before = Customer.objects.count()

    # when
    refused = customer_bulk_create_new(store=store, ready=customers_copy_format(rows))
    results = customer_bulk_create_new(store=store, ready=customers_copy_format(rows[:1]))

    # then
    assert refused is None
    assert Customer.objects.count() == before + 1
    (result,) = results
    created = Customer.objects.get(email="first@example.com")
    assert (result.status, result.customer_id, result.reference) == (
        BulkStatus.CREATED,
        created.pk,
        created.reference,
    )
    assert not Customer.objects.exclude(pk=created.pk).filter(reference=created.reference)


def test_copy_text_keeps_every_character_and_type(store):
    # given: text COPY must escape, JSON, dates and a restored uuid and creation time
    restored = uuid.uuid4()
    group_ids = customer_groups_known()
    row = customer_bulk_row(
        {
            "email": "esc@example.com",
            "first_name": "Tab\there",
            "last_name": "Back\\slash \\N",
            "date_of_birth": "1990-02-03",
            "attribute_groups": {
                "g": {"attributes": {"k": {"attribute_value": 'a"b\\c\nd', "value_type": "STRING"}}}
            },
            "tax_exemptions": ["VAT\t1"],
            "uuid": restored,
            "created_at": "2020-01-02T03:04:05.678901+00:00",
            "addresses": [{**ADDRESS, "address2": "Line\nbreak\r\n"}],
        },
        group_ids=group_ids,
        restore=True,
    )

    # when
    (result,) = customer_bulk_upsert(store=store, rows=[row], expect_new=True)

    # then
    customer = Customer.objects.get(pk=result.customer_id)
    assert (customer.first_name, customer.last_name, str(customer.date_of_birth)) == (
        "Tab\there",
        "Back\\slash \\N",
        "1990-02-03",
    )
    assert customer.attribute_groups["g"]["attributes"]["k"]["attribute_value"] == 'a"b\\c\nd'
    assert customer.tax_exemptions == ["VAT\t1"]
    assert customer.uuid == restored
    assert customer.created_at.isoformat() == "2020-01-02T03:04:05.678901+00:00"
    assert customer.addresses.get().address2 == "Line\nbreak\r\n"
