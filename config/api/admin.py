"""The Admin API dialect (EverShop): envelope, error map, paginator, base viewset, auth wiring.

Every Admin API viewset (`/api/...`, `/customer/login`, `/customers/logout`) derives from
`AdminViewSet`, so that all of them answer errors as EverShop does:
`{"error": {"status": 404, "message": "Customer not found"}}` with that HTTP status.
"""

import math
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView, set_rollback
from rest_framework.viewsets import GenericViewSet

from accounts.authentication import (
    CustomerPrincipal,
    CustomerTokenAuthentication,
    StaffTokenAuthentication,
)
from accounts.permissions import IsCustomer, StaffModelPermissions
from accounts.sessions import SESSION_COOKIE, SESSION_HEADER, CustomerSessionAuthentication
from config.api.common import BodySizeLimitMixin, DialectMetadata, LimitedJSONParser
from config.api.errors import Kind, Problem, problem_from
from config.api.routers import DialectAutoSchema
from config.api.schema import ADMIN_DATETIME

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@extend_schema_field(ADMIN_DATETIME)
class AdminDateTimeField(serializers.DateTimeField):
    """EverShop's `Y-m-d H:i:s` (SPEC 2), documented as such rather than as RFC 3339."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class ErrorSpec(NamedTuple):
    status: int
    # None: the domain error's own message, prefixed by the wire field it names, if any.
    message: str | None = None


# Domain error code -> EverShop status and message (SPEC 5). tests/test_error_maps.py checks
# that every DomainError code has an entry here.
ERROR_MAP: dict[str, ErrorSpec] = {
    "store_not_found": ErrorSpec(400, "store: Unknown store."),
    "store_forbidden": ErrorSpec(403, "You may not access this store."),
    # Worded by render_problem with the EverShop names of the fields sent.
    "customer_field_staff_only": ErrorSpec(403),
    "customer_group_not_found": ErrorSpec(400, "group_id: Customer group does not exist."),
    "customer_group_protected": ErrorSpec(409, "The default customer group cannot be deleted."),
    "customer_not_found": ErrorSpec(404, "Customer not found"),
    "customer_email_taken": ErrorSpec(409, "Email already in use"),
    "customer_phone_taken": ErrorSpec(409, "Phone number already in use"),
    "customer_reference_taken": ErrorSpec(409, "Customer reference already in use"),
    "customer_reference_immutable": ErrorSpec(400),
    "customer_not_deleted": ErrorSpec(409),
    "terms_not_accepted": ErrorSpec(400),
    "invalid_filter": ErrorSpec(400),
    "address_not_found": ErrorSpec(404, "Address not found"),
    "invalid_credentials": ErrorSpec(401, "Invalid email or password"),
    "login_throttled": ErrorSpec(429, "Too many attempts. Try again later."),
    "password_reset_key_invalid": ErrorSpec(400),
    "email_confirmation_key_invalid": ErrorSpec(400),
    "password_mismatch": ErrorSpec(400),
    "current_password_wrong": ErrorSpec(400),
    "refresh_token_invalid": ErrorSpec(401, "Invalid or expired refresh token"),
}
# Domain field names -> the names an EverShop client sent (SPEC 5).
WIRE_FIELDS: dict[str, str | None] = {
    "first_name": "full_name",
    "last_name": "full_name",
    "state": "status",
    "enabled": "status",
    "group": "group_id",
    "search": "keyword",
    "created_after": "created_from",
    "created_before": "created_to",
    "__all__": None,
    "non_field_errors": None,
}


def wire_field(name: str | None) -> str | None:
    if name is None:
        return None
    return WIRE_FIELDS.get(name, name)


def error_body(status_code: int, message: str) -> dict[str, Any]:
    return {"error": {"status": status_code, "message": message}}


def _join(pairs: Iterable[tuple[str | None, str]]) -> str:
    seen: list[str] = []
    for field, message in pairs:
        text = f"{field}: {message}" if field else message
        if text not in seen:
            seen.append(text)
    return "; ".join(seen)


# Django's own wording for some codes names models, not what the client sent.
_FIELD_CODE_MESSAGES = {
    ("group_id", "invalid"): "Customer group does not exist.",
}


def _pairs(problem: Problem) -> list[tuple[str | None, str]]:
    """(wire field, message) pairs of the problem's violations, in order."""
    pairs = []
    for violation in problem.field_errors:
        names = [wire_field(part) for part in violation.path]
        field = ".".join(name for name in names if name) or None
        message = violation.message
        if violation.domain:
            message = _FIELD_CODE_MESSAGES.get((field, violation.code or ""), message)
        pairs.append((field, message))
    return pairs


PAYLOAD_TOO_LARGE_MESSAGE = "Request body is too large."
# Messages of the problems that no domain code or DRF detail words.
_KIND_MESSAGES = {
    Kind.TOO_LARGE: PAYLOAD_TOO_LARGE_MESSAGE,
    Kind.NOT_FOUND: "Not found",
    Kind.DUPLICATE: "Already exists",
}
# Problems from DRF exceptions, worded by their detail ("field: message; ...").
_WORDED_BY_DETAIL = frozenset(
    {
        Kind.VALIDATION,
        Kind.PARSE_ERROR,
        Kind.NOT_AUTHENTICATED,
        Kind.AUTHENTICATION_FAILED,
        Kind.THROTTLED,
        Kind.HTTP,
    }
)


def render_problem(problem: Problem) -> tuple[int, str]:
    """The EverShop status and message of `problem`."""
    if problem.kind is Kind.DOMAIN:
        spec = ERROR_MAP.get(problem.code) or ErrorSpec(problem.status)
        if problem.code == "customer_field_staff_only":
            names = ", ".join(wire_field(name) or name for name in problem.cause.params["fields"])
            return spec.status, f"You may not set {names}."
        field = wire_field(problem.field)
        message = problem.message
        return spec.status, spec.message or (f"{field}: {message}" if field else message)
    if problem.kind in _WORDED_BY_DETAIL:
        return problem.status, _join(_pairs(problem))
    return problem.status, _KIND_MESSAGES.get(problem.kind, problem.message)


def admin_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Render `exc` in the EverShop envelope; unexpected exceptions are a logged 500 in it too."""
    problem = problem_from(exc)
    status_code, message = render_problem(problem)
    set_rollback()
    return Response(error_body(status_code, message), status=status_code, headers=problem.headers)


# --- Pagination -------------------------------------------------------------------------------

_POSITIVE_INT = re.compile(r"[0-9]{1,18}")


class AdminPageLinksSerializer(serializers.Serializer):
    first = serializers.CharField(allow_null=True)
    last = serializers.CharField(allow_null=True)
    prev = serializers.CharField(allow_null=True)
    next = serializers.CharField(allow_null=True)


class AdminPageMetaSerializer(serializers.Serializer):
    current_page = serializers.IntegerField()
    # `from` is a keyword: declared below under its wire name.
    last_page = serializers.IntegerField()
    path = serializers.CharField()
    per_page = serializers.IntegerField()
    to = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField()

    def get_fields(self) -> dict:
        return {"from": serializers.IntegerField(allow_null=True), **super().get_fields()}


def admin_page(item: serializers.Serializer, name: str) -> serializers.Serializer:
    """The schema of one Admin API list page of `item`s: `data`, `links` and `meta`."""
    return inline_serializer(
        name=name,
        fields={
            "data": item,
            "links": AdminPageLinksSerializer(),
            "meta": AdminPageMetaSerializer(),
        },
    )


class AdminPagination(PageNumberPagination):
    """EverShop's list envelope: `data`, `links` {first, last, prev, next} and `meta`.

    `page` is 1-based; `limit` defaults to 20 and is clamped to 100 (SPEC 2). A page past the
    last one is an empty page with the same `meta` totals, not an error, so that a client
    walking pages while rows are deleted does not fail.
    """

    page_size = 20
    max_page_size = 100
    page_query_param = "page"
    page_size_query_param = "limit"

    def paginate_queryset(
        self, queryset, request: Request, view: APIView | None = None, total: int | None = None
    ) -> list:
        """The page's rows; `total` is the exact row count when the caller knows it already."""
        self.request = request
        self.page_number = self._positive_int(request, self.page_query_param, 1)
        self.per_page = min(
            self._positive_int(request, self.page_size_query_param, self.page_size),
            self.max_page_size,
        )
        self.total = queryset.count() if total is None else total
        self.last_page = max(1, math.ceil(self.total / self.per_page))
        self.offset = (self.page_number - 1) * self.per_page
        if self.page_number > self.last_page:
            return []
        # The page's keys first, then its rows: the keys of a deep page come from an index
        # alone, instead of reading every skipped row from the table.
        keys = list(
            queryset.values_list("pk", flat=True)[self.offset : self.offset + self.per_page]
        )
        return list(queryset.filter(pk__in=keys)) if keys else []

    def _positive_int(self, request: Request, name: str, default: int) -> int:
        raw = request.query_params.get(name, "")
        if raw == "":
            return default
        if not _POSITIVE_INT.fullmatch(raw) or int(raw) < 1:
            raise exceptions.ValidationError({name: ["Must be a positive integer."]})
        return int(raw)

    def _url(self, page: int | None) -> str | None:
        if page is None:
            return None
        params = self.request.query_params.copy()
        params[self.page_query_param] = str(page)
        return f"{self.request.path}?{params.urlencode()}"

    def get_paginated_response(self, data: list) -> Response:
        page, last = self.page_number, self.last_page
        shown = len(data)
        return Response(
            {
                "data": data,
                "links": {
                    "first": self._url(1),
                    "last": self._url(last),
                    # Past the end, "prev" leads back to the last page that has rows.
                    "prev": self._url(min(page - 1, last)) if page > 1 else None,
                    "next": self._url(page + 1) if page < last else None,
                },
                "meta": {
                    "current_page": page,
                    "from": self.offset + 1 if shown else None,
                    "last_page": last,
                    "path": self.request.path,
                    "per_page": self.per_page,
                    "to": self.offset + shown if shown else None,
                    "total": self.total,
                },
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "nullable": True, "example": "/api/customers?page=1"}
        number = {"type": "integer", "nullable": True}
        return {
            "type": "object",
            "required": ["data", "links", "meta"],
            "properties": {
                "data": schema,
                "links": {
                    "type": "object",
                    "properties": {name: link for name in ("first", "last", "prev", "next")},
                },
                "meta": {
                    "type": "object",
                    "properties": {
                        "current_page": {"type": "integer", "example": 1},
                        "from": number,
                        "last_page": {"type": "integer", "example": 1},
                        "path": {"type": "string", "example": "/api/customers"},
                        "per_page": {"type": "integer", "example": 20},
                        "to": number,
                        "total": {"type": "integer", "example": 2},
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict]:
        return [
            {
                "name": self.page_query_param,
                "in": "query",
                "required": False,
                "description": "Page number, starting at 1.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": "Rows per page (default 20; values above 100 are clamped).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]


# --- Authentication, permissions, throttling ---------------------------------------------------


class AdminBearerAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>`: a staff access token, or else a customer's.

    One class for both kinds, because DRF stops at the first authenticator that fails and a
    staff-only check would turn every customer token into a 401. Permissions then decide
    what each kind may do (SPEC 3: a customer token never passes a staff check).
    """

    def authenticate(self, request: Request):
        staff = StaffTokenAuthentication()
        try:
            return staff.authenticate(request)
        except exceptions.AuthenticationFailed:
            pass
        result = CustomerTokenAuthentication().authenticate(request)
        if result is None:  # pragma: no cover - staff.authenticate returned None above
            return None
        return result

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class StaffOrSelfRegistration(StaffModelPermissions):
    """Staff with the model permission; an anonymous caller may only POST (self-registration)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method == "POST" and request.user is None:
            return True
        return super().has_permission(request, view)


class StaffOrOwnCustomer(StaffModelPermissions):
    """Staff with the model permission, or a customer reading or changing itself.

    Which customer a customer may reach is decided by the lookup (only its own uuid).
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        if isinstance(request.user, CustomerPrincipal):
            return request.method in ("GET", "HEAD", "OPTIONS", "PATCH")
        return super().has_permission(request, view)


class AnonymousAuthThrottle(ScopedRateThrottle):
    """The per-IP `auth` rate, applied only to anonymous callers (logins, registrations)."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.user is not None:
            return True
        return super().allow_request(request, view)


# --- Base viewsets ---------------------------------------------------------------------------


class AdminViewSet(BodySizeLimitMixin, GenericViewSet):
    """Base of every Admin API resource: JSON in and out, the EverShop error envelope.

    As it stands, the `/api/...` resources: staff (token or admin session) or a customer.
    The public and the customer-session routes narrow it below.
    """

    renderer_classes = [JSONRenderer]
    parser_classes = [LimitedJSONParser]
    lookup_value_regex = "[^/]+"
    schema = DialectAutoSchema()
    metadata_class = DialectMetadata

    authentication_classes = [
        AdminBearerAuthentication,
        CustomerSessionAuthentication,
        # The Django admin session cookie, with CSRF on unsafe methods (explore from a browser).
        SessionAuthentication,
    ]
    permission_classes = [StaffModelPermissions]
    pagination_class = AdminPagination
    throttle_classes: list = []

    def get_exception_handler(self):
        return admin_exception_handler


class AdminPublicViewSet(AdminViewSet):
    """Base of the anonymous endpoints (logins, token refresh): throttled per client IP."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"
    # With no authenticator DRF would turn a 401 into a 403; a failed login is a 401.
    www_authenticate = 'Bearer realm="api"'

    def get_authenticate_header(self, request: Request) -> str:
        return self.www_authenticate


class CustomerSessionViewSet(AdminViewSet):
    """Base of the customer-session routes: the `sid` cookie or the `X-Session-ID` header."""

    authentication_classes = [CustomerSessionAuthentication]
    permission_classes = [IsCustomer]
    throttle_classes: list = []


# --- OpenAPI -------------------------------------------------------------------------------------


class AdminBearerScheme(OpenApiAuthenticationExtension):
    target_class = AdminBearerAuthentication
    name = "adminBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A staff access token from POST /api/auth/token, or a customer "
            "access token from POST /access-tokens.",
        }


class CustomerSessionScheme(OpenApiAuthenticationExtension):
    target_class = CustomerSessionAuthentication
    name = ["customerSessionHeader", "customerSessionCookie"]

    def get_security_requirement(self, auto_schema):
        # Either one is enough: alternatives, not both at once.
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": SESSION_HEADER},
            {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
        ]
