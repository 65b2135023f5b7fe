"""Email, phone and mobile are unique per store among live customers (SPEC 1.2, 2)."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from customers.errors import EmailAlreadyUsed, PhoneAlreadyUsed
from customers.models import Customer
from customers.services import (
    customer_create,
    customer_restore,
    customer_soft_delete,
    customer_update,
    uniqueness,
)


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("john.smith@example.com", id="same_case"),
        pytest.param("JOHN.SMITH@EXAMPLE.COM", id="upper_case"),
        pytest.param(" John.Smith@Example.com ", id="mixed_case"),
    ],
)
def test_email_is_unique_per_store_case_insensitively(store, customer, email):
    # when
    with pytest.raises(EmailAlreadyUsed) as error:
        customer_create(store=store, email=email)

    # then
    assert error.value.field == "email"
    assert Customer.objects.count() == 1


def test_same_email_is_allowed_in_another_store(customer, other_store):
    # when
    created = customer_create(store=other_store, email="John.Smith@example.com")

    # then
    assert Customer.objects.filter(email__iexact="john.smith@example.com").count() == 2
    assert created.store == other_store


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("phone", "+49 30 1234567", id="phone_case"),
        pytest.param("mobile", "+49 (171) 123-4567", id="mobile_case"),
    ],
)
def test_phone_and_mobile_are_unique_per_store(store, other_store, field, value):
    # given
    customer_create(
        store=store, email="a@example.com", phone="+49301234567", mobile="+491711234567"
    )

    # when
    with pytest.raises(PhoneAlreadyUsed) as error:
        customer_create(store=store, email="b@example.com", **{field: value})
    elsewhere = customer_create(store=other_store, email="b@example.com", **{field: value})

    # then
    assert error.value.field == field
    assert Customer.objects.filter(store=store).count() == 1
    assert elsewhere.store == other_store


def test_update_to_a_taken_email_is_refused(customer, other_customer):
    # when
    with pytest.raises(EmailAlreadyUsed):
        customer_update(customer=other_customer, email="JOHN.smith@example.com")

    # then
    other_customer.refresh_from_db()
    assert other_customer.email == "jane.doe@example.com"


def test_soft_deleted_customers_free_their_email_and_phone(store):
    # given
    gone = customer_create(store=store, email="a@example.com", phone="+49301234567")
    customer_soft_delete(customer=gone)

    # when
    again = customer_create(store=store, email="A@example.com", phone="+49 30 1234567")

    # then
    assert Customer.objects.filter(store=store).count() == 2
    assert again.deleted_at is None


def test_restore_is_refused_when_the_email_was_taken_meanwhile(store):
    # given
    gone = customer_create(store=store, email="a@example.com")
    customer_soft_delete(customer=gone)
    customer_create(store=store, email="A@EXAMPLE.com")

    # when
    with pytest.raises(EmailAlreadyUsed):
        customer_restore(customer=gone)

    # then
    gone.refresh_from_db()
    assert gone.deleted_at is not None


def test_restore_is_refused_when_the_phone_was_taken_meanwhile(store):
    # given
    gone = customer_create(store=store, email="a@example.com", mobile="+491711234567")
    customer_soft_delete(customer=gone)
    customer_create(store=store, email="b@example.com", mobile="+491711234567")

    # when
    with pytest.raises(PhoneAlreadyUsed):
        customer_restore(customer=gone)

    # then
    gone.refresh_from_db()
    assert gone.deleted_at is not None


@pytest.mark.parametrize(
    ("first", "second", "error_class", "field"),
    [
        pytest.param(
            {"email": "race@example.com"},
            {"email": "RACE@example.com"},
            EmailAlreadyUsed,
            "email",
            id="email_case",
        ),
        pytest.param(
            {"email": "a@example.com", "phone": "+49301234567"},
            {"email": "b@example.com", "phone": "+49 30 1234567"},
            PhoneAlreadyUsed,
            "phone",
            id="phone_case",
        ),
        pytest.param(
            {"email": "a@example.com", "mobile": "+491711234567"},
            {"email": "b@example.com", "mobile": "+491711234567"},
            PhoneAlreadyUsed,
            "mobile",
            id="mobile_case",
        ),
    ],
)
def test_a_lost_race_is_decided_by_the_constraint_and_mapped(
    store, monkeypatch, first, second, error_class, field
):
    # given: the up-front check sees nothing, as when both requests check before either writes
    customer_create(store=store, **first)
    monkeypatch.setattr(uniqueness, "_conflicts", lambda customer: [])

    # when
    with pytest.raises(error_class) as error:
        customer_create(store=store, **second)

    # then
    assert error.value.field == field
    assert Customer.objects.count() == 1


def test_a_lost_race_on_update_is_mapped(customer, other_customer, monkeypatch):
    # given
    monkeypatch.setattr(uniqueness, "_conflicts", lambda customer: [])

    # when
    with pytest.raises(EmailAlreadyUsed):
        customer_update(customer=other_customer, email="john.smith@example.com")

    # then
    other_customer.refresh_from_db()
    assert other_customer.email == "jane.doe@example.com"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_creates_with_one_email_end_with_one_row(monkeypatch):
    # given: both threads pass the up-front check before either inserts
    from customers.models import Store

    store = Store.objects.get(code="DE")
    barrier = threading.Barrier(2, timeout=10)
    real_conflicts = uniqueness._conflicts

    def conflicts_then_wait(customer):
        found = real_conflicts(customer)
        barrier.wait()
        return found

    monkeypatch.setattr(uniqueness, "_conflicts", conflicts_then_wait)
    outcomes: list[object] = []

    def create(email: str) -> None:
        try:
            outcomes.append(customer_create(store=store, email=email))
        except Exception as error:  # the outcome, error or not, is what the test inspects
            outcomes.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=create, args=(email,))
        for email in ("race@example.com", "RACE@example.com")
    ]

    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    # then
    kinds = sorted(type(outcome).__name__ for outcome in outcomes)
    assert kinds == ["Customer", "EmailAlreadyUsed"]
    assert Customer.objects.filter(store=store).count() == 1


def test_soft_delete_is_idempotent_and_keeps_the_first_timestamp(customer):
    # given
    first = customer_soft_delete(customer=customer).deleted_at

    # when
    second = customer_soft_delete(customer=customer).deleted_at

    # then
    assert first == second
    assert first <= timezone.now()
