"""PUT /api/v2/customers and POST /api/v2/customers/{id}/address (SPEC 6)."""

import pytest

from addresses.models import Address
from customers.models import Customer
from tests.factories.customers import CustomerFactory
from tests.integration_api.conftest import address_body, customer_body, iso_z


@pytest.fixture
def anne(twc_client, store):
    twc_client.post("/api/v2/customers", customer_body(), format="json")
    return Customer.objects.get(email="anne.kraus@example.com")


@pytest.mark.parametrize(
    "identify",
    [lambda c: {"id": str(c.uuid)}, lambda c: {"customerRef": c.reference}],
    ids=["by_id_case", "by_ref_case"],
)
def test_put_changes_given_fields_and_keeps_the_others(twc_client, anne, identify):
    # given
    body = {**identify(anne), "lastName": "Krause", "active": False, "mobile": "+43 664 1234567"}

    # when
    response = twc_client.put("/api/v2/customers", body, format="json")

    # then
    anne.refresh_from_db()
    assert response.status_code == 200
    assert (anne.first_name, anne.last_name, anne.state, str(anne.mobile)) == (
        "Anne",
        "Krause",
        "disabled",
        "+436641234567",
    )
    assert response.json()["lastName"] == "Krause"
    assert response.json()["customer_state"] == "disabled"
    assert response.json()["phone"] == "+49301234567"
    assert response.json()["lastModifiedDate"] == iso_z(anne.updated_at)


def test_put_ignores_nested_addresses(twc_client, anne):
    # given a full representation with changed addresses
    body = {"id": str(anne.uuid), "addresses": [address_body(city="Hamburg")]}

    # when
    response = twc_client.put("/api/v2/customers", body, format="json")

    # then
    assert response.status_code == 200
    assert list(Address.objects.values_list("city", flat=True)) == ["Berlin"]


def test_put_without_id_or_ref_is_400(twc_client, anne):
    # when
    response = twc_client.put("/api/v2/customers", {"firstName": "Nobody"}, format="json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid input",
        "errors": [{"field": "id", "message": "Either id or customerRef is required."}],
    }
    anne.refresh_from_db()
    assert anne.first_name == "Anne"


def test_put_cannot_change_the_reference(twc_client, anne):
    # when
    response = twc_client.put(
        "/api/v2/customers", {"id": str(anne.uuid), "customerRef": "OTHER-1"}, format="json"
    )

    # then
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "A customer reference cannot be changed",
        "errors": [{"field": "customerRef", "message": "A customer reference cannot be changed."}],
    }
    anne.refresh_from_db()
    assert anne.reference == "ERP-10001"


def test_put_with_a_taken_email_is_400_and_changes_nothing(twc_client, anne, store):
    # given
    CustomerFactory(store=store, email="max.mustermann@example.com")

    # when
    response = twc_client.put(
        "/api/v2/customers",
        {"id": str(anne.uuid), "email": "MAX.mustermann@example.com", "firstName": "Max"},
        format="json",
    )

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "email", "message": "This email address is already used by another customer."}
    ]
    anne.refresh_from_db()
    assert (anne.email, anne.first_name) == ("anne.kraus@example.com", "Anne")


def test_put_with_invalid_fields_lists_them(twc_client, anne):
    # when
    response = twc_client.put(
        "/api/v2/customers",
        {"id": str(anne.uuid), "dob": "2999-12-31", "marketing_optin_level": "maybe"},
        format="json",
    )

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "marketing_optin_level", "message": '"maybe" is not a valid choice.'}
    ]


def test_add_address_returns_the_customer_with_it(twc_client, anne):
    # given a second address, flagged as the new default
    body = address_body(addressName="Office", city="Hamburg", postcode="20095", countryCode="")
    body["country"] = "Germany"

    # when
    response = twc_client.post(f"/api/v2/customers/{anne.uuid}/address", body, format="json")

    # then
    office = Address.objects.get(label="Office")
    assert response.status_code == 201
    assert response["Location"] == f"/api/v2/customers/{anne.uuid}"
    assert [a["addressName"] for a in response.json()["addresses"]] == ["Home", "Office"]
    assert response.json()["defaultAddress"]["id"] == str(office.uuid)
    assert (office.country, office.is_default_shipping) == ("DE", True)
    assert Address.objects.filter(is_default_shipping=True).count() == 1


def test_add_invalid_address_is_400_with_twc_names(twc_client, anne):
    # when
    response = twc_client.post(
        f"/api/v2/customers/{anne.uuid}/address",
        {"addressName": "Office", "countryCode": "ZZ"},
        format="json",
    )

    # then
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid input",
        "errors": [
            {"field": "countryCode", "message": "'ZZ' is not a known country."},
            {"field": "address1", "message": "This field cannot be blank."},
            {"field": "city", "message": "This field cannot be blank."},
        ],
    }
    assert Address.objects.count() == 1


def test_add_address_to_an_unknown_customer_is_404(twc_client, anne):
    # when
    response = twc_client.post(
        "/api/v2/customers/00000000-0000-0000-0000-000000000001/address",
        address_body(),
        format="json",
    )

    # then
    assert response.status_code == 404
    assert Address.objects.count() == 1
