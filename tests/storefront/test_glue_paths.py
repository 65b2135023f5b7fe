"""Glue's answers to trailing slashes, empty path segments and unknown paths (SPEC 4)."""

import pytest

from addresses.models import Address
from customers.models import Customer
from tests.storefront.conftest import MEDIA_TYPE, errors

REFERENCE_MISSING = errors("405", 400, "Customer reference is missing.")
ADDRESS_ID_MISSING = errors("412", 400, "Address id is missing.")


def test_the_collection_answers_with_a_trailing_slash(customer_client, customer):
    # when
    with_slash = customer_client.get("/customers/")
    without = customer_client.get("/customers")

    # then
    assert with_slash.status_code == 200
    assert with_slash.json() == without.json()
    assert with_slash.json()["data"][0]["id"] == customer.reference


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_a_write_to_the_collection_with_a_slash_answers_405(customer_client, customer, method):
    # given
    before = list(Customer.objects.values())

    # when
    response = getattr(customer_client, method)("/customers/")

    # then
    assert response.status_code == 400
    assert response["Content-Type"] == MEDIA_TYPE
    assert response.json() == REFERENCE_MISSING
    assert list(Customer.objects.values()) == before


def test_deleting_refresh_tokens_without_a_token_answers_resource_id_missing(customer_client):
    # when
    response = customer_client.delete("/refresh-tokens/")

    # then
    assert response.status_code == 400
    assert response.json() == errors(None, 400, "Resource id is not specified.")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("get", "/customers//addresses", id="list_case"),
        pytest.param("post", "/customers//addresses", id="create_case"),
        pytest.param("get", "/customers//addresses/x", id="item_case"),
    ],
)
def test_an_empty_reference_in_an_address_route_answers_411(customer_client, method, path):
    # when
    response = customer_client.send(method, path, "addresses", {"address1": "A", "city": "B"})

    # then
    assert response.status_code == 403
    assert response.json() == errors("411", 403, "Unauthorized request.")
    assert Address.objects.count() == 0


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_an_empty_address_id_answers_412(customer_client, customer, method):
    # when
    response = customer_client.send(
        method, f"/customers/{customer.reference}/addresses/", "addresses", {"city": "X"}
    )

    # then
    assert response.status_code == 400
    assert response.json() == ADDRESS_ID_MISSING


@pytest.mark.parametrize("debug", [False, True], ids=["debug_off_case", "debug_on_case"])
@pytest.mark.parametrize(
    "path", ["/customers/DE--1/orders", "/customer-wishlists", "/access-tokens/x/y"]
)
def test_an_unknown_storefront_path_answers_json_api_404(api_client, settings, debug, path):
    # given
    settings.DEBUG = debug

    # when
    response = api_client.get(path)

    # then
    assert response.status_code == 404
    assert response["Content-Type"] == MEDIA_TYPE
    assert response.json() == errors(None, 404, "Not found.")


@pytest.mark.parametrize(
    ("attributes", "detail"),
    [
        pytest.param({"firstName": ""}, "firstName => This value should not be blank.", id="f"),
        pytest.param({"lastName": "  "}, "lastName => This value should not be blank.", id="l"),
        pytest.param({"firstName": None}, "firstName => This value should not be blank.", id="n"),
    ],
)
def test_a_blank_name_on_patch_answers_901_and_changes_nothing(
    customer_client, customer, attributes, detail
):
    # given
    before = Customer.objects.values().get(pk=customer.pk)

    # when
    response = customer_client.send(
        "patch", f"/customers/{customer.reference}", "customers", attributes
    )

    # then
    assert response.status_code == 422
    assert response.json() == errors("901", 422, detail)
    assert Customer.objects.values().get(pk=customer.pk) == before
