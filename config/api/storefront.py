"""The Storefront API dialect (Spryker Glue, JSON:API): codec, error catalogue, base viewset.

Every Storefront viewset derives from `StorefrontViewSet`, so that all of them read and write
`{"data": {"type", "id", "attributes", "links"}}` as `application/vnd.api+json` and answer
errors as Glue does: `{"errors": [{"code": "402", "status": 404, "detail": "..."}]}` with the
HTTP status of the errors (SPEC 4).
"""

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import set_rollback
from rest_framework.viewsets import GenericViewSet

from accounts.authentication import CustomerTokenAuthentication, customer_of
from accounts.permissions import IsCustomer
from config.api.common import BodySizeLimitMixin, DialectMetadata, LimitedJSONParser
from config.api.errors import Kind, Problem, field_path, problem_from
from config.api.routers import DialectAutoSchema
from config.api.schema import STOREFRONT_DATETIME
from customers.models import Customer

MEDIA_TYPE = "application/vnd.api+json"
# Glue's `Y-m-d H:i:s.u`, always in UTC (SPEC 2).
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
DATE_FORMAT = "%Y-%m-%d"


# --- Error catalogue -------------------------------------------------------------------------


class ErrorSpec(NamedTuple):
    status: int
    code: str | None
    # None: the violation itself, as "<attribute> => <message>" (code 901).
    detail: str | None


# The Storefront's own codes (SPEC 4). Codes and statuses are the contract; the details of
# 400, 404, 406, 408 and 423 are Spryker's words (SPEC 4), the others ours.
CATALOGUE: dict[str, ErrorSpec] = {
    "400": ErrorSpec(
        422,
        "400",
        "If this email address is already in use, you will receive a password reset link. "
        "Otherwise you must first validate your e-mail address to finish registration. "
        "Please check your e-mail.",
    ),
    "402": ErrorSpec(404, "402", "Customer not found."),
    "404": ErrorSpec(404, "404", "Address was not found."),
    "405": ErrorSpec(400, "405", "Customer reference is missing."),
    "406": ErrorSpec(
        422,
        "406",
        "Value in field password should be identical to value in the confirmPassword field.",
    ),
    "407": ErrorSpec(400, "407", "Failed to change the password."),
    "408": ErrorSpec(400, "408", "Invalid password"),
    "409": ErrorSpec(400, "409", "Failed to save the address."),
    "410": ErrorSpec(400, "410", "Failed to save changes."),
    "411": ErrorSpec(403, "411", "Unauthorized request."),
    "412": ErrorSpec(400, "412", "Address id is missing."),
    "414": ErrorSpec(422, "414", "Gender is not valid."),
    "415": ErrorSpec(422, "415", "The restore password key is not valid."),
    "422": ErrorSpec(422, "422", "Terms of service were not accepted."),
    "423": ErrorSpec(
        422, "423", "This email confirmation code is invalid or has been already used."
    ),
    "901": ErrorSpec(422, "901", None),
    "001": ErrorSpec(401, "001", "Invalid access token."),
    "002": ErrorSpec(403, "002", "Missing access token."),
    "003": ErrorSpec(401, "003", "Failed to authenticate user."),
    "004": ErrorSpec(401, "004", "Failed to refresh token."),
    "429": ErrorSpec(429, "429", "Too many attempts. Try again later."),
}

# Domain error code -> Storefront error (SPEC 4). tests/test_error_maps.py checks that every
# DomainError code has an entry. Errors a shopper cannot cause through this dialect (groups,
# references, restores) still get the nearest catalogue entry rather than a 500.
ERROR_MAP: dict[str, ErrorSpec] = {
    # The Storefront works in the default store; without it no customer can be found.
    "store_not_found": CATALOGUE["402"],
    "store_forbidden": CATALOGUE["411"],
    "customer_field_staff_only": CATALOGUE["411"],
    "customer_group_not_found": CATALOGUE["410"],
    "customer_group_protected": CATALOGUE["410"],
    "customer_not_found": CATALOGUE["402"],
    "customer_email_taken": CATALOGUE["400"],
    "customer_phone_taken": CATALOGUE["901"],
    "customer_reference_taken": CATALOGUE["410"],
    "customer_reference_immutable": CATALOGUE["410"],
    "customer_not_deleted": CATALOGUE["410"],
    "terms_not_accepted": CATALOGUE["422"],
    "invalid_filter": CATALOGUE["901"],
    "address_not_found": CATALOGUE["404"],
    "invalid_credentials": CATALOGUE["003"],
    "login_throttled": CATALOGUE["429"],
    "password_reset_key_invalid": CATALOGUE["415"],
    "email_confirmation_key_invalid": CATALOGUE["423"],
    "password_mismatch": CATALOGUE["406"],
    "current_password_wrong": CATALOGUE["408"],
    "refresh_token_invalid": CATALOGUE["004"],
}

# Domain field names -> Storefront attribute names, in one place. Names missing here are
# camel-cased (`address1` stays, `province_code` becomes `provinceCode`).
WIRE_FIELDS: dict[str, str] = {
    "first_name": "firstName",
    "last_name": "lastName",
    "date_of_birth": "dateOfBirth",
    "postcode": "zipCode",
    "country": "iso2Code",
    "is_default_shipping": "isDefaultShipping",
    "is_default_billing": "isDefaultBilling",
    "accepted_terms": "acceptedTerms",
    "confirm_password": "confirmPassword",
    "confirmation": "confirmPassword",
    "new_password": "newPassword",
    "current_password": "password",
    "restore_password_key": "restorePasswordKey",
    "registration_key": "registrationKey",
    "refresh_token": "refreshToken",
    "addresses": "addresses",
}

# Messages by error code, worded like the rest of Glue's validation answers. Codes, not
# message strings, select them (STYLE: map codes).
_MESSAGES_BY_CODE: dict[tuple[str | None, str], str] = {
    (None, "required"): "This field is missing.",
    (None, "blank"): "This value should not be blank.",
    (None, "null"): "This value should not be blank.",
    (None, "invalid_choice"): "The value you selected is not a valid choice.",
    ("email", "invalid"): "This value is not a valid email address.",
}
# Field errors that the catalogue names with a code of their own instead of 901.
_FIELD_CODE_ERRORS: dict[tuple[str, str], ErrorSpec] = {
    ("gender", "invalid_choice"): CATALOGUE["414"],
}

_CAMEL = re.compile(r"_([a-z0-9])")


def wire_field(name: str, overrides: Mapping[str, str] | None = None) -> str:
    """The Storefront attribute name of a domain field (dotted paths map part by part)."""
    if overrides and name in overrides:
        return overrides[name]
    if name in WIRE_FIELDS:
        return WIRE_FIELDS[name]
    if "." in name:
        return ".".join(wire_field(part, overrides) for part in name.split("."))
    return _CAMEL.sub(lambda match: match.group(1).upper(), name)


def error_object(spec: ErrorSpec, detail: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if spec.code is not None:
        body["code"] = spec.code
    body["status"] = spec.status
    body["detail"] = detail if detail is not None else spec.detail
    return body


def _violation(wire: str | None, code: str | None, message: str, field: str | None = None):
    """One error object for one field violation: 414 for a bad gender, else 901."""
    special = _FIELD_CODE_ERRORS.get((field or wire or "", code or ""))
    if special is not None:
        return error_object(special)
    text = (
        _MESSAGES_BY_CODE.get((field or wire, code or ""))
        or _MESSAGES_BY_CODE.get((None, code or ""))
        or message
    )
    return error_object(CATALOGUE["901"], f"{wire} => {text}" if wire else text)


class StorefrontError(exceptions.APIException):
    """A catalogue error raised by a view (ownership, missing ids, the JSON:API envelope)."""

    def __init__(self, code: str) -> None:
        self.spec = CATALOGUE[code]
        super().__init__(self.spec.detail, code)
        self.status_code = self.spec.status


class EnvelopeError(exceptions.APIException):
    """A body that is not a JSON:API document of the expected type (no catalogue code)."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


INVALID_POST_DATA = "Post data is invalid."
INVALID_TYPE = "Invalid type."


def _domain_errors(
    problem: Problem, overrides: Mapping[str, str], catalogue: Mapping[str, ErrorSpec]
) -> list[dict[str, Any]]:
    spec = catalogue.get(problem.code) or ERROR_MAP.get(problem.code)
    if spec is None:
        spec = CATALOGUE["402"] if problem.status == 404 else CATALOGUE["410"]
    if spec.detail is None:
        wire = wire_field(problem.field, overrides) if problem.field else None
        return [_violation(wire, problem.code, problem.message)]
    return [error_object(spec)]


def _field_errors(
    problem: Problem, overrides: Mapping[str, str], save_error: ErrorSpec
) -> list[dict[str, Any]]:
    """One error per violation: a service's (domain names) or a serializer's (wire names)."""
    errors = []
    for violation in problem.field_errors:
        path = field_path(violation)
        if not violation.domain:
            wire = ".".join(path) or None
            errors.append(_violation(wire, violation.code, violation.message))
        elif not path:
            # Not about one attribute: the save as a whole failed (409 or 410, by resource).
            errors.append(error_object(save_error))
        else:
            name = ".".join(path)
            wire = wire_field(name, overrides)
            errors.append(_violation(wire, violation.code, violation.message, field=name))
    return _unique(errors)


def _unique(errors: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for error in errors:
        if error not in seen:
            seen.append(error)
    return seen


def _view_setting(context: Mapping[str, Any], name: str, default: Any) -> Any:
    view = context.get("view")
    getter = getattr(view, f"get_{name}", None)
    return getter() if callable(getter) else default


def render_problem(problem: Problem, context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Glue error objects of `problem` (the first one's status is the answer's)."""
    overrides = _view_setting(context, "wire_fields", {})
    save_error = _view_setting(context, "save_error", CATALOGUE["410"])
    kind = problem.kind
    if kind is Kind.DOMAIN:
        return _domain_errors(problem, overrides, _view_setting(context, "error_map", {}))
    if isinstance(problem.cause, StorefrontError):
        return [error_object(problem.cause.spec)]
    if kind is Kind.VALIDATION:
        return _field_errors(problem, overrides, save_error)
    if kind in (Kind.DUPLICATE, Kind.INTEGRITY):
        # The services map the unique constraints they know; anything else that the database
        # refuses is reported as a failed save, never leaked as a 500 (SPEC 2).
        return [error_object(save_error)]
    if kind is Kind.NOT_AUTHENTICATED:
        return [error_object(CATALOGUE["002"])]
    if kind is Kind.AUTHENTICATION_FAILED:
        return [error_object(CATALOGUE["001"])]
    if kind is Kind.THROTTLED:
        return [error_object(CATALOGUE["429"])]
    if kind is Kind.PARSE_ERROR:
        return [error_object(ErrorSpec(400, None, INVALID_POST_DATA))]
    if kind is Kind.NOT_FOUND:
        return [error_object(ErrorSpec(404, None, "Not found."))]
    if kind is Kind.FORBIDDEN:
        return [error_object(CATALOGUE["411"])]
    # HTTP, TOO_LARGE, UNAVAILABLE, SERVER_ERROR: the status and the problem's own words.
    return [error_object(ErrorSpec(problem.status, None, problem.message))]


def storefront_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Render `exc` in the Glue envelope; unexpected exceptions are a logged 500 in it too."""
    problem = problem_from(exc)
    errors = render_problem(problem, context)
    headers = dict(problem.headers)
    if problem.kind is Kind.NOT_AUTHENTICATED:
        # Glue answers a missing token with 403 `002`, which challenges nothing.
        headers.pop("WWW-Authenticate", None)
    set_rollback()
    return Response({"errors": errors}, status=errors[0]["status"], headers=headers)


# --- JSON:API codec --------------------------------------------------------------------------


def storefront_datetime(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime(DATETIME_FORMAT) if value is not None else None


def resource(
    *, resource_type: str, resource_id: str | None, attributes: dict, self_url: str
) -> dict[str, Any]:
    return {
        "type": resource_type,
        "id": resource_id,
        "attributes": attributes,
        "links": {"self": self_url},
    }


def request_attributes(request: Request, resource_type: str) -> dict[str, Any]:
    """The `attributes` of a JSON:API request document of `resource_type`.

    Raises:
        EnvelopeError: no `data` object or no `data.type` ("Post data is invalid."), or a
            wrong or empty `data.type` ("Invalid type.").
    """
    body = request.data
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise EnvelopeError(INVALID_POST_DATA)
    if "type" not in data:
        raise EnvelopeError(INVALID_POST_DATA)
    if data["type"] != resource_type:
        raise EnvelopeError(INVALID_TYPE)
    attributes = data.get("attributes")
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise EnvelopeError(INVALID_POST_DATA)
    return attributes


@extend_schema_field({"type": "string", "nullable": True})
class NullableCharField(serializers.CharField):
    """Output: an empty text is `null`, as Glue renders unset optional attributes."""

    def to_representation(self, value: Any) -> str | None:
        return super().to_representation(value) if value not in ("", None) else None


@extend_schema_field(STOREFRONT_DATETIME)
class StorefrontDateTimeField(serializers.DateTimeField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, default_timezone=UTC, **kwargs)


# --- Parsing, rendering, negotiation ---------------------------------------------------------


class JsonApiParser(LimitedJSONParser):
    media_type = MEDIA_TYPE


class JsonApiRenderer(JSONRenderer):
    media_type = MEDIA_TYPE
    format = "vnd.api+json"


class AlwaysJsonApi(DefaultContentNegotiation):
    """Answer JSON:API whatever `Accept` says: the dialect has one representation."""

    def select_renderer(self, request: Request, renderers: list, format_suffix=None) -> tuple:
        return renderers[0], renderers[0].media_type


# --- Base viewset -----------------------------------------------------------------------------


class StorefrontViewSet(BodySizeLimitMixin, GenericViewSet):
    """Base of every Storefront resource.

    Methods listed in `public_methods` need no token (registration, logins, password
    recovery); every other method needs a customer access token. Methods in
    `throttled_methods` are limited per client IP by the `auth` rate (SPEC 3).
    """

    parser_classes = [JsonApiParser, LimitedJSONParser]
    renderer_classes = [JsonApiRenderer]
    content_negotiation_class = AlwaysJsonApi
    authentication_classes = [CustomerTokenAuthentication]
    permission_classes = [IsCustomer]
    throttle_scope = "auth"
    # References, keys and tokens in paths: anything up to the next slash, even nothing (an
    # empty segment gets the resource's own answer, as in Glue).
    lookup_value_regex = "[^/]*"
    schema = DialectAutoSchema()
    metadata_class = DialectMetadata
    public_methods: frozenset[str] = frozenset()
    throttled_methods: frozenset[str] = frozenset()
    # The catalogue error for a save that fails as a whole (409 addresses, 410 customers).
    save_error = CATALOGUE["410"]
    # Domain field -> attribute name, where this resource names a field differently.
    wire_fields: Mapping[str, str] = {}
    # Domain error code -> catalogue error, where this resource words one differently.
    error_map: Mapping[str, ErrorSpec] = {}
    # SPEC 12: `no-referrer` on the password routes, whose links carry secrets.
    referrer_policy: str | None = None

    def _method(self) -> str:
        # Schema generation builds views without a request.
        request = getattr(self, "request", None)
        return request.method.upper() if request is not None else ""

    def _is_public(self) -> bool:
        return self._method() in self.public_methods

    def get_authenticators(self) -> list:
        # A public route ignores any Authorization header instead of failing on it.
        return [] if self._is_public() else super().get_authenticators()

    def get_permissions(self) -> list:
        return [AllowAny()] if self._is_public() else super().get_permissions()

    def get_throttles(self) -> list:
        if self._method() in self.throttled_methods:
            return [ScopedRateThrottle()]
        return []

    def get_exception_handler(self):
        return storefront_exception_handler

    def get_save_error(self) -> ErrorSpec:
        return self.save_error

    def get_wire_fields(self) -> Mapping[str, str]:
        return self.wire_fields

    def get_error_map(self) -> Mapping[str, ErrorSpec]:
        return self.error_map

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.referrer_policy:
            response.headers["Referrer-Policy"] = self.referrer_policy
        return response

    # Helpers for subclasses.

    def current_customer(self) -> Customer:
        customer = customer_of(self.request.user)
        if customer is None:  # pragma: no cover - IsCustomer has let only customers in
            raise exceptions.NotAuthenticated()
        return customer

    def own_customer(self, reference: str, *, reading: bool = False) -> Customer:
        """The caller itself, when `reference` is its own (SPEC 12: no IDOR).

        Reading another customer answers 402 (as if it did not exist); writing to it or
        touching its addresses answers 411.
        """
        customer = self.current_customer()
        if reference != customer.reference:
            if reading:
                raise StorefrontError("402")
            raise StorefrontError("411")
        return customer

    def absolute_url(self, path: str) -> str:
        return self.request.build_absolute_uri(path)


# --- OpenAPI ----------------------------------------------------------------------------------


class StorefrontLinksSerializer(serializers.Serializer):
    self = serializers.URLField()


class StorefrontErrorSerializer(serializers.Serializer):
    code = serializers.CharField(required=False)
    status = serializers.IntegerField()
    detail = serializers.CharField()


class StorefrontErrorDocumentSerializer(serializers.Serializer):
    errors = StorefrontErrorSerializer(many=True)


def _type_field(resource_type: str) -> serializers.Field:
    # A pattern rather than an enum: drf-spectacular would turn each one-value enum into a
    # component, and every such component is named after the field ("type").
    field_class = extend_schema_field({"type": "string", "pattern": f"^{resource_type}$"})(
        type(f"{resource_type}TypeField", (serializers.CharField,), {})
    )
    return field_class()


def jsonapi_request(name: str, resource_type: str, attributes: type[serializers.Serializer]):
    """The schema of a request document carrying `attributes` (for drf-spectacular)."""
    return inline_serializer(
        name=f"{name}Request",
        fields={
            "data": inline_serializer(
                name=f"{name}RequestData",
                # Without `attributes` (or null) a document has none: the required ones are each
                # reported as missing (901).
                fields={
                    "type": _type_field(resource_type),
                    "attributes": attributes(required=False, allow_null=True),
                },
            )
        },
    )


_RESOURCE_SCHEMAS: dict[str, type[serializers.Serializer]] = {}


def jsonapi_response(
    name: str, resource_type: str, attributes: type[serializers.Serializer], *, many=False
):
    """The schema of a response document with one resource or a list of them."""
    if name not in _RESOURCE_SCHEMAS:
        # One class per resource, shared by its single and list documents.
        _RESOURCE_SCHEMAS[name] = type(
            inline_serializer(
                name=f"{name}Resource",
                fields={
                    "type": _type_field(resource_type),
                    "id": serializers.CharField(allow_null=True),
                    "attributes": attributes(),
                    "links": StorefrontLinksSerializer(),
                },
            )
        )
    item = _RESOURCE_SCHEMAS[name](many=many)
    fields: dict[str, serializers.Field] = {"data": item}
    if many:
        fields["links"] = StorefrontLinksSerializer()
    return inline_serializer(name=f"{name}{'List' if many else ''}Document", fields=fields)


ERROR_RESPONSES = {
    status_code: StorefrontErrorDocumentSerializer for status_code in (400, 401, 403, 404, 422)
}


class CustomerBearerScheme(OpenApiAuthenticationExtension):
    target_class = CustomerTokenAuthentication
    name = "customerBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A customer access token from POST /access-tokens.",
        }
