"""GET/PATCH/DELETE /api/customers/{uuid}: staff within their stores, or the customer itself."""

import uuid

import pytest
from django.contrib.auth.hashers import check_password
from rest_framework.test import APIClient

from accounts.models import CustomerRefreshToken, CustomerSession
from accounts.sessions import customer_session_start
from accounts.tokens import customer_tokens_issue
from addresses.models import Address
from customers.models import Customer, CustomerGroup
from tests.admin_api.conftest import SEED_CREATED, SEED_UPDATED, fixed_times, staff_client_for
from tests.factories.customers import AddressFactory, CustomerFactory

NEW_PASSWORD = "Blue-Harbour-42"


def url(customer_or_uuid) -> str:
    return f"/api/customers/{getattr(customer_or_uuid, 'uuid', customer_or_uuid)}"


def links(customer) -> list[dict]:
    return [
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
    ]


def body_of(customer, **extra) -> dict:
    return {
        "customer_id": customer.pk,
        "uuid": str(customer.uuid),
        "status": 1 if customer.state == "enabled" else 0,
        "group_id": customer.group_id,
        "email": customer.email,
        "full_name": customer.full_name,
        "created_at": customer.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "updated_at": customer.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
        **extra,
    }


@pytest.fixture
def seed_customer(store):
    customer = CustomerFactory(
        store=store, email="john.smith@example.com", first_name="John", last_name="A. Smith"
    )
    AddressFactory(
        customer=customer,
        first_name="John",
        last_name="A. Smith",
        phone="555-123-4567",
        address1="123 Main Street",
        address2="Apt 4B",
        city="Springfield",
        province="IL",
        country="US",
        postcode="62701",
        is_default_shipping=True,
        is_default_billing=True,
    )
    return fixed_times(customer, SEED_CREATED, SEED_UPDATED)


# --- GET --------------------------------------------------------------------------------------


def test_get_replays_the_seed(staff_client, seed_customer):
    # given
    address = Address.objects.get()

    # when
    response = staff_client.get(url(seed_customer))

    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "customer_id": seed_customer.pk,
            "uuid": str(seed_customer.uuid),
            "status": 1,
            "group_id": 1,
            "email": "john.smith@example.com",
            "full_name": "John A. Smith",
            "created_at": "2023-02-07 14:18:05",
            "updated_at": "2023-02-07 14:18:06",
            "addresses": [
                {
                    "customer_address_id": address.pk,
                    "uuid": str(address.uuid),
                    "full_name": "John A. Smith",
                    "telephone": "555-123-4567",
                    "address_1": "123 Main Street",
                    "address_2": "Apt 4B",
                    "city": "Springfield",
                    "province": "IL",
                    "country": "US",
                    "postcode": "62701",
                    "is_default": True,
                }
            ],
        }
    }


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("not-a-uuid", id="malformed_case"),
        pytest.param(str(uuid.UUID(int=0)), id="unknown_case"),
    ],
)
def test_get_unknown_or_malformed_uuid_is_404(staff_client, customer, target):
    # when
    response = staff_client.get(url(target))

    # then
    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "message": "Customer not found"}}


def test_get_soft_deleted_customer_is_404(staff_client, customer):
    # given
    Customer.objects.filter(pk=customer.pk).update(deleted_at=SEED_CREATED)

    # when
    response = staff_client.get(url(customer))

    # then
    assert response.status_code == 404


def test_get_by_the_customer_itself_with_a_session(session_client, customer):
    # when
    response = session_client.get(url(customer))

    # then
    assert response.status_code == 200
    assert response.json() == {"data": body_of(customer, addresses=[])}


def test_get_by_the_customer_itself_with_a_storefront_token(customer_token_client, customer):
    # when
    response = customer_token_client.get(url(customer))

    # then
    assert response.status_code == 200
    assert response.json()["data"]["customer_id"] == customer.pk


@pytest.mark.parametrize("method", ["get", "patch"])
def test_a_customer_cannot_reach_another_customer(session_client, other_customer, method):
    # when
    response = getattr(session_client, method)(url(other_customer), {}, format="json")

    # then
    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "message": "Customer not found"}}


def test_get_without_credentials_is_401(api_client, customer):
    # when
    response = api_client.get(url(customer))

    # then
    assert response.status_code == 401


def test_staff_of_another_store_gets_404(make_staff, customer, other_store):
    # given
    user = make_staff()
    other_store.staff.add(user)

    # when
    response = staff_client_for(user).get(url(customer))

    # then
    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "message": "Customer not found"}}


def test_staff_without_view_permission_gets_403(make_staff, customer):
    # when
    response = staff_client_for(make_staff(permissions=("change",))).get(url(customer))

    # then
    assert response.status_code == 403


# --- PATCH ------------------------------------------------------------------------------------


def test_patch_replays_the_seed(staff_client, seed_customer):
    # when
    response = staff_client.patch(
        url(seed_customer), {"full_name": "John  A.  Smith", "status": "1"}, format="json"
    )

    # then
    assert response.status_code == 200
    seed_customer.refresh_from_db()
    assert (seed_customer.first_name, seed_customer.last_name) == ("John", "A. Smith")
    assert response.json() == {"data": body_of(seed_customer, links=links(seed_customer))}


def test_staff_patch_changes_email_status_group_and_password(staff_client, customer):
    # given
    group = CustomerGroup.objects.create(name="Wholesale")

    # when
    response = staff_client.patch(
        url(customer),
        {
            "email": "new.address@example.com",
            "status": 0,
            "group_id": group.pk,
            "password": NEW_PASSWORD,
        },
        format="json",
    )

    # then
    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.email, customer.state, customer.group_id) == (
        "new.address@example.com",
        "disabled",
        group.pk,
    )
    assert check_password(NEW_PASSWORD, customer.password)
    assert response.json() == {"data": body_of(customer, links=links(customer))}


def test_empty_patch_changes_nothing(staff_client, seed_customer):
    # when
    response = staff_client.patch(url(seed_customer), {}, format="json")

    # then
    assert response.status_code == 200
    seed_customer.refresh_from_db()
    assert seed_customer.updated_at == SEED_UPDATED
    assert response.json() == {"data": body_of(seed_customer, links=links(seed_customer))}


def test_patch_to_a_used_email_is_409(staff_client, customer, other_customer):
    # when
    response = staff_client.patch(url(customer), {"email": "JANE.DOE@example.com"}, format="json")

    # then
    assert response.status_code == 409
    assert response.json() == {"error": {"status": 409, "message": "Email already in use"}}
    customer.refresh_from_db()
    assert customer.email == "john.smith@example.com"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"status": 5}, "status: Must be 0 or 1.", id="status_case"),
        pytest.param({"email": ""}, "email: This field may not be blank.", id="email_case"),
        pytest.param({"group_id": 1.5}, "group_id: A valid integer is required.", id="group_case"),
        pytest.param(
            {"password": "abc"},
            "password: This password is too short. It must contain at least 8 characters.; "
            "password: This password is too common.",
            id="password_case",
        ),
    ],
)
def test_patch_with_invalid_input_is_400_and_changes_nothing(
    staff_client, seed_customer, body, message
):
    # when
    response = staff_client.patch(url(seed_customer), body, format="json")

    # then
    assert response.status_code == 400
    assert response.json() == {"error": {"status": 400, "message": message}}
    after = Customer.objects.get(pk=seed_customer.pk)
    assert (after.email, after.state, after.group_id, after.password, after.updated_at) == (
        seed_customer.email,
        seed_customer.state,
        seed_customer.group_id,
        seed_customer.password,
        SEED_UPDATED,
    )


def test_customer_patches_itself(session_client, customer):
    # when
    response = session_client.patch(url(customer), {"full_name": "Johnny Smith"}, format="json")

    # then
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.first_name == "Johnny"
    assert response.json() == {"data": body_of(customer, links=links(customer))}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"status": 1}, id="status_case"),
        pytest.param({"group_id": 1}, id="group_id_case"),
        pytest.param({"full_name": "X Y", "status": 0}, id="mixed_case"),
    ],
)
def test_customer_cannot_patch_status_or_group(customer_token_client, customer, body):
    # when
    response = customer_token_client.patch(url(customer), body, format="json")

    # then
    assert response.status_code == 403
    customer_after = Customer.objects.get(pk=customer.pk)
    assert (customer_after.first_name, customer_after.state) == ("John", "enabled")


def test_customer_password_change_ends_other_sessions_and_tokens(customer, customer_sid):
    # given
    other_sid = customer_session_start(customer=customer)
    customer_tokens_issue(customer=customer)
    client = APIClient()
    client.credentials(HTTP_X_SESSION_ID=customer_sid)

    # when
    response = client.patch(url(customer), {"password": NEW_PASSWORD}, format="json")

    # then
    assert response.status_code == 200
    assert list(CustomerSession.objects.values_list("session_key", flat=True)) == [customer_sid]
    assert not CustomerRefreshToken.objects.filter(revoked_at__isnull=True).exists()
    other = APIClient()
    other.credentials(HTTP_X_SESSION_ID=other_sid)
    assert other.get(url(customer)).status_code == 401
    assert client.get(url(customer)).status_code == 200


def test_staff_without_change_permission_cannot_patch(make_staff, customer):
    # when
    response = staff_client_for(make_staff(permissions=("view",))).patch(
        url(customer), {"full_name": "X Y"}, format="json"
    )

    # then
    assert response.status_code == 403
    assert Customer.objects.get(pk=customer.pk).first_name == "John"


def test_staff_of_another_store_cannot_patch(make_staff, customer, other_store):
    # given
    user = make_staff()
    other_store.staff.add(user)

    # when
    response = staff_client_for(user).patch(url(customer), {"full_name": "X Y"}, format="json")

    # then
    assert response.status_code == 404
    assert Customer.objects.get(pk=customer.pk).first_name == "John"


# --- DELETE -----------------------------------------------------------------------------------


def test_delete_replays_the_seed_and_removes_everything(staff_client, seed_customer):
    # given
    expected = body_of(seed_customer)

    # when
    response = staff_client.delete(url(seed_customer))

    # then
    assert response.status_code == 200
    assert response.json() == {"data": expected}
    assert not Customer.objects.filter(pk=seed_customer.pk).exists()
    assert Address.objects.count() == 0


def test_delete_unknown_customer_is_404(staff_client, customer):
    # when
    response = staff_client.delete(url(uuid.UUID(int=1)))

    # then
    assert response.status_code == 404
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    "client_fixture",
    [
        pytest.param("session_client", id="own_session_case"),
        pytest.param("customer_token_client", id="own_token_case"),
    ],
)
def test_a_customer_cannot_delete_itself(request, customer, client_fixture):
    # given
    client = request.getfixturevalue(client_fixture)

    # when
    response = client.delete(url(customer))

    # then
    assert response.status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_staff_without_delete_permission_cannot_delete(make_staff, customer):
    # when
    response = staff_client_for(make_staff(permissions=("view", "change"))).delete(url(customer))

    # then
    assert response.status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_staff_of_another_store_cannot_delete(make_staff, customer, other_store):
    # given
    user = make_staff()
    other_store.staff.add(user)

    # when
    response = staff_client_for(user).delete(url(customer))

    # then
    assert response.status_code == 404
    assert Customer.objects.filter(pk=customer.pk).exists()
