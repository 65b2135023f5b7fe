"""Contract of the Storefront `access-tokens` resource: logging in (SPEC 4, 3, 12)."""

import pytest
from django.utils import timezone

from accounts.models import CustomerRefreshToken
from accounts.tokens import CUSTOMER_CLAIM, CustomerAccessToken, CustomerRefreshJWT
from customers.models import Customer
from tests.factories.customers import CustomerFactory
from tests.storefront.conftest import client_with_token, errors

FAILED = errors("003", 401, "Failed to authenticate user.")


def login(client, username, password="change123"):
    return client.send(
        "post", "/access-tokens", "access-tokens", {"username": username, "password": password}
    )


def test_login_answers_a_token_pair(api_client, customer):
    # when
    response = login(api_client, "john.smith@example.com")

    # then
    assert response.status_code == 201
    assert response["Content-Type"] == "application/vnd.api+json"
    body = response.json()
    access = body["data"]["attributes"]["accessToken"]
    refresh = body["data"]["attributes"]["refreshToken"]
    assert body == {
        "data": {
            "type": "access-tokens",
            "id": None,
            "attributes": {
                "tokenType": "Bearer",
                "expiresIn": 900,
                "accessToken": access,
                "refreshToken": refresh,
            },
            "links": {"self": "http://testserver/access-tokens"},
        }
    }
    assert CustomerAccessToken(access)[CUSTOMER_CLAIM] == str(customer.uuid)
    jti = CustomerRefreshJWT(refresh)["jti"]
    assert CustomerRefreshToken.objects.get(jti=jti).customer == customer
    customer.refresh_from_db()
    assert customer.last_login_at is not None
    assert client_with_token(access).get(f"/customers/{customer.reference}").status_code == 200


def test_login_email_is_case_insensitive(api_client, customer):
    # when
    response = login(api_client, "John.Smith@EXAMPLE.com")

    # then
    assert response.status_code == 201


@pytest.mark.parametrize(
    "attributes",
    [
        pytest.param(
            {"username": "john.smith@example.com", "password": "wrong-pass"},
            id="wrong_password_case",
        ),
        pytest.param(
            {"username": "nobody@example.com", "password": "change123"}, id="unknown_email_case"
        ),
    ],
)
def test_every_login_failure_answers_003(api_client, customer, attributes):
    # given
    before = list(Customer.objects.values())

    # when
    response = api_client.send("post", "/access-tokens", "access-tokens", attributes)

    # then
    assert response.status_code == 401
    assert response.json() == FAILED
    assert CustomerRefreshToken.objects.count() == 0
    assert list(Customer.objects.values()) == before


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param(
            {"username": "john.smith@example.com"},
            [errors("901", 422, "password => This field is missing.")],
            id="missing_password_case",
        ),
        pytest.param(
            {},
            [
                errors("901", 422, "username => This field is missing."),
                errors("901", 422, "password => This field is missing."),
            ],
            id="no_attributes_case",
        ),
        pytest.param(
            {"username": "", "password": ""},
            [
                errors("901", 422, "username => This value should not be blank."),
                errors("901", 422, "password => This value should not be blank."),
            ],
            id="blank_case",
        ),
        pytest.param(
            {"username": "john.smith@example.com", "password": None},
            [errors("901", 422, "password => This value should not be blank.")],
            id="null_password_case",
        ),
        pytest.param(
            {"username": ["x"], "password": 123},
            [
                errors("901", 422, "username => Not a valid string."),
                errors("901", 422, "password => Not a valid string."),
            ],
            id="malformed_case",
        ),
    ],
)
def test_blank_or_missing_credentials_answer_901(api_client, customer, attributes, expected):
    # given
    before = list(Customer.objects.values())

    # when
    response = api_client.send("post", "/access-tokens", "access-tokens", attributes)

    # then: Spryker validates the attributes before it tries to log in (SPEC 4)
    assert response.status_code == 422
    assert response.json() == {"errors": [error for body in expected for error in body["errors"]]}
    assert CustomerRefreshToken.objects.count() == 0
    assert list(Customer.objects.values()) == before


@pytest.mark.parametrize(
    "customer_kwargs",
    [
        pytest.param({"state": Customer.State.DISABLED}, id="disabled_case"),
        pytest.param({"state": Customer.State.INVITED}, id="invited_case"),
        pytest.param({"self_registered": True, "email_verified_at": None}, id="unconfirmed_case"),
        pytest.param({"deleted_at": timezone.now}, id="soft_deleted_case"),
    ],
)
def test_customers_who_may_not_log_in_get_the_same_003(api_client, store, customer_kwargs):
    # given
    kwargs = {k: v() if callable(v) else v for k, v in customer_kwargs.items()}
    CustomerFactory(email="held@example.com", **kwargs)

    # when
    response = login(api_client, "held@example.com")

    # then
    assert response.status_code == 401
    assert response.json() == FAILED
    assert CustomerRefreshToken.objects.count() == 0


def test_an_account_is_locked_after_repeated_failures(api_client, customer):
    # given: AUTH_LOCKOUT_FAILURES is 5
    for _ in range(5):
        assert login(api_client, customer.email, "wrong-pass").status_code == 401

    # when: even the right password is refused while the account is locked
    response = login(api_client, customer.email)

    # then
    assert response.status_code == 429
    assert response.json() == errors("429", 429, "Too many attempts. Try again later.")
    assert 890 <= int(response["Retry-After"]) <= 900
    assert CustomerRefreshToken.objects.count() == 0


def test_logins_are_throttled_per_client_ip(api_client, customer):
    # given: the `auth` rate is 10 a minute, whatever the account
    for number in range(10):
        login(api_client, f"someone{number}@example.com", "wrong-pass")

    # when
    response = login(api_client, customer.email)

    # then
    assert response.status_code == 429
    assert response.json() == errors("429", 429, "Too many attempts. Try again later.")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert CustomerRefreshToken.objects.count() == 0
