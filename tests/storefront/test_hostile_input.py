"""The Storefront probe reproductions of issue 14, item 4: the dialect's 4xx, never a 500.

Bodies are sent as raw JSON text, exactly as the probe sent them (`\\u0000` escapes and all).
"""

import pytest

from customers.models import Customer
from tests.storefront.conftest import MEDIA_TYPE, client_with_token, errors


def login_body(username: str, password: str) -> str:
    return (
        '{"data": {"type": "access-tokens", "attributes": '
        f'{{"username": "{username}", "password": "{password}"}}}}}}'
    )


NUL_REFUSED = "Null characters are not allowed."
SURROGATE_REFUSED = "Text must be valid Unicode (no lone surrogates)."


@pytest.mark.parametrize(
    ("username", "password", "detail"),
    [
        pytest.param(
            "john.smith\\u0000@example.com",
            "secret-123",
            f"username => {NUL_REFUSED}",
            id="nul_in_username_case",
        ),
        pytest.param(
            "john.smith\\ud800@example.com",
            "secret-123",
            f"username => {SURROGATE_REFUSED}",
            id="surrogate_username_case",
        ),
        pytest.param(
            "john.smith@example.com",
            "secret\\ud800",
            f"password => {SURROGATE_REFUSED}",
            id="surrogate_password_case",
        ),
        pytest.param(
            "john.smith@example.com",
            "secret\\u0000",
            f"password => {NUL_REFUSED}",
            id="nul_in_password_case",
        ),
    ],
)
def test_login_with_nul_or_a_lone_surrogate_is_a_field_error(
    api_client, customer, username, password, detail
):
    # given
    last_login = customer.last_login_at

    # when
    response = api_client.post(
        "/access-tokens", login_body(username, password), content_type=MEDIA_TYPE
    )

    # then: refused for its shape, whoever the email names, and nothing counted or touched
    assert response.status_code == 422
    assert response.json() == errors("901", 422, detail)
    assert Customer.objects.get(pk=customer.pk).last_login_at == last_login


def test_nul_in_a_customer_path_is_not_found(customer, tokens):
    # given
    client = client_with_token(tokens.access)

    # when
    response = client.get("/customers/%00")

    # then
    assert response.status_code == 404
    assert response.json() == errors("402", 404, "Customer not found.")


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
