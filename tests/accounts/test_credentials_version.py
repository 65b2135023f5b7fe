"""Access tokens die with the credentials they came with (SPEC 12, issue item 6).

Each customer access token carries the customer's credentials version; every revocation
bumps it. A token older than a bump lives on only while the refresh token issued with it
does, which keeps the session that changed the password and ends every other one.
"""

import pytest
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import customer_from_access_token
from accounts.credentials import credentials_version_bump
from accounts.models import CustomerKey
from accounts.tokens import (
    CREDENTIALS_VERSION_CLAIM,
    CustomerAccessToken,
    customer_refresh_revoke,
    customer_tokens_issue,
)
from customers.models import Customer
from customers.services import customer_anonymize, customer_set_state
from tests.factories.customers import CustomerKeyFactory
from tests.storefront.conftest import JsonApiClient, client_with_token, errors

INVALID_TOKEN = errors("001", 401, "Invalid access token.")


def status_of(tokens, customer) -> int:
    return client_with_token(tokens.access).get(f"/customers/{customer.reference}").status_code


@pytest.fixture
def phone(customer):
    return customer_tokens_issue(customer=customer)


@pytest.fixture
def laptop(customer):
    return customer_tokens_issue(customer=customer)


def test_an_access_token_carries_the_credentials_version(customer):
    # given
    credentials_version_bump(customer=customer)
    credentials_version_bump(customer=customer)

    # when
    tokens = customer_tokens_issue(customer=customer)

    # then
    assert customer.credentials_version == 2
    assert Customer.objects.get(pk=customer.pk).credentials_version == 2
    assert CustomerAccessToken(tokens.access)[CREDENTIALS_VERSION_CLAIM] == 2


def test_a_current_token_costs_no_query_beyond_loading_the_customer(
    customer, phone, django_assert_num_queries
):
    # when / then
    with django_assert_num_queries(1):
        assert customer_from_access_token(phone.access) == customer


def test_a_token_older_than_a_bump_costs_one_lookup(customer, phone, django_assert_num_queries):
    # given
    credentials_version_bump(customer=customer)

    # when / then: its refresh token is live, so it still works
    with django_assert_num_queries(2):
        assert customer_from_access_token(phone.access) == customer


def test_logging_out_one_device_ends_its_access_token_only(customer, phone, laptop):
    # when
    response = client_with_token(phone.access).delete(f"/refresh-tokens/{phone.refresh}")

    # then
    assert response.status_code == 204
    refused = client_with_token(phone.access).get(f"/customers/{customer.reference}")
    assert refused.status_code == 401
    assert refused.json() == INVALID_TOKEN
    assert status_of(laptop, customer) == 200


def test_logging_out_everywhere_ends_every_access_token(customer, phone, laptop):
    # when
    response = client_with_token(phone.access).delete("/refresh-tokens/mine")

    # then
    assert response.status_code == 204
    assert (status_of(phone, customer), status_of(laptop, customer)) == (401, 401)
    assert Customer.objects.get(pk=customer.pk).credentials_version == 1


def test_a_password_change_keeps_the_callers_session_and_ends_the_others(
    customer, phone, laptop, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client_with_token(phone.access).send(
            "patch",
            "/customer-password",
            "customer-password",
            {"password": "change123", "newPassword": "321egnahc", "confirmPassword": "321egnahc"},
        )

    # then
    assert response.status_code == 204
    assert status_of(phone, customer) == 200
    refused = client_with_token(laptop.access).get(f"/customers/{customer.reference}")
    assert refused.status_code == 401
    assert refused.json() == INVALID_TOKEN


def test_a_password_reset_ends_every_access_token(customer, phone, laptop):
    # given
    CustomerKeyFactory(customer=customer, raw_key="c" * 32)

    # when
    response = JsonApiClient().send(
        "patch",
        "/customer-restore-password",
        "customer-restore-password",
        {
            "restorePasswordKey": "c" * 32,
            "password": "new_pssword",
            "confirmPassword": "new_pssword",
        },
    )

    # then
    assert response.status_code == 204
    assert (status_of(phone, customer), status_of(laptop, customer)) == (401, 401)
    assert CustomerKey.objects.get().used_at is not None


def test_a_new_login_after_a_revocation_works(customer, phone):
    # given
    client_with_token(phone.access).delete("/refresh-tokens/mine")

    # when
    fresh = customer_tokens_issue(customer=customer)

    # then
    assert status_of(fresh, customer) == 200
    assert status_of(phone, customer) == 401


@pytest.mark.parametrize(
    "revoke",
    [
        pytest.param(lambda c: customer_set_state(customer=c, state="disabled"), id="disable_case"),
        pytest.param(lambda c: customer_anonymize(customer=c), id="anonymize_case"),
    ],
)
def test_deactivation_and_anonymization_bump_the_version(customer, phone, revoke):
    # when
    revoke(customer)

    # then
    assert Customer.objects.get(pk=customer.pk).credentials_version == 1
    with pytest.raises(AuthenticationFailed):
        customer_from_access_token(phone.access)


def test_a_token_issued_before_versions_existed_counts_as_version_zero(customer, phone):
    # given: the same token without the claim
    token = CustomerAccessToken(phone.access)
    del token.payload[CREDENTIALS_VERSION_CLAIM]

    # when / then
    assert customer_from_access_token(str(token)) == customer


def test_a_refresh_token_with_a_lone_surrogate_is_refused_not_a_crash(customer, phone):
    # when
    refused = JsonApiClient().send(
        "post", "/refresh-tokens", "refresh-tokens", {"refreshToken": "a\ud800b"}
    )
    revoked = customer_refresh_revoke(customer=customer, raw_refresh="a\ud800b")

    # then: the wire refuses it as a field error; the service, given it, finds no token
    assert refused.status_code == 422
    assert refused.json() == errors(
        "901", 422, "refreshToken => Text must be valid Unicode (no lone surrogates)."
    )
    assert revoked == 0
    assert status_of(phone, customer) == 200
