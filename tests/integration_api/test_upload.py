"""POST /api/v2/upload-customers and /api/v2/customers/validate (SPEC 6)."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from addresses.models import Address
from customers.models import Customer
from tests.factories.customers import CustomerFactory
from tests.integration_api.conftest import address_body, customer_body, staff_client_for

UPLOAD = "/api/v2/upload-customers"
VALIDATE = "/api/v2/customers/validate"


def item(number: int, **overrides) -> dict:
    values = {
        "customerRef": None,
        "email": f"buyer{number}@example.com",
        "phone": f"+49 30 {1000000 + number}",
        "mobile": f"+49 170 {1000000 + number}",
        "addresses": [address_body(email=f"buyer{number}@example.com")],
    }
    return customer_body(**{**values, **overrides})


def test_upload_creates_all_in_request_order(twc_client, store):
    # given
    items = [item(3, customerRef="ERP-3"), item(1), item(2, active=False, customer_state=None)]
    del items[2]["customer_state"]

    # when
    response = twc_client.post(UPLOAD, items, format="json")

    # then
    assert response.status_code == 201
    body = response.json()
    assert [c["email"] for c in body] == [
        "buyer3@example.com",
        "buyer1@example.com",
        "buyer2@example.com",
    ]
    assert [c["customer_state"] for c in body] == ["enabled", "enabled", "disabled"]
    assert body[0]["customerRef"] == "ERP-3"
    assert body[1]["customerRef"].startswith("DE--")
    customers = {c.email: c for c in Customer.objects.all()}
    assert len(customers) == 3
    for rendered in body:
        stored = customers[rendered["email"]]
        assert rendered["id"] == str(stored.uuid)
        assert rendered["customerRef"] == stored.reference
        assert rendered["defaultAddress"]["customerId"] == str(stored.uuid)
        assert not stored.has_usable_password()
    assert Address.objects.filter(is_default_shipping=True, is_default_billing=True).count() == 3


def test_upload_is_all_or_nothing_and_lists_every_problem(twc_client, store):
    # given a taken email in the store, duplicates inside the batch and invalid fields
    CustomerFactory(store=store, email="buyer0@example.com")
    items = [
        item(0),
        item(1),
        item(2, phone="+49 30 1000001"),
        # An invalid row is checked for uniqueness too: its email repeats item 1's.
        item(3, email="BUYER1@example.com", addresses=[address_body(city="")]),
        item(4, dob="nonsense"),
        item(5, email="buyer1@EXAMPLE.com"),
    ]

    # when
    response = twc_client.post(UPLOAD, items, format="json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid input",
        "errors": [
            {
                "index": 0,
                "field": "email",
                "message": "This email address is already used by another customer.",
            },
            {
                "index": 2,
                "field": "phone",
                "message": "This phone number is already used by another customer.",
            },
            {
                "index": 3,
                "field": "addresses[0].city",
                "message": "This field cannot be blank.",
            },
            {
                "index": 3,
                "field": "email",
                "message": "This email address is already used by another customer.",
            },
            {
                "index": 4,
                "field": "dob",
                "message": "Date has wrong format. Use YYYY-MM-DD or an ISO 8601 date-time.",
            },
            {
                "index": 5,
                "field": "email",
                "message": "This email address is already used by another customer.",
            },
        ],
    }
    assert Customer.objects.count() == 1
    assert Address.objects.count() == 0


def test_upload_reports_in_batch_duplicates_with_the_later_index(twc_client, store):
    # given the same email and phone twice in one batch
    items = [item(1), item(2, email="Buyer1@example.com", phone="+49301000001")]

    # when
    response = twc_client.post(UPLOAD, items, format="json")

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "index": 1,
            "field": "email",
            "message": "This email address is already used by another customer.",
        },
        {
            "index": 1,
            "field": "phone",
            "message": "This phone number is already used by another customer.",
        },
    ]
    assert Customer.objects.count() == 0


def test_upload_reports_a_taken_reference(twc_client, store):
    # given
    CustomerFactory(store=store, reference="ERP-1")

    # when
    response = twc_client.post(UPLOAD, [item(1, customerRef="ERP-1")], format="json")

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 0, "field": "customerRef", "message": "This customer reference is already used."}
    ]
    assert Customer.objects.count() == 1


@override_settings(BULK_UPLOAD_MAX_ITEMS=2)
def test_upload_over_the_item_limit_is_413(twc_client):
    # when
    response = twc_client.post(UPLOAD, [item(1), item(2), item(3)], format="json")

    # then
    assert response.status_code == 413
    assert response.json() == {"status": 413, "message": "At most 2 customers per upload."}
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('[{"email": ', "JSON parse error - Expecting value: line 1 column 12 (char 11)"),
        ('{"email": "a@example.com"}', "The request body must be a JSON array."),
    ],
    ids=["malformed_json_case", "object_body_case"],
)
def test_upload_bad_body_is_400(twc_client, payload, message):
    # when
    response = twc_client.post(UPLOAD, payload, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": message}


def test_upload_item_that_is_not_an_object_is_reported_by_index(twc_client):
    # when
    response = twc_client.post(UPLOAD, [item(1), "buyer@example.com"], format="json")

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 1, "field": None, "message": "Invalid data. Expected a dictionary, but got str."}
    ]
    assert Customer.objects.count() == 0


def test_empty_upload_creates_nothing(twc_client):
    # when
    response = twc_client.post(UPLOAD, [], format="json")

    # then
    assert response.status_code == 201
    assert response.json() == []


def _queries(twc_client, count: int, start: int) -> list[str]:
    items = [item(start + number) for number in range(count)]
    with CaptureQueriesContext(connection) as context:
        response = twc_client.post(UPLOAD, items, format="json")
    assert response.status_code == 201
    return [query["sql"] for query in context.captured_queries]


# PostgreSQL inserts with COPY: the whole request is a fixed number of statements. SQLite caps a
# statement at 999 parameters, so Django splits its bulk INSERTs; everything else is fixed.
UPLOAD_QUERY_BOUND = 30


def test_upload_query_count_does_not_grow_per_row(twc_client, store):
    # when 10 and then 1,000 customers (with addresses, phones and mobiles) are uploaded
    small = _queries(twc_client, 10, 0)
    large = _queries(twc_client, 1000, 10_000)

    # then both stay within the same bound
    if connection.vendor != "postgresql":
        small = [sql for sql in small if not sql.startswith("INSERT")]
        large = [sql for sql in large if not sql.startswith("INSERT")]
    assert len(small) <= UPLOAD_QUERY_BOUND
    assert len(large) <= UPLOAD_QUERY_BOUND
    assert Customer.objects.count() == 1010


def test_validate_accepts_a_valid_customer_and_writes_nothing(twc_client):
    # when
    response = twc_client.post(VALIDATE, customer_body(), format="json")

    # then
    assert response.status_code == 200
    assert response.json() == {"valid": True}
    assert Customer.objects.count() == 0
    assert Address.objects.count() == 0


def test_validate_lists_every_problem(twc_client, store):
    # given
    CustomerFactory(store=store, email="anne.kraus@example.com", reference="ERP-10001")

    # when
    response = twc_client.post(
        VALIDATE, customer_body(firstName="A" * 101, phone=None, mobile=None), format="json"
    )

    # then field and uniqueness problems alike
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid input",
        "errors": [
            {
                "field": "firstName",
                "message": "Ensure this value has at most 100 characters (it has 101).",
            },
            {
                "field": "email",
                "message": "This email address is already used by another customer.",
            },
            {"field": "customerRef", "message": "This customer reference is already used."},
        ],
    }
    assert Customer.objects.count() == 1


def test_validate_reports_a_bad_email_and_a_bad_dob_at_once(twc_client, store):
    # when: a shape problem (dob) and a rule problem (email) in one item
    response = twc_client.post(
        VALIDATE, {"email": "not-an-email", "dob": "nonsense", "firstName": "A"}, format="json"
    )

    # then
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid input",
        "errors": [
            {
                "field": "dob",
                "message": "Date has wrong format. Use YYYY-MM-DD or an ISO 8601 date-time.",
            },
            {"field": "email", "message": "Enter a valid email address."},
        ],
    }
    assert Customer.objects.count() == 0


def test_validate_reports_a_shape_problem_and_a_duplicate_at_once(twc_client, store):
    # given
    CustomerFactory(store=store, email="anne.kraus@example.com")

    # when
    response = twc_client.post(
        VALIDATE, {"email": "Anne.Kraus@example.com", "dob": "nonsense"}, format="json"
    )

    # then
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "dob",
            "message": "Date has wrong format. Use YYYY-MM-DD or an ISO 8601 date-time.",
        },
        {"field": "email", "message": "This email address is already used by another customer."},
    ]
    assert Customer.objects.count() == 1


def test_validate_reports_uniqueness(twc_client, store):
    # given
    CustomerFactory(store=store, email="anne.kraus@example.com", reference="ERP-10001")

    # when
    response = twc_client.post(VALIDATE, customer_body(phone=None, mobile=None), format="json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid input",
        "errors": [
            {
                "field": "email",
                "message": "This email address is already used by another customer.",
            },
            {"field": "customerRef", "message": "This customer reference is already used."},
        ],
    }
    assert Customer.objects.count() == 1


def test_an_upload_reads_national_numbers_in_the_tenants_country(other_store, make_staff, settings):
    # given: a default region that would read the number otherwise
    settings.PHONENUMBER_DEFAULT_REGION = "DE"
    client = staff_client_for(make_staff(), tenant="AT")
    body = customer_body(email="anna@example.com", phone="0662 123456", mobile=None, addresses=[])

    # when
    response = client.post("/api/v2/upload-customers", [body], format="json")

    # then
    assert response.status_code == 201, response.json()
    assert response.json()[0]["phone"] == "+43662123456"
    assert Customer.objects.get(email="anna@example.com").phone.as_e164 == "+43662123456"
