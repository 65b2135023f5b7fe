"""The Storefront probe reproductions of issue 14, item 4: the dialect's 4xx, never a 500.

Bodies are sent as raw JSON text, exactly as the probe sent them (`\\u0000` escapes and all).
"""

import pytest

from customers.models import Customer
from tests.storefront.conftest import MEDIA_TYPE, client_with_token, errors

FAILED_LOGIN = errors("003", 401, "Failed to authenticate user.")


def login_body(username: str, password: str) -> str:
    return (
        '{"data": {"type": "access-tokens", "attributes": '
        f'{{"username": "{username}", "password": "{password}"}}}}}}'
    )


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param("john.smith\\u0000@example.com", "secret-123", id="nul_in_username_case"),
        pytest.param("john.smith\\ud800@example.com", "secret-123", id="surrogate_username_case"),
        pytest.param("john.smith@example.com", "secret\\ud800", id="surrogate_password_case"),
        pytest.param("john.smith@example.com", "secret\\u0000", id="nul_in_password_case"),
    ],
)
def test_login_with_nul_or_a_lone_surrogate_fails_like_wrong_credentials(
    api_client, customer, username, password
):
    # given
    last_login = customer.last_login_at

    # when
    response = api_client.post(
        "/access-tokens", login_body(username, password), content_type=MEDIA_TYPE
    )

    # then
    assert response.status_code == 401
    assert response.json() == FAILED_LOGIN
    assert Customer.objects.get(pk=customer.pk).last_login_at == last_login


def test_nul_in_a_customer_path_is_not_found(customer, tokens):
    # given
    client = client_with_token(tokens.access)

    # when
    response = client.get("/customers/%00")

    # then
    assert response.status_code == 404
    assert response.json() == errors("402", 404, "Customer not found.")


@pytest.mark.xfail(
    strict=True,
    reason="customers/api/storefront.py CustomerUpdateInputSerializer.firstName is a DRF "
    "CharField, which turns the number into the text 'inf' before the core sees it",
)
def test_a_huge_number_as_first_name_is_refused_not_stored_as_inf(customer, tokens):
    # given
    client = client_with_token(tokens.access)
    body = '{"data": {"type": "customers", "attributes": {"firstName": 1e400}}}'

    # when
    response = client.patch(f"/customers/{customer.reference}", body, content_type=MEDIA_TYPE)

    # then
    assert response.status_code == 422
    assert response.json() == errors("901", 422, "firstName => Not a valid string.")
    assert Customer.objects.get(pk=customer.pk).first_name == "John"
