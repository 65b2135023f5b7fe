"""Contract of the Storefront `addresses` resource (SPEC 4, 1.3; seeds 001, 002)."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.tokens import customer_tokens_issue
from addresses.api.storefront import AddressViewSet
from addresses.models import Address
from config.api.storefront import storefront_exception_handler
from tests.factories.customers import AddressFactory, CustomerFactory
from tests.storefront.conftest import client_with_token, errors

SEED_FIRST_ID = "3a6ee102-007f-5245-aaec-af5b6e05685b"
SEED_SECOND_ID = "5f00ce65-dd64-5b49-ad3c-f5fae475e7e6"

# Seed 001's POST body with its missing comma and closing braces restored.
SEED_ADDRESS = {
    "salutation": "Mr",
    "firstName": "John",
    "lastName": "Doe",
    "address1": "11 Second Street",
    "address2": "4th Floor",
    "address3": "Suite 555",
    "zipCode": "12312",
    "city": "Berlin",
    "country": "Germany",
    "iso2Code": "DE",
    "phone": "22111-3-4-5",
    "isDefaultShipping": False,
    "isDefaultBilling": False,
}


def address_rows():
    return list(Address.objects.order_by("pk").values())


@pytest.fixture
def seed_customer(store):
    return CustomerFactory(
        reference="DE--25", first_name="John", last_name="Doe", email="jdoe@example.com"
    )


@pytest.fixture
def seed_client(seed_customer):
    return client_with_token(customer_tokens_issue(customer=seed_customer).access)


@pytest.fixture
def seed_addresses(seed_customer):
    first = AddressFactory(
        customer=seed_customer,
        uuid=uuid.UUID(SEED_FIRST_ID),
        salutation="Mr",
        first_name="Jason",
        last_name="Voorhees",
        address1="123 Sleep Street",
        address2="123",
        postcode="12345",
        city="Dresden",
        country="DE",
        is_default_shipping=True,
        is_default_billing=True,
    )
    second = AddressFactory(
        customer=seed_customer,
        uuid=uuid.UUID(SEED_SECOND_ID),
        salutation="Mr",
        first_name="John",
        last_name="Doe",
        address1="11 Second Street",
        address2="4th Floor",
        address3="Suite 555",
        postcode="12312",
        city="Berlin",
        country="US",
        phone="22111-3-4-5",
    )
    return first, second


def seed_resource(address_id: str, **attributes) -> dict:
    return {
        "type": "addresses",
        "id": address_id,
        "attributes": attributes,
        "links": {"self": f"http://testserver/customers/DE--25/addresses/{address_id}"},
    }


FIRST_ATTRIBUTES = {
    "salutation": "Mr",
    "firstName": "Jason",
    "lastName": "Voorhees",
    "address1": "123 Sleep Street",
    "address2": "123",
    "address3": None,
    "zipCode": "12345",
    "city": "Dresden",
    "country": "Germany",
    "iso2Code": "DE",
    "company": None,
    "phone": None,
    "isDefaultShipping": True,
    "isDefaultBilling": True,
}
SECOND_ATTRIBUTES = {
    "salutation": "Mr",
    "firstName": "John",
    "lastName": "Doe",
    "address1": "11 Second Street",
    "address2": "4th Floor",
    "address3": "Suite 555",
    "zipCode": "12312",
    "city": "Berlin",
    "country": "United States of America",
    "iso2Code": "US",
    "company": None,
    "phone": "22111-3-4-5",
    "isDefaultShipping": False,
    "isDefaultBilling": False,
}


# --- GET ---------------------------------------------------------------------------------------


def test_list_replays_the_seed_sample(seed_client, seed_addresses):
    # when
    response = seed_client.get("/customers/DE--25/addresses")

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.api+json"
    assert response.json() == {
        "data": [
            seed_resource(SEED_FIRST_ID, **FIRST_ATTRIBUTES),
            seed_resource(SEED_SECOND_ID, **SECOND_ATTRIBUTES),
        ],
        "links": {"self": "http://testserver/customers/DE--25/addresses"},
    }


def test_list_without_addresses_is_empty(seed_client, seed_customer):
    # when
    response = seed_client.get("/customers/DE--25/addresses")

    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": [],
        "links": {"self": "http://testserver/customers/DE--25/addresses"},
    }


def test_get_one_address(seed_client, seed_addresses):
    # when
    response = seed_client.get(f"/customers/DE--25/addresses/{SEED_SECOND_ID}")

    # then
    assert response.status_code == 200
    assert response.json() == {"data": seed_resource(SEED_SECOND_ID, **SECOND_ATTRIBUTES)}


# --- POST --------------------------------------------------------------------------------------


def test_post_replays_the_seed_sample(seed_client, seed_addresses):
    # when
    response = seed_client.send("post", "/customers/DE--25/addresses", "addresses", SEED_ADDRESS)

    # then: the response shows the country that was sent (SPEC 1.3), not the seed's "US"
    assert response.status_code == 201
    created = Address.objects.get(
        customer__reference="DE--25", address1="11 Second Street", country="DE"
    )
    address_id = str(created.uuid)
    assert response["Location"] == f"http://testserver/customers/DE--25/addresses/{address_id}"
    assert response.json() == {
        "data": seed_resource(
            address_id, **{**SECOND_ATTRIBUTES, "country": "Germany", "iso2Code": "DE"}
        )
    }
    assert (created.postcode, created.phone, created.company) == ("12312", "22111-3-4-5", "")
    assert (created.is_default_shipping, created.is_default_billing) == (False, False)


def test_first_address_becomes_both_defaults_whatever_is_sent(seed_client, seed_customer):
    # when
    response = seed_client.send("post", "/customers/DE--25/addresses", "addresses", SEED_ADDRESS)

    # then
    assert response.status_code == 201
    attributes = response.json()["data"]["attributes"]
    assert (attributes["isDefaultShipping"], attributes["isDefaultBilling"]) == (True, True)
    address = Address.objects.get(customer=seed_customer)
    assert (address.is_default_shipping, address.is_default_billing) == (True, True)


def test_post_without_default_flags_takes_both_defaults(seed_client, seed_addresses):
    # given
    attributes = {
        key: value for key, value in SEED_ADDRESS.items() if not key.startswith("isDefault")
    }

    # when
    response = seed_client.send("post", "/customers/DE--25/addresses", "addresses", attributes)

    # then
    assert response.status_code == 201
    new_id = response.json()["data"]["id"]
    defaults = Address.objects.filter(customer__reference="DE--25", is_default_shipping=True)
    assert [str(a.uuid) for a in defaults] == [new_id]
    billing = Address.objects.filter(customer__reference="DE--25", is_default_billing=True)
    assert [str(a.uuid) for a in billing] == [new_id]


@pytest.mark.parametrize(
    ("country_attributes", "code", "name"),
    [
        pytest.param({"iso2Code": "AT"}, "AT", "Austria", id="code_case"),
        pytest.param({"iso2Code": "at"}, "AT", "Austria", id="lower_case_code_case"),
        pytest.param({"country": "France"}, "FR", "France", id="name_case"),
        pytest.param({"country": "NL"}, "NL", "Netherlands", id="code_as_country_case"),
        pytest.param(
            {"country": "Germany", "iso2Code": "US"},
            "US",
            "United States of America",
            id="both_case",
        ),
    ],
)
def test_post_resolves_the_country(seed_client, seed_customer, country_attributes, code, name):
    # given
    attributes = {"address1": "Main Street 1", "city": "Town", **country_attributes}

    # when
    response = seed_client.send("post", "/customers/DE--25/addresses", "addresses", attributes)

    # then
    assert response.status_code == 201
    body = response.json()["data"]["attributes"]
    assert (body["iso2Code"], body["country"]) == (code, name)
    assert Address.objects.get(customer=seed_customer).country == code


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param(
            {"address1": "Main Street 1", "city": "Town", "iso2Code": "XX"},
            [("iso2Code", "'XX' is not a known country.")],
            id="unknown_code_case",
        ),
        pytest.param(
            {"address1": "Main Street 1", "city": "Town", "country": "Narnia"},
            [("country", "'Narnia' is not a known country.")],
            id="unknown_name_case",
        ),
        pytest.param(
            {"zipCode": "1" * 21},
            [
                ("address1", "This value should not be blank."),
                ("zipCode", "Ensure this value has at most 20 characters (it has 21)."),
                ("city", "This value should not be blank."),
                ("iso2Code", "This value should not be blank."),
            ],
            id="missing_fields_case",
        ),
        pytest.param(
            {
                "address1": "Main Street 1",
                "city": "Town",
                "iso2Code": "DE",
                "isDefaultBilling": "maybe",
            },
            [("isDefaultBilling", "Must be a valid boolean.")],
            id="boolean_case",
        ),
    ],
)
def test_post_with_invalid_attributes_answers_901_and_writes_nothing(
    seed_client, seed_addresses, attributes, expected
):
    # given
    before = address_rows()

    # when
    response = seed_client.send("post", "/customers/DE--25/addresses", "addresses", attributes)

    # then
    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {"code": "901", "status": 422, "detail": f"{name} => {message}"}
            for name, message in expected
        ]
    }
    assert address_rows() == before


# --- PATCH and DELETE --------------------------------------------------------------------------


def test_patch_changes_the_given_attributes_only(seed_client, seed_addresses):
    # when
    response = seed_client.send(
        "patch",
        f"/customers/DE--25/addresses/{SEED_SECOND_ID}",
        "addresses",
        {"city": "Hamburg", "iso2Code": "DE", "company": "ACME", "isDefaultShipping": True},
    )

    # then
    assert response.status_code == 200
    assert response.json() == {
        "data": seed_resource(
            SEED_SECOND_ID,
            **{
                **SECOND_ATTRIBUTES,
                "city": "Hamburg",
                "country": "Germany",
                "iso2Code": "DE",
                "company": "ACME",
                "isDefaultShipping": True,
            },
        )
    }
    first, second = (Address.objects.get(uuid=u) for u in (SEED_FIRST_ID, SEED_SECOND_ID))
    assert (first.is_default_shipping, first.is_default_billing) == (False, True)
    assert (second.is_default_shipping, second.city) == (True, "Hamburg")


def test_patch_with_invalid_attributes_changes_nothing(seed_client, seed_addresses):
    # given
    before = address_rows()

    # when
    response = seed_client.send(
        "patch",
        f"/customers/DE--25/addresses/{SEED_SECOND_ID}",
        "addresses",
        {"city": "", "country": "Atlantis"},
    )

    # then
    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {
                "code": "901",
                "status": 422,
                "detail": "country => 'Atlantis' is not a known country.",
            },
            {"code": "901", "status": 422, "detail": "city => This value should not be blank."},
        ]
    }
    assert address_rows() == before


def test_delete_removes_the_address(seed_client, seed_addresses):
    # when
    response = seed_client.delete(f"/customers/DE--25/addresses/{SEED_SECOND_ID}")

    # then
    assert response.status_code == 204
    assert response.content == b""
    assert [str(a.uuid) for a in Address.objects.all()] == [SEED_FIRST_ID]


@pytest.mark.parametrize(
    "method", [pytest.param("patch", id="patch_case"), pytest.param("delete", id="delete_case")]
)
def test_write_to_the_collection_answers_412(seed_client, seed_addresses, method):
    # given
    before = address_rows()

    # when
    response = seed_client.send(method, "/customers/DE--25/addresses", "addresses", {"city": "X"})

    # then
    assert response.status_code == 400
    assert response.json() == errors("412", 400, "Address id is missing.")
    assert address_rows() == before


# --- Ownership (IDOR) --------------------------------------------------------------------------


@pytest.fixture
def foreign_address(other_customer):
    return AddressFactory(customer=other_customer, is_default_shipping=True)


@pytest.mark.parametrize(
    "method",
    [
        pytest.param("get", id="get_case"),
        pytest.param("patch", id="patch_case"),
        pytest.param("delete", id="delete_case"),
    ],
)
@pytest.mark.parametrize(
    "address_id",
    [
        pytest.param("foreign", id="foreign_address_case"),
        pytest.param(str(uuid.UUID(int=1)), id="unknown_address_case"),
        pytest.param("not-a-uuid", id="malformed_id_case"),
    ],
)
def test_an_address_not_among_the_callers_answers_404(
    seed_client, seed_addresses, foreign_address, method, address_id
):
    # given
    target = str(foreign_address.uuid) if address_id == "foreign" else address_id
    before = address_rows()

    # when
    response = seed_client.send(
        method, f"/customers/DE--25/addresses/{target}", "addresses", {"city": "Stolen"}
    )

    # then
    assert response.status_code == 404
    assert response.json() == errors("404", 404, "Address was not found.")
    assert address_rows() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("get", "/customers/{ref}/addresses", id="list_case"),
        pytest.param("post", "/customers/{ref}/addresses", id="create_case"),
        pytest.param("patch", "/customers/{ref}/addresses", id="collection_patch_case"),
        pytest.param("delete", "/customers/{ref}/addresses", id="collection_delete_case"),
        pytest.param("get", "/customers/{ref}/addresses/{uuid}", id="get_case"),
        pytest.param("patch", "/customers/{ref}/addresses/{uuid}", id="patch_case"),
        pytest.param("delete", "/customers/{ref}/addresses/{uuid}", id="delete_case"),
    ],
)
def test_address_routes_of_another_customer_answer_411(
    seed_client, seed_addresses, other_customer, foreign_address, method, path
):
    # given
    before = address_rows()
    target = path.format(ref=other_customer.reference, uuid=foreign_address.uuid)

    # when
    response = seed_client.send(
        method, target, "addresses", {"address1": "x", "city": "x", "iso2Code": "DE"}
    )

    # then
    assert response.status_code == 403
    assert response.json() == errors("411", 403, "Unauthorized request.")
    assert address_rows() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("get", "/customers/DE--25/addresses", id="list_case"),
        pytest.param("post", "/customers/DE--25/addresses", id="create_case"),
        pytest.param("get", f"/customers/DE--25/addresses/{SEED_FIRST_ID}", id="get_case"),
        pytest.param("patch", f"/customers/DE--25/addresses/{SEED_FIRST_ID}", id="patch_case"),
        pytest.param("delete", f"/customers/DE--25/addresses/{SEED_FIRST_ID}", id="delete_case"),
    ],
)
def test_address_routes_without_a_token_answer_002(api_client, seed_addresses, method, path):
    # given
    before = address_rows()

    # when
    response = api_client.send(method, path, "addresses", SEED_ADDRESS)

    # then
    assert response.status_code == 403
    assert response.json() == errors("002", 403, "Missing access token.")
    assert address_rows() == before


# --- 409: an address save that fails as a whole ----------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(IntegrityError("constraint failed"), id="integrity_error_case"),
        pytest.param(ValidationError("The address cannot be saved."), id="non_field_error_case"),
    ],
)
def test_a_failed_address_save_answers_409(exc):
    # given: no request reaches these today (the services check first); the mapping is
    # still the contract for a save that the database refuses
    context = {"view": AddressViewSet()}

    # when
    response = storefront_exception_handler(exc, context)

    # then
    assert response.status_code == 400
    assert response.data == errors("409", 400, "Failed to save the address.")
