"""The Integration API dialect (TWC Customer API v2): envelope, error map, tenancy, base view.

Every `/api/v2/...` view derives from `IntegrationAPIView`, so that all of them:
- authenticate staff only (a staff token, or the Django admin session cookie with CSRF) and
  check Django model permissions;
- work in the store named by the `X-TWC-Tenant` header (absent: the default store), resolved
  once per request and handed to services and selectors as `store=` (no thread-local);
- answer errors as `{"status": 400, "message": "...", "errors": [{"field", "message"}]}`
  with that HTTP status (SPEC 6); `errors` only for validation failures.
"""

import math
from typing import Any, NamedTuple

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import set_rollback

from accounts.authentication import StaffTokenAuthentication
from accounts.permissions import StaffModelPermissions
from config.api.common import BodySizeLimitMixin
from config.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from customers.formats.twc import twc_field
from customers.models import Store
from customers.selectors import store_check_access, store_get

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
# A code added to the domain later still gets a sensible status from its kind.
_KIND_STATUS = (
    (NotFound, 404),
    (PermissionDenied, 403),
    (RateLimited, 429),
    (Conflict, 400),
    (InvalidInput, 400),
)
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
    groups = (
        error.error_dict.items() if hasattr(error, "error_dict") else [(None, error.error_list)]
    )
    found = []
    for name, messages in groups:
        field = field_name(name) if name != NON_FIELD_ERRORS else None
        for message in messages:
            for text in message.messages:
                entry: dict[str, Any] = {"field": field, "message": text}
                if index is not None:
                    entry = {"index": index, **entry}
                found.append(entry)
    return found


def domain_field_error(
    error_class: type[DomainError], field: str | None, *, index: int | None = None
) -> dict[str, Any]:
    """The wire error of a uniqueness problem (a duplicate email, phone or reference)."""
    entry: dict[str, Any] = {"field": twc_field(field), "message": error_class.message}
    return {"index": index, **entry} if index is not None else entry


def _drf_errors(detail: Any, path: str = "") -> list[dict[str, Any]]:
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", NON_FIELD_ERRORS) else str(key)
            found.extend(_drf_errors(value, f"{path}.{name}" if path and name else path or name))
        return found
    if isinstance(detail, list):
        return [entry for item in detail for entry in _drf_errors(item, path)]
    return [{"field": path or None, "message": str(detail)}]


def _domain_response(exc: DomainError) -> tuple[int, str, list | None, dict[str, str]]:
    spec = ERROR_MAP.get(exc.code)
    if spec is None:
        spec = ErrorSpec(next((s for kind, s in _KIND_STATUS if isinstance(exc, kind)), 400))
    message = spec.message or exc.message
    errors = None
    if exc.code in _FIELD_ERROR_CODES and exc.field:
        errors = [{"field": twc_field(exc.field), "message": exc.message}]
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(max(int(exc.retry_after), 1))
    return spec.status, message, errors, headers


def integration_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render `exc` in the TWC envelope; unknown exceptions stay 500s (return None)."""
    headers: dict[str, str] = {}
    errors: list | None = None
    if isinstance(exc, DomainError):
        status_code, message, errors, headers = _domain_response(exc)
    elif isinstance(exc, FieldErrors):
        status_code, message, errors = 400, INVALID_INPUT_MESSAGE, exc.errors
    elif isinstance(exc, DjangoValidationError):
        status_code, message, errors = 400, INVALID_INPUT_MESSAGE, django_errors(exc)
    elif isinstance(exc, RequestDataTooBig):
        status_code, message = 413, PayloadTooLarge.default_detail
    elif isinstance(exc, Http404):
        status_code, message = 404, "Not found"
    elif isinstance(exc, DjangoPermissionDenied):
        status_code, message = 403, "You do not have permission to perform this action."
    elif isinstance(exc, exceptions.ValidationError):
        status_code, message, errors = 400, INVALID_INPUT_MESSAGE, _drf_errors(exc.detail)
    elif isinstance(exc, exceptions.APIException):
        status_code = exc.status_code
        detail = exc.detail
        if isinstance(detail, dict) and "detail" in detail:  # simplejwt's token errors
            detail = detail["detail"]
        message = "; ".join(entry["message"] for entry in _drf_errors(detail))
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(max(math.ceil(exc.wait), 1))
    else:
        return None
    set_rollback()
    return Response(error_body(status_code, message, errors), status=status_code, headers=headers)


class IntegrationAPIView(BodySizeLimitMixin, GenericAPIView):
    """Base of every `/api/v2/...` view: staff only, one store per request, TWC errors.

    `self.store` is the tenant's store once `initial()` has run; views pass it explicitly.
    """

    authentication_classes = [
        # First: its `WWW-Authenticate` makes a missing credential a 401 (SPEC 3).
        StaffTokenAuthentication,
        # The Django admin session cookie, with CSRF on unsafe methods.
        SessionAuthentication,
    ]
    permission_classes = [StaffModelPermissions]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    throttle_classes: list = []
    pagination_class = None
    store: Store

    def get_exception_handler(self):
        return integration_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # After authentication, so that an anonymous caller learns nothing about tenants.
        self.store = store_get(code=request.META.get(TENANT_HEADER, ""))
        store_check_access(user=request.user, store=self.store)

    def json_body(self, request: Request, kind: type) -> Any:
        """The parsed body, which must be a JSON `kind` (object or array)."""
        data = request.data
        if not isinstance(data, kind) or (kind is dict and not request.body):
            expected = "object" if kind is dict else "array"
            raise exceptions.ParseError(f"The request body must be a JSON {expected}.")
        return data
