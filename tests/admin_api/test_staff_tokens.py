"""POST /api/auth/token and /api/auth/token/refresh: staff JWTs (SPEC 3)."""

import pytest
from django.contrib.auth.models import User
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.tokens import customer_tokens_issue
from tests.admin_api.conftest import STAFF_PASSWORD, bearer_client

TOKEN = "/api/auth/token"
REFRESH = "/api/auth/token/refresh"
INVALID = {"error": {"status": 401, "message": "Invalid username or password"}}


def test_staff_obtains_a_pair_that_lists_customers(api_client, staff_user, customer):
    # when
    response = api_client.post(
        TOKEN, {"username": "staff", "password": STAFF_PASSWORD}, format="json"
    )

    # then
    assert response.status_code == 200
    assert sorted(response.json()) == ["access", "refresh"]
    listing = bearer_client(response.json()["access"]).get("/api/customers")
    assert listing.status_code == 200
    assert listing.json()["meta"]["total"] == 1


@pytest.mark.parametrize(
    ("username", "password", "is_staff", "is_active"),
    [
        pytest.param("staff", "wrong-password", True, True, id="wrong_password_case"),
        pytest.param("nobody", STAFF_PASSWORD, True, True, id="unknown_user_case"),
        pytest.param("staff", STAFF_PASSWORD, False, True, id="not_staff_case"),
        pytest.param("staff", STAFF_PASSWORD, True, False, id="inactive_case"),
    ],
)
def test_token_failures_are_401(api_client, make_staff, username, password, is_staff, is_active):
    # given
    make_staff(username="staff", is_active=is_active)
    User.objects.filter(username="staff").update(is_staff=is_staff)

    # when
    response = api_client.post(TOKEN, {"username": username, "password": password}, format="json")

    # then
    assert response.status_code == 401
    assert response.json() == INVALID


def test_token_locks_the_account_after_five_failures(api_client, staff_user):
    # given
    for _ in range(5):
        api_client.post(TOKEN, {"username": "staff", "password": "wrong"}, format="json")

    # when
    response = api_client.post(
        TOKEN, {"username": "staff", "password": STAFF_PASSWORD}, format="json"
    )

    # then
    assert response.status_code == 429
    assert int(response["Retry-After"]) in range(1, 15 * 60 + 1)


def test_token_without_username_is_400(api_client, db):
    # when
    response = api_client.post(TOKEN, {"password": "x"}, format="json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "error": {"status": 400, "message": "username: This field is required."}
    }


def test_refresh_rotates_and_the_old_refresh_token_dies(api_client, staff_user):
    # given
    pair = api_client.post(
        TOKEN, {"username": "staff", "password": STAFF_PASSWORD}, format="json"
    ).json()

    # when
    response = api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    reused = api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json")

    # then
    assert response.status_code == 200
    assert sorted(response.json()) == ["access", "refresh"]
    assert bearer_client(response.json()["access"]).get("/api/customers").status_code == 200
    assert reused.status_code == 401
    assert reused.json() == {
        "error": {"status": 401, "message": "Invalid or expired refresh token"}
    }
    assert BlacklistedToken.objects.count() == 1


def test_a_customer_refresh_token_is_refused(api_client, customer):
    # given
    pair = customer_tokens_issue(customer=customer)

    # when
    response = api_client.post(REFRESH, {"refresh": pair.refresh}, format="json")

    # then
    assert response.status_code == 401
    assert BlacklistedToken.objects.count() == 0


def test_a_garbage_refresh_token_is_401(api_client, db):
    # when
    response = api_client.post(REFRESH, {"refresh": "garbage"}, format="json")

    # then
    assert response.status_code == 401


def test_a_staff_token_never_acts_as_a_customer(staff_client, customer):
    # when: staff with every permission, asking the customer-session logout route
    response = staff_client.post("/customers/logout")

    # then
    assert response.status_code == 401
