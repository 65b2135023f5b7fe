"""Fixtures for the Storefront API (Spryker Glue dialect) contract tests."""

import json
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from accounts.tokens import customer_tokens_issue
from customers.models import Customer

MEDIA_TYPE = "application/vnd.api+json"
SEED_TIME = datetime(2018, 11, 6, 8, 15, 2, 694668, tzinfo=UTC)
SEED_TIME_TEXT = "2018-11-06 08:15:02.694668"


def document(resource_type: str, attributes: dict) -> str:
    """A JSON:API request body, serialised (sent as application/vnd.api+json)."""
    return json.dumps({"data": {"type": resource_type, "attributes": attributes}})


def pin_times(customer: Customer, when: datetime = SEED_TIME) -> Customer:
    """Fix a customer's timestamps so that whole bodies can be compared."""
    Customer.objects.filter(pk=customer.pk).update(created_at=when, updated_at=when)
    customer.refresh_from_db()
    return customer


def errors(code: str | None, status: int, detail: str) -> dict:
    error = {"code": code, "status": status, "detail": detail}
    if code is None:
        del error["code"]
    return {"errors": [error]}


class JsonApiClient(APIClient):
    """Sends JSON:API documents with the JSON:API media type."""

    def send(self, method: str, path: str, resource_type: str, attributes: dict, **extra):
        if method == "get":  # a GET carries no body
            return self.get(path, **extra)
        return getattr(self, method)(
            path, document(resource_type, attributes), content_type=MEDIA_TYPE, **extra
        )


@pytest.fixture
def api_client():
    return JsonApiClient()


def client_with_token(access: str) -> JsonApiClient:
    client = JsonApiClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.fixture
def tokens(customer):
    return customer_tokens_issue(customer=customer)


@pytest.fixture
def customer_client(tokens):
    return client_with_token(tokens.access)


@pytest.fixture
def other_tokens(other_customer):
    return customer_tokens_issue(customer=other_customer)
