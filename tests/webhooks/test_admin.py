"""Subscriptions in the Django admin: the secret is shown once, checks as in the API."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from customers.webhooks.models import Subscription

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/webhooks/subscription/add/"


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", "pw-long-1"))
    return client


def form(**overrides):
    return {
        "url": "https://93.184.216.34/hooks",
        "events": '["customer.created"]',
        "stores": "[]",
        "active": "on",
        "description": "CRM",
        **overrides,
    }


def test_adding_shows_the_secret_once_then_never(admin_client):
    # when
    response = admin_client.post(ADD_URL, form(), follow=True)

    # then
    subscription = Subscription.objects.get()
    assert subscription.events == ["customer.created"]
    assert subscription.created_by.username == "admin"
    assert (
        f"The signing secret, shown this once: {subscription.secret}" in response.content.decode()
    )
    change = admin_client.get(f"/admin/webhooks/subscription/{subscription.pk}/change/")
    assert change.status_code == 200
    assert subscription.secret not in change.content.decode()


def test_a_refused_target_is_a_form_error_and_nothing_is_saved(admin_client):
    response = admin_client.post(ADD_URL, form(url="https://10.0.0.1/hooks"))

    assert response.status_code == 200
    assert "The URL&#x27;s host resolves to an internal address." in response.content.decode()
    assert not Subscription.objects.exists()


def test_unknown_event_types_are_a_form_error(admin_client):
    response = admin_client.post(ADD_URL, form(events='["customer.exploded"]'))

    assert response.status_code == 200
    assert re.search(r"Unknown event types: customer.exploded", response.content.decode())
    assert not Subscription.objects.exists()
