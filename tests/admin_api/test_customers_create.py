"""POST /api/customers: staff creation and anonymous self-registration (SPEC 5)."""

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail

from customers.models import Customer, CustomerGroup
from tests.admin_api.conftest import bearer_client, staff_client_for
from tests.factories.customers import CustomerFactory

URL = "/api/customers"
PASSWORD = "Blue-Harbour-42"


def expected_body(customer: Customer) -> dict:
    return {
        "data": {
            "customer_id": customer.pk,
            "uuid": str(customer.uuid),
            "status": 1 if customer.state == Customer.State.ENABLED else 0,
            "group_id": customer.group_id,
            "email": customer.email,
            "full_name": customer.full_name,
            "created_at": customer.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "updated_at": customer.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
            "links": [
                {
                    "rel": "customerGrid",
                    "href": "/admin/customers/customer/",
                    "action": "GET",
                    "types": ["text/html"],
                },
                {
                    "rel": "edit",
                    "href": f"/admin/customers/customer/{customer.pk}/change/",
                    "action": "GET",
                    "types": ["text/html"],
                },
            ],
        }
    }


def test_staff_creates_the_seed_customer(staff_client, store):
    # given
    body = {
        "email": "john.smith@example.com",
        "password": PASSWORD,
        "full_name": "John Smith",
        "status": 1,
    }

    # when
    response = staff_client.post(URL, body, format="json")

    # then
    assert response.status_code == 201
    customer = Customer.objects.get()
    assert response.json() == expected_body(customer)
    assert (customer.store, customer.email, customer.first_name, customer.last_name) == (
        store,
        "john.smith@example.com",
        "John",
        "Smith",
    )
    assert (customer.state, customer.group_id, customer.self_registered) == ("enabled", 1, False)
    assert check_password(PASSWORD, customer.password)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        pytest.param(0, "disabled", id="int_zero_case"),
        pytest.param("0", "disabled", id="string_zero_case"),
        pytest.param(1, "enabled", id="int_one_case"),
        pytest.param("1", "enabled", id="string_one_case"),
    ],
)
def test_staff_create_status_sets_the_state(staff_client, db, status, state):
    # given
    body = {"email": "a@example.com", "password": PASSWORD, "full_name": "A B", "status": status}

    # when
    response = staff_client.post(URL, body, format="json")

    # then
    assert response.status_code == 201
    customer = Customer.objects.get()
    assert customer.state == state
    assert response.json()["data"]["status"] == (1 if state == "enabled" else 0)


def test_staff_create_defaults_to_status_1_and_group_1(staff_client, db):
    # when
    response = staff_client.post(
        URL, {"email": "a@example.com", "password": PASSWORD, "full_name": "Ann Lee"}, format="json"
    )

    # then
    assert response.status_code == 201
    assert (response.json()["data"]["status"], response.json()["data"]["group_id"]) == (1, 1)


def test_staff_create_in_a_group_and_another_store(staff_client, other_store):
    # given
    group = CustomerGroup.objects.create(name="Wholesale")
    body = {
        "email": "a@example.com",
        "password": PASSWORD,
        "full_name": "Ann Lee",
        "group_id": group.pk,
        "store": "at",
    }

    # when
    response = staff_client.post(URL, body, format="json")

    # then
    assert response.status_code == 201
    customer = Customer.objects.get()
    assert (customer.store, customer.group_id) == (other_store, group.pk)
    assert response.json() == expected_body(customer)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            {"password": PASSWORD, "full_name": "A B"},
            "email: This field is required.",
            id="missing_email_case",
        ),
        pytest.param(
            {"email": "a@example.com", "full_name": "A B"},
            "password: This field is required.",
            id="missing_password_case",
        ),
        pytest.param(
            {"email": "a@example.com", "password": PASSWORD},
            "full_name: This field is required.",
            id="missing_full_name_case",
        ),
        pytest.param(
            {"email": "not-an-email", "password": PASSWORD, "full_name": "A B"},
            "email: Enter a valid email address.",
            id="invalid_email_case",
        ),
        pytest.param(
            {"email": "a@example.com", "password": "short", "full_name": "A B"},
            "password: This password is too short. It must contain at least 8 characters.",
            id="short_password_case",
        ),
        pytest.param(
            {"email": "a@example.com", "password": PASSWORD, "full_name": "A B", "status": 2},
            "status: Must be 0 or 1.",
            id="status_two_case",
        ),
        pytest.param(
            {"email": "a@example.com", "password": PASSWORD, "full_name": "A B", "status": "yes"},
            "status: Must be 0 or 1.",
            id="status_word_case",
        ),
        pytest.param(
            {"email": "a@example.com", "password": PASSWORD, "full_name": "A B", "status": True},
            "status: Must be 0 or 1.",
            id="status_bool_case",
        ),
        pytest.param(
            {"email": "a@example.com", "password": PASSWORD, "full_name": "A B", "status": None},
            "status: This field may not be null.",
            id="status_null_case",
        ),
        pytest.param(
            {"email": "a@example.com", "password": PASSWORD, "full_name": "A B", "group_id": "abc"},
            "group_id: A valid integer is required.",
            id="group_id_word_case",
        ),
        pytest.param(
            {"email": "a@example.com", "password": PASSWORD, "full_name": "A B", "group_id": 999},
            "group_id: Customer group does not exist.",
            id="unknown_group_case",
        ),
        pytest.param(
            {"email": "a@example.com", "password": PASSWORD, "full_name": "A B", "store": "ZZ"},
            "store: Unknown store.",
            id="unknown_store_case",
        ),
        pytest.param(
            {"email": "a@example.com", "password": PASSWORD, "full_name": "x" * 101 + " B"},
            "full_name: Ensure this value has at most 100 characters (it has 101).",
            id="long_name_case",
        ),
        pytest.param(
            ["not", "an", "object"],
            "Invalid data. Expected a dictionary, but got list.",
            id="array_body_case",
        ),
    ],
)
def test_staff_create_with_invalid_input_is_400_and_writes_nothing(staff_client, db, body, message):
    # when
    response = staff_client.post(URL, body, format="json")

    # then
    assert response.status_code == 400
    assert response.json() == {"error": {"status": 400, "message": message}}
    assert Customer.objects.count() == 0


def test_staff_create_with_a_used_email_is_409(staff_client, customer):
    # when
    response = staff_client.post(
        URL,
        {"email": "John.Smith@EXAMPLE.com", "password": PASSWORD, "full_name": "Other One"},
        format="json",
    )

    # then
    assert response.status_code == 409
    assert response.json() == {"error": {"status": 409, "message": "Email already in use"}}
    assert list(Customer.objects.values_list("pk", flat=True)) == [customer.pk]


def test_the_same_email_in_another_store_is_allowed(staff_client, customer, other_store):
    # when
    response = staff_client.post(
        URL,
        {"email": customer.email, "password": PASSWORD, "full_name": "Other One", "store": "AT"},
        format="json",
    )

    # then
    assert response.status_code == 201
    assert Customer.objects.filter(email=customer.email).count() == 2


def test_staff_limited_to_another_store_cannot_create_in_the_default_store(make_staff, other_store):
    # given
    user = make_staff()
    other_store.staff.add(user)

    # when
    response = staff_client_for(user).post(
        URL, {"email": "a@example.com", "password": PASSWORD, "full_name": "A B"}, format="json"
    )

    # then
    assert response.status_code == 403
    assert response.json() == {
        "error": {"status": 403, "message": "You may not access this store."}
    }
    assert Customer.objects.count() == 0


def test_staff_without_add_permission_gets_403(make_staff):
    # given
    client = staff_client_for(make_staff(permissions=("view", "change")))

    # when
    response = client.post(
        URL, {"email": "a@example.com", "password": PASSWORD, "full_name": "A B"}, format="json"
    )

    # then
    assert response.status_code == 403
    assert response.json() == {
        "error": {"status": 403, "message": "You do not have permission to perform this action."}
    }
    assert Customer.objects.count() == 0


def test_a_customer_token_cannot_create(customer_token_client, customer):
    # when
    response = customer_token_client.post(
        URL, {"email": "a@example.com", "password": PASSWORD, "full_name": "A B"}, format="json"
    )

    # then
    assert response.status_code == 403
    assert Customer.objects.count() == 1


def test_an_invalid_token_is_401(db):
    # given
    client = bearer_client("not-a-token")

    # when
    response = client.post(
        URL, {"email": "a@example.com", "password": PASSWORD, "full_name": "A B"}, format="json"
    )

    # then
    assert response.status_code == 401
    assert response.json() == {
        "error": {"status": 401, "message": "Invalid or expired access token."}
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert Customer.objects.count() == 0


def test_anonymous_post_registers_in_the_default_store(
    api_client, store, django_capture_on_commit_callbacks
):
    # given
    body = {"email": "new.shopper@example.com", "password": PASSWORD, "full_name": "New Shopper"}

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(URL, body, format="json")

    # then
    assert response.status_code == 201
    customer = Customer.objects.get()
    assert response.json() == expected_body(customer)
    assert (customer.store, customer.state, customer.group_id, customer.self_registered) == (
        store,
        "enabled",
        1,
        True,
    )
    assert [message.to for message in mail.outbox] == [["new.shopper@example.com"]]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param({"status": 1}, "You may not set status.", id="status_case"),
        pytest.param({"group_id": 1}, "You may not set group_id.", id="group_id_case"),
        pytest.param({"store": "DE"}, "You may not set store.", id="store_case"),
    ],
)
def test_anonymous_registration_refuses_staff_fields(api_client, db, extra, message):
    # given
    body = {"email": "a@example.com", "password": PASSWORD, "full_name": "A B", **extra}

    # when
    response = api_client.post(URL, body, format="json")

    # then
    assert response.status_code == 403
    assert response.json() == {"error": {"status": 403, "message": message}}
    assert Customer.objects.count() == 0
    assert mail.outbox == []


def test_anonymous_registration_with_a_used_email_is_409(api_client, customer):
    # when
    response = api_client.post(
        URL,
        {"email": customer.email.upper(), "password": PASSWORD, "full_name": "A B"},
        format="json",
    )

    # then
    assert response.status_code == 409
    assert response.json() == {"error": {"status": 409, "message": "Email already in use"}}
    assert Customer.objects.count() == 1


def test_anonymous_registration_is_throttled_per_ip(api_client, db):
    # given: the "auth" rate is 10 requests a minute per client IP
    for index in range(10):
        api_client.post(
            URL,
            {"email": f"a{index}@example.com", "password": PASSWORD, "full_name": "A B"},
            format="json",
        )

    # when
    response = api_client.post(
        URL,
        {"email": "late@example.com", "password": PASSWORD, "full_name": "A B"},
        format="json",
    )

    # then
    assert response.status_code == 429
    assert response.json()["error"]["status"] == 429
    assert response.json()["error"]["message"].startswith("Request was throttled.")
    assert int(response["Retry-After"]) in range(1, 61)
    assert not Customer.objects.filter(email="late@example.com").exists()


def test_staff_creates_are_not_throttled(staff_client, db):
    # given
    for index in range(10):
        staff_client.post(
            URL,
            {"email": f"a{index}@example.com", "password": PASSWORD, "full_name": "A B"},
            format="json",
        )

    # when
    response = staff_client.post(
        URL, {"email": "b@example.com", "password": PASSWORD, "full_name": "A B"}, format="json"
    )

    # then
    assert response.status_code == 201
    assert Customer.objects.count() == 11


def test_factory_customer_has_its_own_email(db):
    # A guard for the fixtures above: two factory customers never share an email.
    assert CustomerFactory().email != CustomerFactory().email
