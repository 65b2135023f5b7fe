"""Fixtures for the Admin API (EverShop dialect) tests: clients for each kind of caller."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from accounts.sessions import customer_session_start
from accounts.tokens import StaffRefreshToken, customer_tokens_issue
from customers.models import Customer

STAFF_PASSWORD = "a-long-staff-password"
ALL_PERMISSIONS = ("view", "add", "change", "delete")


def fixed_times(customer: Customer, created: datetime, updated: datetime | None = None):
    """Pin a customer's timestamps so that bodies can be compared in full."""
    Customer.objects.filter(pk=customer.pk).update(
        created_at=created, updated_at=updated or created
    )
    customer.refresh_from_db()
    return customer


SEED_CREATED = datetime(2023, 2, 7, 14, 18, 5, tzinfo=UTC)
SEED_UPDATED = datetime(2023, 2, 7, 14, 18, 6, tzinfo=UTC)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def make_staff(db):
    def make(username="staff", permissions=ALL_PERMISSIONS, **extra):
        user = User.objects.create_user(
            username=username,
            email=f"{username}@example.com",
            password=STAFF_PASSWORD,
            is_staff=True,
            **extra,
        )
        codenames = [f"{name}_customer" for name in permissions]
        user.user_permissions.set(
            Permission.objects.filter(content_type__app_label="customers", codename__in=codenames)
        )
        return user

    return make


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def staff_client_for(user) -> APIClient:
    return bearer_client(str(StaffRefreshToken.for_user(user).access_token))


@pytest.fixture
def staff_user(make_staff):
    return make_staff()


@pytest.fixture
def staff_client(staff_user):
    return staff_client_for(staff_user)


@pytest.fixture
def customer_token_client(customer):
    return bearer_client(customer_tokens_issue(customer=customer).access)


@pytest.fixture
def customer_sid(customer):
    return customer_session_start(customer=customer)


@pytest.fixture
def session_client(customer_sid):
    client = APIClient()
    client.credentials(HTTP_X_SESSION_ID=customer_sid)
    return client
