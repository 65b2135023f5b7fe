"""The OpenAPI document's dialect-wide parts (SPEC 2: the schema is the contract).

Each view describes its own bodies and success answers; what every operation of a dialect
shares is added here once, by a drf-spectacular postprocessing hook: one tag per dialect and
resource, the `X-TWC-Tenant` header on every `/api/v2` operation, and every error status an
operation can answer, in its dialect's envelope (with `Retry-After` and `WWW-Authenticate`
where they are sent). The TWC representation, which no serializer renders, is written out
here as JSON Schema.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from accounts.authentication import StaffTokenAuthentication

STOREFRONT_MEDIA_TYPE = "application/vnd.api+json"

# Glue's `Y-m-d H:i:s.u` and EverShop's `Y-m-d H:i:s`: not RFC 3339 date-times (SPEC 2).
STOREFRONT_DATETIME = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$",
    "example": "2018-11-06 08:15:02.694668",
}
ADMIN_DATETIME = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
    "example": "2023-02-07 14:18:05",
}
# TWC: ISO 8601 in UTC with milliseconds and `Z` (`2022-06-20T06:21:32.358Z`).
TWC_DATETIME = {"type": "string", "format": "date-time", "example": "2022-06-20T06:21:32.358Z"}


class StaffBearerScheme(OpenApiAuthenticationExtension):
    target_class = StaffTokenAuthentication
    name = "staffBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A staff access token from POST /api/auth/token (5 minutes; "
            "refresh at POST /api/auth/token/refresh).",
        }


# --- The TWC representation (SPEC 6) ---------------------------------------------------------


def _nullable_text(**extra: Any) -> dict[str, Any]:
    return {"type": "string", "nullable": True, **extra}


_TWC_ADDRESS_TEXT = (
    "address1",
    "address2",
    "addressName",
    "city",
    "company",
    "country",
    "countryCode",
    "email",
    "firstName",
    "lastName",
    "phone",
    "postcode",
    "province",
    "provinceCode",
)
TWC_ADDRESS_INPUT = {
    "type": "object",
    "description": "`id` and `customerId` are read-only and ignored; unknown keys too.",
    "properties": {
        **{name: _nullable_text() for name in _TWC_ADDRESS_TEXT},
        "defaultAddress": {"type": "boolean"},
    },
}
TWC_ADDRESS = {
    "type": "object",
    "required": [*_TWC_ADDRESS_TEXT, "customerId", "defaultAddress", "id"],
    "properties": {
        **{name: {"type": "string"} for name in _TWC_ADDRESS_TEXT},
        "customerId": {"type": "string", "format": "uuid"},
        "defaultAddress": {"type": "boolean"},
        "id": {"type": "string", "format": "uuid"},
    },
}
_STATES = ["enabled", "disabled", "invited", "declined"]
# `nullable` alone does not let null through an `enum` that does not list it.
_OPTIN_LEVEL = {
    "type": "string",
    "enum": ["single_opt_in", "confirmed_opt_in", "unknown", None],
    "nullable": True,
}
_ATTRIBUTE_GROUPS = {
    "type": "object",
    "description": '`{key: {"attribute_group", "attributes": {key: {"attribute_value", '
    '"value_type"}}, "is_obsolete"}}`; values are checked against their `value_type`.',
    "additionalProperties": {"type": "object"},
}
_PHONE_INPUT = (
    "E.164 or international format (`+43 662 123456`); a national number (`0662 123456`) is "
    "read in the country of the tenant's store."
)
TWC_CUSTOMER_INPUT = {
    "type": "object",
    "description": "Read-only keys (`id`, `createdDate`, `lastModifiedDate`, "
    "`verified_email`, `marketing_preferences_updated_at`) and unknown keys are ignored. "
    "`customerState` is a synonym of `customer_state`, which wins over `active`.",
    "properties": {
        "email": _nullable_text(maxLength=254),
        "firstName": _nullable_text(maxLength=100),
        "lastName": _nullable_text(maxLength=100),
        "phone": _nullable_text(description=_PHONE_INPUT),
        "mobile": _nullable_text(description=_PHONE_INPUT),
        "dob": _nullable_text(description="YYYY-MM-DD or an ISO 8601 date-time."),
        "active": {"type": "boolean"},
        "customer_state": {"type": "string", "enum": _STATES},
        "customerState": {"type": "string", "enum": _STATES},
        "accepts_marketing": {"type": "boolean"},
        "marketing_optin_level": _OPTIN_LEVEL,
        "taxExempt": {"type": "boolean"},
        "taxExemptions": {"type": "array", "items": {"type": "string"}, "nullable": True},
        "attributeGroups": {**_ATTRIBUTE_GROUPS, "nullable": True},
        "customerRef": _nullable_text(
            pattern=r"^[A-Za-z0-9_.-]{0,64}$", description="Generated when absent or empty."
        ),
        "addresses": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/TwcAddressInput"},
            "nullable": True,
        },
        "defaultAddress": {
            "allOf": [{"$ref": "#/components/schemas/TwcAddressInput"}],
            "nullable": True,
        },
    },
}
TWC_CUSTOMER_CREATE = {
    **TWC_CUSTOMER_INPUT,
    "required": ["email"],
    "properties": {
        **TWC_CUSTOMER_INPUT["properties"],
        "email": {"type": "string", "format": "email", "maxLength": 254},
    },
}
TWC_CUSTOMER_UPDATE = {
    **TWC_CUSTOMER_INPUT,
    "description": "The customer is named by `id` or `customerRef`; keys absent keep their "
    "value; `addresses` change through POST /api/v2/customers/{id}/address.",
    "properties": {
        **TWC_CUSTOMER_INPUT["properties"],
        "id": {"type": "string", "format": "uuid"},
    },
}
TWC_CUSTOMER = {
    "type": "object",
    "required": [
        "accepts_marketing",
        "active",
        "addresses",
        "attributeGroups",
        "createdDate",
        "customerRef",
        "customer_state",
        "defaultAddress",
        "dob",
        "email",
        "firstName",
        "id",
        "lastModifiedDate",
        "lastName",
        "marketing_optin_level",
        "marketing_preferences_updated_at",
        "mobile",
        "phone",
        "taxExempt",
        "taxExemptions",
        "verified_email",
    ],
    "properties": {
        "accepts_marketing": {"type": "boolean"},
        "active": {"type": "boolean"},
        "addresses": {"type": "array", "items": {"$ref": "#/components/schemas/TwcAddress"}},
        "attributeGroups": _ATTRIBUTE_GROUPS,
        "createdDate": TWC_DATETIME,
        "customerRef": {"type": "string"},
        "customer_state": {"type": "string", "enum": _STATES},
        "defaultAddress": {
            "allOf": [{"$ref": "#/components/schemas/TwcAddress"}],
            "nullable": True,
        },
        "dob": {"type": "string", "format": "date", "nullable": True},
        "email": {"type": "string"},
        "firstName": {"type": "string"},
        "id": {"type": "string", "format": "uuid"},
        "lastModifiedDate": TWC_DATETIME,
        "lastName": {"type": "string"},
        "marketing_optin_level": _OPTIN_LEVEL,
        "marketing_preferences_updated_at": {**TWC_DATETIME, "nullable": True},
        "mobile": {"type": "string", "nullable": True, "example": "+4915112345678"},
        "phone": {"type": "string", "nullable": True, "example": "+49301234567"},
        "taxExempt": {"type": "boolean"},
        "taxExemptions": {"type": "array", "items": {"type": "string"}},
        "verified_email": {"type": "boolean"},
    },
}
TWC_ERROR = {
    "type": "object",
    "required": ["status", "message"],
    "properties": {
        "status": {"type": "integer"},
        "message": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "index": {"type": "integer", "description": "The item (bulk routes)."},
                    "field": {"type": "string", "nullable": True},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
ADMIN_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
        }
    },
}
STOREFRONT_ERROR = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["status", "detail"],
                "properties": {
                    "code": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                },
            },
        }
    },
}
COMPONENTS = {
    "TwcAddressInput": TWC_ADDRESS_INPUT,
    "TwcAddress": TWC_ADDRESS,
    "TwcCustomerInput": TWC_CUSTOMER_CREATE,
    "TwcCustomerUpdate": TWC_CUSTOMER_UPDATE,
    "TwcCustomer": TWC_CUSTOMER,
    "TwcError": TWC_ERROR,
    "AdminError": ADMIN_ERROR,
    "StorefrontErrorDocument": STOREFRONT_ERROR,
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# --- The postprocessing hook -------------------------------------------------------------------

_DIALECT_LABELS = {
    "storefront": "Storefront",
    "admin": "Admin API",
    "integration": "Integration API",
}
_ERROR_DOCUMENTS = {
    "storefront": (STOREFRONT_MEDIA_TYPE, "StorefrontErrorDocument"),
    "admin": ("application/json", "AdminError"),
    "integration": ("application/json", "TwcError"),
}
_STATUS_TEXT = {
    400: "Invalid input or a malformed body.",
    401: "Missing, invalid or expired credentials.",
    403: "Not allowed (permissions, another customer, another store).",
    404: "Not found.",
    405: "Method not allowed.",
    409: "Conflict (a value already in use).",
    413: "Request body too large.",
    415: "Unsupported content type.",
    422: "Validation failed.",
    429: "Too many attempts.",
    503: "The database is unavailable.",
}
_HEADERS = {
    401: {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "description": "The authentication scheme expected (Admin and Integration APIs).",
        }
    },
    503: {
        "Retry-After": {
            "schema": {"type": "string"},
            "description": "Seconds to wait before trying again.",
        }
    },
    429: {
        "Retry-After": {
            "schema": {"type": "string"},
            "description": "Seconds to wait before trying again.",
        }
    },
}


# One example error document per dialect and status, for responses that show none of their
# own (the catalogue's codes and words, SPEC 4, 5 and 6).
def _glue(code: str | None, status: int, detail: str) -> dict[str, Any]:
    error = {"code": code, "status": status, "detail": detail} if code else {}
    return {"errors": [error or {"status": status, "detail": detail}]}


ERROR_EXAMPLES: dict[str, dict[int, dict[str, Any]]] = {
    "storefront": {
        400: _glue(None, 400, "Post data is invalid."),
        401: _glue("001", 401, "Invalid access token."),
        403: _glue("002", 403, "Missing access token."),
        404: _glue("402", 404, "Customer not found."),
        413: _glue(None, 413, "Request body is too large."),
        415: _glue(None, 415, 'Unsupported media type "text/plain" in request.'),
        422: _glue("901", 422, "email => This value is not a valid email address."),
        429: _glue("429", 429, "Too many attempts. Try again later."),
        503: _glue(None, 503, "The service is temporarily unavailable. Try again later."),
    },
    "admin": {
        status: {"error": {"status": status, "message": message}}
        for status, message in (
            (400, "email: Enter a valid email address."),
            (401, "Authentication credentials were not provided."),
            (403, "You do not have permission to perform this action."),
            (404, "Customer not found"),
            (409, "Email already in use"),
            (413, "Request body is too large."),
            (415, 'Unsupported media type "text/plain" in request.'),
            (429, "Too many attempts. Try again later."),
            (503, "The service is temporarily unavailable. Try again later."),
        )
    },
    "integration": {
        400: {
            "status": 400,
            "message": "Invalid input",
            "errors": [{"field": "email", "message": "Enter a valid email address."}],
        },
        **{
            status: {"status": status, "message": message}
            for status, message in (
                (401, "Authentication credentials were not provided."),
                (403, "You do not have permission to perform this action."),
                (404, "Customer not found"),
                (405, 'Method "PATCH" not allowed.'),
                (413, "Request body is too large."),
                (415, 'Unsupported media type "text/plain" in request.'),
                (503, "The service is temporarily unavailable. Try again later."),
            )
        },
    },
}
TENANT_PARAMETER = {
    "name": "X-TWC-Tenant",
    "in": "header",
    "required": False,
    "description": "The store code (absent: the default store; unknown or inactive: 404).",
    "schema": {"type": "string", "example": "DE"},
}


def dialect_of(path: str) -> str:
    if path.startswith("/api/v2/"):
        return "integration"
    if path.startswith(("/api/", "/customer/login", "/customers/logout")):
        return "admin"
    return "storefront"


def tag_of(path: str, dialect: str) -> str:
    """One tag per dialect and resource, e.g. "Storefront: addresses"."""
    segments = [part for part in path.split("/") if part]
    if dialect == "integration":
        resource = "customers"
    elif dialect == "admin":
        if path.startswith(("/customer/login", "/customers/logout")):
            resource = "customer sessions"
        elif path.startswith("/api/auth/"):
            resource = "staff tokens"
        else:
            resource = "customers"
    elif "addresses" in segments:
        resource = "addresses"
    else:
        resource = segments[0]
    return f"{_DIALECT_LABELS[dialect]}: {resource}"


def _error_statuses(dialect: str, method: str, public: bool, has_body: bool) -> list[int]:
    statuses = [400, 401, 403, 404, 503]
    if has_body:
        statuses += [413, 415]
    if public:
        statuses.append(429)  # logins, registrations and recovery are throttled per IP
    if dialect == "storefront":
        statuses.append(422)
    elif dialect == "admin":
        statuses += [409] if method in ("post", "patch") else []
    else:
        statuses.append(405)
    return sorted(set(statuses))


# Operations that an anonymous caller may also use, beside their authenticated callers.
ALSO_ANONYMOUS = frozenset({"admin_customers_create"})


# Query parameter constraints that OpenApiParameter cannot state, by (path, name).
PARAMETER_SCHEMAS = {
    ("/api/customers", "group_id"): {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    ("/api/customers", "page"): {"type": "integer", "minimum": 1},
    ("/api/customers", "limit"): {"type": "integer", "minimum": 1},
    ("/api/v2/customers/search", "limit"): {"type": "integer", "minimum": 1},
}
# Lists whose query parameters, sent empty (`?email=`), are taken as not sent.
EMPTY_MEANS_ABSENT = frozenset({"/api/customers", "/api/v2/customers/search"})
# Request bodies no serializer parses (the TWC codec reads them), by operation id.
REQUEST_BODIES = {
    "api_v2_customers_create": ref("TwcCustomerInput"),
    "api_v2_customers_validate_create": ref("TwcCustomerInput"),
    "api_v2_customers_update": ref("TwcCustomerUpdate"),
    "api_v2_customers_address_create": ref("TwcAddressInput"),
    "api_v2_upload_customers_create": {
        "type": "array",
        "items": ref("TwcCustomerInput"),
        "description": "At most BULK_UPLOAD_MAX_ITEMS (default 1000) customers; more is 413.",
    },
}


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    """Add what every operation of a dialect shares (see the module docstring)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(COMPONENTS)
    # Glue's routes accept an optional trailing slash (`/?`), which the path generator
    # renders as a slash; the documented paths are the seed's, without it.
    result["paths"] = {
        (path.rstrip("/") if path != "/" and dialect_of(path) == "storefront" else path): ops
        for path, ops in result.get("paths", {}).items()
    }
    tags: list[str] = []
    for path, operations in result.get("paths", {}).items():
        dialect = dialect_of(path)
        media_type, error_schema = _ERROR_DOCUMENTS[dialect]
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            if operation.get("operationId") in REQUEST_BODIES:
                for body in operation["requestBody"]["content"].values():
                    body["schema"] = REQUEST_BODIES[operation["operationId"]]
                operation["requestBody"]["required"] = True
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "query":
                    continue
                constraint = PARAMETER_SCHEMAS.get((path, parameter.get("name")))
                if constraint is not None:
                    parameter["schema"] = dict(constraint)
                if method == "get" and path in EMPTY_MEANS_ABSENT:
                    parameter["allowEmptyValue"] = True
            if "requestBody" in operation and (method != "patch" or dialect == "storefront"):
                operation["requestBody"]["required"] = True
            tag = tag_of(path, dialect)
            operation["tags"] = [tag]
            if tag not in tags:
                tags.append(tag)
            if dialect == "integration":
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("name") == "X-TWC-Tenant" for p in parameters):
                    parameters.append(dict(TENANT_PARAMETER))
            security = operation.get("security") or []
            if operation.get("operationId") in ALSO_ANONYMOUS and {} not in security:
                security.append({})
                operation["security"] = security
            public = not security or {} in security
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(dialect, method, public, "requestBody" in operation):
                response = responses.setdefault(str(status), {})
                response.setdefault("description", _STATUS_TEXT[status])
                if response["description"] == "":
                    response["description"] = _STATUS_TEXT[status]
                # Keep the view's examples; the schema is the dialect's envelope.
                examples = next(
                    (
                        body["examples"]
                        for body in response.get("content", {}).values()
                        if "examples" in body
                    ),
                    None,
                )
                body = {"schema": ref(error_schema)}
                if not examples and status in ERROR_EXAMPLES[dialect]:
                    examples = {"Error": {"value": ERROR_EXAMPLES[dialect][status]}}
                if examples:
                    body["examples"] = examples
                response["content"] = {media_type: body}
                if status in _HEADERS:
                    response.setdefault("headers", {}).update(_HEADERS[status])
    result["tags"] = [{"name": name} for name in sorted(tags)]
    return result


# Examples in the seed's shapes (its own samples carry "string" placeholders).
TWC_ADDRESS_EXAMPLE = {
    "address1": "11 Second Street",
    "address2": "4th Floor",
    "addressName": "Home",
    "city": "Berlin",
    "company": "",
    "country": "Germany",
    "countryCode": "DE",
    "customerId": "433ba97f-8be7-4be9-be3f-a9f341f2b89f",
    "defaultAddress": True,
    "email": "",
    "firstName": "John",
    "id": "f2c30099-a66c-11ed-b46b-60d819134f39",
    "lastName": "Doe",
    "phone": "22111-3-4-5",
    "postcode": "12312",
    "province": "",
    "provinceCode": "",
}
TWC_CUSTOMER_EXAMPLE = {
    "accepts_marketing": True,
    "active": True,
    "addresses": [TWC_ADDRESS_EXAMPLE],
    "attributeGroups": {
        "loyalty": {
            "attribute_group": "loyalty",
            "attributes": {"points": {"attribute_value": "120", "value_type": "INTEGER"}},
            "is_obsolete": False,
        }
    },
    "createdDate": "2022-06-20T06:21:32.358Z",
    "customerRef": "DE--25",
    "customer_state": "enabled",
    "defaultAddress": TWC_ADDRESS_EXAMPLE,
    "dob": "1990-06-20",
    "email": "jdoe@example.com",
    "firstName": "John",
    "id": "433ba97f-8be7-4be9-be3f-a9f341f2b89f",
    "lastModifiedDate": "2022-06-20T06:21:32.358Z",
    "lastName": "Doe",
    "marketing_optin_level": "single_opt_in",
    "marketing_preferences_updated_at": "2022-06-20T06:21:32.358Z",
    "mobile": "+4915112345678",
    "phone": "+49301234567",
    "taxExempt": False,
    "taxExemptions": [],
    "verified_email": False,
}
TWC_CUSTOMER_INPUT_EXAMPLE = {
    "email": "jdoe@example.com",
    "firstName": "John",
    "lastName": "Doe",
    "phone": "+49 30 1234567",
    "dob": "1990-06-20T00:00:00.000Z",
    "accepts_marketing": True,
    "marketing_optin_level": "single_opt_in",
    "addresses": [
        {
            "address1": "11 Second Street",
            "addressName": "Home",
            "city": "Berlin",
            "countryCode": "DE",
            "postcode": "12312",
            "defaultAddress": True,
        }
    ],
}


# --- The views -------------------------------------------------------------------------------


class BrowsableSchemaJsonRenderer(OpenApiJsonRenderer):
    """The schema as `application/json`, which browsers show instead of downloading."""

    media_type = "application/json"
    format = "json"


class SchemaView(SpectacularAPIView):
    """`/api/schema/`: JSON for browsers and `?format=json`, YAML or JSON by `Accept`."""

    renderer_classes = [BrowsableSchemaJsonRenderer, *SpectacularAPIView.renderer_classes]


class RedocView(SpectacularRedocView):
    """ReDoc from our static files, without the web fonts its stock page loads from a CDN."""

    template_name = "api/redoc.html"
