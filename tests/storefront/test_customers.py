"""Contract of the Storefront `customers` resource (SPEC 4; seeds 000, 001, 002)."""

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.utils import timezone

from accounts.models import CustomerKey, CustomerRefreshToken
from accounts.tokens import customer_tokens_issue
from addresses.models import Address
from customers.models import Customer
from customers.services.references import references_reserve_supplied
from tests.factories.customers import AddressFactory, CustomerFactory
from tests.storefront.conftest import (
    MEDIA_TYPE,
    SEED_TIME,
    SEED_TIME_TEXT,
    client_with_token,
    errors,
    pin_times,
)

# Seed 000's registration sample, with an example.com address.
SEED_REGISTRATION = {
    "salutation": "Mrs",
    "firstName": "Sonia",
    "lastName": "Wagner",
    "email": "sonia@example.com",
    "password": "change123",
    "confirmPassword": "change123",
    "acceptedTerms": True,
}


def customer_rows():
    return list(Customer.objects.order_by("pk").values())


@pytest.fixture
def seed_numbering(store):
    # The seed's sample customer is DE--25: the store has handed out 24 references before.
    references_reserve_supplied(store=store, references=["DE--24"])


# --- POST /customers -----------------------------------------------------------------------


def test_register_replays_the_seed_sample(
    api_client, store, seed_numbering, monkeypatch, django_capture_on_commit_callbacks
):
    # given
    monkeypatch.setattr(timezone, "now", lambda: SEED_TIME)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.send("post", "/customers", "customers", SEED_REGISTRATION)

    # then
    assert response.status_code == 201
    assert response["Content-Type"] == MEDIA_TYPE
    assert response["Location"] == "http://testserver/customers/DE--25"
    assert response.json() == {
        "data": {
            "type": "customers",
            "id": "DE--25",
            "attributes": {
                "salutation": "Mrs",
                "firstName": "Sonia",
                "lastName": "Wagner",
                "gender": None,
                "dateOfBirth": None,
                "email": "sonia@example.com",
                "createdAt": SEED_TIME_TEXT,
                "updatedAt": SEED_TIME_TEXT,
            },
            "links": {"self": "http://testserver/customers/DE--25"},
        }
    }
    customer = Customer.objects.get(reference="DE--25")
    assert customer.store == store
    assert check_password("change123", customer.password)
    assert customer.accepted_terms_at == SEED_TIME
    assert customer.email_verified_at is None
    assert customer.self_registered is True
    assert [message.to for message in mail.outbox] == [["sonia@example.com"]]
    assert (
        CustomerKey.objects.filter(
            customer=customer, purpose=CustomerKey.Purpose.CONFIRM_EMAIL, used_at__isnull=True
        ).count()
        == 1
    )


def test_register_accepts_plain_json_and_optional_fields(api_client, store):
    # given
    body = {
        "data": {
            "type": "customers",
            "attributes": {
                **SEED_REGISTRATION,
                "gender": "Female",
                "dateOfBirth": "1990-05-17",
                "unknownAttribute": "ignored",
            },
        }
    }

    # when
    response = api_client.post("/customers", body, format="json")

    # then
    assert response.status_code == 201
    assert response["Content-Type"] == MEDIA_TYPE
    attributes = response.json()["data"]["attributes"]
    assert (attributes["gender"], attributes["dateOfBirth"]) == ("Female", "1990-05-17")
    customer = Customer.objects.get(email="sonia@example.com")
    assert (customer.gender, str(customer.date_of_birth)) == ("Female", "1990-05-17")


def test_register_with_a_used_email_answers_400_and_sends_the_owner_a_reset_link(
    api_client, customer, django_capture_on_commit_callbacks
):
    # given
    before = customer_rows()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.send(
            "post",
            "/customers",
            "customers",
            {**SEED_REGISTRATION, "email": "JOHN.smith@example.com"},
        )

    # then
    assert response.status_code == 422
    assert response.json() == errors(
        "400",
        422,
        "If this email address is already in use, you will receive a password reset link. "
        "Otherwise you must first validate your e-mail address to finish registration. "
        "Please check your e-mail.",
    )
    assert customer_rows() == before
    # and: the answer's promise is kept, to the address that has the account
    assert [message.to for message in mail.outbox] == [["john.smith@example.com"]]
    assert "/password/restore?token=" in mail.outbox[0].body


@pytest.mark.parametrize(
    "accepted_terms",
    [
        pytest.param(False, id="false_case"),
        pytest.param(None, id="null_case"),
        pytest.param("true", id="string_case"),
        pytest.param(1, id="one_case"),
    ],
)
def test_register_without_accepting_the_terms_answers_422(api_client, store, accepted_terms):
    # when
    response = api_client.send(
        "post", "/customers", "customers", {**SEED_REGISTRATION, "acceptedTerms": accepted_terms}
    )

    # then
    assert response.status_code == 422
    assert response.json() == errors("422", 422, "Terms of service were not accepted.")
    assert Customer.objects.count() == 0


def test_register_with_a_different_confirmation_answers_406(api_client, store):
    # when
    response = api_client.send(
        "post", "/customers", "customers", {**SEED_REGISTRATION, "confirmPassword": "change124"}
    )

    # then
    assert response.status_code == 422
    assert response.json() == errors(
        "406",
        422,
        "Value in field password should be identical to value in the confirmPassword field.",
    )
    assert Customer.objects.count() == 0


def test_register_with_an_invalid_gender_answers_414(api_client, store):
    # when
    response = api_client.send(
        "post", "/customers", "customers", {**SEED_REGISTRATION, "gender": "Unknown"}
    )

    # then
    assert response.status_code == 422
    assert response.json() == errors("414", 422, "Gender is not valid.")
    assert Customer.objects.count() == 0


def test_register_reports_every_field_violation_as_901(api_client, store):
    # when
    response = api_client.send(
        "post",
        "/customers",
        "customers",
        {
            **SEED_REGISTRATION,
            "email": "not-an-email",
            "salutation": "Sir",
            "password": "short",
            "confirmPassword": "short",
            "dateOfBirth": "2999-01-01",
        },
    )

    # then
    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {
                "code": "901",
                "status": 422,
                "detail": "dateOfBirth => The date of birth cannot be in the future.",
            },
            {
                "code": "901",
                "status": 422,
                "detail": "email => This value is not a valid email address.",
            },
            {
                "code": "901",
                "status": 422,
                "detail": "salutation => The value you selected is not a valid choice.",
            },
            {
                "code": "901",
                "status": 422,
                "detail": "password => This password is too short. "
                "It must contain at least 8 characters.",
            },
        ]
    }
    assert Customer.objects.count() == 0


def test_register_reports_missing_and_malformed_attributes_as_901(api_client, store):
    # when
    response = api_client.send(
        "post",
        "/customers",
        "customers",
        {"email": "sonia@example.com", "firstName": "", "dateOfBirth": "17.05.1990"},
    )

    # then
    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {"code": "901", "status": 422, "detail": f"{name} => {message}"}
            for name, message in [
                ("password", "This field is missing."),
                ("confirmPassword", "This field is missing."),
                ("acceptedTerms", "This field is missing."),
                ("salutation", "This field is missing."),
                ("firstName", "This value should not be blank."),
                ("lastName", "This field is missing."),
                (
                    "dateOfBirth",
                    "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
                ),
            ]
        ]
    }
    assert Customer.objects.count() == 0


def test_register_ignores_a_token_and_works_anonymously(api_client, store):
    # given
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    # when
    response = api_client.send("post", "/customers", "customers", SEED_REGISTRATION)

    # then
    assert response.status_code == 201
    assert Customer.objects.filter(email="sonia@example.com").count() == 1


def test_register_is_throttled_per_client_ip(api_client, store):
    # given: the `auth` rate is 10 a minute by default
    for number in range(10):
        api_client.send(
            "post",
            "/customers",
            "customers",
            {**SEED_REGISTRATION, "email": f"sonia{number}@example.com"},
        )

    # when
    response = api_client.send(
        "post", "/customers", "customers", {**SEED_REGISTRATION, "email": "late@example.com"}
    )

    # then
    assert response.status_code == 429
    assert response.json() == errors("429", 429, "Too many attempts. Try again later.")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert not Customer.objects.filter(email="late@example.com").exists()


# --- GET /customers and /customers/{ref} ----------------------------------------------------


def test_get_own_customer_replays_the_seed_sample(store):
    # given
    customer = pin_times(
        CustomerFactory(
            reference="DE--25", first_name="John", last_name="Doe", email="jdoe@example.com"
        )
    )
    client = client_with_token(customer_tokens_issue(customer=customer).access)

    # when
    response = client.get("/customers/DE--25")

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == MEDIA_TYPE
    assert response.json() == {
        "data": {
            "type": "customers",
            "id": "DE--25",
            "attributes": {
                "salutation": "Mr",
                "firstName": "John",
                "lastName": "Doe",
                "gender": None,
                "dateOfBirth": None,
                "email": "jdoe@example.com",
                "createdAt": SEED_TIME_TEXT,
                "updatedAt": SEED_TIME_TEXT,
            },
            "links": {"self": "http://testserver/customers/DE--25"},
        }
    }


def test_list_customers_holds_the_caller_only(customer, other_customer, customer_client):
    # given
    pin_times(customer)

    # when
    response = customer_client.get("/customers")

    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": [
            {
                "type": "customers",
                "id": customer.reference,
                "attributes": {
                    "salutation": "Mr",
                    "firstName": "John",
                    "lastName": "Smith",
                    "gender": None,
                    "dateOfBirth": None,
                    "email": "john.smith@example.com",
                    "createdAt": SEED_TIME_TEXT,
                    "updatedAt": SEED_TIME_TEXT,
                },
                "links": {"self": f"http://testserver/customers/{customer.reference}"},
            }
        ],
        "links": {"self": "http://testserver/customers"},
    }


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("other", id="other_customer_case"),
        pytest.param("DE--404", id="unknown_reference_case"),
    ],
)
def test_get_a_customer_that_is_not_the_caller_answers_402(
    customer_client, other_customer, reference
):
    # given
    path = f"/customers/{other_customer.reference if reference == 'other' else reference}"

    # when
    response = customer_client.get(path)

    # then
    assert response.status_code == 404
    assert response.json() == errors("402", 404, "Customer not found.")


# --- PATCH /customers/{ref} ------------------------------------------------------------------


def test_patch_replays_the_seed_sample(customer, customer_client):
    # given: seed 001's body with its syntax errors fixed
    body = {"lastName": "Johnson", "email": "example@example.com"}

    # when
    response = customer_client.send("patch", f"/customers/{customer.reference}", "customers", body)

    # then
    customer.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "type": "customers",
            "id": customer.reference,
            "attributes": {
                "salutation": "Mr",
                "firstName": "John",
                "lastName": "Johnson",
                "gender": None,
                "dateOfBirth": None,
                "email": "example@example.com",
                "createdAt": customer.created_at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                "updatedAt": customer.updated_at.strftime("%Y-%m-%d %H:%M:%S.%f"),
            },
            "links": {"self": f"http://testserver/customers/{customer.reference}"},
        }
    }
    assert (customer.last_name, customer.email) == ("Johnson", "example@example.com")


def test_patch_ignores_password_fields(customer, customer_client):
    # when
    response = customer_client.send(
        "patch",
        f"/customers/{customer.reference}",
        "customers",
        {"firstName": "Johnny", "password": "another-pass-1", "confirmPassword": "x"},
    )

    # then
    customer.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["firstName"] == "Johnny"
    assert check_password("change123", customer.password)
    assert not check_password("another-pass-1", customer.password)


def test_patch_with_a_used_email_answers_400_and_changes_nothing(
    customer, other_customer, customer_client
):
    # given
    before = customer_rows()

    # when
    response = customer_client.send(
        "patch",
        f"/customers/{customer.reference}",
        "customers",
        {"firstName": "Johnny", "email": other_customer.email},
    )

    # then
    assert response.status_code == 422
    assert response.json() == errors(
        "400",
        422,
        "If this email address is already in use, you will receive a password reset link. "
        "Otherwise you must first validate your e-mail address to finish registration. "
        "Please check your e-mail.",
    )
    assert customer_rows() == before


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param(
            {"gender": "Other"}, errors("414", 422, "Gender is not valid."), id="gender_case"
        ),
        pytest.param(
            {"email": "nope"},
            errors("901", 422, "email => This value is not a valid email address."),
            id="email_case",
        ),
        pytest.param(
            {"email": None},
            errors("901", 422, "email => This value should not be blank."),
            id="null_email_case",
        ),
        pytest.param(
            {"firstName": "x" * 101},
            errors(
                "901",
                422,
                "firstName => Ensure this value has at most 100 characters (it has 101).",
            ),
            id="too_long_case",
        ),
    ],
)
def test_patch_with_invalid_attributes_changes_nothing(
    customer, customer_client, attributes, expected
):
    # given
    before = customer_rows()

    # when
    response = customer_client.send(
        "patch", f"/customers/{customer.reference}", "customers", attributes
    )

    # then
    assert response.status_code == 422
    assert response.json() == expected
    assert customer_rows() == before


def test_patch_another_customer_answers_411_and_changes_nothing(customer_client, other_customer):
    # given
    before = customer_rows()

    # when
    response = customer_client.send(
        "patch", f"/customers/{other_customer.reference}", "customers", {"firstName": "Mallory"}
    )

    # then
    assert response.status_code == 403
    assert response.json() == errors("411", 403, "Unauthorized request.")
    assert customer_rows() == before


@pytest.mark.parametrize(
    "method", [pytest.param("patch", id="patch_case"), pytest.param("delete", id="delete_case")]
)
def test_write_without_a_reference_answers_405(customer_client, customer, method):
    # given
    before = customer_rows()

    # when
    response = customer_client.send(method, "/customers", "customers", {"firstName": "X"})

    # then
    assert response.status_code == 400
    assert response.json() == errors("405", 400, "Customer reference is missing.")
    assert customer_rows() == before


# --- DELETE /customers/{ref} -----------------------------------------------------------------


def test_delete_anonymizes_the_caller(customer, customer_client, tokens):
    # given
    address = AddressFactory(customer=customer, company="ACME", phone="22111-3-4-5")

    # when
    response = customer_client.delete(f"/customers/{customer.reference}")

    # then
    assert response.status_code == 204
    assert response.content == b""
    customer.refresh_from_db()
    assert customer.email == f"anonymized-{customer.uuid}@invalid"
    assert (customer.first_name, customer.last_name, customer.salutation) == ("", "", "")
    assert customer.state == Customer.State.DISABLED
    assert customer.anonymized_at is not None
    assert not customer.has_usable_password()
    address.refresh_from_db()
    assert (address.first_name, address.company, address.phone, address.address1) == (
        "",
        "",
        "",
        "",
    )
    assert Address.objects.filter(customer=customer).count() == 1
    assert not CustomerRefreshToken.objects.filter(
        customer=customer, revoked_at__isnull=True
    ).exists()
    # The access token that made the request is dead at once.
    again = customer_client.get(f"/customers/{customer.reference}")
    assert again.status_code == 401
    assert again.json() == errors("001", 401, "Invalid access token.")


def test_delete_another_customer_answers_411_and_changes_nothing(customer_client, other_customer):
    # given
    before = customer_rows()

    # when
    response = customer_client.delete(f"/customers/{other_customer.reference}")

    # then
    assert response.status_code == 403
    assert response.json() == errors("411", 403, "Unauthorized request.")
    assert customer_rows() == before


# --- Authentication on every protected customer route ----------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("get", "/customers", id="list_case"),
        pytest.param("get", "/customers/{ref}", id="get_case"),
        pytest.param("patch", "/customers/{ref}", id="patch_case"),
        pytest.param("delete", "/customers/{ref}", id="delete_case"),
    ],
)
def test_customer_routes_without_a_token_answer_002(api_client, customer, method, path):
    # given
    before = customer_rows()

    # when
    response = api_client.send(
        method, path.format(ref=customer.reference), "customers", {"firstName": "X"}
    )

    # then
    assert response.status_code == 403
    assert response.json() == errors("002", 403, "Missing access token.")
    assert "WWW-Authenticate" not in response
    assert customer_rows() == before
