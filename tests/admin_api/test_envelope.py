"""Errors every Admin API route shares: malformed JSON, 413, 405, 415 (SPEC 2, 5)."""

from django.test import override_settings

from customers.models import Customer

URL = "/api/customers"


def test_malformed_json_is_400(staff_client, db):
    # when
    response = staff_client.generic(
        "POST", URL, '{"email": "a@example.com",', content_type="application/json"
    )

    # then
    assert response.status_code == 400
    assert response.json()["error"]["status"] == 400
    assert response.json()["error"]["message"].startswith("JSON parse error")
    assert Customer.objects.count() == 0


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_body_over_the_limit_is_413(staff_client, db):
    # given
    body = '{"email": "a@example.com", "full_name": "' + "x" * 2000 + '", "password": "p"}'

    # when
    response = staff_client.generic("POST", URL, body, content_type="application/json")

    # then
    assert response.status_code == 413
    assert response.json() == {"error": {"status": 413, "message": "Request body is too large."}}
    assert Customer.objects.count() == 0


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_login_body_over_the_limit_is_413(api_client, db):
    # when
    response = api_client.generic(
        "POST",
        "/customer/login",
        '{"email": "' + "x" * 2000 + '"}',
        content_type="application/json",
    )

    # then
    assert response.status_code == 413


def test_an_unsupported_method_is_405(staff_client, customer):
    # when
    response = staff_client.put(f"{URL}/{customer.uuid}", {}, format="json")

    # then
    assert response.status_code == 405
    assert response.json() == {"error": {"status": 405, "message": 'Method "PUT" not allowed.'}}


def test_a_form_body_is_415(staff_client, db):
    # when
    response = staff_client.post(URL, {"email": "a@example.com"}, format="multipart")

    # then
    assert response.status_code == 415
    assert response.json()["error"]["status"] == 415
    assert Customer.objects.count() == 0
