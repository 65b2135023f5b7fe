"""The Admin API probe reproductions of issue 14, item 4: the dialect's 4xx, never a 500.

Bodies are sent as raw JSON text, exactly as the probe sent them (`\\u0000` escapes and all).
"""

import pytest

from customers.models import Customer

URL = "/api/customers"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            '{"email": "a\\u0000@example.com", "password": "x"}',
            "email: Null characters are not allowed.",
            id="nul_in_email_case",
        ),
        pytest.param(
            '{"email": "john.smith@example.com", "password": "x\\ud800"}',
            "password: Text must be valid Unicode (no lone surrogates).",
            id="surrogate_in_password_case",
        ),
    ],
)
def test_customer_login_with_nul_or_a_lone_surrogate_is_a_400(api_client, customer, body, message):
    # when
    response = api_client.post("/customer/login", body, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json() == {"error": {"status": 400, "message": message}}


def test_nul_in_the_full_name_is_a_400_and_creates_nothing(staff_client, db):
    # given
    body = (
        '{"email": "anne@example.com", "password": "correct-horse-9", '
        '"full_name": "Anne\\u0000Kraus"}'
    )

    # when
    response = staff_client.post(URL, body, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "error": {"status": 400, "message": "full_name: Null characters are not allowed."}
    }
    assert Customer.objects.count() == 0


def test_a_huge_number_as_full_name_is_refused_not_stored_as_inf(staff_client, db):
    # given
    body = '{"email": "anne@example.com", "password": "correct-horse-9", "full_name": 1e400}'

    # when
    response = staff_client.post(URL, body, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "error": {"status": 400, "message": "full_name: Not a valid string."}
    }
    assert Customer.objects.count() == 0
