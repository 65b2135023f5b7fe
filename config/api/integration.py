"""The Integration API dialect (TWC Customer API v2): envelope, error map, tenancy, base viewset.

Every `/api/v2/...` viewset derives from `IntegrationViewSet`, so that all of them:
- authenticate staff only (a staff token, or the Django admin session cookie with CSRF) and
  check Django model permissions;
- work in the store named by the `X-TWC-Tenant` header (absent: the default store), resolved
  once per request and handed to services and selectors as `store=` (no thread-local);
- answer errors as `{"status": 400, "message": "...", "errors": [{"field", "message"}]}`
  with that HTTP status (SPEC 6); `errors` only for validation failures.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import set_rollback
from rest_framework.viewsets import GenericViewSet

from accounts.authentication import StaffTokenAuthentication
from accounts.permissions import StaffModelPermissions
from config.api.common import BodySizeLimitMixin, DialectMetadata, LimitedJSONParser
from config.api.errors import (
    FieldProblem,
    Kind,
    Problem,
    django_field_problems,
    field_path,
    problem_from,
)
from config.api.routers import DialectAutoSchema
from config.errors import (
    DomainError,
)
from customers.errors import CustomerNotFound, InvalidFilter
from customers.formats.twc import twc_field
from customers.models import Customer, Store
from customers.selectors import store_check_access, store_code_normal, store_get

TENANT_HEADER = "HTTP_X_TWC_TENANT"


class ErrorSpec(NamedTuple):
    status: int
    # None: the domain error's own message.
    message: str | None = None


# Domain error code -> TWC status and message (SPEC 6: duplicates are 400, unknown tenant 404).
# tests/test_error_maps.py checks that every DomainError code has an entry here.
ERROR_MAP: dict[str, ErrorSpec] = {
    "store_not_found": ErrorSpec(404, "Unknown tenant"),
    "store_forbidden": ErrorSpec(403, "You may not access this tenant."),
    "customer_field_staff_only": ErrorSpec(403),
    "customer_group_not_found": ErrorSpec(400),
    "customer_group_protected": ErrorSpec(400),
    "customer_not_found": ErrorSpec(404, "Customer not found"),
    "customer_email_taken": ErrorSpec(400, "Email already in use"),
    "customer_phone_taken": ErrorSpec(400, "Phone number already in use"),
    "customer_reference_taken": ErrorSpec(400, "Customer reference already in use"),
    "customer_reference_immutable": ErrorSpec(400, "A customer reference cannot be changed"),
    "customer_not_deleted": ErrorSpec(400),
    "terms_not_accepted": ErrorSpec(400),
    "invalid_filter": ErrorSpec(400),
    "address_not_found": ErrorSpec(404, "Address not found"),
    "invalid_credentials": ErrorSpec(401, "Invalid credentials"),
    "login_throttled": ErrorSpec(429, "Too many attempts. Try again later."),
    "password_reset_key_invalid": ErrorSpec(400),
    "email_confirmation_key_invalid": ErrorSpec(400),
    "password_mismatch": ErrorSpec(400),
    "current_password_wrong": ErrorSpec(400),
    "refresh_token_invalid": ErrorSpec(401, "Invalid or expired refresh token"),
}
# Codes whose `field` is worth an `errors` entry: the client can fix that field.
_FIELD_ERROR_CODES = frozenset(
    {
        "customer_email_taken",
        "customer_phone_taken",
        "customer_reference_taken",
        "customer_reference_immutable",
        "customer_group_not_found",
    }
)
INVALID_INPUT_MESSAGE = "Invalid input"


def error_body(status_code: int, message: str, errors: list[dict] | None = None) -> dict:
    body: dict[str, Any] = {"status": status_code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return body


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


class FieldErrors(exceptions.APIException):
    """Validation problems already in wire form: `{"field", "message"}` (+ `index`) dicts."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = INVALID_INPUT_MESSAGE
    default_code = "invalid"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(INVALID_INPUT_MESSAGE)
        self.errors = errors


def django_errors(
    error: DjangoValidationError, *, field_name=twc_field, index: int | None = None
) -> list[dict[str, Any]]:
    """Wire errors of a service's ValidationError (keyed by domain field names)."""
    return [_entry(violation, field_name, index) for violation in django_field_problems(error)]


def _entry(violation: FieldProblem, field_name, index: int | None = None) -> dict[str, Any]:
    path = field_path(violation)
    # A serializer's errors carry the names the client sent; a service's, domain names.
    field = ".".join(path) or None
    if violation.domain:
        field = field_name(path[0]) if path else None
    entry: dict[str, Any] = {"field": field, "message": violation.message}
    return {"index": index, **entry} if index is not None else entry


def domain_field_error(
    error_class: type[DomainError], field: str | None, *, index: int | None = None
) -> dict[str, Any]:
    """The wire error of a uniqueness problem (a duplicate email, phone or reference)."""
    entry: dict[str, Any] = {"field": twc_field(field), "message": error_class.message}
    return {"index": index, **entry} if index is not None else entry


# Messages of the problems that no domain code or DRF detail words.
_KIND_MESSAGES = {
    Kind.TOO_LARGE: PayloadTooLarge.default_detail,
    Kind.NOT_FOUND: "Not found",
}


def render_problem(problem: Problem) -> tuple[int, str, list[dict[str, Any]] | None]:
    """The TWC status, message and field errors (validation failures only) of `problem`."""
    kind = problem.kind
    if kind is Kind.DOMAIN:
        spec = ERROR_MAP.get(problem.code)
        if spec is None:
            # TWC answers every conflict as invalid input (SPEC 6).
            spec = ErrorSpec(400 if problem.status == 409 else problem.status)
        errors = None
        if problem.code in _FIELD_ERROR_CODES and problem.field:
            errors = [{"field": twc_field(problem.field), "message": problem.message}]
        return spec.status, spec.message or problem.message, errors
    if isinstance(problem.cause, FieldErrors):
        return 400, INVALID_INPUT_MESSAGE, problem.cause.errors
    if kind is Kind.VALIDATION:
        errors = [_entry(violation, twc_field) for violation in problem.field_errors]
        return 400, INVALID_INPUT_MESSAGE, errors
    if kind in (Kind.DUPLICATE, Kind.INTEGRITY):
        # TWC answers duplicates and conflicts as invalid input (SPEC 6).
        errors = [{"field": twc_field(problem.field), "message": problem.message}]
        return 400, problem.message, errors if problem.field else None
    return problem.status, _KIND_MESSAGES.get(kind, problem.message), None


def integration_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Render `exc` in the TWC envelope; unexpected exceptions are a logged 500 in it too."""
    problem = problem_from(exc)
    status_code, message, errors = render_problem(problem)
    set_rollback()
    return Response(
        error_body(status_code, message, errors), status=status_code, headers=problem.headers
    )


class IntegrationViewSet(BodySizeLimitMixin, GenericViewSet):
    """Base of every `/api/v2/...` view: staff only, one store per request, TWC errors.

    `self.store` is the tenant's store once `initial()` has run; views pass it explicitly.
    The actions named in `tenant_checked_when_nothing_found` find the store by its code in
    their own query instead (the lookups: one query fewer on every call) and call
    `tenant_found` with what they found.
    """

    authentication_classes = [
        # First: its `WWW-Authenticate` makes a missing credential a 401 (SPEC 3).
        StaffTokenAuthentication,
        # The Django admin session cookie, with CSRF on unsafe methods.
        SessionAuthentication,
    ]
    permission_classes = [StaffModelPermissions]
    renderer_classes = [JSONRenderer]
    parser_classes = [LimitedJSONParser]
    throttle_classes: list = []
    pagination_class = None
    lookup_value_regex = "[^/]+"
    schema = DialectAutoSchema()
    metadata_class = DialectMetadata
    tenant_checked_when_nothing_found: frozenset[str] = frozenset()
    # The `X-TWC-Tenant` code, normalised; the store itself once `tenant_store()` has run.
    tenant_code: str
    store: Store

    def get_exception_handler(self):
        return integration_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # After authentication, so that an anonymous caller learns nothing about tenants.
        self.tenant_code = store_code_normal(request.META.get(TENANT_HEADER, ""))
        if self.action not in self.tenant_checked_when_nothing_found:
            self.tenant_store()

    def tenant_store(self) -> Store:
        """The tenant's store, once the caller is known to work in it (`self.store`).

        Raises:
            StoreNotFound: unknown or inactive tenant (404).
            StoreForbidden: the caller is limited to other stores (403).
        """
        if not hasattr(self, "store"):
            store = store_get(code=self.tenant_code)
            store_check_access(user=self.request.user, store_id=store.pk)
            self.store = store
        return self.store

    def tenant_found(self, find: Callable[[], list[Customer]]) -> list[Customer]:
        """The tenant's customers that `find` finds by the store's code, after its checks.

        The tenant's own errors answer first, as on every other route: when `find` finds
        nobody or refuses its criteria, the store is read and checked before that answer.
        """
        try:
            found = find()
        except (CustomerNotFound, DjangoValidationError, InvalidFilter):
            self.tenant_store()
            raise
        if found:
            store_check_access(user=self.request.user, store_id=found[0].store_id)
        else:
            self.tenant_store()
        return found

    def json_body(self, request: Request, kind: type) -> Any:
        """The parsed body, which must be a JSON `kind` (object or array)."""
        data = request.data
        if not isinstance(data, kind) or (kind is dict and not request.body):
            expected = "object" if kind is dict else "array"
            raise exceptions.ParseError(f"The request body must be a JSON {expected}.")
        return data
