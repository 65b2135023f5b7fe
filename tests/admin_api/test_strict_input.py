"""The Admin API refuses a JSON value of the wrong type instead of coercing it (SPEC 2)."""

import pytest

from customers.models import Customer

PASSWORD = "Correct-Horse-42"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"full_name": 0}, "full_name: Not a valid string.", id="number_name_case"),
        pytest.param({"email": True}, "email: Not a valid string.", id="bool_email_case"),
        pytest.param({"password": 12345678}, "password: Not a valid string.", id="number_pw_case"),
    ],
)
def test_update_refuses_a_number_where_text_is_expected(staff_client, customer, body, message):
    # given
    before = Customer.objects.values().get(pk=customer.pk)

    # when
    response = staff_client.patch(f"/api/customers/{customer.uuid}", body, format="json")

    # then
    assert response.status_code == 400
    assert response.json() == {"error": {"status": 400, "message": message}}
    assert Customer.objects.values().get(pk=customer.pk) == before


def test_create_refuses_a_number_for_the_email(staff_client, db):
    # when
    response = staff_client.post(
        "/api/customers",
        {"email": 5, "password": PASSWORD, "full_name": "A B"},
        format="json",
    )

    # then
    assert response.status_code == 400
    assert response.json() == {"error": {"status": 400, "message": "email: Not a valid string."}}
    assert Customer.objects.count() == 0
