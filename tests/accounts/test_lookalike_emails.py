"""Look-alike emails are one address: refused in every dialect, reported by the migration."""

import importlib
import logging
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from rest_framework.test import APIClient

from customers.models import Customer
from tests.factories.customers import CustomerFactory
from tests.storefront.conftest import JsonApiClient

FULLWIDTH = "x@example.\uff43\uff4f\uff4d"
migration = importlib.import_module("customers.migrations.0007_report_lookalike_emails")


@pytest.fixture
def taken(store):
    return CustomerFactory(store=store, email="x@example.com")


@pytest.fixture
def staff_client(django_user_model):
    client = APIClient()
    client.force_authenticate(
        django_user_model.objects.create_superuser("root", password="x", email="r@example.com")
    )
    return client


def test_storefront_registration_refuses_a_fullwidth_look_alike(taken):
    # when
    response = JsonApiClient().send(
        "post",
        "/customers",
        "customers",
        {
            "email": FULLWIDTH,
            "password": "change123!A",
            "confirmPassword": "change123!A",
            "acceptedTerms": True,
            "firstName": "Ann",
            "lastName": "Lee",
            "salutation": "Ms",
        },
    )

    # then
    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {
                "code": "400",
                "status": 422,
                "detail": (
                    "If this email address is already in use, you will receive a password "
                    "reset link. Otherwise you must first validate your e-mail address to "
                    "finish registration. Please check your e-mail."
                ),
            }
        ]
    }
    assert list(Customer.objects.values_list("email", flat=True)) == ["x@example.com"]


def test_evershop_registration_refuses_a_fullwidth_look_alike(taken):
    # when
    response = APIClient().post(
        "/api/customers",
        {"email": FULLWIDTH, "password": "change123!A", "full_name": "Ann Lee"},
        format="json",
    )

    # then
    assert response.status_code == 409
    assert response.json() == {"error": {"status": 409, "message": "Email already in use"}}
    assert list(Customer.objects.values_list("email", flat=True)) == ["x@example.com"]


def test_twc_create_refuses_a_fullwidth_look_alike(taken, staff_client):
    # when
    response = staff_client.post(
        "/api/v2/customers",
        {"email": FULLWIDTH, "firstName": "Ann", "lastName": "Lee"},
        format="json",
    )

    # then
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Email already in use",
        "errors": [
            {"field": "email", "message": "This email address is already used by another customer."}
        ],
    }
    assert list(Customer.objects.values_list("email", flat=True)) == ["x@example.com"]


@pytest.mark.parametrize(
    ("email", "message"),
    [
        pytest.param(
            '"x"@example.com',
            "This value is not a valid email address: quoted local parts are not accepted.",
            id="quoted_case",
        ),
        pytest.param(
            "x\u200b@example.com",
            "This value is not a valid email address: it contains control or invisible characters.",
            id="zero_width_case",
        ),
    ],
)
def test_twc_create_refuses_a_quoted_or_invisible_address(taken, staff_client, email, message):
    # when
    response = staff_client.post(
        "/api/v2/customers",
        {"email": email, "firstName": "Ann", "lastName": "Lee"},
        format="json",
    )

    # then: the first error names the rule (the model's blank check follows it today)
    assert response.status_code == 400
    assert response.json()["errors"][0] == {"field": "email", "message": message}
    assert list(Customer.objects.values_list("email", flat=True)) == ["x@example.com"]


def test_the_migration_normalises_a_stored_fullwidth_email(store):
    # given: stored as typed before the normal form existed, then normalised by 0007
    customer = CustomerFactory(store=store, email="y@example.com")
    Customer.objects.filter(pk=customer.pk).update(email="y@example.\uff43\uff4f\uff4d")
    migration.normalise_stored_emails(apps, SimpleNamespace(connection=connection))

    # then
    customer.refresh_from_db()
    assert customer.email == "y@example.com"


def test_the_migration_normalises_and_reports_look_alikes(store, other_store, caplog):
    # given: emails stored before the normal form existed
    first = CustomerFactory(store=store, email="x@example.com")
    lookalike = CustomerFactory(store=store, email="placeholder1@example.com")
    alone = CustomerFactory(store=store, email="placeholder2@example.com")
    other_store_twin = CustomerFactory(store=other_store, email="placeholder3@example.com")
    quoted = CustomerFactory(store=store, email="placeholder4@example.com")
    twins = [CustomerFactory(store=store, email=f"placeholder{n}@example.com") for n in (5, 6)]
    stored = {
        lookalike.pk: FULLWIDTH,
        alone.pk: "Z@EXAMPLE.\uff4f\uff52\uff47",
        other_store_twin.pk: FULLWIDTH,
        quoted.pk: '"q"@example.com',
        twins[0].pk: "t@example.\uff4e\uff45\uff54",
        twins[1].pk: "\uff54@example.net",
    }
    for pk, email in stored.items():
        Customer.objects.filter(pk=pk).update(email=email)

    # when
    with caplog.at_level(logging.INFO, logger="customers.migrations"):
        migration.normalise_stored_emails(apps, SimpleNamespace(connection=connection))

    # then: normalised where no other live customer of the store holds the normal form
    emails = dict(Customer.objects.values_list("pk", "email"))
    assert emails == {
        first.pk: "x@example.com",
        lookalike.pk: FULLWIDTH,
        alone.pk: "Z@example.org",
        other_store_twin.pk: "x@example.com",
        quoted.pk: '"q"@example.com',
        twins[0].pk: "t@example.net",
        twins[1].pk: "\uff54@example.net",
    }
    assert [r.getMessage() for r in caplog.records] == [
        f"Customer {quoted.pk}: the stored email has no normal form; left as it is",
        f"Customer {lookalike.pk}: the stored email is a look-alike of customer {first.pk}'s; "
        "left as it is",
        f"Customer {twins[1].pk}: the stored email is a look-alike of customer {twins[0].pk}'s; "
        "left as it is",
        "Normalised the stored email of 3 customers",
    ]
