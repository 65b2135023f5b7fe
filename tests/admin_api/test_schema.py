"""The OpenAPI document describes the Admin API (SPEC 2)."""

from openapi_schema_validator import OAS30Validator

# Response examples in the document: the seeds' samples and one error example per status.
EXAMPLES = 376


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


def test_every_response_example_of_the_document_fits_its_own_schema(client, db):
    # given: the document, whose $refs resolve inside it
    document = client.get("/api/schema/", {"format": "json"}).json()
    checked = []

    # when: each response example is validated against the schema it illustrates
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status, response in operation.get("responses", {}).items():
                for media_type, content in response.get("content", {}).items():
                    schema = {**document, **content.get("schema", {})}
                    for name, example in content.get("examples", {}).items():
                        OAS30Validator(schema).validate(example["value"])
                        checked.append((path, method, status, media_type, name))

    # then: every example was checked, the Admin API's seed sample among them
    assert ("/api/customers", "get", "200", "application/json", "TwoCustomers") in checked
    assert len(checked) == EXAMPLES
