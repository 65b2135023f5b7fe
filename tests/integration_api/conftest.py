"""Fixtures for the Integration API (TWC dialect) tests: staff clients and seed-shaped bodies."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from accounts.tokens import StaffRefreshToken
from customers.models import Customer

ALL_PERMISSIONS = ("view", "add", "change", "delete")
PINNED_CREATED = datetime(2022, 6, 20, 6, 21, 32, 358000, tzinfo=UTC)
PINNED_UPDATED = datetime(2022, 6, 20, 9, 0, 48, 98000, tzinfo=UTC)


def pin_times(customer: Customer) -> Customer:
    """Pin a customer's timestamps so that bodies can be compared in full."""
    Customer.objects.filter(pk=customer.pk).update(
        created_at=PINNED_CREATED, updated_at=PINNED_UPDATED
    )
    customer.refresh_from_db()
    return customer


def staff_client_for(user: User, tenant: str | None = None) -> APIClient:
    client = APIClient()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {StaffRefreshToken.for_user(user).access_token}"}
    if tenant is not None:
        headers["HTTP_X_TWC_TENANT"] = tenant
    client.credentials(**headers)
    return client


@pytest.fixture
def make_staff(db):
    def make(username="integrator", permissions=ALL_PERMISSIONS, models=("customer", "address")):
        user = User.objects.create_user(
            username=username, email=f"{username}@example.com", is_staff=True
        )
        codenames = [f"{action}_{model}" for action in permissions for model in models]
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        return user

    return make


@pytest.fixture
def staff_user(make_staff):
    return make_staff()


@pytest.fixture
def twc_client(staff_user):
    """A staff client without a tenant header: the default store."""
    return staff_client_for(staff_user)


def address_body(**overrides) -> dict:
    """A seed-shaped TWC address with realistic values (read-only keys included)."""
    return {
        "address1": "Julie-Wolfthorn-Strasse 1",
        "address2": "2. OG",
        "addressName": "Home",
        "city": "Berlin",
        "company": "Spryker Systems GmbH",
        "country": "Germany",
        "countryCode": "DE",
        "customerId": "ignored-on-input",
        "defaultAddress": True,
        "email": "anne.kraus@example.com",
        "firstName": "Anne",
        "id": "ignored-on-input",
        "lastName": "Kraus",
        "phone": "22111-3-4-5",
        "postcode": "10115",
        "province": "Berlin",
        "provinceCode": "BE",
        **overrides,
    }


def customer_body(**overrides) -> dict:
    """A seed-shaped TWC customer with realistic values (read-only keys included)."""
    return {
        "accepts_marketing": True,
        "active": True,
        "addresses": [address_body()],
        "attributeGroups": {
            "loyalty": {
                "attribute_group": "Loyalty",
                "attributes": {
                    "points": {"attribute_value": "120", "value_type": "INTEGER"},
                    "member_since": {"attribute_value": "2019-04-01", "value_type": "DATE"},
                },
                "is_obsolete": False,
            }
        },
        "createdDate": "2022-06-20T06:21:32.358Z",
        "customerRef": "ERP-10001",
        "customer_state": "enabled",
        "defaultAddress": address_body(),
        "dob": "1985-03-14T00:00:00.000Z",
        "email": "anne.kraus@example.com",
        "firstName": "Anne",
        "id": "ignored-on-input",
        "lastModifiedDate": "2022-06-20T06:21:32.358Z",
        "lastName": "Kraus",
        "marketing_optin_level": "single_opt_in",
        "marketing_preferences_updated_at": "2022-06-20T06:21:32.358Z",
        "mobile": "+49 170 1234567",
        "phone": "+49 (30) 123-4567",
        "taxExempt": False,
        "taxExemptions": ["GST"],
        "verified_email": True,
        **overrides,
    }


def iso_z(value) -> str:
    """The wire form of a stored timestamp, written out independently of the codec."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def expected_address(address, *, customer_uuid) -> dict:
    """The seed's address keys with the stored values of the sample `address_body()`."""
    return {
        "address1": "Julie-Wolfthorn-Strasse 1",
        "address2": "2. OG",
        "addressName": "Home",
        "city": "Berlin",
        "company": "Spryker Systems GmbH",
        "country": "Germany",
        "countryCode": "DE",
        "customerId": str(customer_uuid),
        "defaultAddress": True,
        "email": "anne.kraus@example.com",
        "firstName": "Anne",
        "id": str(address.uuid),
        "lastName": "Kraus",
        "phone": "22111-3-4-5",
        "postcode": "10115",
        "province": "Berlin",
        "provinceCode": "BE",
    }


def expected_customer(customer) -> dict:
    """The full representation of a customer created from the sample `customer_body()`."""
    address = customer.addresses.get()
    return {
        "accepts_marketing": True,
        "active": True,
        "addresses": [expected_address(address, customer_uuid=customer.uuid)],
        "attributeGroups": {
            "loyalty": {
                "attribute_group": "Loyalty",
                "attributes": {
                    "points": {"attribute_value": "120", "value_type": "INTEGER"},
                    "member_since": {"attribute_value": "2019-04-01", "value_type": "DATE"},
                },
                "is_obsolete": False,
            }
        },
        "createdDate": iso_z(customer.created_at),
        "customerRef": "ERP-10001",
        "customer_state": "enabled",
        "defaultAddress": expected_address(address, customer_uuid=customer.uuid),
        "dob": "1985-03-14",
        "email": "anne.kraus@example.com",
        "firstName": "Anne",
        "id": str(customer.uuid),
        "lastModifiedDate": iso_z(customer.updated_at),
        "lastName": "Kraus",
        "marketing_optin_level": "single_opt_in",
        "marketing_preferences_updated_at": iso_z(customer.marketing_preferences_updated_at),
        "mobile": "+491701234567",
        "phone": "+49301234567",
        "taxExempt": False,
        "taxExemptions": ["GST"],
        "verified_email": False,
    }
