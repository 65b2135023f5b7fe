"""Storefront `addresses` resource, nested under the caller's own customer (SPEC 4, 1.3).

The resource id is the address uuid. Another customer's reference answers 411; an address
that is not among the caller's answers 404.
"""

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from addresses.models import Address
from addresses.selectors import address_get, address_list
from addresses.services import address_create, address_delete, address_update
from config.api.common import StrictBooleanField, StrictCharField
from config.api.storefront import (
    CATALOGUE,
    ERROR_RESPONSES,
    NullableCharField,
    StorefrontError,
    StorefrontViewSet,
    jsonapi_request,
    jsonapi_response,
    request_attributes,
    resource,
)
from customers.models import Customer

RESOURCE_TYPE = "addresses"


class AddressOutputSerializer(serializers.Serializer):
    salutation = NullableCharField()
    firstName = NullableCharField(source="first_name")
    lastName = NullableCharField(source="last_name")
    address1 = NullableCharField()
    address2 = NullableCharField()
    address3 = NullableCharField()
    zipCode = NullableCharField(source="postcode")
    city = NullableCharField()
    # Glue shows the country by its English name and the code beside it.
    country = serializers.CharField(source="country.name")
    iso2Code = serializers.CharField(source="country.code")
    company = NullableCharField()
    phone = NullableCharField()
    isDefaultShipping = serializers.BooleanField(source="is_default_shipping")
    isDefaultBilling = serializers.BooleanField(source="is_default_billing")


def _text(source: str | None = None) -> serializers.CharField:
    kwargs: dict[str, Any] = {"required": False, "allow_null": True, "allow_blank": True}
    if source:
        kwargs["source"] = source
    return StrictCharField(**kwargs)


class AddressInputSerializer(serializers.Serializer):
    """Shape only; the domain checks required fields, lengths and the country."""

    salutation = _text()
    firstName = _text("first_name")
    lastName = _text("last_name")
    company = _text()
    address1 = _text()
    address2 = _text()
    address3 = _text()
    zipCode = _text("postcode")
    city = _text()
    # The domain lets `iso2Code` win over `country`; either may be a code or an English name
    # (SPEC 1.3).
    iso2Code = _text("country_code")
    country = _text()
    phone = _text()
    isDefaultShipping = StrictBooleanField(source="is_default_shipping", required=False)
    isDefaultBilling = StrictBooleanField(source="is_default_billing", required=False)


def address_resource(view: StorefrontViewSet, customer: Customer, address: Address) -> dict:
    path = reverse(
        "storefront-address", kwargs={"reference": customer.reference, "uuid": address.uuid}
    )
    return resource(
        resource_type=RESOURCE_TYPE,
        resource_id=str(address.uuid),
        attributes=AddressOutputSerializer(address).data,
        self_url=view.absolute_url(path),
    )


ADDRESS_DOCUMENT = jsonapi_response("StorefrontAddress", RESOURCE_TYPE, AddressOutputSerializer)
ADDRESS_REQUEST = jsonapi_request("StorefrontAddress", RESOURCE_TYPE, AddressInputSerializer)
SEED_ADDRESS_REQUEST = {
    "data": {
        "type": "addresses",
        "attributes": {
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
        },
    }
}


class AddressViewSet(StorefrontViewSet):
    """`/customers/{reference}/addresses[/{uuid}]`: the caller's own addresses.

    Registered under the customer's path (Glue's nested resource). Address errors: a failed
    save as a whole is 409; `country` keeps the name sent.
    """

    collection_url_name = "storefront-addresses"
    item_url_name = "storefront-address"
    lookup_field = "uuid"
    save_error = CATALOGUE["409"]
    attributes_sent: Mapping[str, Any] = {}

    def get_wire_fields(self) -> Mapping[str, str]:
        # A country problem is reported under the attribute the client used.
        if "iso2Code" not in self.attributes_sent and "country" in self.attributes_sent:
            return {"country": "country"}
        return {}

    def read_input(self, request: Request) -> AddressInputSerializer:
        self.attributes_sent = request_attributes(request, RESOURCE_TYPE)
        serializer = AddressInputSerializer(data=self.attributes_sent)
        serializer.is_valid(raise_exception=True)
        return serializer

    @extend_schema(
        operation_id="storefront_addresses_list",
        summary="The caller's addresses",
        responses={
            200: jsonapi_response(
                "StorefrontAddress", RESOURCE_TYPE, AddressOutputSerializer, many=True
            ),
            **ERROR_RESPONSES,
        },
    )
    def list(self, request: Request, reference: str) -> Response:
        """The caller's addresses."""
        customer = self.own_customer(reference)
        path = reverse("storefront-addresses", kwargs={"reference": customer.reference})
        return Response(
            {
                "data": [
                    address_resource(self, customer, address)
                    for address in address_list(customer=customer)
                ],
                "links": {"self": self.absolute_url(path)},
            }
        )

    @extend_schema(
        operation_id="storefront_addresses_create",
        summary="Add an address",
        request=ADDRESS_REQUEST,
        responses={201: ADDRESS_DOCUMENT, **ERROR_RESPONSES},
        examples=[OpenApiExample("Address", request_only=True, value=SEED_ADDRESS_REQUEST)],
    )
    def create(self, request: Request, reference: str) -> Response:
        """Add an address to the caller's customer."""
        customer = self.own_customer(reference)
        fields = self.read_input(request).validated_data
        # Glue: an absent default flag means true (SPEC 1.3).
        address = address_create(customer=customer, claim_defaults=True, **fields)
        document = {"data": address_resource(self, customer, address)}
        return Response(
            document, status=201, headers={"Location": document["data"]["links"]["self"]}
        )

    @extend_schema(
        operation_id="storefront_addresses_patch_refused",
        summary="Refused: the address id is missing (400, code 412)",
        request=None,
        responses=ERROR_RESPONSES,
    )
    def collection_partial_update(self, request: Request, reference: str) -> Response:
        self.own_customer(reference)
        raise StorefrontError("412")

    @extend_schema(
        operation_id="storefront_addresses_delete_refused",
        summary="Refused: the address id is missing (400, code 412)",
        request=None,
        responses=ERROR_RESPONSES,
    )
    def collection_destroy(self, request: Request, reference: str) -> Response:
        self.own_customer(reference)
        raise StorefrontError("412")

    @extend_schema(
        operation_id="storefront_address_get",
        summary="One of the caller's addresses",
        responses={200: ADDRESS_DOCUMENT, **ERROR_RESPONSES},
    )
    def retrieve(self, request: Request, reference: str, uuid: str) -> Response:
        """One of the caller's addresses."""
        customer = self.own_customer(reference)
        address = address_get(customer=customer, uuid=uuid)
        return Response({"data": address_resource(self, customer, address)})

    @extend_schema(
        operation_id="storefront_address_update",
        summary="Edit one of the caller's addresses",
        request=ADDRESS_REQUEST,
        responses={200: ADDRESS_DOCUMENT, **ERROR_RESPONSES},
    )
    def partial_update(self, request: Request, reference: str, uuid: str) -> Response:
        """Edit one of the caller's addresses."""
        customer = self.own_customer(reference)
        address = address_get(customer=customer, uuid=uuid)
        fields = self.read_input(request).validated_data
        address = address_update(address=address, **fields)
        return Response({"data": address_resource(self, customer, address)})

    @extend_schema(
        operation_id="storefront_address_delete",
        summary="Delete one of the caller's addresses",
        responses={204: None, **ERROR_RESPONSES},
    )
    def destroy(self, request: Request, reference: str, uuid: str) -> Response:
        """Delete one of the caller's addresses."""
        customer = self.own_customer(reference)
        address_delete(address=address_get(customer=customer, uuid=uuid))
        return Response(status=204)
