"""Hostile bodies stop at the shared parser: the dialect's 400, never a 500 (issue 14, item 4)."""

from io import BytesIO

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import RequestDataTooBig
from rest_framework.test import APIClient

from accounts.tokens import StaffRefreshToken, customer_tokens_issue
from config.api.common import LimitedJSONParser
from customers.models import Customer
from tests.factories.customers import AddressFactory

JSON_API = "application/vnd.api+json"
DEEP = "[" * 5000 + "]" * 5000  # the probe's body: RecursionError in the stock parser
TOO_DEEP = "more than 32 levels of nesting"


def nested(depth: int) -> str:
    """An object `depth` levels deep: {"a": {"a": ... {} ...}}."""
    return '{"a": ' * (depth - 1) + "{}" + "}" * (depth - 1)


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def clients(customer):
    staff = User.objects.create_user(username="staff", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["customers", "addresses"])
    )
    return {
        "anonymous": APIClient(),
        "customer": bearer(customer_tokens_issue(customer=customer).access),
        "staff": bearer(str(StaffRefreshToken.for_user(staff).access_token)),
    }


def write_routes(customer) -> list[tuple[str, str, str, str]]:
    """(client, method, path, dialect) of every route that reads a body."""
    ref, uuid = customer.reference, customer.uuid
    address = AddressFactory(customer=customer)
    return [
        ("anonymous", "post", "/customers", "storefront"),
        ("customer", "patch", f"/customers/{ref}", "storefront"),
        ("customer", "post", f"/customers/{ref}/addresses", "storefront"),
        ("customer", "patch", f"/customers/{ref}/addresses/{address.uuid}", "storefront"),
        ("anonymous", "post", "/customer-confirmation", "storefront"),
        ("anonymous", "post", "/access-tokens", "storefront"),
        ("anonymous", "post", "/refresh-tokens", "storefront"),
        ("customer", "patch", "/customer-password", "storefront"),
        ("customer", "patch", f"/customer-password/{ref}", "storefront"),
        ("anonymous", "post", "/customer-forgotten-password", "storefront"),
        ("anonymous", "patch", "/customer-restore-password", "storefront"),
        ("anonymous", "patch", "/customer-restore-password/key", "storefront"),
        ("anonymous", "post", "/api/customers", "admin"),
        ("staff", "post", "/api/customers", "admin"),
        ("staff", "patch", f"/api/customers/{uuid}", "admin"),
        ("anonymous", "post", "/api/auth/token", "admin"),
        ("anonymous", "post", "/api/auth/token/refresh", "admin"),
        ("anonymous", "post", "/customer/login", "admin"),
        ("staff", "post", "/api/v2/customers", "integration"),
        ("staff", "put", "/api/v2/customers", "integration"),
        ("staff", "post", "/api/v2/upload-customers", "integration"),
        ("staff", "post", "/api/v2/customers/validate", "integration"),
        ("staff", "post", f"/api/v2/customers/{uuid}/address", "integration"),
    ]


def expected(dialect: str) -> dict:
    return {
        "storefront": {"errors": [{"status": 400, "detail": "Post data is invalid."}]},
        "admin": {"error": {"status": 400, "message": f"JSON parse error - {TOO_DEEP}"}},
        "integration": {"status": 400, "message": f"JSON parse error - {TOO_DEEP}"},
    }[dialect]


def rows() -> list:
    return list(Customer.objects.order_by("pk").values_list("pk", "email", "first_name"))


@pytest.mark.parametrize(
    "body", [pytest.param(DEEP, id="depth_5000_case"), pytest.param(nested(33), id="depth_33_case")]
)
def test_a_deeply_nested_body_answers_400_on_every_write_route(clients, customer, body):
    # given
    routes = write_routes(customer)
    before = rows()

    # when
    found = []
    for who, method, path, dialect in routes:
        content_type = JSON_API if dialect == "storefront" else "application/json"
        response = getattr(clients[who], method)(path, body, content_type=content_type)
        found.append((method, path, response.status_code, response.json()))

    # then
    assert found == [(method, path, 400, expected(dialect)) for _, method, path, dialect in routes]
    assert rows() == before


def test_a_body_at_the_depth_limit_is_parsed(db):
    # given: 32 levels reach the serializer, which refuses the shape, not the parser
    body = '{"username": ' + nested(31) + ', "password": "p"}'

    # when
    response = APIClient().post("/api/auth/token", body, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json() == {"error": {"status": 400, "message": "username: Not a valid string."}}


def test_storefront_json_is_limited_with_either_media_type(db):
    # when
    response = APIClient().post("/access-tokens", DEEP, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json() == {"errors": [{"status": 400, "detail": "Post data is invalid."}]}


def test_the_parser_applies_the_size_limit_itself(db, settings):
    # given: a stream that the body-size check did not read first
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10

    # when / then
    with pytest.raises(RequestDataTooBig):
        LimitedJSONParser().parse(BytesIO(b'{"email": "a@example.com"}'))
    assert LimitedJSONParser().parse(BytesIO(b'{"a": [1]}')) == {"a": [1]}
