"""The OpenAPI document is the contract (SPEC 2): complete, valid, and as the wire has it."""

import re

import pytest
from django.urls import URLPattern
from openapi_spec_validator import validate

from config.api import admin_urls, integration_urls, storefront_urls

ROUTER_MOUNTS = [
    ("/api/v2/", integration_urls.urlpatterns),
    ("/api/", admin_urls.api_urlpatterns),
    ("/", admin_urls.session_urlpatterns),
    ("/", storefront_urls.urlpatterns),
]


def _openapi_path(prefix: str, pattern: URLPattern) -> str:
    # The Storefront's optional trailing slash (`/?`) is not part of the documented path.
    regex = pattern.pattern.regex.pattern.lstrip("^").rstrip("$").removesuffix("/?")
    return prefix + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", regex)


def router_operations() -> dict[str, set[str]]:
    """Every route of the three routers with the methods its viewset answers."""
    found: dict[str, set[str]] = {}
    for prefix, patterns in ROUTER_MOUNTS:
        for pattern in patterns:
            methods = set(pattern.callback.actions) - {"options", "head"}
            if methods:
                found.setdefault(_openapi_path(prefix, pattern), set()).update(methods)
    return found


@pytest.fixture
def schema(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_schema_is_a_valid_openapi_3_document(schema):
    # then: raises on any violation of the OpenAPI 3.0 specification
    validate(schema)
    assert schema["openapi"].startswith("3.0")


def test_every_route_of_the_three_routers_is_in_the_schema_with_its_methods(schema):
    # given
    expected = router_operations()

    # when
    documented = {
        path: {method for method in operations if method != "parameters"}
        for path, operations in schema["paths"].items()
    }

    # then
    assert len(expected) == 31  # 26 of the three dialects, 5 of /api/webhooks
    assert documented == expected


def test_every_operation_has_one_dialect_tag_and_its_security(schema):
    tags = {
        path: {method: operation["tags"] for method, operation in operations.items()}
        for path, operations in schema["paths"].items()
    }
    assert tags["/customers/logout"] == {"post": ["Admin API: customer sessions"]}
    assert tags["/customer/login"] == {"post": ["Admin API: customer sessions"]}
    assert tags["/customers/{reference}/addresses"]["post"] == ["Storefront: addresses"]
    assert tags["/api/customers"]["get"] == ["Admin API: customers"]
    assert tags["/api/v2/customers/search"]["get"] == ["Integration API: customers"]
    assert sorted(tag["name"] for tag in schema["tags"]) == [
        "Admin API: customer sessions",
        "Admin API: customers",
        "Admin API: staff tokens",
        "Integration API: customers",
        "Storefront: access-tokens",
        "Storefront: addresses",
        "Storefront: customer-confirmation",
        "Storefront: customer-forgotten-password",
        "Storefront: customer-password",
        "Storefront: customer-restore-password",
        "Storefront: customers",
        "Storefront: refresh-tokens",
    ]
    paths = schema["paths"]
    assert paths["/api/v2/customers/{uuid}"]["get"]["security"] == [
        {"staffBearer": []},
        {"cookieAuth": []},
    ]
    assert paths["/customers/{reference}"]["get"]["security"] == [{"customerBearer": []}]
    assert paths["/customers/logout"]["post"]["security"] == [
        {"customerSessionHeader": []},
        {"customerSessionCookie": []},
    ]
    assert {} in paths["/api/customers"]["post"]["security"]
    assert paths["/access-tokens"]["post"].get("security", [{}]) == [{}]


def test_every_integration_operation_takes_the_tenant_header(schema):
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v2/"):
            continue
        for method, operation in operations.items():
            headers = [p for p in operation["parameters"] if p["in"] == "header"]
            assert headers == [
                {
                    "name": "X-TWC-Tenant",
                    "in": "header",
                    "required": False,
                    "description": "The store code (absent: the default store; unknown or "
                    "inactive: 404).",
                    "schema": {"type": "string", "example": "DE"},
                }
            ], (path, method)


def test_search_documents_its_parameters(schema):
    operation = schema["paths"]["/api/v2/customers/search"]["get"]
    assert sorted(p["name"] for p in operation["parameters"] if p["in"] == "query") == [
        "email",
        "firstName",
        "lastName",
        "limit",
        "mobile",
        "phone",
    ]


def test_error_answers_use_the_dialect_envelope(schema):
    paths = schema["paths"]
    storefront = paths["/customers/{reference}"]["patch"]["responses"]
    admin = paths["/api/customers/{uuid}"]["patch"]["responses"]
    integration = paths["/api/v2/customers"]["post"]["responses"]
    assert sorted(storefront) == ["200", "400", "401", "403", "404", "413", "415", "422", "503"]
    assert sorted(admin) == ["200", "400", "401", "403", "404", "409", "413", "415", "503"]
    assert sorted(integration) == ["201", "400", "401", "403", "404", "405", "413", "415", "503"]
    assert storefront["422"]["content"] == {
        "application/vnd.api+json": {
            "schema": {"$ref": "#/components/schemas/StorefrontErrorDocument"},
            "examples": {
                "Error": {
                    "value": {
                        "errors": [
                            {
                                "code": "901",
                                "status": 422,
                                "detail": "email => This value is not a valid email address.",
                            }
                        ]
                    }
                }
            },
        }
    }
    assert admin["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AdminError"
    }
    assert integration["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TwcError"
    }
    throttled = paths["/access-tokens"]["post"]["responses"]["429"]
    assert throttled["headers"]["Retry-After"]["schema"] == {"type": "string"}


def test_storefront_bodies_accept_both_media_types(schema):
    body = schema["paths"]["/customers"]["post"]["requestBody"]["content"]
    assert sorted(body) == ["application/json", "application/vnd.api+json"]
    assert body["application/json"]["schema"] == body["application/vnd.api+json"]["schema"]


def test_wire_timestamps_are_documented_as_the_wire_has_them(schema):
    components = schema["components"]["schemas"]
    admin = components["AdminCustomerOutput"]["properties"]["created_at"]
    storefront = components["CustomerOutput"]["properties"]["createdAt"]
    twc = components["TwcCustomer"]["properties"]["createdDate"]
    assert admin == {
        "type": "string",
        "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
        "example": "2023-02-07 14:18:05",
    }
    assert storefront == {
        "type": "string",
        "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$",
        "example": "2018-11-06 08:15:02.694668",
    }
    assert twc == {"type": "string", "format": "date-time", "example": "2022-06-20T06:21:32.358Z"}


def test_schema_is_viewable_in_a_browser(client, db):
    # when: a browser's Accept header
    response = client.get(
        "/api/schema/",
        HTTP_ACCEPT="text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    )

    # then: JSON that the browser shows, not a download
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["info"]["title"] == "Clientele"


@pytest.mark.parametrize(
    ("url", "asset"),
    [
        pytest.param("/api/docs/", "swagger-ui-bundle.js", id="swagger_case"),
        pytest.param("/api/redoc/", "redoc.standalone.js", id="redoc_case"),
    ],
)
def test_docs_pages_load_only_our_static_files(client, db, url, asset):
    # when
    response = client.get(url)

    # then: every script, stylesheet and icon comes from our own static files
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(source.startswith("/static/drf_spectacular_sidecar/") for source in sources), sources
    assert any(source.endswith(asset) for source in sources)
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
