"""Contract of the Storefront `customer-password` resource: changing a password (SPEC 4, 12)."""

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail

from accounts.models import CustomerRefreshToken
from customers.models import Customer
from tests.storefront.conftest import errors

# Seed 001's sample body.
SEED_CHANGE = {"password": "change123", "newPassword": "321egnahc", "confirmPassword": "321egnahc"}


def change(client, attributes, path="/customer-password"):
    return client.send("patch", path, "customer-password", attributes)


def password_of(customer):
    return Customer.objects.values_list("password", flat=True).get(pk=customer.pk)


def test_change_replays_the_seed_sample(
    customer, customer_client, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = change(customer_client, SEED_CHANGE)

    # then
    assert response.status_code == 204
    assert response.content == b""
    assert response["Referrer-Policy"] == "no-referrer"
    assert check_password("321egnahc", password_of(customer))
    assert [message.to for message in mail.outbox] == [["john.smith@example.com"]]


def test_change_with_the_own_reference_in_the_path(customer, customer_client):
    # when
    response = change(customer_client, SEED_CHANGE, f"/customer-password/{customer.reference}")

    # then
    assert response.status_code == 204
    assert check_password("321egnahc", password_of(customer))


def test_change_for_another_reference_answers_411(customer, other_customer, customer_client):
    # given
    before = list(Customer.objects.values())

    # when
    response = change(
        customer_client, SEED_CHANGE, f"/customer-password/{other_customer.reference}"
    )

    # then
    assert response.status_code == 403
    assert response.json() == errors("411", 403, "Unauthorized request.")
    assert response["Referrer-Policy"] == "no-referrer"
    assert list(Customer.objects.values()) == before


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param(
            {**SEED_CHANGE, "password": "wrong-pass"},
            errors("408", 400, "Invalid password"),
            id="wrong_current_password_case",
        ),
        pytest.param(
            {**SEED_CHANGE, "confirmPassword": "321egnahd"},
            errors(
                "406",
                422,
                "Value in field newPassword should be identical to value in the "
                "confirmPassword field.",
            ),
            id="mismatch_case",
        ),
        pytest.param(
            {**SEED_CHANGE, "newPassword": "password", "confirmPassword": "password"},
            errors("901", 422, "newPassword => This password is too common."),
            id="common_password_case",
        ),
        pytest.param(
            {**SEED_CHANGE, "newPassword": "x" * 129, "confirmPassword": "x" * 129},
            errors(
                "901",
                422,
                "newPassword => This password is too long. It must contain at most 128 characters.",
            ),
            id="too_long_case",
        ),
        pytest.param(
            {"password": "change123"},
            {
                "errors": [
                    {
                        "code": "901",
                        "status": 422,
                        "detail": "newPassword => This field is missing.",
                    },
                    {
                        "code": "901",
                        "status": 422,
                        "detail": "confirmPassword => This field is missing.",
                    },
                ]
            },
            id="missing_fields_case",
        ),
    ],
)
def test_a_failed_change_changes_nothing(customer, customer_client, tokens, attributes, expected):
    # given
    before = password_of(customer)
    live = CustomerRefreshToken.objects.filter(revoked_at__isnull=True).count()

    # when
    response = change(customer_client, attributes)

    # then
    assert response.status_code == expected["errors"][0]["status"]
    assert response.json() == expected
    assert response["Referrer-Policy"] == "no-referrer"
    assert password_of(customer) == before
    assert CustomerRefreshToken.objects.filter(revoked_at__isnull=True).count() == live
    assert mail.outbox == []


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/customer-password", id="plain_case"),
        pytest.param("/customer-password/{ref}", id="reference_case"),
    ],
)
def test_change_without_a_token_answers_002(api_client, customer, path):
    # given
    before = password_of(customer)

    # when
    response = change(api_client, SEED_CHANGE, path.format(ref=customer.reference))

    # then
    assert response.status_code == 403
    assert response.json() == errors("002", 403, "Missing access token.")
    assert password_of(customer) == before
