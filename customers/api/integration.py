"""Integration API (TWC Customer API v2) customer resources under `/api/v2/` (SPEC 6).

Each view parses the TWC body with the shared codec, calls one service or selector with the
tenant's store, and renders `customer_to_twc`. Errors are raised, never returned, so that the
dialect's handler renders them.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
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
from customers import validation
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
)
from customers.services import (
    BulkMode,
    customer_build,
    customer_bulk_upsert,
    customer_create,
    customer_soft_delete,
    customer_update,
    customers_check_batch,
)
from customers.webhooks.services import customers_imported_record

SEARCH_LIMIT_DEFAULT = 50
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


def _check_batch(
    store: Store, items: list[Any], build: Callable[[dict[str, Any]], Any]
) -> list[Any]:
    """Parse and `build` every item, then check uniqueness; raise every problem at once.

    The uniqueness check is set-based (`customers_check_batch`), so the number of queries
    does not depend on the number of items.

    Raises:
        FieldErrors: every problem of every item, each with its `index`.
    """
    built: list[Any] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            built.append(build(twc_to_domain(item)))
        except ValidationError as error:
            built.append(None)
            errors.extend(django_errors(error, index=index))
    problems = customers_check_batch(store=store, drafts=built)
    for index in sorted(problems):
        for error_class, field in problems[index]:
            errors.append(domain_field_error(error_class, field, index=index))
    if errors:
        errors.sort(key=lambda entry: entry["index"])
        raise FieldErrors(errors)
    return built


class CustomerViewSet(IntegrationViewSet):
    """TWC customers at `/api/v2/customers`.

    Create, update by body, search, validate, find and soft-delete by uuid or by reference,
    and add an address.
    """

    collection_url_name = "integration-customers"
    item_url_name = "integration-customer"
    lookup_field = "uuid"
    queryset = Customer.objects.none()

    def get_queryset(self):
        # Adding an address needs the `add_address` permission.
        if self.action == "address":
            return Address.objects.none()
        return Customer.objects.none()

    @extend_schema(operation_id="api_v2_customers_create")
    def create(self, request: Request) -> Response:
        fields = twc_to_domain(self.json_body(request, dict))
        customer = customer_create(store=self.store, **fields)
        return Response(
            _render(self.store, customer),
            status=status.HTTP_201_CREATED,
            headers=_location(customer),
        )

    @extend_schema(operation_id="api_v2_customers_update")
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

    @extend_schema(operation_id="api_v2_customers_validate_create")
    @action(
        detail=False,
        methods=["post"],
        url_path="validate",
        url_name="integration-customers-validate",
    )
    def validate(self, request: Request) -> Response:
        """`POST /api/v2/customers/validate`: the checks of create, nothing written."""
        _validate_single(self.store, self.json_body(request, dict))
        return Response({"valid": True})

    @extend_schema(operation_id="api_v2_customers_search_retrieve")
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
        errors = []
        for name in ("phone", "mobile"):
            if name in criteria:
                try:
                    criteria[name] = validation.normalise_phone(criteria[name], field=name)
                except ValidationError as error:
                    errors.extend(django_errors(error))
        limit = self._limit(params.get("limit", ""), errors)
        if errors:
            raise FieldErrors(errors)
        criteria.update(
            {name: str(criteria[name]) for name in ("phone", "mobile") if name in criteria}
        )
        customers = customer_search(store=self.store, limit=limit, **criteria)
        return Response([customer_to_twc(customer) for customer in customers])

    @staticmethod
    def _limit(raw: str, errors: list[dict[str, Any]]) -> int:
        if raw == "":
            return SEARCH_LIMIT_DEFAULT
        if not raw.isdigit() or int(raw) < 1:
            errors.append({"field": "limit", "message": "Must be a positive integer."})
            return SEARCH_LIMIT_DEFAULT
        return min(int(raw), SEARCH_LIMIT_MAX)

    @extend_schema(operation_id="api_v2_customers_ref_retrieve")
    @action(
        detail=False,
        methods=["get"],
        url_path=r"(?P<reference>[^/]+)/ref",
        url_name="integration-customer-by-ref",
    )
    def by_ref(self, request: Request, reference: str) -> Response:
        """`GET /api/v2/customers/{customerRef}/ref`."""
        return Response(customer_to_twc(customer_get(store=self.store, reference=reference)))

    @by_ref.mapping.delete
    @extend_schema(operation_id="api_v2_customers_ref_destroy")
    def destroy_by_ref(self, request: Request, reference: str) -> Response:
        """`DELETE /api/v2/customers/{customerRef}/ref`: a soft delete."""
        customer_soft_delete(customer=customer_get(store=self.store, reference=reference))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(operation_id="api_v2_customers_retrieve")
    def retrieve(self, request: Request, uuid: str) -> Response:
        return Response(customer_to_twc(customer_get(store=self.store, uuid=uuid)))

    @extend_schema(operation_id="api_v2_customers_destroy")
    def destroy(self, request: Request, uuid: str) -> Response:
        """A soft delete (SPEC 1.5)."""
        customer_soft_delete(customer=customer_get(store=self.store, uuid=uuid))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(operation_id="api_v2_customers_address_create")
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

    @extend_schema(operation_id="api_v2_upload_customers_create")
    def create(self, request: Request) -> Response:
        items = self.json_body(request, list)
        # Read per request so that the limit follows the settings (and test overrides).
        limit = settings.BULK_UPLOAD_MAX_ITEMS
        if len(items) > limit:
            raise PayloadTooLarge(f"At most {limit} customers per upload.")
        rows: list[dict[str, Any] | ValidationError] = []
        for item in items:
            try:
                rows.append(twc_to_domain(item))
            except ValidationError as error:
                rows.append(error)
        results = customer_bulk_upsert(
            store=self.store,
            rows=rows,
            mode=BulkMode.CREATE,
            default_state=Customer.State.INVITED,
            all_or_nothing=True,
        )
        errors = [
            entry
            for index, result in enumerate(results)
            for error in result.errors
            for entry in (
                django_errors(error, index=index)
                if isinstance(error, ValidationError)
                else [domain_field_error(type(error), error.field, index=index)]
            )
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


def _validate_single(store: Store, item: dict[str, Any]) -> None:
    """The checks of `customer_create` (build, then uniqueness), errors without `index`."""
    try:
        _check_batch(store, [item], lambda fields: customer_build(store=store, **fields))
    except FieldErrors as error:
        raise FieldErrors(
            [{k: v for k, v in entry.items() if k != "index"} for entry in error.errors]
        ) from None
