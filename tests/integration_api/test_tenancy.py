"""X-TWC-Tenant: every call works in one store, and nothing crosses stores (SPEC 1.1, 6)."""

import pytest
from rest_framework.test import APIClient

from customers.models import Customer
from tests.factories.customers import CustomerFactory, StoreFactory
from tests.integration_api.conftest import customer_body, staff_client_for


@pytest.fixture
def austrian(other_store):
    return CustomerFactory(
        store=other_store,
        email="anne.kraus@example.com",
        reference="ERP-10001",
        mobile="+491701234567",
        first_name="Anne",
        last_name="Kraus",
    )


def test_absent_header_is_the_default_store_and_a_store_allows_the_same_email(
    twc_client, store, austrian
):
    # when the same email, mobile and reference are created in the default store
    response = twc_client.post("/api/v2/customers", customer_body(), format="json")

    # then
    assert response.status_code == 201
    assert Customer.objects.get(uuid=response.json()["id"]).store == store
    assert Customer.objects.filter(email="anne.kraus@example.com").count() == 2


def test_header_selects_the_store(staff_user, other_store):
    # when
    response = staff_client_for(staff_user, "at").post(
        "/api/v2/customers", customer_body(), format="json"
    )

    # then codes are matched case-insensitively
    assert response.status_code == 201
    assert Customer.objects.get().store == other_store


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v2/customers/{uuid}", None),
        ("get", "/api/v2/customers/ERP-10001/ref", None),
        ("delete", "/api/v2/customers/{uuid}", None),
        ("delete", "/api/v2/customers/ERP-10001/ref", None),
        ("put", "/api/v2/customers", {"id": "{uuid}", "firstName": "X"}),
        ("put", "/api/v2/customers", {"customerRef": "ERP-10001", "firstName": "X"}),
        (
            "post",
            "/api/v2/customers/{uuid}/address",
            {"address1": "a", "city": "b", "countryCode": "AT"},
        ),
    ],
    ids=[
        "get_by_id_case",
        "get_by_ref_case",
        "delete_by_id_case",
        "delete_by_ref_case",
        "put_by_id_case",
        "put_by_ref_case",
        "add_address_case",
    ],
)
def test_another_stores_customer_is_404(twc_client, store, austrian, method, path, body):
    # given the default store's client and a customer of another store
    path = path.format(uuid=austrian.uuid)
    if body is not None:
        body = {
            k: v.format(uuid=austrian.uuid) if isinstance(v, str) else v for k, v in body.items()
        }

    # when
    response = getattr(twc_client, method)(path, body, format="json")

    # then
    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Customer not found"}
    austrian.refresh_from_db()
    assert (austrian.deleted_at, austrian.first_name, austrian.addresses.count()) == (
        None,
        "Anne",
        0,
    )


@pytest.mark.parametrize(
    "query",
    ["email=anne.kraus@example.com", "mobile=%2B491701234567", "firstName=Anne&lastName=Kraus"],
    ids=["email_case", "mobile_case", "names_case"],
)
def test_search_stays_in_the_store(twc_client, staff_user, austrian, query):
    # when
    default = twc_client.get(f"/api/v2/customers/search?{query}")
    austria = staff_client_for(staff_user, "AT").get(f"/api/v2/customers/search?{query}")

    # then
    assert (default.status_code, default.json()) == (200, [])
    assert [c["id"] for c in austria.json()] == [str(austrian.uuid)]


def test_upload_duplicates_are_checked_within_the_store_only(twc_client, austrian):
    # when the default store uploads the Austrian customer's email, mobile and reference
    response = twc_client.post("/api/v2/upload-customers", [customer_body()], format="json")

    # then
    assert response.status_code == 201
    assert Customer.objects.filter(reference="ERP-10001").count() == 2


def test_generated_references_use_the_tenant_code(staff_user, other_store):
    # when
    response = staff_client_for(staff_user, "AT").post(
        "/api/v2/customers", {"email": "max.mustermann@example.com"}, format="json"
    )

    # then
    assert response.status_code == 201
    assert response.json()["customerRef"] == "AT--1"


@pytest.mark.parametrize(
    "tenant", ["XX", "NOPE", "CH"], ids=["unknown_case", "unknown_long_case", "inactive_case"]
)
def test_unknown_or_inactive_tenant_is_404(staff_user, tenant):
    # given an inactive store CH
    StoreFactory(code="CH", is_active=False)

    # when
    response = staff_client_for(staff_user, tenant).post(
        "/api/v2/customers", customer_body(), format="json"
    )

    # then
    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Unknown tenant"}
    assert Customer.objects.count() == 0


def tenant_requests(client, customer) -> dict:
    return {
        "by_id": lambda: client.get(f"/api/v2/customers/{customer.uuid}"),
        "by_ref": lambda: client.get(f"/api/v2/customers/{customer.reference}/ref"),
        "search": lambda: client.get("/api/v2/customers/search?email=john.smith@example.com"),
        "create": lambda: client.post(
            "/api/v2/customers", {"email": "max.mustermann@example.com"}, format="json"
        ),
    }


@pytest.mark.parametrize("tenant", ["D\x00E", "\ud800"], ids=["nul_case", "lone_surrogate_case"])
@pytest.mark.parametrize("route", ["by_id", "by_ref", "search", "create"])
def test_a_tenant_no_store_code_can_hold_is_404(staff_user, customer, tenant, route):
    # given: text PostgreSQL refuses (NUL) or cannot encode (a lone surrogate)
    client = staff_client_for(staff_user, tenant)

    # when
    response = tenant_requests(client, customer)[route]()

    # then
    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Unknown tenant"}
    assert list(Customer.objects.values_list("pk", flat=True)) == [customer.pk]


@pytest.mark.parametrize("route", ["by_id", "by_ref", "search", "create"])
def test_a_padded_lower_case_tenant_names_its_store(staff_user, store, customer, route):
    # given
    client = staff_client_for(staff_user, " de ")

    # when
    response = tenant_requests(client, customer)[route]()

    # then
    body = response.json()
    if route == "create":
        assert response.status_code == 201
        assert Customer.objects.get(uuid=body["id"]).store == store
    else:
        assert response.status_code == 200
        found = body[0] if route == "search" else body
        assert found["id"] == str(customer.uuid)


def test_staff_limited_to_other_stores_is_403(make_staff, store, other_store, customer):
    # given staff limited to the Austrian store
    user = make_staff(username="austria-only")
    other_store.staff.add(user)

    # when it addresses the default store, with or without the header
    implicit = staff_client_for(user).get(f"/api/v2/customers/{customer.uuid}")
    explicit = staff_client_for(user, "DE").post(
        "/api/v2/customers", customer_body(), format="json"
    )
    own = staff_client_for(user, "AT").get("/api/v2/customers/search?email=x@example.com")

    # then
    assert (implicit.status_code, explicit.status_code, own.status_code) == (403, 403, 200)
    assert implicit.json() == {"status": 403, "message": "You may not access this tenant."}
    assert Customer.objects.count() == 1


def test_anonymous_caller_learns_nothing_about_tenants(db):
    # when an unknown tenant is named without credentials
    response = APIClient().get(
        "/api/v2/customers/search?email=a@example.com", HTTP_X_TWC_TENANT="XX"
    )

    # then authentication is checked first
    assert response.status_code == 401
