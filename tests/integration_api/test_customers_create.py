"""POST /api/v2/customers: the TWC representation in, the created customer out (SPEC 6)."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.tokens import customer_tokens_issue
from addresses.models import Address
from customers.models import Customer
from tests.factories.customers import CustomerFactory
from tests.integration_api.conftest import (
    address_body,
    customer_body,
    expected_customer,
    staff_client_for,
)

URL = "/api/v2/customers"


def test_create_returns_the_seed_representation(twc_client, store):
    # given a seed-shaped body with realistic values, read-only keys and an unknown key
    body = customer_body(unknownKey="ignored")

    # when
    response = twc_client.post(URL, body, format="json")

    # then the customer and its address are stored and rendered with exactly the seed's keys
    customer = Customer.objects.get()
    assert response.status_code == 201
    assert response["Location"] == f"/api/v2/customers/{customer.uuid}"
    assert response.json() == expected_customer(customer)
    assert customer.store == store
    assert customer.reference == "ERP-10001"
    assert not customer.has_usable_password()
    assert str(customer.uuid) != body["id"]
    assert Address.objects.get().customer == customer


@pytest.mark.parametrize(
    ("state_keys", "expected_state", "expected_active"),
    [
        ({}, "invited", False),
        ({"active": True}, "enabled", True),
        ({"active": False}, "disabled", False),
        ({"customer_state": "declined"}, "declined", False),
        ({"customerState": "enabled"}, "enabled", True),
        ({"active": True, "customer_state": "disabled"}, "disabled", False),
    ],
    ids=[
        "nothing_invited_case",
        "active_true_case",
        "active_false_case",
        "customer_state_case",
        "customerState_synonym_case",
        "customer_state_wins_over_active_case",
    ],
)
def test_create_maps_active_and_customer_state_to_one_state(
    twc_client, state_keys, expected_state, expected_active
):
    # given
    body = {"email": "max.mustermann@example.com", **state_keys}

    # when
    response = twc_client.post(URL, body, format="json")

    # then
    assert response.status_code == 201
    assert (response.json()["customer_state"], response.json()["active"]) == (
        expected_state,
        expected_active,
    )
    assert Customer.objects.get().state == expected_state


def test_create_without_addresses_uses_a_lone_default_address(twc_client):
    # given the customer-level defaultAddress only
    body = customer_body(addresses=[], defaultAddress=address_body(defaultAddress=False))

    # when
    response = twc_client.post(URL, body, format="json")

    # then it becomes the customer's (first, hence default) address
    assert response.status_code == 201
    address = Address.objects.get()
    assert (address.city, address.is_default_shipping, address.is_default_billing) == (
        "Berlin",
        True,
        True,
    )
    assert response.json()["defaultAddress"]["id"] == str(address.uuid)


def test_create_with_a_taken_email_is_400_and_writes_nothing(twc_client, store):
    # given
    CustomerFactory(store=store, email="anne.kraus@example.com")

    # when the same email arrives in another case
    response = twc_client.post(
        URL, customer_body(email="Anne.Kraus@EXAMPLE.com", phone=None, mobile=None), format="json"
    )

    # then
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Email already in use",
        "errors": [
            {"field": "email", "message": "This email address is already used by another customer."}
        ],
    }
    assert Customer.objects.count() == 1
    assert Address.objects.count() == 0


def test_create_with_a_taken_mobile_is_400(twc_client, store):
    # given
    CustomerFactory(store=store, mobile="+491701234567")

    # when the same number arrives in another format
    response = twc_client.post(URL, customer_body(), format="json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Phone number already in use",
        "errors": [
            {"field": "mobile", "message": "This phone number is already used by another customer."}
        ],
    }
    assert Customer.objects.count() == 1


def test_create_reports_every_invalid_field_with_twc_names(twc_client):
    # given shape errors and domain errors at once
    body = customer_body(
        email="not-an-email",
        firstName="A" * 101,
        phone="12",
        addresses=[address_body(city="", countryCode="XX", country="Atlantis")],
    )

    # when
    response = twc_client.post(URL, body, format="json")

    # then every problem is listed under the name the client sent
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid input",
        "errors": [
            {
                "field": "phone",
                "message": "Enter a valid phone number in international format, "
                "e.g. +49 30 1234567.",
            },
            {"field": "email", "message": "Enter a valid email address."},
            {
                "field": "firstName",
                "message": "Ensure this value has at most 100 characters (it has 101).",
            },
            {"field": "addresses[0].countryCode", "message": "'XX' is not a known country."},
            {"field": "addresses[0].city", "message": "This field cannot be blank."},
        ],
    }
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"dob": "14.03.1985"},
            [
                {
                    "field": "dob",
                    "message": "Date has wrong format. Use YYYY-MM-DD or an ISO 8601 date-time.",
                }
            ],
        ),
        ({"active": "yes"}, [{"field": "active", "message": "Must be a valid boolean."}]),
        ({"email": 42}, [{"field": "email", "message": "Not a valid string."}]),
        (
            {"customer_state": "sleeping"},
            [{"field": "customer_state", "message": '"sleeping" is not a valid choice.'}],
        ),
        (
            {"addresses": [{"city": 7}]},
            [{"field": "addresses[0].city", "message": "Not a valid string."}],
        ),
        (
            {
                "attributeGroups": {
                    "g": {"attributes": {"n": {"attribute_value": "x", "value_type": "INTEGER"}}}
                }
            },
            [
                {
                    "field": "attributeGroups",
                    "message": "Attribute 'g.n' is not a valid INTEGER value.",
                }
            ],
        ),
    ],
    ids=[
        "dob_format_case",
        "active_not_boolean_case",
        "email_not_string_case",
        "unknown_state_case",
        "address_city_not_string_case",
        "attribute_value_type_case",
    ],
)
def test_create_rejects_wrong_shapes(twc_client, overrides, errors):
    # when
    response = twc_client.post(URL, customer_body(**overrides), format="json")

    # then
    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": "Invalid input", "errors": errors}
    assert Customer.objects.count() == 0


def test_create_with_a_future_dob_is_400(twc_client):
    # when
    response = twc_client.post(URL, customer_body(dob="2999-01-01"), format="json")

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "dob", "message": "The date of birth cannot be in the future."}
    ]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"email": ', "JSON parse error - Expecting value: line 1 column 11 (char 10)"),
        ("[]", "The request body must be a JSON object."),
        ("", "The request body must be a JSON object."),
    ],
    ids=["malformed_json_case", "array_body_case", "empty_body_case"],
)
def test_create_with_a_bad_body_is_400(twc_client, payload, message):
    # when
    response = twc_client.post(URL, payload, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": message}
    assert Customer.objects.count() == 0


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_create_with_an_oversized_body_is_413(twc_client):
    # when
    response = twc_client.post(URL, customer_body(firstName="A" * 2000), format="json")

    # then
    assert response.status_code == 413
    assert response.json() == {"status": 413, "message": "Request body is too large."}
    assert Customer.objects.count() == 0


def test_create_without_credentials_is_401(db):
    # when
    response = APIClient().post(URL, customer_body(), format="json")

    # then
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "message": "Authentication credentials were not provided.",
    }
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Customer.objects.count() == 0


def test_create_with_a_customer_token_is_401(customer):
    # given a shopper's access token
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {customer_tokens_issue(customer=customer).access}"
    )

    # when
    response = client.post(URL, customer_body(), format="json")

    # then
    assert response.status_code == 401
    assert Customer.objects.count() == 1


def test_create_without_the_add_permission_is_403(make_staff):
    # given staff who may only view
    client = staff_client_for(make_staff(permissions=("view",)))

    # when
    response = client.post(URL, customer_body(), format="json")

    # then
    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "message": "You do not have permission to perform this action.",
    }
    assert Customer.objects.count() == 0


def test_create_with_the_admin_session_needs_csrf(staff_user):
    # given the Django admin's session cookie, with CSRF checks on as in a browser
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff_user)

    # when
    response = client.post(URL, customer_body(), format="json")

    # then
    assert response.status_code == 403
    assert response.json()["message"] == "CSRF Failed: CSRF cookie not set."
    assert Customer.objects.count() == 0


def test_wrong_method_is_405(twc_client):
    # when
    response = twc_client.delete(URL)

    # then
    assert response.status_code == 405
    assert response.json() == {"status": 405, "message": 'Method "DELETE" not allowed.'}
