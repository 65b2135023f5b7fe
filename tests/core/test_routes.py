"""Every dialect's routes: the paths, methods and url names the contract tests rely on.

The routes are collected by one router per dialect (config/api/routers.py); this table is
what they looked like as hand-written paths, and must stay so.
"""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import resolve, reverse
from rest_framework.test import APIClient

from accounts.tokens import StaffRefreshToken, customer_tokens_issue

JSON = "application/json"
JSON_API = "application/vnd.api+json"

ROUTES = [
    # Storefront (Glue), at the root
    ("/customers", "storefront-customers", {}, {"get", "post", "patch", "delete"}),
    ("/customers/DE--1", "storefront-customer", {"reference": "DE--1"}, {"get", "patch", "delete"}),
    (
        "/customers/DE--1/addresses",
        "storefront-addresses",
        {"reference": "DE--1"},
        {"get", "post", "patch", "delete"},
    ),
    (
        "/customers/DE--1/addresses/a-b",
        "storefront-address",
        {"reference": "DE--1", "uuid": "a-b"},
        {"get", "patch", "delete"},
    ),
    ("/customer-confirmation", "storefront-customer-confirmation", {}, {"post"}),
    ("/access-tokens", "storefront-access-tokens", {}, {"post"}),
    # DELETE without a token answers Glue's 400 "Resource id is not specified." (SPEC 4).
    ("/refresh-tokens", "storefront-refresh-tokens", {}, {"post", "delete"}),
    ("/refresh-tokens/mine", "storefront-refresh-token", {"token": "mine"}, {"delete"}),
    ("/customer-password", "storefront-customer-password", {}, {"patch"}),
    (
        "/customer-password/DE--1",
        "storefront-customer-password-of",
        {"reference": "DE--1"},
        {"patch"},
    ),
    ("/customer-forgotten-password", "storefront-customer-forgotten-password", {}, {"post"}),
    ("/customer-restore-password", "storefront-customer-restore-password", {}, {"patch"}),
    (
        "/customer-restore-password/k",
        "storefront-customer-restore-password-key",
        {"key": "k"},
        {"patch"},
    ),
    # Admin (EverShop), under /api/ and the session routes at the root
    ("/api/customers", "admin-customers", {}, {"get", "post"}),
    ("/api/customers/u-1", "admin-customer", {"uuid": "u-1"}, {"get", "patch", "delete"}),
    ("/api/auth/token", "admin-token", {}, {"post"}),
    ("/api/auth/token/refresh", "admin-token-refresh", {}, {"post"}),
    ("/customer/login", "admin-customer-login", {}, {"post"}),
    ("/customers/logout", "admin-customer-logout", {}, {"post"}),
    # Integration (TWC), under /api/v2/
    ("/api/v2/customers", "integration-customers", {}, {"post", "put"}),
    ("/api/v2/upload-customers", "integration-customers-upload", {}, {"post"}),
    ("/api/v2/customers/search", "integration-customers-search", {}, {"get"}),
    ("/api/v2/customers/validate", "integration-customers-validate", {}, {"post"}),
    (
        "/api/v2/customers/A.b-1_2/ref",
        "integration-customer-by-ref",
        {"reference": "A.b-1_2"},
        {"get", "delete"},
    ),
    (
        "/api/v2/customers/u-1/address",
        "integration-customer-address",
        {"uuid": "u-1"},
        {"post"},
    ),
    ("/api/v2/customers/u-1", "integration-customer", {"uuid": "u-1"}, {"get", "delete"}),
]


@pytest.mark.parametrize(
    ("path", "name", "kwargs", "methods"),
    [pytest.param(*route, id=f"{route[1]}_case") for route in ROUTES],
)
def test_each_route_keeps_its_path_name_and_methods(path, name, kwargs, methods):
    # when
    match = resolve(path)

    # then
    assert (match.url_name, match.kwargs) == (name, kwargs)
    assert reverse(name, kwargs=kwargs) == path
    assert set(match.func.actions) - {"head"} == methods


@pytest.fixture
def staff_token(db):
    staff = User.objects.create_user(username="staff", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="customers"))
    return str(StaffRefreshToken.for_user(staff).access_token)


@pytest.mark.parametrize(
    ("path", "who", "allow", "renders"),
    [
        pytest.param(
            "/access-tokens", "customer", "POST, OPTIONS", [JSON_API], id="storefront_case"
        ),
        pytest.param(
            "/customers/{reference}",
            "customer",
            "GET, PATCH, DELETE, HEAD, OPTIONS",
            [JSON_API],
            id="storefront_item_case",
        ),
        pytest.param("/api/auth/token", None, "POST, OPTIONS", [JSON], id="admin_public_case"),
        pytest.param("/customer/login", None, "POST, OPTIONS", [JSON], id="admin_session_case"),
        pytest.param(
            "/api/customers", "staff", "GET, POST, HEAD, OPTIONS", [JSON], id="admin_case"
        ),
        pytest.param(
            "/api/v2/customers", "staff", "POST, PUT, OPTIONS", [JSON], id="integration_case"
        ),
    ],
)
def test_options_describes_each_route(customer, staff_token, path, who, allow, renders):
    # given
    client = APIClient()
    if who == "customer":
        token = customer_tokens_issue(customer=customer).access
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    elif who == "staff":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {staff_token}")

    # when
    response = client.options(path.format(reference=customer.reference))

    # then
    assert response.status_code == 200
    assert response["Allow"] == allow
    body = response.json()
    assert (body["renders"], "actions" in body) == (renders, False)
