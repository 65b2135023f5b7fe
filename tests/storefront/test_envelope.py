"""The Storefront dialect as a whole: JSON:API envelope, media types, authentication and the
error catalogue entries that no single resource shows (SPEC 2, 3, 4)."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.api.storefront import CustomerPasswordViewSet, RestorePasswordViewSet
from accounts.tokens import (
    CUSTOMER,
    CUSTOMER_CLAIM,
    PRINCIPAL_CLAIM,
    CustomerAccessToken,
    StaffRefreshToken,
)
from addresses.models import Address
from config.api.storefront import CATALOGUE, ERROR_MAP, storefront_exception_handler
from customers.api.storefront import CustomerViewSet
from customers.errors import ReferenceImmutable
from customers.models import Customer
from tests.factories.customers import AddressFactory
from tests.storefront.conftest import MEDIA_TYPE, client_with_token, errors

POST_DATA_INVALID = errors(None, 400, "Post data is invalid.")
INVALID_TYPE = errors(None, 400, "Invalid type.")
INVALID_TOKEN = errors("001", 401, "Invalid access token.")

# Every route that takes a body: (method, path, JSON:API type).
WRITE_ROUTES = [
    pytest.param("post", "/customers", "customers", id="register_case"),
    pytest.param("patch", "/customers/{ref}", "customers", id="customer_patch_case"),
    pytest.param("post", "/customers/{ref}/addresses", "addresses", id="address_create_case"),
    pytest.param(
        "patch", "/customers/{ref}/addresses/{uuid}", "addresses", id="address_patch_case"
    ),
    pytest.param("post", "/customer-confirmation", "customer-confirmation", id="confirmation_case"),
    pytest.param("post", "/access-tokens", "access-tokens", id="access_tokens_case"),
    pytest.param("post", "/refresh-tokens", "refresh-tokens", id="refresh_tokens_case"),
    pytest.param("patch", "/customer-password", "customer-password", id="password_case"),
    pytest.param(
        "post", "/customer-forgotten-password", "customer-forgotten-password", id="forgotten_case"
    ),
    pytest.param(
        "patch", "/customer-restore-password", "customer-restore-password", id="restore_case"
    ),
]


def state():
    return list(Customer.objects.values()), list(Address.objects.values())


@pytest.fixture
def address(customer):
    return AddressFactory(customer=customer)


def route(path, customer, address):
    return path.format(ref=customer.reference, uuid=address.uuid)


# --- The JSON:API envelope ---------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "resource_type"), WRITE_ROUTES)
@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"type": "wrong", "attributes": {}}, id="wrong_type_case"),
        pytest.param({"type": "", "attributes": {}}, id="empty_type_case"),
    ],
)
def test_a_wrong_type_answers_invalid_type(
    customer_client, customer, address, method, path, resource_type, data
):
    # given
    before = state()

    # when
    response = getattr(customer_client, method)(
        route(path, customer, address), json.dumps({"data": data}), content_type=MEDIA_TYPE
    )

    # then
    assert response.status_code == 400
    assert response.json() == INVALID_TYPE
    assert state() == before


@pytest.mark.parametrize(("method", "path", "resource_type"), WRITE_ROUTES)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{}", id="no_data_case"),
        pytest.param("", id="empty_body_case"),
        pytest.param("[]", id="array_case"),
        pytest.param('{"data": "customers"}', id="data_not_an_object_case"),
        pytest.param(
            '{"data": {"type": "TYPE", "attributes": []}}', id="attributes_not_an_object_case"
        ),
        pytest.param('{"data": {"type": "TYPE"', id="malformed_json_case"),
        # Spryker: a `data` without `type` is not a document at all (SPEC 4).
        pytest.param('{"data": {"attributes": {}}}', id="missing_type_case"),
    ],
)
def test_a_body_without_data_answers_post_data_is_invalid(
    customer_client, customer, address, method, path, resource_type, body
):
    # given
    before = state()

    # when
    response = getattr(customer_client, method)(
        route(path, customer, address),
        body.replace("TYPE", resource_type),
        content_type=MEDIA_TYPE,
    )

    # then
    assert response.status_code == 400
    assert response["Content-Type"] == MEDIA_TYPE
    assert response.json() == POST_DATA_INVALID
    assert state() == before


def test_plain_json_is_accepted_and_json_api_is_answered(customer, customer_client):
    # when
    response = customer_client.patch(
        f"/customers/{customer.reference}",
        {"data": {"type": "customers", "attributes": {"firstName": "Jo"}}},
        format="json",
        HTTP_ACCEPT="text/html",
    )

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == MEDIA_TYPE
    assert response.json()["data"]["attributes"]["firstName"] == "Jo"


def test_another_media_type_answers_415(customer, customer_client):
    # given
    before = state()

    # when
    response = customer_client.patch(
        f"/customers/{customer.reference}", "firstName=Jo", content_type="text/plain"
    )

    # then
    assert response.status_code == 415
    assert response.json() == errors(None, 415, 'Unsupported media type "text/plain" in request.')
    assert state() == before


def test_an_oversized_body_answers_413(api_client, store, settings):
    # given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps(
        {"data": {"type": "customers", "attributes": {"email": "x@example.com", "pad": "x" * 2048}}}
    )

    # when
    response = api_client.post("/customers", body, content_type=MEDIA_TYPE)

    # then
    assert response.status_code == 413
    assert response.json() == errors(None, 413, "Request body is too large.")
    assert Customer.objects.count() == 0


def test_an_unsupported_method_answers_405(customer, customer_client):
    # when
    response = customer_client.put(
        f"/customers/{customer.reference}", "{}", content_type=MEDIA_TYPE
    )

    # then
    assert response.status_code == 405
    assert response.json() == errors(None, 405, 'Method "PUT" not allowed.')


# --- Authentication ----------------------------------------------------------------------------


def expired_access_token(customer):
    token = CustomerAccessToken()
    token[PRINCIPAL_CLAIM] = CUSTOMER
    token[CUSTOMER_CLAIM] = str(customer.uuid)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return str(token)


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Bearer not-a-token", id="garbage_case"),
        pytest.param("Bearer", id="no_token_after_bearer_case"),
        pytest.param("expired", id="expired_case"),
        pytest.param("staff", id="staff_token_case"),
        pytest.param("refresh", id="refresh_token_as_access_case"),
    ],
)
def test_an_invalid_token_answers_001(customer, tokens, header):
    # given
    if header == "expired":
        header = f"Bearer {expired_access_token(customer)}"
    elif header == "staff":
        staff = User.objects.create_user("staff", password="a-long-staff-password", is_staff=True)
        header = f"Bearer {StaffRefreshToken.for_user(staff).access_token}"
    elif header == "refresh":
        header = f"Bearer {tokens.refresh}"
    client = client_with_token("unused")
    client.credentials(HTTP_AUTHORIZATION=header)

    # when
    response = client.get(f"/customers/{customer.reference}")

    # then
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    assert response["WWW-Authenticate"] == 'Bearer realm="storefront"'


def test_another_authorization_scheme_counts_as_missing(api_client, customer):
    # given
    api_client.credentials(HTTP_AUTHORIZATION="Basic am9objpjaGFuZ2UxMjM=")

    # when
    response = api_client.get(f"/customers/{customer.reference}")

    # then
    assert response.status_code == 403
    assert response.json() == errors("002", 403, "Missing access token.")


# --- Catalogue entries reached only when a save fails as a whole -------------------------------


@pytest.mark.parametrize(
    ("view_class", "code"),
    [
        pytest.param(CustomerViewSet, "410", id="customer_case"),
        pytest.param(CustomerPasswordViewSet, "407", id="password_change_case"),
        pytest.param(RestorePasswordViewSet, "407", id="password_restore_case"),
    ],
)
@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(IntegrityError("constraint failed"), id="integrity_error_case"),
        pytest.param(ValidationError("Cannot be saved."), id="non_field_error_case"),
    ],
)
def test_a_save_failing_as_a_whole_answers_the_resources_code(view_class, code, exc):
    # given: the services check before they save, so no request reaches this today; a
    # refusal by the database still must not become a 500
    context = {"view": view_class()}

    # when
    response = storefront_exception_handler(exc, context)

    # then
    spec = CATALOGUE[code]
    assert response.status_code == spec.status
    assert response.data == errors(code, spec.status, spec.detail)


def test_domain_errors_without_a_storefront_meaning_answer_410():
    # when
    response = storefront_exception_handler(ReferenceImmutable(field="reference"), {})

    # then
    assert response.status_code == 400
    assert response.data == errors("410", 400, "Failed to save changes.")
    assert ERROR_MAP["customer_reference_immutable"] == CATALOGUE["410"]
