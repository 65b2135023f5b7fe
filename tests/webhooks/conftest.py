"""Fixtures for events and webhooks: subscriptions, written straight to the table."""

import pytest

from customers.webhooks.models import Subscription
from customers.webhooks.signing import secret_generate


@pytest.fixture
def make_subscription(db):
    def make(url="https://hooks.example.com/clientele", events=("*",), stores=(), **extra):
        return Subscription.objects.create(
            url=url, events=list(events), stores=list(stores), secret=secret_generate(), **extra
        )

    return make


@pytest.fixture
def subscription(make_subscription):
    """Every event of every store."""
    return make_subscription()


@pytest.fixture
def make_staff_with_all(db):
    from django.contrib.auth.models import User

    return User.objects.create_superuser(
        username="root", email="root@example.com", password="x-long-password"
    )


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
