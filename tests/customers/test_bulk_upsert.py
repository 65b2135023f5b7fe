"""customer_bulk_upsert: the one bulk write service (upload, import, generate_customers)."""

import pytest
from django.core.exceptions import ValidationError

from addresses.models import Address
from customers.errors import EmailAlreadyUsed, PhoneAlreadyUsed, ReferenceAlreadyUsed
from customers.models import Customer
from customers.services import (
    BulkMode,
    BulkStatus,
    bulk,
    customer_bulk_row,
    customer_bulk_upsert,
    customer_groups_known,
)
from tests.factories.customers import AddressFactory, CustomerFactory

HASH = "pbkdf2_sha256$600000$salt$" + "A" * 43 + "="


def summary(results):
    """Each result as (status, [(error class or field, code)...])."""
    found = []
    for result in results:
        errors = []
        for error in result.errors:
            if isinstance(error, ValidationError):
                errors.extend(
                    (name, item.code) for name, items in error.error_dict.items() for item in items
                )
            else:
                errors.append((error.field, error.code))
        found.append((result.status, errors))
    return found


def test_create_mode_creates_every_valid_row_and_reports_each_row(store):
    # given
    rows = [
        {
            "email": "a@example.com",
            "addresses": [{"address1": "A 1", "city": "B", "country": "DE"}],
        },
        {"email": "nope"},
        {"email": "c@example.com", "password_hash": HASH, "reference": "ERP-7"},
    ]

    # when
    results = customer_bulk_upsert(store=store, rows=rows, default_state="invited")

    # then
    assert summary(results) == [
        (BulkStatus.CREATED, []),
        (BulkStatus.ERROR, [("email", "invalid")]),
        (BulkStatus.CREATED, []),
    ]
    created = {c.email: c for c in Customer.objects.filter(store=store)}
    assert [(r.customer_id, r.reference) for r in (results[0], results[2])] == [
        (created["a@example.com"].pk, created["a@example.com"].reference),
        (created["c@example.com"].pk, "ERP-7"),
    ]
    # The default state applies to a customer without a password only.
    assert (created["a@example.com"].state, created["c@example.com"].state) == (
        "invited",
        "enabled",
    )
    assert list(
        Address.objects.filter(customer=created["a@example.com"]).values_list(
            "is_default_shipping", "is_default_billing"
        )
    ) == [(True, True)]


def test_create_mode_reports_duplicates_inside_the_batch_and_against_the_store(store, customer):
    # given
    rows = [
        {"email": "x@example.com", "phone": "+49 30 1234567"},
        {"email": "X@example.com"},
        {"email": customer.email.upper()},
        {"email": "y@example.com", "phone": "+49301234567"},
    ]

    # when
    results = customer_bulk_upsert(store=store, rows=rows)

    # then
    assert summary(results) == [
        (BulkStatus.CREATED, []),
        (BulkStatus.ERROR, [("email", EmailAlreadyUsed.code)]),
        (BulkStatus.ERROR, [("email", EmailAlreadyUsed.code)]),
        (BulkStatus.ERROR, [("phone", PhoneAlreadyUsed.code)]),
    ]
    assert sorted(Customer.objects.values_list("email", flat=True)) == [
        customer.email,
        "x@example.com",
    ]


def test_all_or_nothing_writes_nothing_when_one_row_fails(store):
    # given
    parse_error = ValidationError({"dob": [ValidationError("Bad date.", code="invalid")]})
    rows = [{"email": "a@example.com"}, parse_error, {"email": "b@example.com"}]

    # when
    results = customer_bulk_upsert(store=store, rows=rows, all_or_nothing=True)

    # then
    assert summary(results) == [
        (BulkStatus.NOT_WRITTEN, []),
        (BulkStatus.ERROR, [("dob", "invalid")]),
        (BulkStatus.NOT_WRITTEN, []),
    ]
    assert Customer.objects.count() == 0


def test_skip_existing_matches_by_reference_else_by_email(store):
    # given
    by_reference = CustomerFactory(store=store, reference="ERP-1", email="ref@example.com")
    by_email = CustomerFactory(store=store, email="mail@example.com", first_name="Mia")
    rows = [
        {"reference": "ERP-1", "email": "changed@example.com"},
        {"email": "MAIL@example.com", "first_name": "Changed"},
        # An unknown reference is a new customer: the email of another one is a duplicate.
        {"reference": "ERP-2", "email": "mail@example.com"},
    ]

    # when
    results = customer_bulk_upsert(store=store, rows=rows, mode=BulkMode.SKIP_EXISTING)

    # then
    assert summary(results) == [
        (BulkStatus.UNCHANGED, []),
        (BulkStatus.UNCHANGED, []),
        (BulkStatus.ERROR, [("email", EmailAlreadyUsed.code)]),
    ]
    assert [r.customer_id for r in results[:2]] == [by_reference.pk, by_email.pk]
    by_reference.refresh_from_db()
    by_email.refresh_from_db()
    assert (by_reference.email, by_email.first_name) == ("ref@example.com", "Mia")
    assert Customer.objects.count() == 2


def test_update_existing_updates_what_changed_and_adds_missing_addresses(store):
    # given
    same = CustomerFactory(store=store, email="same@example.com", first_name="Anna")
    AddressFactory(customer=same, address1="A 1", city="Berlin", country="DE")
    changed = CustomerFactory(store=store, email="changed@example.com", first_name="Old")
    rows = [
        {
            "email": "same@example.com",
            "first_name": "Anna",
            "addresses": [{"address1": "A 1", "city": "Berlin", "country": "Germany"}],
        },
        {
            "email": "changed@example.com",
            "first_name": "New",
            "addresses": [{"address1": "B 2", "city": "Wien", "country": "AT"}],
        },
        {"email": "changed@example.com", "mobile": "12"},
    ]

    # when
    results = customer_bulk_upsert(store=store, rows=rows, mode=BulkMode.UPDATE_EXISTING)

    # then
    assert summary(results) == [
        (BulkStatus.UNCHANGED, []),
        (BulkStatus.UPDATED, []),
        (BulkStatus.ERROR, [("mobile", "invalid_phone_number")]),
    ]
    changed.refresh_from_db()
    assert changed.first_name == "New"
    assert list(changed.addresses.values_list("address1", "city", "country")) == [
        ("B 2", "Wien", "AT")
    ]
    assert same.addresses.count() == 1


def test_a_customer_created_earlier_by_the_caller_is_a_duplicate(store):
    # given
    earlier = CustomerFactory(store=store, email="a@example.com", reference="ERP-1")
    rows = [{"reference": "ERP-1", "email": "a@example.com"}, {"email": "A@example.com"}]

    # when
    results = customer_bulk_upsert(
        store=store, rows=rows, mode=BulkMode.UPDATE_EXISTING, created_earlier={earlier.pk}
    )

    # then
    assert summary(results) == [
        (BulkStatus.ERROR, [("reference", ReferenceAlreadyUsed.code)]),
        (BulkStatus.ERROR, [("email", EmailAlreadyUsed.code)]),
    ]


def test_a_row_that_loses_a_race_after_the_check_fails_alone(store, monkeypatch):
    # given
    CustomerFactory(store=store, email="first@example.com", phone="+49301234567")
    real_check = bulk.customers_check_batch
    calls = []

    def check_missing_the_race_once(*, store, drafts):
        calls.append(len(drafts))
        return {} if len(calls) == 1 else real_check(store=store, drafts=drafts)

    monkeypatch.setattr(bulk, "customers_check_batch", check_missing_the_race_once)
    rows = [{"email": "a@example.com"}, {"email": "b@example.com", "phone": "+49 30 1234567"}]

    # when
    results = customer_bulk_upsert(store=store, rows=rows)

    # then
    assert calls == [2, 2]
    assert summary(results) == [
        (BulkStatus.CREATED, []),
        (BulkStatus.ERROR, [("phone", PhoneAlreadyUsed.code)]),
    ]
    assert sorted(Customer.objects.values_list("email", flat=True)) == [
        "a@example.com",
        "first@example.com",
    ]


def test_bulk_row_validates_without_the_database_and_applies_the_default_state(
    django_assert_num_queries, store
):
    # given
    group_ids = customer_groups_known()

    # when
    with django_assert_num_queries(0):
        stateless = customer_bulk_row(
            {"email": "a@example.com"}, group_ids=group_ids, default_state="invited"
        )
        stated = customer_bulk_row(
            {"email": "b@example.com", "state": "disabled"},
            group_ids=group_ids,
            default_state="invited",
        )
        broken = customer_bulk_row({"email": "c"}, group_ids=group_ids)

    # then
    assert (stateless.built.values["state"], stated.built.values["state"]) == (
        "invited",
        "disabled",
    )
    assert stateless.arguments == {"email": "a@example.com"}
    assert (broken.built, list(broken.error.error_dict)) == (None, ["email"])


def test_the_mode_may_be_given_by_its_value(store, customer):
    # when
    results = customer_bulk_upsert(
        store=store, rows=[{"email": customer.email}], mode="skip_existing"
    )

    # then
    assert summary(results) == [(BulkStatus.UNCHANGED, [])]
    assert results[0].customer_id == customer.pk


def test_all_or_nothing_is_refused_outside_create(store):
    # when
    with pytest.raises(ValueError, match=r"all_or_nothing and write=False need BulkMode\.CREATE"):
        customer_bulk_upsert(
            store=store,
            rows=[{"email": "a@example.com"}],
            mode=BulkMode.UPDATE_EXISTING,
            all_or_nothing=True,
        )

    # then
    assert Customer.objects.count() == 0


def test_without_write_every_check_runs_and_nothing_is_written(store, customer):
    # given
    rows = [{"email": "a@example.com"}, {"email": customer.email}, {"email": "A@example.com"}]

    # when
    results = customer_bulk_upsert(store=store, rows=rows, write=False)

    # then
    assert summary(results) == [
        (BulkStatus.NOT_WRITTEN, []),
        (BulkStatus.ERROR, [("email", EmailAlreadyUsed.code)]),
        (BulkStatus.ERROR, [("email", EmailAlreadyUsed.code)]),
    ]
    assert list(Customer.objects.values_list("email", flat=True)) == [customer.email]
