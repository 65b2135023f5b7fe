"""Contract of the Storefront `customer-restore-password` resource (SPEC 4, 1.4, 12)."""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.utils import timezone

from accounts.models import CustomerKey
from customers.models import Customer
from tests.factories.customers import CustomerKeyFactory
from tests.storefront.conftest import errors

# Seed 001's sample body.
SEED_KEY = "9de02f7a4e08dcdf06e6b24add1e01da"
SEED_RESTORE = {
    "restorePasswordKey": SEED_KEY,
    "password": "new_pssword",
    "confirmPassword": "new_pssword",
}
INVALID_KEY = errors("415", 422, "The restore password key is not valid.")


def restore(client, attributes, path="/customer-restore-password"):
    return client.send("patch", path, "customer-restore-password", attributes)


def password_of(customer):
    return Customer.objects.values_list("password", flat=True).get(pk=customer.pk)


@pytest.fixture
def seed_key(customer):
    return CustomerKeyFactory(customer=customer, raw_key=SEED_KEY)


def test_restore_replays_the_seed_sample(
    api_client, customer, seed_key, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = restore(api_client, SEED_RESTORE)

    # then
    assert response.status_code == 204
    assert response.content == b""
    assert response["Referrer-Policy"] == "no-referrer"
    assert check_password("new_pssword", password_of(customer))
    seed_key.refresh_from_db()
    assert seed_key.used_at is not None
    assert [message.to for message in mail.outbox] == [["john.smith@example.com"]]


@pytest.mark.parametrize(
    ("path", "attributes"),
    [
        pytest.param(
            "/customer-restore-password",
            {
                "restorePasswordKey": SEED_KEY,
                "password": "new_pssword",
                "passwordConfirmation": "new_pssword",
            },
            id="password_confirmation_synonym_case",
        ),
        pytest.param(f"/customer-restore-password/{SEED_KEY}", SEED_RESTORE, id="key_in_path_case"),
    ],
)
def test_restore_variants(api_client, customer, seed_key, path, attributes):
    # when
    response = restore(api_client, attributes, path)

    # then
    assert response.status_code == 204
    assert check_password("new_pssword", password_of(customer))


@pytest.mark.parametrize(
    "key_state",
    [
        pytest.param("wrong", id="wrong_key_case"),
        pytest.param("used", id="used_key_case"),
        pytest.param("expired", id="expired_key_case"),
        pytest.param("confirmation_key", id="confirmation_key_case"),
    ],
)
def test_an_invalid_key_answers_415_and_changes_nothing(api_client, customer, key_state):
    # given
    if key_state != "wrong":
        CustomerKeyFactory(
            customer=customer,
            raw_key=SEED_KEY,
            purpose=(
                CustomerKey.Purpose.CONFIRM_EMAIL
                if key_state == "confirmation_key"
                else CustomerKey.Purpose.PASSWORD_RESET
            ),
            used_at=timezone.now() if key_state == "used" else None,
            expires_at=timezone.now()
            + (timedelta(minutes=-1) if key_state == "expired" else timedelta(hours=1)),
        )
    before = (password_of(customer), list(CustomerKey.objects.values()))

    # when
    response = restore(api_client, SEED_RESTORE)

    # then
    assert response.status_code == 422
    assert response.json() == INVALID_KEY
    assert response["Referrer-Policy"] == "no-referrer"
    assert (password_of(customer), list(CustomerKey.objects.values())) == before


def test_a_key_works_once(api_client, customer, seed_key):
    # given
    assert restore(api_client, SEED_RESTORE).status_code == 204

    # when
    response = restore(
        api_client,
        {**SEED_RESTORE, "password": "other_pssword", "confirmPassword": "other_pssword"},
    )

    # then
    assert response.status_code == 422
    assert response.json() == INVALID_KEY
    assert check_password("new_pssword", password_of(customer))


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param(
            {**SEED_RESTORE, "confirmPassword": "new_psswort"},
            errors(
                "406",
                422,
                "Value in field password should be identical to value in the "
                "confirmPassword field.",
            ),
            id="mismatch_case",
        ),
        pytest.param(
            {**SEED_RESTORE, "password": "short", "confirmPassword": "short"},
            errors(
                "901",
                422,
                "password => This password is too short. It must contain at least 8 characters.",
            ),
            id="weak_password_case",
        ),
        pytest.param(
            {"restorePasswordKey": SEED_KEY, "password": "new_pssword"},
            errors("901", 422, "confirmPassword => This field is missing."),
            id="missing_confirmation_case",
        ),
        pytest.param(
            {"password": "new_pssword", "confirmPassword": "new_pssword"},
            errors("901", 422, "restorePasswordKey => This field is missing."),
            id="missing_key_case",
        ),
    ],
)
def test_a_failed_restore_keeps_the_key_and_the_password(
    api_client, customer, seed_key, attributes, expected
):
    # given
    before = password_of(customer)

    # when
    response = restore(api_client, attributes)

    # then
    assert response.status_code == 422
    assert response.json() == expected
    assert password_of(customer) == before
    seed_key.refresh_from_db()
    assert seed_key.used_at is None
