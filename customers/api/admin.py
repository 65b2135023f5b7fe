"""Admin API (EverShop dialect): /api/customers and /api/customers/{uuid} (SPEC 5).

Each action parses the request, calls one service or selector and renders the result; the
rules (uniqueness, state changes, revocation on a password change) live in the services.
"""

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import customer_of
from accounts.services import customer_register
from config.api.admin import (
    AdminDateTimeField,
    AdminViewSet,
    AnonymousAuthThrottle,
    StaffOrOwnCustomer,
    StaffOrSelfRegistration,
    admin_page,
)
from config.api.common import StrictCharField
from customers.filters import MAX_ID
from customers.models import Customer, CustomerState
from customers.selectors import (
    customer_get,
    customer_list,
    store_check_access,
    store_get,
    store_get_default,
    stores_visible_to,
)
from customers.services import (
    customer_create,
    customer_delete,
    customer_staff_fields_refuse,
    customer_update,
)

# EverShop names of the fields only staff may set -> their domain names.
STAFF_FIELDS = {"status": "state", "group_id": "group_id", "store": "store"}

# EverShop query parameters -> the domain filter names of customers.filters.CustomerFilter.
LIST_FILTERS = {
    "keyword": "search",
    "email": "email",
    "status": "enabled",
    "group_id": "group_id",
    "store": "store",
    "created_from": "created_after",
    "created_to": "created_before",
    "ordering": "ordering",
}
ORDERINGS = ("created_at", "-created_at", "email", "-email", "full_name", "-full_name", "id", "-id")


@extend_schema_field(
    {"oneOf": [{"type": "integer", "enum": [0, 1]}, {"type": "string", "enum": ["0", "1"]}]}
)
class StatusField(serializers.Field):
    """EverShop `status`: 1 when the customer's state is `enabled`, else 0 (SPEC 1.2)."""

    default_error_messages = {"invalid": "Must be 0 or 1."}

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or data not in (0, 1, "0", "1"):
            self.fail("invalid")
        return CustomerState.ENABLED if int(data) == 1 else CustomerState.DISABLED

    def to_representation(self, value: str) -> int:
        return 1 if value == CustomerState.ENABLED else 0


@extend_schema_field(OpenApiTypes.INT)
class StatusOutputField(StatusField):
    pass


class AdminCustomerOutputSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField(source="id")
    uuid = serializers.UUIDField()
    status = StatusOutputField(source="state")
    group_id = serializers.IntegerField()
    email = serializers.CharField()
    full_name = serializers.CharField()
    created_at = AdminDateTimeField()
    updated_at = AdminDateTimeField()


class AdminAddressOutputSerializer(serializers.Serializer):
    customer_address_id = serializers.IntegerField(source="id")
    uuid = serializers.UUIDField()
    full_name = serializers.CharField()
    telephone = serializers.CharField(source="phone")
    address_1 = serializers.CharField(source="address1")
    address_2 = serializers.CharField(source="address2")
    city = serializers.CharField()
    province = serializers.CharField()
    country = serializers.CharField(source="country.code")
    postcode = serializers.CharField()
    is_default = serializers.BooleanField(source="is_default_shipping")


class AdminCustomerDetailOutputSerializer(AdminCustomerOutputSerializer):
    addresses = AdminAddressOutputSerializer(many=True)


class AdminLinkSerializer(serializers.Serializer):
    rel = serializers.CharField()
    href = serializers.CharField()
    action = serializers.CharField()
    types = serializers.ListField(child=serializers.CharField())


class AdminCustomerWithLinksOutputSerializer(AdminCustomerOutputSerializer):
    links = AdminLinkSerializer(many=True, read_only=True)


def _envelope(serializer_class: type[serializers.Serializer], name: str) -> Any:
    return inline_serializer(name=name, fields={"data": serializer_class()})


def customer_links(customer: Customer) -> list[dict[str, Any]]:
    """EverShop's `links`: the admin grid and this customer's edit page (Django admin)."""
    html = ["text/html"]
    return [
        {
            "rel": "customerGrid",
            "href": reverse("admin:customers_customer_changelist"),
            "action": "GET",
            "types": html,
        },
        {
            "rel": "edit",
            "href": reverse("admin:customers_customer_change", args=[customer.pk]),
            "action": "GET",
            "types": html,
        },
    ]


def _with_links(customer: Customer) -> dict[str, Any]:
    return {**AdminCustomerOutputSerializer(customer).data, "links": customer_links(customer)}


def list_filters(params: Any) -> dict[str, str]:
    """EverShop query parameters -> domain filters; `status` accepts only 0 and 1."""
    filters = {}
    for wire, domain in LIST_FILTERS.items():
        value = params.get(wire)
        if value is None:
            continue
        if wire == "status" and value != "":
            if value not in ("0", "1"):
                raise exceptions.ValidationError({"status": ["Must be 0 or 1."]})
            value = "true" if value == "1" else "false"
        filters[domain] = value
    return filters


class _AnyValue(serializers.JSONField):
    """A staff-only field sent by someone else: kept as sent, for the service to refuse."""


SEED_CUSTOMER = {
    "customer_id": 21,
    "uuid": "433ba97f-8be7-4be9-be3f-a9f341f2b89f",
    "status": 1,
    "group_id": 1,
    "email": "john.smith@example.com",
    "full_name": "John A. Smith",
    "created_at": "2023-02-07 14:18:05",
    "updated_at": "2023-02-07 14:18:06",
}
SEED_LINKS = [
    {
        "rel": "customerGrid",
        "href": "/admin/customers/customer/",
        "action": "GET",
        "types": ["text/html"],
    },
    {
        "rel": "edit",
        "href": "/admin/customers/customer/21/change/",
        "action": "GET",
        "types": ["text/html"],
    },
]
ERROR_EXAMPLE = OpenApiResponse(
    response=inline_serializer(
        name="AdminError",
        fields={
            "error": inline_serializer(
                name="AdminErrorBody",
                fields={"status": serializers.IntegerField(), "message": serializers.CharField()},
            )
        },
    ),
    examples=[
        OpenApiExample(
            "Not found", value={"error": {"status": 404, "message": "Customer not found"}}
        )
    ],
)


LIST_RESPONSE = admin_page(AdminCustomerOutputSerializer(many=True), "AdminCustomerList")


class CustomerViewSet(AdminViewSet):
    """EverShop customers at `/api/customers` and `/api/customers/{uuid}`.

    The collection lists (staff) and creates (staff) or registers (anonymous); one customer
    is reached by staff within their stores, or by the customer itself.
    """

    collection_url_name = "admin-customers"
    item_url_name = "admin-customer"
    lookup_field = "uuid"
    queryset = Customer.objects.none()
    throttle_scope = "auth"

    def get_permissions(self) -> list:
        if self.detail:
            return [StaffOrOwnCustomer()]
        return [StaffOrSelfRegistration()]

    def get_throttles(self) -> list:
        # Anonymous registration is limited per client IP; staff and customers are not.
        return [] if self.detail else [AnonymousAuthThrottle()]

    class AdminCustomerCreateInputSerializer(serializers.Serializer):
        email = StrictCharField()
        password = StrictCharField(trim_whitespace=False)
        full_name = StrictCharField()
        status = StatusField(source="state", required=False)
        group_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
        store = StrictCharField(required=False, allow_blank=True)

    @extend_schema(
        operation_id="admin_customers_list",
        summary="List customers",
        parameters=[
            OpenApiParameter(
                "keyword",
                str,
                description="Substring of name, email, phone or reference (case-insensitive).",
            ),
            OpenApiParameter("email", str, description="Exact email (case-insensitive)."),
            OpenApiParameter("status", int, enum=[0, 1]),
            OpenApiParameter("group_id", int, description="A customer group id (from 1)."),
            OpenApiParameter("store", str, description="Store code."),
            OpenApiParameter("created_from", OpenApiTypes.DATE),
            OpenApiParameter("created_to", OpenApiTypes.DATE),
            OpenApiParameter("ordering", str, enum=list(ORDERINGS)),
            OpenApiParameter("page", int, description="Page number, from 1."),
            OpenApiParameter("limit", int, description="Rows a page: 20 by default, at most 100."),
        ],
        responses={200: LIST_RESPONSE, 400: ERROR_EXAMPLE, 401: ERROR_EXAMPLE, 403: ERROR_EXAMPLE},
        examples=[
            OpenApiExample(
                "Two customers",
                response_only=True,
                value={
                    "data": [
                        {
                            "customer_id": 20,
                            "uuid": "d1b20098-a66c-11ed-b46b-60d819134f39",
                            "status": 1,
                            "group_id": 1,
                            "email": "jane.doe@example.com",
                            "full_name": "Jane Doe",
                            "created_at": "2023-02-06 10:15:22",
                            "updated_at": "2023-02-06 10:15:22",
                        },
                        SEED_CUSTOMER,
                    ],
                    "links": {
                        "first": "/api/customers?page=1",
                        "last": "/api/customers?page=1",
                        "prev": None,
                        "next": None,
                    },
                    "meta": {
                        "current_page": 1,
                        "from": 1,
                        "last_page": 1,
                        "path": "/api/customers",
                        "per_page": 20,
                        "to": 2,
                        "total": 2,
                    },
                },
            )
        ],
    )
    def list(self, request: Request) -> Response:
        """The customers of every store the staff user may see."""
        listing = customer_list(filters=list_filters(request.query_params), user=request.user)
        page = self.paginator.paginate_queryset(
            listing.customers, request, view=self, total=listing.total
        )
        return self.paginator.get_paginated_response(
            AdminCustomerOutputSerializer(page, many=True).data
        )

    @extend_schema(
        operation_id="admin_customers_create",
        summary="Create a customer (staff) or register (anonymous)",
        request=AdminCustomerCreateInputSerializer,
        responses={
            201: _envelope(AdminCustomerWithLinksOutputSerializer, "AdminCustomerCreated"),
            400: ERROR_EXAMPLE,
            403: ERROR_EXAMPLE,
            409: ERROR_EXAMPLE,
        },
        examples=[
            OpenApiExample(
                "New customer",
                request_only=True,
                value={
                    "email": "john.smith@example.com",
                    "password": "change123",
                    "full_name": "John Smith",
                    "status": 1,
                },
            ),
            OpenApiExample(
                "Created",
                response_only=True,
                status_codes=["201"],
                value={"data": {**SEED_CUSTOMER, "full_name": "John Smith", "links": SEED_LINKS}},
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        """Create a customer (staff) or register (anonymous)."""
        if request.user is None:
            # Self-registration: in the default store, enabled, group 1, confirmation sent.
            if isinstance(request.data, dict):
                customer_staff_fields_refuse(
                    fields=[STAFF_FIELDS[name] for name in STAFF_FIELDS if name in request.data]
                )
            serializer = self.AdminCustomerCreateInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            customer = customer_register(store=store_get_default(), **serializer.validated_data)
        else:
            serializer = self.AdminCustomerCreateInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            store = store_get(code=data.pop("store", None))
            store_check_access(user=request.user, store_id=store.pk)
            customer = customer_create(store=store, **data)
        return Response({"data": _with_links(customer)}, status=201)

    class AdminCustomerUpdateInputSerializer(serializers.Serializer):
        email = StrictCharField(required=False)
        password = StrictCharField(required=False, trim_whitespace=False)
        full_name = StrictCharField(required=False)
        status = StatusField(source="state", required=False)
        group_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    class AdminCustomerSelfUpdateInputSerializer(serializers.Serializer):
        """A customer changing itself: staff-only fields pass as sent, for the service."""

        email = StrictCharField(required=False)
        password = StrictCharField(required=False, trim_whitespace=False)
        full_name = StrictCharField(required=False)
        status = _AnyValue(source="state", required=False, allow_null=True)
        group_id = _AnyValue(required=False, allow_null=True)

    def _customer(self, request: Request, uuid: str) -> Customer:
        own = customer_of(request.user)
        if own is None:
            return customer_get(stores=stores_visible_to(user=request.user), uuid=uuid)
        # A customer reaches only itself (SPEC 12).
        return customer_get(store=own.store, uuid=uuid, owner=own)

    @extend_schema(
        operation_id="admin_customers_retrieve",
        summary="Get a customer with its addresses",
        responses={
            200: _envelope(AdminCustomerDetailOutputSerializer, "AdminCustomerDetail"),
            404: ERROR_EXAMPLE,
        },
        examples=[
            OpenApiExample(
                "Customer",
                response_only=True,
                value={
                    "data": {
                        **SEED_CUSTOMER,
                        "addresses": [
                            {
                                "customer_address_id": 15,
                                "uuid": "f2c30099-a66c-11ed-b46b-60d819134f39",
                                "full_name": "John A. Smith",
                                "telephone": "555-123-4567",
                                "address_1": "123 Main Street",
                                "address_2": "Apt 4B",
                                "city": "Springfield",
                                "province": "IL",
                                "country": "US",
                                "postcode": "62701",
                                "is_default": True,
                            }
                        ],
                    }
                },
            )
        ],
    )
    def retrieve(self, request: Request, uuid: str) -> Response:
        """One customer by uuid: staff within their stores, or the customer itself."""
        customer = self._customer(request, uuid)
        return Response({"data": AdminCustomerDetailOutputSerializer(customer).data})

    @extend_schema(
        operation_id="admin_customers_update",
        summary="Update a customer",
        request=AdminCustomerUpdateInputSerializer,
        responses={
            200: _envelope(AdminCustomerWithLinksOutputSerializer, "AdminCustomerUpdated"),
            400: ERROR_EXAMPLE,
            403: ERROR_EXAMPLE,
            404: ERROR_EXAMPLE,
            409: ERROR_EXAMPLE,
        },
        examples=[
            OpenApiExample("Rename", request_only=True, value={"full_name": "John A. Smith"}),
            OpenApiExample(
                "Updated",
                response_only=True,
                value={"data": {**SEED_CUSTOMER, "links": SEED_LINKS}},
            ),
        ],
    )
    def partial_update(self, request: Request, uuid: str) -> Response:
        """Change a customer: staff within their stores, or the customer itself."""
        customer = self._customer(request, uuid)
        by_staff = customer_of(request.user) is None
        serializer_class = (
            self.AdminCustomerUpdateInputSerializer
            if by_staff
            else self.AdminCustomerSelfUpdateInputSerializer
        )
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if changes:
            password = changes.pop("password", None)
            customer = customer_update(
                customer=customer,
                password=password,
                by_staff=by_staff,
                # The session making the change stays signed in; every other one ends.
                keep_session_key=getattr(request.user, "session_key", None),
                **changes,
            )
        return Response({"data": _with_links(customer)})

    @extend_schema(
        operation_id="admin_customers_destroy",
        summary="Delete a customer permanently",
        responses={
            200: _envelope(AdminCustomerOutputSerializer, "AdminCustomerDeleted"),
            404: ERROR_EXAMPLE,
        },
        examples=[OpenApiExample("Deleted", response_only=True, value={"data": SEED_CUSTOMER})],
    )
    def destroy(self, request: Request, uuid: str) -> Response:
        """Delete a customer permanently, with its addresses and credentials (SPEC 1.5)."""
        customer = customer_delete(customer=self._customer(request, uuid))
        return Response({"data": AdminCustomerOutputSerializer(customer).data})
