"""GET and DELETE /api/v2/customers/{id} and /{customerRef}/ref, and the search (SPEC 6)."""

import uuid

import pytest
from django.utils import timezone

from customers.models import Customer
from tests.factories.customers import AddressFactory, CustomerFactory
from tests.integration_api.conftest import customer_body, expected_customer


@pytest.fixture
def anne(twc_client, store):
    """A customer created through the API from the sample body."""
    twc_client.post("/api/v2/customers", customer_body(), format="json")
    return Customer.objects.get(email="anne.kraus@example.com")


def test_get_by_id(twc_client, anne):
    # when
    response = twc_client.get(f"/api/v2/customers/{anne.uuid}")

    # then
    assert response.status_code == 200
    assert response.json() == expected_customer(anne)


def test_get_by_ref(twc_client, anne):
    # when
    response = twc_client.get("/api/v2/customers/ERP-10001/ref")

    # then
    assert response.status_code == 200
    assert response.json() == expected_customer(anne)


def test_get_without_address_has_null_default_address(twc_client, customer):
    # when
    response = twc_client.get(f"/api/v2/customers/{customer.uuid}")

    # then
    assert response.status_code == 200
    assert (response.json()["addresses"], response.json()["defaultAddress"]) == ([], None)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v2/customers/{uuid.UUID(int=1)}",
        "/api/v2/customers/not-a-uuid",
        "/api/v2/customers/NOPE--1/ref",
    ],
    ids=["unknown_uuid_case", "malformed_uuid_case", "unknown_ref_case"],
)
@pytest.mark.parametrize("method", ["get", "delete"], ids=["get_case", "delete_case"])
def test_absent_customer_is_404(twc_client, customer, path, method):
    # when
    response = getattr(twc_client, method)(path)

    # then
    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Customer not found"}
    assert Customer.objects.get().deleted_at is None


@pytest.mark.parametrize(
    "path_of",
    [lambda c: f"/api/v2/customers/{c.uuid}", lambda c: f"/api/v2/customers/{c.reference}/ref"],
    ids=["by_id_case", "by_ref_case"],
)
def test_delete_soft_deletes_and_then_404s_everywhere(twc_client, anne, path_of):
    # when
    response = twc_client.delete(path_of(anne))

    # then
    assert response.status_code == 204
    assert response.content == b""
    anne.refresh_from_db()
    assert anne.deleted_at is not None
    assert twc_client.get(f"/api/v2/customers/{anne.uuid}").status_code == 404
    assert twc_client.get(f"/api/v2/customers/{anne.reference}/ref").status_code == 404
    assert twc_client.delete(path_of(anne)).status_code == 404
    assert twc_client.get("/api/v2/customers/search?email=anne.kraus@example.com").json() == []
    assert (
        twc_client.put("/api/v2/customers", {"id": str(anne.uuid)}, format="json").status_code
        == 404
    )


def test_delete_frees_email_and_phone(twc_client, anne):
    # given
    twc_client.delete(f"/api/v2/customers/{anne.uuid}")

    # when the same email and numbers are used again
    response = twc_client.post(
        "/api/v2/customers", customer_body(customerRef="ERP-10002"), format="json"
    )

    # then
    assert response.status_code == 201
    assert Customer.objects.filter(email="anne.kraus@example.com").count() == 2


@pytest.mark.parametrize(
    ("query", "expected_emails"),
    [
        ("email=ANNE.KRAUS@example.com", ["anne.kraus@example.com"]),
        ("firstName=anne", ["anne.kraus@example.com", "anne.berg@example.com"]),
        ("firstName=anne&lastName=BERG", ["anne.berg@example.com"]),
        ("lastName=Kra", []),
        ("phone=%2B49%2030%20123-4567", ["anne.kraus@example.com"]),
        ("phone=+49301234567", ["anne.kraus@example.com"]),
        ("mobile=%2B49 (170) 1234567", ["anne.kraus@example.com"]),
        ("mobile=%2B491701234567&email=anne.berg@example.com", []),
        ("email=nobody@example.com", []),
    ],
    ids=[
        "email_case_insensitive_case",
        "first_name_case_insensitive_case",
        "names_combine_with_and_case",
        "names_are_exact_not_prefix_case",
        "phone_normalised_case",
        "unencoded_plus_case",
        "mobile_normalised_case",
        "criteria_combine_with_and_case",
        "no_match_is_empty_case",
    ],
)
def test_search(twc_client, anne, store, query, expected_emails):
    # given another Anne
    CustomerFactory(store=store, email="anne.berg@example.com", first_name="Anne", last_name="Berg")

    # when
    response = twc_client.get(f"/api/v2/customers/search?{query}")

    # then
    assert response.status_code == 200
    assert [item["email"] for item in response.json()] == expected_emails


def test_search_renders_full_customers(twc_client, anne):
    # when
    response = twc_client.get("/api/v2/customers/search?email=anne.kraus@example.com")

    # then
    assert response.status_code == 200
    assert response.json() == [expected_customer(anne)]


@pytest.mark.parametrize(
    ("query", "expected_count"),
    [("", 50), ("&limit=3", 3), ("&limit=500", 100)],
    ids=["default_50_case", "limit_case", "limit_clamped_to_100_case"],
)
def test_search_limit(twc_client, store, query, expected_count):
    # given 120 customers sharing a last name, some with addresses
    for number in range(120):
        CustomerFactory(store=store, last_name="Schmidt", email=f"schmidt{number}@example.com")
    AddressFactory(customer=Customer.objects.first())

    # when
    response = twc_client.get(f"/api/v2/customers/search?lastName=schmidt{query}")

    # then
    assert response.status_code == 200
    assert len(response.json()) == expected_count


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            "",
            [
                {
                    "field": None,
                    "message": "Give at least one of email, firstName, lastName, mobile, phone.",
                }
            ],
        ),
        (
            "email=&limit=5",
            [
                {
                    "field": None,
                    "message": "Give at least one of email, firstName, lastName, mobile, phone.",
                }
            ],
        ),
        (
            "phone=12ab",
            [
                {
                    "field": "phone",
                    "message": "Enter a valid phone number in international format, "
                    "e.g. +49 30 1234567.",
                }
            ],
        ),
        (
            "email=anne.kraus@example.com&limit=0",
            [{"field": "limit", "message": "Must be a positive integer."}],
        ),
    ],
    ids=["no_parameter_case", "only_empty_parameter_case", "bad_phone_case", "bad_limit_case"],
)
def test_search_bad_query_is_400(twc_client, query, errors):
    # when
    response = twc_client.get(f"/api/v2/customers/search?{query}")

    # then
    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": "Invalid input", "errors": errors}


def test_search_and_validate_are_not_taken_for_ids(twc_client):
    # when
    search = twc_client.post("/api/v2/customers/search")
    validate = twc_client.get("/api/v2/customers/validate")

    # then their own views answer (405), not the by-id view
    assert (search.status_code, validate.status_code) == (405, 405)


def test_deleting_one_customer_keeps_the_others(twc_client, anne, customer):
    # when
    twc_client.delete(f"/api/v2/customers/{anne.uuid}")

    # then
    assert list(Customer.objects.filter(deleted_at__isnull=True)) == [customer]
    assert Customer.objects.get(pk=anne.pk).deleted_at <= timezone.now()
