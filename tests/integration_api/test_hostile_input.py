"""The Integration API probe reproductions of issue 14, item 4: the dialect's 4xx, never a 500.

Bodies are sent as raw JSON text, exactly as the probe sent them (`\\u0000` escapes and all).
"""

import json

import pytest

from customers.models import Customer
from tests.integration_api.conftest import customer_body

NUL = "Null characters are not allowed."
SURROGATE = "Text must be valid Unicode (no lone surrogates)."
NOT_FOUND = {"status": 404, "message": "Customer not found"}
SEARCH_REFUSED = "Search values must not contain NUL or lone surrogate characters."


def raw(body: dict, *, replace: dict[str, str]) -> str:
    """`body` as JSON text with placeholders swapped for raw escapes (`\\u0000`, `\\ud800`)."""
    text = json.dumps(body)
    for placeholder, escape in replace.items():
        text = text.replace(placeholder, escape)
    return text


ATTRIBUTE_CASES = [
    pytest.param(
        {"attributeGroups": {"KEY": {"attribute_group": "g", "attributes": {}}}},
        {"KEY": "a\\u0000"},
        NUL,
        id="nul_in_group_key_case",
    ),
    pytest.param(
        {"attributeGroups": {"loyalty": {"attributes": {"points": {"attribute_value": "VALUE"}}}}},
        {"VALUE": "1\\u0000"},
        NUL,
        id="nul_in_attribute_value_case",
    ),
    pytest.param(
        {"attributeGroups": {"loyalty": {"attributes": {"KEY": {"attribute_value": "1"}}}}},
        {"KEY": "po\\u0000ints"},
        NUL,
        id="nul_in_attribute_key_case",
    ),
    pytest.param(
        {"attributeGroups": {"loyalty": {"attributes": {"points": {"attribute_value": "VALUE"}}}}},
        {"VALUE": "x\\ud800"},
        SURROGATE,
        id="surrogate_in_attribute_value_case",
    ),
]


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/api/v2/customers", id="create_case"),
        # validate answers what create would, so it no longer says {"valid": true} here
        pytest.param("/api/v2/customers/validate", id="validate_case"),
    ],
)
@pytest.mark.parametrize(("extra", "replace", "message"), ATTRIBUTE_CASES)
def test_create_and_validate_refuse_nul_and_surrogates_in_attribute_groups(
    twc_client, db, path, extra, replace, message
):
    # given the probe's body: a valid customer with one poisoned attribute
    body = raw(customer_body(**extra), replace=replace)

    # when
    response = twc_client.post(path, body, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid input",
        "errors": [{"field": "attributeGroups", "message": message}],
    }
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(("extra", "replace", "message"), ATTRIBUTE_CASES)
def test_upload_refuses_nul_and_surrogates_in_attribute_groups(
    twc_client, db, extra, replace, message
):
    # given a valid first item (numbers of its own, so that no duplicate is reported) and a
    # poisoned second one
    first = customer_body(
        email="first@example.com",
        customerRef="ERP-1",
        phone="+49 30 7654321",
        mobile="+49 171 7654321",
        addresses=[],
    )
    second = customer_body(**extra)
    body = "[" + json.dumps(first) + "," + raw(second, replace=replace) + "]"

    # when
    response = twc_client.post("/api/v2/upload-customers", body, content_type="application/json")

    # then nothing is written, the valid item included
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid input",
        "errors": [{"index": 1, "field": "attributeGroups", "message": message}],
    }
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(("extra", "replace", "message"), ATTRIBUTE_CASES)
def test_put_refuses_nul_and_surrogates_in_attribute_groups(
    twc_client, customer, extra, replace, message
):
    # given
    before = Customer.objects.values().get(pk=customer.pk)
    body = raw({"id": str(customer.uuid), **extra}, replace=replace)

    # when
    response = twc_client.put("/api/v2/customers", body, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid input",
        "errors": [{"field": "attributeGroups", "message": message}],
    }
    assert Customer.objects.values().get(pk=customer.pk) == before


def test_tax_exemptions_with_nul_are_refused(twc_client, db):
    # given
    body = raw(customer_body(taxExemptions=["GST", "NUL"]), replace={'"NUL"': '"a\\u0000"'})

    # when
    response = twc_client.post("/api/v2/customers", body, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid input",
        "errors": [{"field": "taxExemptions[1]", "message": NUL}],
    }
    assert Customer.objects.count() == 0


def test_a_huge_number_as_first_name_is_refused_not_stored_as_inf(twc_client, db):
    # given the probe's body: 1e400 is an infinite float once parsed
    body = json.dumps(customer_body(firstName="HUGE")).replace('"HUGE"', "1e400")

    # when
    response = twc_client.post("/api/v2/customers", body, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "Invalid input",
        "errors": [{"field": "firstName", "message": "Not a valid string."}],
    }
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "delete"])
def test_nul_in_a_reference_path_is_not_found(twc_client, customer, method):
    # when
    response = getattr(twc_client, method)("/api/v2/customers/%00/ref")

    # then
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert Customer.objects.get(pk=customer.pk).deleted_at is None


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("email=%00", id="email_case"),
        pytest.param("firstName=a%00", id="first_name_case"),
        pytest.param("lastName=Smith%00&email=john.smith%40example.com", id="last_name_case"),
    ],
)
def test_nul_in_search_parameters_is_a_400(twc_client, customer, query):
    # when
    response = twc_client.get(f"/api/v2/customers/search?{query}")

    # then
    assert response.status_code == 400
    assert response.json() == {"status": 400, "message": SEARCH_REFUSED}
