"""The OpenAPI document describes the Admin API (SPEC 2)."""


def test_schema_describes_the_admin_routes(client, db):
    # when
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    # then
    assert response.status_code == 200
    paths = response.json()["paths"]
    methods = {
        path: sorted(method for method in paths.get(path, {}) if method != "parameters")
        for path in (
            "/api/customers",
            "/api/customers/{uuid}",
            "/api/auth/token",
            "/api/auth/token/refresh",
            "/customer/login",
            "/customers/logout",
        )
    }
    assert methods == {
        "/api/customers": ["get", "post"],
        "/api/customers/{uuid}": ["delete", "get", "patch"],
        "/api/auth/token": ["post"],
        "/api/auth/token/refresh": ["post"],
        "/customer/login": ["post"],
        "/customers/logout": ["post"],
    }


def test_schema_carries_the_seed_example_for_the_list(client, db):
    # when
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    # then
    content = response.json()["paths"]["/api/customers"]["get"]["responses"]["200"]["content"]
    example = content["application/json"]["examples"]["TwoCustomers"]["value"]
    assert example["meta"] == {
        "current_page": 1,
        "from": 1,
        "last_page": 1,
        "path": "/api/customers",
        "per_page": 20,
        "to": 2,
        "total": 2,
    }
