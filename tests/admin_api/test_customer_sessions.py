"""POST /customer/login and /customers/logout: EverShop customer sessions (SPEC 3, 5)."""

import pytest
from django.contrib.sessions.models import Session
from django.middleware.csrf import get_token
from django.test import RequestFactory
from rest_framework.test import APIClient

from accounts.models import CustomerSession
from customers.services import customer_set_state
from tests.factories.customers import CustomerFactory

LOGIN = "/customer/login"
LOGOUT = "/customers/logout"
INVALID = {"error": {"status": 401, "message": "Invalid email or password"}}


def test_login_replays_the_seed(api_client, customer):
    # when
    response = api_client.post(
        LOGIN, {"email": "john.smith@example.com", "password": "change123"}, format="json"
    )

    # then
    assert response.status_code == 200
    record = CustomerSession.objects.get()
    assert (record.customer, response.json()) == (
        customer,
        {"data": {"sid": record.session_key}},
    )
    cookie = response.cookies["sid"]
    assert (cookie.value, cookie["httponly"], cookie["samesite"]) == (
        record.session_key,
        True,
        "Lax",
    )
    assert Session.objects.filter(session_key=record.session_key).exists()


@pytest.mark.parametrize(
    ("email", "password", "state", "verified"),
    [
        pytest.param("john.smith@example.com", "wrong-password", "enabled", True, id="wrong_case"),
        pytest.param("nobody@example.com", "change123", "enabled", True, id="unknown_case"),
        pytest.param("john.smith@example.com", "change123", "disabled", True, id="disabled_case"),
    ],
)
def test_login_failures_are_indistinguishable(api_client, store, email, password, state, verified):
    # given
    CustomerFactory(store=store, email="john.smith@example.com", state=state)

    # when
    response = api_client.post(LOGIN, {"email": email, "password": password}, format="json")

    # then
    assert response.status_code == 401
    assert response.json() == INVALID
    assert CustomerSession.objects.count() == 0
    assert "sid" not in response.cookies


def test_login_of_an_unconfirmed_self_registered_customer_is_refused(api_client, store):
    # given
    CustomerFactory(
        store=store, email="new@example.com", self_registered=True, email_verified_at=None
    )

    # when
    response = api_client.post(
        LOGIN, {"email": "new@example.com", "password": "change123"}, format="json"
    )

    # then
    assert response.status_code == 401
    assert response.json() == INVALID


def test_login_without_a_password_is_400(api_client, customer):
    # when
    response = api_client.post(LOGIN, {"email": customer.email}, format="json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "error": {"status": 400, "message": "password: This field is required."}
    }


def test_login_locks_the_account_after_five_failures(api_client, customer):
    # given
    for _ in range(5):
        api_client.post(LOGIN, {"email": customer.email, "password": "wrong"}, format="json")

    # when: even the right password is refused while locked
    response = api_client.post(
        LOGIN, {"email": customer.email, "password": "change123"}, format="json"
    )

    # then
    assert response.status_code == 429
    assert response.json() == {
        "error": {"status": 429, "message": "Too many attempts. Try again later."}
    }
    assert int(response["Retry-After"]) in range(1, 15 * 60 + 1)
    assert CustomerSession.objects.count() == 0


def test_login_is_throttled_per_ip(api_client, store):
    # given: ten different accounts, so only the per-IP rate can stop the eleventh
    for index in range(10):
        api_client.post(
            LOGIN, {"email": f"x{index}@example.com", "password": "wrong"}, format="json"
        )

    # when
    response = api_client.post(
        LOGIN, {"email": "y@example.com", "password": "wrong"}, format="json"
    )

    # then
    assert response.status_code == 429
    assert response.json()["error"]["status"] == 429
    assert int(response["Retry-After"]) in range(1, 61)


def test_the_sid_cookie_authenticates_safe_requests(api_client, customer, customer_sid):
    # given
    api_client.cookies["sid"] = customer_sid

    # when
    response = api_client.get(f"/api/customers/{customer.uuid}")

    # then
    assert response.status_code == 200
    assert response.json()["data"]["customer_id"] == customer.pk


def test_the_x_session_id_header_authenticates_without_csrf(customer, customer_sid):
    # given
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_X_SESSION_ID=customer_sid)

    # when
    response = client.patch(
        f"/api/customers/{customer.uuid}", {"full_name": "Johnny Smith"}, format="json"
    )

    # then
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.first_name == "Johnny"


def test_cookie_only_unsafe_requests_need_the_csrf_token(customer, customer_sid):
    # given
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["sid"] = customer_sid

    # when
    response = client.patch(
        f"/api/customers/{customer.uuid}", {"full_name": "Johnny Smith"}, format="json"
    )

    # then
    assert response.status_code == 403
    assert response.json() == {
        "error": {"status": 403, "message": "CSRF Failed: CSRF cookie not set."}
    }
    customer.refresh_from_db()
    assert customer.first_name == "John"


def test_cookie_only_unsafe_requests_pass_with_the_csrf_token(customer, customer_sid):
    # given
    token = get_token(RequestFactory().get("/"))
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["sid"] = customer_sid
    client.cookies["csrftoken"] = token

    # when
    response = client.patch(
        f"/api/customers/{customer.uuid}",
        {"full_name": "Johnny Smith"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )

    # then
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.first_name == "Johnny"


def test_logout_destroys_the_session_server_side(customer, customer_sid):
    # given
    client = APIClient()
    client.credentials(HTTP_X_SESSION_ID=customer_sid)

    # when
    response = client.post(LOGOUT)

    # then
    assert response.status_code == 200
    assert response.json() == {"data": {}}
    assert not Session.objects.filter(session_key=customer_sid).exists()
    assert not CustomerSession.objects.filter(session_key=customer_sid).exists()
    assert response.cookies["sid"].value == ""


def test_a_destroyed_sid_is_refused_afterwards(customer, customer_sid):
    # given
    client = APIClient()
    client.credentials(HTTP_X_SESSION_ID=customer_sid)
    client.post(LOGOUT)

    # when
    response = client.get(f"/api/customers/{customer.uuid}")

    # then
    assert response.status_code == 401
    assert response.json() == {"error": {"status": 401, "message": "Invalid or expired session."}}
    assert client.post(LOGOUT).status_code == 401


def test_logout_with_the_cookie_needs_csrf(customer, customer_sid):
    # given
    client = APIClient(enforce_csrf_checks=True)
    client.cookies["sid"] = customer_sid

    # when
    response = client.post(LOGOUT)

    # then
    assert response.status_code == 403
    assert CustomerSession.objects.filter(session_key=customer_sid).exists()


def test_logout_without_a_session_is_401(api_client, db):
    # when
    response = api_client.post(LOGOUT)

    # then
    assert response.status_code == 401
    assert response.json() == {
        "error": {"status": 401, "message": "Authentication credentials were not provided."}
    }
    assert response["WWW-Authenticate"] == 'Session realm="customer"'


def test_a_staff_admin_session_key_is_not_a_customer_session(client, staff_user, customer):
    # given
    client.force_login(staff_user)
    staff_key = client.session.session_key
    api = APIClient()
    api.credentials(HTTP_X_SESSION_ID=staff_key)

    # when
    response = api.get(f"/api/customers/{customer.uuid}")

    # then
    assert response.status_code == 401


def test_a_disabled_customer_session_stops_working(customer, customer_sid, session_client):
    # given
    customer_set_state(customer=customer, state="disabled")

    # when
    response = session_client.get(f"/api/customers/{customer.uuid}")

    # then
    assert response.status_code == 401
    assert CustomerSession.objects.count() == 0
