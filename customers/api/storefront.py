"""Storefront `customers` resource: registration, the caller's profile, anonymization (SPEC 4).

The resource id is the customer reference. A customer reaches only itself: reading another
reference answers 402, writing to it 411 (`StorefrontViewSet.own_customer`).
"""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.services import customer_register
from config.api.common import StrictCharField
from config.api.storefront import (
    DATE_FORMAT,
    ERROR_RESPONSES,
    NullableCharField,
    StorefrontDateTimeField,
    StorefrontError,
    StorefrontViewSet,
    jsonapi_request,
    jsonapi_response,
    request_attributes,
    resource,
)
from customers.models import Customer
from customers.selectors import store_get_default
from customers.services import customer_anonymize, customer_update

RESOURCE_TYPE = "customers"


class CustomerOutputSerializer(serializers.Serializer):
    salutation = NullableCharField()
    firstName = NullableCharField(source="first_name")
    lastName = NullableCharField(source="last_name")
    gender = NullableCharField()
    dateOfBirth = serializers.DateField(source="date_of_birth", format=DATE_FORMAT, allow_null=True)
    email = serializers.CharField()
    createdAt = StorefrontDateTimeField(source="created_at")
    updatedAt = StorefrontDateTimeField(source="updated_at")


class CustomerRegistrationInputSerializer(serializers.Serializer):
    """Shape only; the domain checks values (email, choices, password rules, dates)."""

    email = StrictCharField()
    password = StrictCharField(trim_whitespace=False)
    confirmPassword = StrictCharField(trim_whitespace=False, source="confirmation")
    # Any JSON value: everything but `true` is "terms not accepted" (422), decided by the
    # service.
    acceptedTerms = serializers.JSONField(source="accepted_terms", allow_null=True)
    salutation = StrictCharField()
    firstName = StrictCharField(source="first_name")
    lastName = StrictCharField(source="last_name")
    gender = StrictCharField(required=False, allow_null=True, allow_blank=True)
    dateOfBirth = serializers.DateField(
        source="date_of_birth", required=False, allow_null=True, input_formats=[DATE_FORMAT]
    )


class CustomerUpdateInputSerializer(serializers.Serializer):
    """Every attribute optional; password fields are not attributes here (SPEC 4: ignored)."""

    email = StrictCharField(required=False)
    salutation = StrictCharField(required=False, allow_null=True, allow_blank=True)
    # Glue refuses a blank or null name on PATCH, as on registration (SPEC 4).
    firstName = StrictCharField(source="first_name", required=False)
    lastName = StrictCharField(source="last_name", required=False)
    gender = StrictCharField(required=False, allow_null=True, allow_blank=True)
    dateOfBirth = serializers.DateField(
        source="date_of_birth", required=False, allow_null=True, input_formats=[DATE_FORMAT]
    )


def customer_resource(view: StorefrontViewSet, customer: Customer) -> dict[str, Any]:
    path = reverse("storefront-customer", kwargs={"reference": customer.reference})
    return resource(
        resource_type=RESOURCE_TYPE,
        resource_id=customer.reference,
        attributes=CustomerOutputSerializer(customer).data,
        self_url=view.absolute_url(path),
    )


CUSTOMER_DOCUMENT = jsonapi_response("StorefrontCustomer", RESOURCE_TYPE, CustomerOutputSerializer)
SEED_CUSTOMER = {
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
            "createdAt": "2018-11-06 08:15:02.694668",
            "updatedAt": "2018-11-06 08:15:02.694668",
        },
        "links": {"self": "https://shop.example.com/customers/DE--25"},
    }
}


class CustomerViewSet(StorefrontViewSet):
    """`/customers`: registration (anonymous) and the caller's own customer resource.

    `GET /customers` lists the caller only; `/customers/{reference}` reads, edits and
    anonymizes the caller itself.
    """

    collection_url_name = "storefront-customers"
    item_url_name = "storefront-customer"
    lookup_field = "reference"
    public_methods = frozenset({"POST"})
    throttled_methods = frozenset({"POST"})

    @extend_schema(
        operation_id="storefront_customers_register",
        summary="Register a customer",
        request=jsonapi_request(
            "StorefrontCustomerRegistration", RESOURCE_TYPE, CustomerRegistrationInputSerializer
        ),
        responses={201: CUSTOMER_DOCUMENT, **ERROR_RESPONSES, 429: ERROR_RESPONSES[400]},
        examples=[
            OpenApiExample(
                "Registration",
                request_only=True,
                value={
                    "data": {
                        "type": "customers",
                        "attributes": {
                            "salutation": "Mr",
                            "firstName": "John",
                            "lastName": "Doe",
                            "email": "jdoe@example.com",
                            "password": "change123",
                            "confirmPassword": "change123",
                            "acceptedTerms": True,
                        },
                    }
                },
            ),
            OpenApiExample(
                "Customer", response_only=True, status_codes=["201"], value=SEED_CUSTOMER
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        """`POST /customers` registers a customer (anonymous)."""
        attributes = request_attributes(request, RESOURCE_TYPE)
        serializer = CustomerRegistrationInputSerializer(data=attributes)
        serializer.is_valid(raise_exception=True)
        customer = customer_register(
            store=store_get_default(), require_terms=True, **serializer.validated_data
        )
        document = {"data": customer_resource(self, customer)}
        return Response(
            document, status=201, headers={"Location": document["data"]["links"]["self"]}
        )

    @extend_schema(
        operation_id="storefront_customers_list",
        summary="The caller, as a list of one",
        responses={
            200: jsonapi_response(
                "StorefrontCustomer", RESOURCE_TYPE, CustomerOutputSerializer, many=True
            ),
            **ERROR_RESPONSES,
        },
    )
    def list(self, request: Request) -> Response:
        """`GET /customers` lists the caller only."""
        customer = self.current_customer()
        return Response(
            {
                "data": [customer_resource(self, customer)],
                "links": {"self": self.absolute_url(reverse("storefront-customers"))},
            }
        )

    @extend_schema(
        operation_id="storefront_customers_patch_refused",
        summary="Refused: the customer reference is missing (400, code 405)",
        request=None,
        responses=ERROR_RESPONSES,
    )
    def collection_partial_update(self, request: Request) -> Response:
        raise StorefrontError("405")

    @extend_schema(
        operation_id="storefront_customers_delete_refused",
        summary="Refused: the customer reference is missing (400, code 405)",
        request=None,
        responses=ERROR_RESPONSES,
    )
    def collection_destroy(self, request: Request) -> Response:
        raise StorefrontError("405")

    @extend_schema(
        operation_id="storefront_customer_get",
        summary="Read the caller's customer",
        responses={200: CUSTOMER_DOCUMENT, **ERROR_RESPONSES},
        examples=[OpenApiExample("Customer", response_only=True, value=SEED_CUSTOMER)],
    )
    def retrieve(self, request: Request, reference: str) -> Response:
        """The caller's own customer resource."""
        customer = self.own_customer(reference, reading=True)
        return Response({"data": customer_resource(self, customer)})

    @extend_schema(
        operation_id="storefront_customer_update",
        summary="Edit the caller's customer",
        request=jsonapi_request(
            "StorefrontCustomerUpdate", RESOURCE_TYPE, CustomerUpdateInputSerializer
        ),
        responses={200: CUSTOMER_DOCUMENT, **ERROR_RESPONSES},
    )
    def partial_update(self, request: Request, reference: str) -> Response:
        """Edit the caller's own customer resource."""
        customer = self.own_customer(reference)
        attributes = request_attributes(request, RESOURCE_TYPE)
        serializer = CustomerUpdateInputSerializer(data=attributes)
        serializer.is_valid(raise_exception=True)
        customer = customer_update(customer=customer, **serializer.validated_data)
        return Response({"data": customer_resource(self, customer)})

    @extend_schema(
        operation_id="storefront_customer_anonymize",
        summary="Anonymize the caller's customer (SPEC 1.5)",
        responses={204: None, **ERROR_RESPONSES},
    )
    def destroy(self, request: Request, reference: str) -> Response:
        """Anonymize the caller's own customer (SPEC 1.5)."""
        customer = self.own_customer(reference)
        customer_anonymize(customer=customer)
        return Response(status=204)
