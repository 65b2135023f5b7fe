"""Contract of the Storefront `refresh-tokens` resource: rotation, logout and every event
that revokes a customer's tokens (SPEC 4, 1.4, 12)."""

import pytest
from django.contrib.auth.models import User

from accounts.models import CustomerKey, CustomerRefreshToken
from accounts.tokens import (
    CustomerRefreshJWT,
    StaffRefreshToken,
    customer_tokens_issue,
)
from customers.models import Customer
from customers.services import customer_set_state
from tests.factories.customers import CustomerKeyFactory
from tests.storefront.conftest import client_with_token, errors

REFRESH_FAILED = errors("004", 401, "Failed to refresh token.")
INVALID_TOKEN = errors("001", 401, "Invalid access token.")


def refresh(client, raw):
    return client.send("post", "/refresh-tokens", "refresh-tokens", {"refreshToken": raw})


def live_jtis(customer):
    return set(
        CustomerRefreshToken.objects.filter(customer=customer, revoked_at__isnull=True).values_list(
            "jti", flat=True
        )
    )


def jti(raw):
    return CustomerRefreshJWT(raw)["jti"]


# --- POST /refresh-tokens ----------------------------------------------------------------------


def test_refresh_rotates_the_pair(api_client, customer, tokens):
    # when
    response = refresh(api_client, tokens.refresh)

    # then
    assert response.status_code == 201
    body = response.json()
    attributes = body["data"]["attributes"]
    assert body == {
        "data": {
            "type": "refresh-tokens",
            "id": None,
            "attributes": {
                "tokenType": "Bearer",
                "expiresIn": 900,
                "accessToken": attributes["accessToken"],
                "refreshToken": attributes["refreshToken"],
            },
            "links": {"self": "http://testserver/refresh-tokens"},
        }
    }
    assert live_jtis(customer) == {jti(attributes["refreshToken"])}
    new_client = client_with_token(attributes["accessToken"])
    assert new_client.get(f"/customers/{customer.reference}").status_code == 200


def test_a_used_refresh_token_is_dead(api_client, customer, tokens):
    # given
    assert refresh(api_client, tokens.refresh).status_code == 201
    before = live_jtis(customer)

    # when
    response = refresh(api_client, tokens.refresh)

    # then
    assert response.status_code == 401
    assert response.json() == REFRESH_FAILED
    assert live_jtis(customer) == before


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("not-a-token", id="garbage_case"),
        pytest.param("access", id="access_token_case"),
        pytest.param("staff", id="staff_refresh_token_case"),
    ],
)
def test_an_invalid_refresh_token_answers_004(api_client, customer, tokens, raw):
    # given
    if raw == "access":
        raw = tokens.access
    elif raw == "staff":
        staff = User.objects.create_user("staff", password="a-long-staff-password", is_staff=True)
        raw = str(StaffRefreshToken.for_user(staff))

    # when
    response = refresh(api_client, raw)

    # then
    assert response.status_code == 401
    assert response.json() == REFRESH_FAILED
    assert live_jtis(customer) == {jti(tokens.refresh)}


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        pytest.param("", "refreshToken => This value should not be blank.", id="empty_case"),
        pytest.param(None, "refreshToken => This value should not be blank.", id="null_case"),
    ],
)
def test_a_blank_refresh_token_answers_901(api_client, customer, tokens, raw, detail):
    # when
    response = refresh(api_client, raw)

    # then
    assert response.status_code == 422
    assert response.json() == errors("901", 422, detail)
    assert live_jtis(customer) == {jti(tokens.refresh)}


# --- DELETE /refresh-tokens/{token|mine} -------------------------------------------------------


def test_logout_revokes_that_refresh_token_only(api_client, customer, customer_client, tokens):
    # given
    second = customer_tokens_issue(customer=customer)

    # when
    response = customer_client.delete(f"/refresh-tokens/{second.refresh}")

    # then
    assert response.status_code == 204
    assert response.content == b""
    assert live_jtis(customer) == {jti(tokens.refresh)}
    assert refresh(api_client, second.refresh).json() == REFRESH_FAILED


def test_logout_with_mine_revokes_every_refresh_token_of_the_caller(
    api_client, customer, other_customer, customer_client, tokens, other_tokens
):
    # given
    second = customer_tokens_issue(customer=customer)

    # when
    response = customer_client.delete("/refresh-tokens/mine")

    # then
    assert response.status_code == 204
    assert live_jtis(customer) == set()
    assert live_jtis(other_customer) == {jti(other_tokens.refresh)}
    for raw in (tokens.refresh, second.refresh):
        assert refresh(api_client, raw).json() == REFRESH_FAILED


def test_logout_with_another_customers_token_leaves_it_alone(
    customer, other_customer, customer_client, tokens, other_tokens
):
    # when
    response = customer_client.delete(f"/refresh-tokens/{other_tokens.refresh}")

    # then: 204 as for any token, but nothing of the other customer's is touched
    assert response.status_code == 204
    assert live_jtis(other_customer) == {jti(other_tokens.refresh)}
    assert live_jtis(customer) == {jti(tokens.refresh)}


def test_logout_without_a_token_answers_002(api_client, customer, tokens):
    # when
    response = api_client.delete(f"/refresh-tokens/{tokens.refresh}")

    # then
    assert response.status_code == 403
    assert response.json() == errors("002", 403, "Missing access token.")
    assert live_jtis(customer) == {jti(tokens.refresh)}


# --- Revocation events -------------------------------------------------------------------------


def test_logout_event_kills_the_refresh_token(api_client, customer, customer_client, tokens):
    # when
    customer_client.delete(f"/refresh-tokens/{tokens.refresh}")

    # then: the refresh token is dead, and the access token issued with it too (SPEC 12)
    assert refresh(api_client, tokens.refresh).json() == REFRESH_FAILED
    response = customer_client.get(f"/customers/{customer.reference}")
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_password_change_event_kills_the_other_refresh_tokens(
    api_client, customer, customer_client, tokens
):
    # given: a second device logged in
    other_device = customer_tokens_issue(customer=customer)

    # when
    response = customer_client.send(
        "patch",
        "/customer-password",
        "customer-password",
        {"password": "change123", "newPassword": "321egnahc", "confirmPassword": "321egnahc"},
    )

    # then: the token pair that made the change survives, the other device's is dead
    assert response.status_code == 204
    assert live_jtis(customer) == {jti(tokens.refresh)}
    assert refresh(api_client, other_device.refresh).json() == REFRESH_FAILED
    assert refresh(api_client, tokens.refresh).status_code == 201


def test_password_reset_event_kills_every_refresh_token(api_client, customer, tokens):
    # given
    CustomerKeyFactory(customer=customer, raw_key="a" * 32)

    # when
    response = api_client.send(
        "patch",
        "/customer-restore-password",
        "customer-restore-password",
        {
            "restorePasswordKey": "a" * 32,
            "password": "new_pssword",
            "confirmPassword": "new_pssword",
        },
    )

    # then
    assert response.status_code == 204
    assert live_jtis(customer) == set()
    assert refresh(api_client, tokens.refresh).json() == REFRESH_FAILED


def test_disable_event_kills_refresh_and_access_tokens(
    api_client, customer, customer_client, tokens
):
    # given
    CustomerKeyFactory(customer=customer, raw_key="b" * 32)

    # when
    customer_set_state(customer=customer, state=Customer.State.DISABLED)

    # then
    assert live_jtis(customer) == set()
    assert refresh(api_client, tokens.refresh).json() == REFRESH_FAILED
    response = customer_client.get(f"/customers/{customer.reference}")
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    assert not CustomerKey.objects.filter(customer=customer, used_at__isnull=True).exists()


def test_anonymization_event_kills_refresh_and_access_tokens(
    api_client, customer, customer_client, tokens
):
    # given
    other_device = customer_tokens_issue(customer=customer)

    # when
    response = customer_client.delete(f"/customers/{customer.reference}")

    # then
    assert response.status_code == 204
    assert live_jtis(customer) == set()
    for raw in (tokens.refresh, other_device.refresh):
        assert refresh(api_client, raw).json() == REFRESH_FAILED
    for access in (tokens.access, other_device.access):
        again = client_with_token(access).get(f"/customers/{customer.reference}")
        assert again.status_code == 401
        assert again.json() == INVALID_TOKEN
