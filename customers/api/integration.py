"""Integration API (TWC Customer API v2) customer resources under `/api/v2/` (SPEC 6).

Each view parses the TWC body with the shared codec, calls one service or selector with the
tenant's store, and renders `customer_to_twc`. Errors are raised, never returned, so that the
dialect's handler renders them.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from addresses.models import Address
from addresses.services import address_create
from config.api.integration import (
    FieldErrors,
    IntegrationViewSet,
    PayloadTooLarge,
    django_errors,
    domain_field_error,
)
from config.api.schema import (
    TWC_ADDRESS_EXAMPLE,
    TWC_CUSTOMER_EXAMPLE,
    TWC_CUSTOMER_INPUT_EXAMPLE,
    ref,
)
from customers.formats.twc import (
    customer_to_twc,
    twc_address_field,
    twc_address_to_domain,
    twc_to_domain,
)
from customers.models import Customer, Store
from customers.selectors import (
    SEARCH_LIMIT_MAX,
    customer_get,
    customer_search,
    customers_live,
    customers_with_addresses,
    tenant_customer_get,
)
from customers.services import (
    BulkMode,
    BulkResult,
    BulkRow,
    customer_bulk_row,
    customer_bulk_upsert,
    customer_create,
    customer_groups_known,
    customer_soft_delete,
    customer_update,
)
from customers.validation import store_phone_region
from customers.webhooks.services import customers_imported_record

SEARCH_LIMIT_DEFAULT = 50
PHONE_SEARCH = "Normalised to E.164 first; a national number is read in the tenant store's country."
# TWC query parameter -> selector argument.
SEARCH_PARAMETERS = {
    "email": "email",
    "firstName": "first_name",
    "lastName": "last_name",
    "phone": "phone",
    "mobile": "mobile",
}


def _location(customer: Customer) -> dict[str, str]:
    return {"Location": f"/api/v2/customers/{customer.uuid}"}


def _render(store: Store, customer: Customer) -> dict[str, Any]:
    """Re-read with addresses prefetched, so the body shows what the database holds."""
    return customer_to_twc(customer_get(store=store, uuid=str(customer.uuid)))


_LOCATION = {"Location": {"schema": {"type": "string"}, "description": "The customer's URL."}}
_CUSTOMER = OpenApiResponse(
    ref("TwcCustomer"), examples=[OpenApiExample("Customer", value=TWC_CUSTOMER_EXAMPLE)]
)
_CUSTOMER_CREATED = OpenApiResponse(
    ref("TwcCustomer"), examples=[OpenApiExample("Created", value=TWC_CUSTOMER_EXAMPLE)]
)
_CUSTOMER_LIST = OpenApiResponse(
    {"type": "array", "items": ref("TwcCustomer")},
    examples=[OpenApiExample("Found", value=[TWC_CUSTOMER_EXAMPLE])],
)
_INPUT_EXAMPLE = OpenApiExample("Customer", request_only=True, value=TWC_CUSTOMER_INPUT_EXAMPLE)


class CustomerViewSet(IntegrationViewSet):
    """TWC customers at `/api/v2/customers`.

    Create, update by body, search, validate, find and soft-delete by uuid or by reference,
    and add an address.
    """

    collection_url_name = "integration-customers"
    item_url_name = "integration-customer"
    lookup_field = "uuid"
    queryset = Customer.objects.none()
    tenant_checked_when_nothing_found = frozenset({"retrieve", "by_ref", "search"})

    def get_queryset(self):
        # Adding an address needs the `add_address` permission.
        if self.action == "address":
            return Address.objects.none()
        return Customer.objects.none()

    @extend_schema(
        operation_id="api_v2_customers_create",
        summary="Create a customer (with nested addresses)",
        request=OpenApiTypes.OBJECT,
        responses={201: _CUSTOMER_CREATED},
        examples=[_INPUT_EXAMPLE],
    )
    def create(self, request: Request) -> Response:
        fields = twc_to_domain(self.json_body(request, dict))
        # TWC customers carry no password: without a state they are invited (SPEC 6).
        customer = customer_create(store=self.store, default_state=Customer.State.INVITED, **fields)
        return Response(
            _render(self.store, customer),
            status=status.HTTP_201_CREATED,
            headers=_location(customer),
        )

    @extend_schema(
        operation_id="api_v2_customers_update",
        summary="Update the customer named by `id` or `customerRef` in the body",
        request=OpenApiTypes.OBJECT,
        responses={200: _CUSTOMER},
        examples=[
            OpenApiExample(
                "Rename",
                request_only=True,
                value={"id": TWC_CUSTOMER_EXAMPLE["id"], "firstName": "Johnny"},
            )
        ],
    )
    def collection_update(self, request: Request) -> Response:
        """`PUT /api/v2/customers`: the body names the customer by `id` or `customerRef`."""
        body = self.json_body(request, dict)
        # Nested addresses are not replaced here: they change through `/{id}/address`.
        changes = twc_to_domain(body, partial=True)
        reference = changes.pop("reference", None)
        if body.get("id"):
            customer = customer_get(store=self.store, uuid=str(body["id"]))
        elif reference is not None:
            customer = customer_get(store=self.store, reference=reference)
        else:
            raise FieldErrors([{"field": "id", "message": "Either id or customerRef is required."}])
        customer = customer_update(customer=customer, reference=reference, **changes)
        return Response(_render(self.store, customer))

    @extend_schema(
        operation_id="api_v2_customers_validate_create",
        summary="Run every check of create; nothing is written",
        request=OpenApiTypes.OBJECT,
        responses={
            200: OpenApiResponse(
                {
                    "type": "object",
                    "required": ["valid"],
                    "properties": {"valid": {"type": "boolean", "enum": [True]}},
                },
                examples=[OpenApiExample("Valid", value={"valid": True})],
            )
        },
        examples=[_INPUT_EXAMPLE],
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="validate",
        url_name="integration-customers-validate",
    )
    def validate(self, request: Request) -> Response:
        """`POST /api/v2/customers/validate`: the checks of create, nothing written."""
        item = self.json_body(request, dict)
        (result,) = customer_bulk_upsert(
            store=self.store,
            rows=[_bulk_row(item, customer_groups_known(), store_phone_region(self.store))],
            mode=BulkMode.CREATE,
            write=False,
        )
        errors = _result_errors(result)
        if errors:
            raise FieldErrors(errors)
        return Response({"valid": True})

    @extend_schema(
        operation_id="api_v2_customers_search_retrieve",
        summary="Search (criteria combine with AND; at least one is required)",
        parameters=[
            OpenApiParameter("email", str, description="Exact, case-insensitive."),
            OpenApiParameter("firstName", str, description="Exact, case-insensitive."),
            OpenApiParameter("lastName", str, description="Exact, case-insensitive."),
            OpenApiParameter("phone", str, description=PHONE_SEARCH),
            OpenApiParameter("mobile", str, description=PHONE_SEARCH),
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description=f"At most this many rows (default {SEARCH_LIMIT_DEFAULT}; "
                f"values above {SEARCH_LIMIT_MAX} are clamped).",
            ),
        ],
        responses={200: _CUSTOMER_LIST},
    )
    @action(
        detail=False, methods=["get"], url_path="search", url_name="integration-customers-search"
    )
    def search(self, request: Request) -> Response:
        """`GET /api/v2/customers/search`: AND of the given criteria, at most `limit` rows."""
        params = request.query_params
        criteria: dict[str, Any] = {
            argument: params[name].strip()
            for name, argument in SEARCH_PARAMETERS.items()
            if params.get(name, "").strip()
        }
        for name in ("phone", "mobile"):
            # An unencoded `+` in a query string arrives as a space: `?phone=+4930...`.
            raw = params.get(name, "")
            if name in criteria and raw.startswith(" ") and raw.strip()[:1].isdigit():
                criteria[name] = "+" + criteria[name]
        if not criteria:
            raise FieldErrors(
                [
                    {
                        "field": None,
                        "message": "Give at least one of email, firstName, lastName, "
                        "mobile, phone.",
                    }
                ]
            )
        limit_errors: list[dict[str, Any]] = []
        limit = self._limit(params.get("limit", ""), limit_errors)
        try:
            customers = self.tenant_found(
                lambda: customer_search(store_code=self.tenant_code, limit=limit, **criteria)
            )
        except ValidationError as error:
            raise FieldErrors(django_errors(error) + limit_errors) from None
        if limit_errors:
            raise FieldErrors(limit_errors)
        return Response([customer_to_twc(customer) for customer in customers])

    @staticmethod
    def _limit(raw: str, errors: list[dict[str, Any]]) -> int:
        if raw == "":
            return SEARCH_LIMIT_DEFAULT
        if not raw.isdigit() or int(raw) < 1:
            errors.append({"field": "limit", "message": "Must be a positive integer."})
            return SEARCH_LIMIT_DEFAULT
        return min(int(raw), SEARCH_LIMIT_MAX)

    @extend_schema(
        operation_id="api_v2_customers_ref_retrieve",
        summary="Find a customer by its reference",
        responses={200: _CUSTOMER},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"(?P<reference>[^/]+)/ref",
        url_name="integration-customer-by-ref",
    )
    def by_ref(self, request: Request, reference: str) -> Response:
        """`GET /api/v2/customers/{customerRef}/ref`."""
        return Response(customer_to_twc(self._tenant_customer(reference=reference)))

    @by_ref.mapping.delete
    @extend_schema(
        operation_id="api_v2_customers_ref_destroy",
        summary="Soft-delete a customer by its reference",
        responses={204: None},
    )
    def destroy_by_ref(self, request: Request, reference: str) -> Response:
        """`DELETE /api/v2/customers/{customerRef}/ref`: a soft delete."""
        customer_soft_delete(customer=customer_get(store=self.store, reference=reference))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="api_v2_customers_retrieve",
        summary="Find a customer by its id (uuid)",
        responses={200: _CUSTOMER},
    )
    def retrieve(self, request: Request, uuid: str) -> Response:
        return Response(customer_to_twc(self._tenant_customer(uuid=uuid)))

    def _tenant_customer(self, **lookup: str) -> Customer:
        (customer,) = self.tenant_found(
            lambda: [tenant_customer_get(store_code=self.tenant_code, **lookup)]
        )
        return customer

    @extend_schema(
        operation_id="api_v2_customers_destroy",
        summary="Soft-delete a customer by its id (uuid)",
        responses={204: None},
    )
    def destroy(self, request: Request, uuid: str) -> Response:
        """A soft delete (SPEC 1.5)."""
        customer_soft_delete(customer=customer_get(store=self.store, uuid=uuid))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="api_v2_customers_address_create",
        summary="Add an address; answers the whole customer",
        request=OpenApiTypes.OBJECT,
        responses={201: _CUSTOMER_CREATED},
        examples=[
            OpenApiExample(
                "Address",
                request_only=True,
                value={
                    key: value
                    for key, value in TWC_ADDRESS_EXAMPLE.items()
                    if key not in ("id", "customerId")
                },
            )
        ],
    )
    @action(
        detail=True, methods=["post"], url_path="address", url_name="integration-customer-address"
    )
    def address(self, request: Request, uuid: str) -> Response:
        """`POST /api/v2/customers/{id}/address`: 201 with the whole customer."""
        customer = customer_get(store=self.store, uuid=uuid)
        fields = twc_address_to_domain(self.json_body(request, dict))
        try:
            address_create(customer=customer, **fields)
        except ValidationError as error:
            raise FieldErrors(django_errors(error, field_name=twc_address_field)) from None
        return Response(
            _render(self.store, customer),
            status=status.HTTP_201_CREATED,
            headers=_location(customer),
        )


class CustomerUploadViewSet(IntegrationViewSet):
    """`POST /api/v2/upload-customers`: all or nothing, every problem with its item index."""

    collection_url_name = "integration-customers-upload"
    queryset = Customer.objects.none()

    @extend_schema(
        operation_id="api_v2_upload_customers_create",
        summary="Create many customers: all or nothing, every problem with its item index",
        request=OpenApiTypes.OBJECT,
        responses={
            201: OpenApiResponse(
                {"type": "array", "items": ref("TwcCustomer")},
                description="The created customers, in request order.",
                examples=[OpenApiExample("Created", value=[TWC_CUSTOMER_EXAMPLE])],
            )
        },
        examples=[
            OpenApiExample(
                "Two customers",
                request_only=True,
                value=[
                    TWC_CUSTOMER_INPUT_EXAMPLE,
                    {"email": "jane.doe@example.com", "firstName": "Jane", "lastName": "Doe"},
                ],
            )
        ],
    )
    def create(self, request: Request) -> Response:
        items = self.json_body(request, list)
        # Read per request so that the limit follows the settings (and test overrides).
        limit = settings.BULK_UPLOAD_MAX_ITEMS
        if len(items) > limit:
            raise PayloadTooLarge(f"At most {limit} customers per upload.")
        group_ids, region = customer_groups_known(), store_phone_region(self.store)
        results = customer_bulk_upsert(
            store=self.store,
            rows=[_bulk_row(item, group_ids, region) for item in items],
            mode=BulkMode.CREATE,
            all_or_nothing=True,
        )
        errors = [
            entry for index, result in enumerate(results) for entry in _result_errors(result, index)
        ]
        if errors:
            raise FieldErrors(errors)
        customers_imported_record(
            store=self.store, created=len(results), updated=0, failed=0, source="upload"
        )
        by_reference = {
            customer.reference: customer
            for customer in customers_with_addresses(
                customers_live().filter(
                    store=self.store, reference__in=[result.reference for result in results]
                )
            )
        }
        body = [customer_to_twc(by_reference[result.reference]) for result in results]
        return Response(body, status=status.HTTP_201_CREATED)


def _bulk_row(item: Any, group_ids: frozenset[int], phone_region: str | None) -> BulkRow:
    """One TWC item as a new customer's bulk row (TWC customers are `invited` by default).

    National phone numbers are read in `phone_region`, the tenant store's.

    A key with a shape problem (`dob` not a date) does not hide the problems of the others:
    the rest of the item is still validated, and its valid unique values are still checked
    against the store and the batch by `customer_bulk_upsert`.
    """
    try:
        arguments = twc_to_domain(item)
    except ValidationError as shape_error:
        if not isinstance(item, dict):
            return BulkRow(arguments={}, error=shape_error)
        bad = {name.split(".")[0].split("[")[0] for name in shape_error.message_dict}
        rest = {key: value for key, value in item.items() if key not in bad}
        try:
            arguments = twc_to_domain(rest)
        except ValidationError:
            return BulkRow(arguments={}, error=shape_error)
        row = customer_bulk_row(
            arguments,
            group_ids=group_ids,
            default_state=Customer.State.INVITED,
            phone_region=phone_region,
        )
        errors = dict(shape_error.error_dict)
        if row.error is not None:
            errors.update(row.error.error_dict)
        return BulkRow(arguments=arguments, error=ValidationError(errors))
    return customer_bulk_row(
        arguments,
        group_ids=group_ids,
        default_state=Customer.State.INVITED,
        phone_region=phone_region,
    )


def _result_errors(result: BulkResult, index: int | None = None) -> list[dict[str, Any]]:
    """The TWC field errors of one bulk row (with its item `index` when given)."""
    return [
        entry
        for error in result.errors
        for entry in (
            django_errors(error, index=index)
            if isinstance(error, ValidationError)
            else [domain_field_error(type(error), error.field, index=index)]
        )
    ]
