"""Rules that the dialects used to apply themselves, now service parameters or table rules."""

import pytest

from customers.models import Customer
from customers.services import customer_create, customer_update

HASH = "pbkdf2_sha256$600000$salt$" + "A" * 43 + "="


@pytest.mark.parametrize(
    ("arguments", "state"),
    [
        pytest.param({}, "invited", id="no_state_no_password_case"),
        pytest.param({"state": "disabled"}, "disabled", id="state_given_case"),
        pytest.param({"password": "Correct-Horse-9"}, "enabled", id="password_case"),
        pytest.param({"password_hash": HASH}, "enabled", id="password_hash_case"),
    ],
)
def test_default_state_applies_to_a_customer_without_state_or_password(store, arguments, state):
    # when
    customer = customer_create(
        store=store, email="a@example.com", default_state="invited", **arguments
    )

    # then
    assert Customer.objects.get(pk=customer.pk).state == state


def test_without_default_state_a_new_customer_takes_the_model_default(store):
    # when
    customer = customer_create(store=store, email="a@example.com")

    # then
    assert Customer.objects.get(pk=customer.pk).state == "enabled"


def test_an_empty_gender_is_no_gender_on_create_and_update(store):
    # given
    customer = customer_create(store=store, email="a@example.com", gender="")
    stored = Customer.objects.get(pk=customer.pk)
    assert stored.gender is None

    # when
    customer_update(customer=customer_update(customer=stored, gender="Female"), gender="")

    # then
    assert Customer.objects.get(pk=customer.pk).gender is None
