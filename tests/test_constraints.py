"""The invariants hold in the database itself, whatever writes the rows (SPEC 1.2, 1.3)."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from addresses.models import Address
from customers.models import Customer
from tests.factories.customers import StoreFactory


def row(store, **fields) -> Customer:
    values = {"store": store, "reference": "R-1", "email": "a@example.com", **fields}
    return Customer(**values)


def assert_refused(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param({}, {"reference": "R-2", "email": "A@EXAMPLE.COM"}, id="email_case"),
        pytest.param(
            {"phone": "+49301234567"},
            {"reference": "R-2", "email": "b@example.com", "phone": "+49301234567"},
            id="phone_case",
        ),
        pytest.param(
            {"mobile": "+491711234567"},
            {"reference": "R-2", "email": "b@example.com", "mobile": "+491711234567"},
            id="mobile_case",
        ),
        pytest.param({}, {"email": "b@example.com"}, id="reference_case"),
    ],
)
def test_duplicates_in_a_store_are_refused(store, first, second):
    # given
    Customer.objects.bulk_create([row(store, **first)])

    # when / then
    assert_refused(lambda: Customer.objects.bulk_create([row(store, **second)]))
    assert Customer.objects.count() == 1


def test_duplicates_are_allowed_across_stores_and_after_soft_delete(store):
    # given
    other = StoreFactory(code="AT")
    Customer.objects.bulk_create([row(store, phone="+49301234567", deleted_at=timezone.now())])

    # when
    Customer.objects.bulk_create(
        [
            row(store, reference="R-2", phone="+49301234567"),
            row(other, phone="+49301234567"),
        ]
    )

    # then
    assert Customer.objects.filter(email="a@example.com").count() == 3


def test_customers_without_phones_do_not_collide(store):
    # when
    Customer.objects.bulk_create([row(store), row(store, reference="R-2", email="b@example.com")])

    # then
    assert Customer.objects.filter(phone__isnull=True, mobile__isnull=True).count() == 2


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"state": "frozen"}, id="state_case"),
        pytest.param(
            {"accepts_marketing": False, "marketing_optin_level": "single_opt_in"},
            id="optin_without_marketing_case",
        ),
        pytest.param(
            {"accepts_marketing": True, "marketing_optin_level": "loud"},
            id="unknown_optin_level_case",
        ),
        pytest.param({"gender": ""}, id="empty_gender_case"),
        pytest.param({"salutation": "Sir"}, id="salutation_case"),
    ],
)
def test_check_constraints_refuse_invalid_rows(store, fields):
    # when / then
    assert_refused(lambda: Customer.objects.bulk_create([row(store, **fields)]))
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    "flag",
    [
        pytest.param("is_default_shipping", id="shipping_case"),
        pytest.param("is_default_billing", id="billing_case"),
    ],
)
def test_two_default_addresses_are_refused(customer, flag):
    # given
    Address.objects.create(
        customer=customer, address1="A 1", city="Berlin", country="DE", **{flag: True}
    )

    # when / then
    assert_refused(
        lambda: Address.objects.bulk_create(
            [
                Address(
                    customer=customer, address1="B 2", city="Berlin", country="DE", **{flag: True}
                )
            ]
        )
    )
    assert Address.objects.count() == 1


def test_defaults_of_different_customers_do_not_collide(customer, other_customer):
    # when
    Address.objects.bulk_create(
        [
            Address(
                customer=c,
                address1="A 1",
                city="Berlin",
                country="DE",
                is_default_shipping=True,
                is_default_billing=True,
            )
            for c in (customer, other_customer)
        ]
    )

    # then
    assert Address.objects.filter(is_default_shipping=True).count() == 2


def test_address_without_country_is_refused(customer):
    # when / then
    assert_refused(
        lambda: Address.objects.create(customer=customer, address1="A 1", city="Berlin", country="")
    )
