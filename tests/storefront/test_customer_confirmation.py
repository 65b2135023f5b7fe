"""Contract of the Storefront `customer-confirmation` resource (SPEC 4, 1.4)."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import CustomerKey
from customers.models import Customer
from tests.factories.customers import CustomerFactory, CustomerKeyFactory
from tests.storefront.conftest import errors

INVALID_KEY = errors(
    "423", 422, "This email confirmation code is invalid or has been already used."
)


def confirm(client, key):
    return client.send(
        "post", "/customer-confirmation", "customer-confirmation", {"registrationKey": key}
    )


def login(client, email):
    return client.send(
        "post", "/access-tokens", "access-tokens", {"username": email, "password": "change123"}
    )


@pytest.fixture
def unconfirmed(store):
    return CustomerFactory(email="new@example.com", self_registered=True, email_verified_at=None)


def test_registration_confirmation_and_login(api_client, store, django_capture_on_commit_callbacks):
    # given: a registration, whose email carries the key
    with django_capture_on_commit_callbacks(execute=True):
        api_client.send(
            "post",
            "/customers",
            "customers",
            {
                "salutation": "Mr",
                "firstName": "John",
                "lastName": "Doe",
                "email": "jdoe@example.com",
                "password": "change123",
                "confirmPassword": "change123",
                "acceptedTerms": True,
            },
        )
    key = re.search(r"token=([0-9a-f]{32})", mail.outbox[0].body).group(1)
    refused = login(api_client, "jdoe@example.com")

    # when
    response = confirm(api_client, key)

    # then
    assert refused.status_code == 401
    assert refused.json() == errors("003", 401, "Failed to authenticate user.")
    assert response.status_code == 204
    assert response.content == b""
    assert Customer.objects.get(email="jdoe@example.com").email_verified_at is not None
    assert login(api_client, "jdoe@example.com").status_code == 201


@pytest.mark.parametrize(
    "key_state",
    [
        pytest.param("wrong", id="wrong_key_case"),
        pytest.param("used", id="used_key_case"),
        pytest.param("expired", id="expired_key_case"),
        pytest.param("reset_key", id="password_reset_key_case"),
    ],
)
def test_an_invalid_key_answers_423_and_confirms_nothing(api_client, unconfirmed, key_state):
    # given
    raw = "c" * 32
    if key_state != "wrong":
        CustomerKeyFactory(
            customer=unconfirmed,
            raw_key=raw,
            purpose=(
                CustomerKey.Purpose.PASSWORD_RESET
                if key_state == "reset_key"
                else CustomerKey.Purpose.CONFIRM_EMAIL
            ),
            used_at=timezone.now() if key_state == "used" else None,
            expires_at=timezone.now()
            + (timedelta(hours=-1) if key_state == "expired" else timedelta(hours=1)),
        )
    before = list(CustomerKey.objects.values())

    # when
    response = confirm(api_client, raw)

    # then
    assert response.status_code == 422
    assert response.json() == INVALID_KEY
    unconfirmed.refresh_from_db()
    assert unconfirmed.email_verified_at is None
    assert list(CustomerKey.objects.values()) == before


def test_a_key_works_once(api_client, unconfirmed):
    # given
    CustomerKeyFactory(
        customer=unconfirmed, raw_key="d" * 32, purpose=CustomerKey.Purpose.CONFIRM_EMAIL
    )
    assert confirm(api_client, "d" * 32).status_code == 204

    # when
    response = confirm(api_client, "d" * 32)

    # then
    assert response.status_code == 422
    assert response.json() == INVALID_KEY


@pytest.mark.parametrize(
    ("attributes", "detail"),
    [
        pytest.param({}, "registrationKey => This field is missing.", id="missing_case"),
        pytest.param(
            {"registrationKey": ""},
            "registrationKey => This value should not be blank.",
            id="blank_case",
        ),
    ],
)
def test_a_missing_key_answers_901(api_client, unconfirmed, attributes, detail):
    # when
    response = api_client.send(
        "post", "/customer-confirmation", "customer-confirmation", attributes
    )

    # then
    assert response.status_code == 422
    assert response.json() == errors("901", 422, detail)
