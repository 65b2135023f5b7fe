"""The rule tables drive the single path and the bulk path alike, field by field.

Every field of CUSTOMER_RULES and ADDRESS_RULES has a valid and (where a value can be wrong)
an invalid input here; a field added to a table without cases fails
`test_every_field_has_cases`.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from addresses.services import ADDRESS_FIELDS, address_build, address_values_build
from customers.models import Customer
from customers.services import (
    CUSTOMER_FIELDS,
    customer_build,
    customer_groups_known,
    customer_row_build,
)

ATTRIBUTES = {"erp": {"attributes": {"tier": {"attribute_value": "3", "value_type": "INTEGER"}}}}
BAD_ATTRIBUTES = {
    "erp": {"attributes": {"tier": {"attribute_value": "x", "value_type": "INTEGER"}}}
}
TOMORROW = timezone.now().date() + timedelta(days=1)

# field -> (valid input, the columns it sets) and invalid input -> {error key: codes}.
CUSTOMER_VALID = {
    "email": ("Anna@Example.COM", {"email": "Anna@example.com"}),
    "salutation": ("Ms", {"salutation": "Ms"}),
    "first_name": ("Anna", {"first_name": "Anna"}),
    "last_name": ("Schmidt", {"last_name": "Schmidt"}),
    "full_name": (
        "  Anna  Maria Schmidt ",
        {"first_name": "Anna", "last_name": "Maria Schmidt"},
    ),
    "gender": ("", {"gender": None}),
    "date_of_birth": ("1985-04-12", {"date_of_birth": date(1985, 4, 12)}),
    "phone": ("+49 30 1234567", {"phone": "+49301234567"}),
    "mobile": ("+49 151 12345678", {"mobile": "+4915112345678"}),
    "state": ("disabled", {"state": "disabled"}),
    "group_id": (1, {"group_id": 1}),
    "accepts_marketing": (False, {"accepts_marketing": False, "marketing_optin_level": None}),
    "marketing_optin_level": ("single_opt_in", {"marketing_optin_level": "single_opt_in"}),
    "tax_exempt": (True, {"tax_exempt": True}),
    "tax_exemptions": (None, {"tax_exemptions": []}),
    "attribute_groups": (
        ATTRIBUTES,
        {
            "attribute_groups": {
                "erp": {
                    "attribute_group": "erp",
                    "attributes": {"tier": {"attribute_value": "3", "value_type": "INTEGER"}},
                    "is_obsolete": False,
                }
            }
        },
    ),
    "email_verified_at": (
        datetime(2024, 5, 1, 10, 0),  # noqa: DTZ001 - a naive input is read as UTC
        {"email_verified_at": datetime(2024, 5, 1, 10, 0, tzinfo=UTC)},
    ),
    "accepted_terms_at": (
        datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
        {"accepted_terms_at": datetime(2024, 5, 1, 10, 0, tzinfo=UTC)},
    ),
}
CUSTOMER_INVALID = {
    "email": [("nope", {"email": ["invalid"]}), ("a" * 250 + "@x.de", {"email": ["max_length"]})],
    "salutation": [("Sir", {"salutation": ["invalid_choice"]})],
    "first_name": [("x" * 101, {"first_name": ["max_length"]})],
    "last_name": [("x" * 101, {"last_name": ["max_length"]})],
    "full_name": [("x" * 101 + " Schmidt", {"first_name": ["max_length"]})],
    "gender": [("Other", {"gender": ["invalid_choice"]})],
    "date_of_birth": [
        (TOMORROW, {"date_of_birth": ["future_date"]}),
        ("12/04/1985", {"date_of_birth": ["invalid"]}),
    ],
    "phone": [("12", {"phone": ["invalid_phone_number"]})],
    "mobile": [(151, {"mobile": ["invalid_phone_number"]})],
    "state": [("frozen", {"state": ["invalid_choice"]})],
    "group_id": [(10**6, {"group": ["invalid"]}), ("1", {"group": ["invalid"]})],
    "accepts_marketing": [("maybe", {"accepts_marketing": ["invalid"]})],
    "marketing_optin_level": [("loud", {"marketing_optin_level": ["invalid_choice"]})],
    "tax_exempt": [("maybe", {"tax_exempt": ["invalid"]})],
    "tax_exemptions": [("VAT", {"tax_exemptions": ["invalid"]})],
    "attribute_groups": [(BAD_ATTRIBUTES, {"attribute_groups": ["invalid_attribute_groups"]})],
    "email_verified_at": [("yesterday", {"email_verified_at": ["invalid"]})],
    "accepted_terms_at": [("yesterday", {"accepted_terms_at": ["invalid"]})],
}

ADDRESS_BASE = {"address1": "Hauptstraße 1", "city": "Berlin", "country": "DE"}
ADDRESS_VALID = {
    "label": ("Home", {"label": "Home"}),
    "salutation": ("Mr", {"salutation": "Mr"}),
    "first_name": (None, {"first_name": ""}),
    "last_name": ("Schmidt", {"last_name": "Schmidt"}),
    "full_name": ("Anna Schmidt", {"first_name": "Anna", "last_name": "Schmidt"}),
    "company": ("ACME", {"company": "ACME"}),
    "address1": ("Nebenweg 2", {"address1": "Nebenweg 2"}),
    "address2": ("Hinterhaus", {"address2": "Hinterhaus"}),
    "address3": (None, {"address3": ""}),
    "postcode": ("10115", {"postcode": "10115"}),
    "city": ("Wien", {"city": "Wien"}),
    "province": ("Berlin", {"province": "Berlin"}),
    "province_code": ("BE", {"province_code": "BE"}),
    "country": ("germany", {"country": "DE"}),
    "country_code": ("at", {"country": "AT"}),  # wins over the base's `country`
    "phone": ("22111-3-4-5", {"phone": "22111-3-4-5"}),
    "email": ("anna@example.com", {"email": "anna@example.com"}),
    "is_default_shipping": (1, {"is_default_shipping": True}),
    "is_default_billing": (0, {"is_default_billing": False}),
}
ADDRESS_INVALID = {
    "label": [("x" * 101, {"label": ["max_length"]})],
    "salutation": [("Sir", {"salutation": ["invalid_choice"]})],
    "first_name": [("x" * 101, {"first_name": ["max_length"]})],
    "last_name": [("x" * 101, {"last_name": ["max_length"]})],
    "full_name": [("Anna " + "x" * 101, {"last_name": ["max_length"]})],
    "company": [("x" * 101, {"company": ["max_length"]})],
    "address1": [("  ", {"address1": ["blank"]}), (None, {"address1": ["blank"]})],
    "address2": [("x" * 256, {"address2": ["max_length"]})],
    "address3": [("x" * 256, {"address3": ["max_length"]})],
    "postcode": [("x" * 21, {"postcode": ["max_length"]})],
    "city": [("", {"city": ["blank"]})],
    "province": [("x" * 101, {"province": ["max_length"]})],
    "province_code": [("x" * 11, {"province_code": ["max_length"]})],
    "country": [
        ("Narnia", {"country": ["invalid_country"]}),
        (None, {"country": ["invalid_country"]}),
    ],
    "country_code": [("XX", {"country": ["invalid_country"]})],
    "phone": [("1" * 33, {"phone": ["max_length"]})],
    "email": [("nope", {"email": ["invalid"]})],
    # Any value is true or false: the default flags have no invalid input.
    "is_default_shipping": [],
    "is_default_billing": [],
}


def error_codes(build, **arguments):
    try:
        build(**arguments)
    except ValidationError as error:
        return {name: [item.code for item in items] for name, items in error.error_dict.items()}
    return None


def error_details(build, **arguments):
    try:
        build(**arguments)
    except ValidationError as error:
        return {
            name: [(item.code, str(item.message % (item.params or {}))) for item in items]
            for name, items in error.error_dict.items()
        }
    return None


def customer_arguments(name, value):
    arguments = {"email": "base@example.com", name: value}
    if name == "marketing_optin_level":
        arguments["accepts_marketing"] = True
    return arguments


def test_every_field_has_cases():
    assert set(CUSTOMER_VALID) == set(CUSTOMER_INVALID) == CUSTOMER_FIELDS
    assert set(ADDRESS_VALID) == set(ADDRESS_INVALID) == ADDRESS_FIELDS


@pytest.mark.parametrize("name", sorted(CUSTOMER_VALID))
def test_customer_field_sets_the_same_values_on_both_paths(store, name):
    # given
    value, expected = CUSTOMER_VALID[name]
    arguments = customer_arguments(name, value)

    # when
    customer = customer_build(store=store, **arguments).customer
    row = customer_row_build(group_ids=customer_groups_known(), **arguments)

    # then
    single = {
        column: getattr(customer, column).as_e164
        if column in ("phone", "mobile")
        else getattr(customer, column)
        for column in expected
    }
    bulk = {column: row.values[column] for column in expected}
    assert single == bulk == expected


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [(name, value, codes) for name, cases in CUSTOMER_INVALID.items() for value, codes in cases],
)
def test_customer_field_gives_the_same_errors_on_both_paths(store, name, value, expected):
    # given
    arguments = customer_arguments(name, value)

    # when
    single = error_details(customer_build, store=store, **arguments)
    bulk = error_details(customer_row_build, group_ids=customer_groups_known(), **arguments)

    # then
    assert {key: [code for code, _ in items] for key, items in single.items()} == expected
    assert bulk == single
    assert Customer.objects.count() == 0


def test_missing_email_is_blank_on_both_paths(store):
    # when
    single = error_details(customer_build, store=store, first_name="Anna")
    bulk = error_details(customer_row_build, group_ids=customer_groups_known(), first_name="Anna")

    # then
    assert single == bulk == {"email": [("blank", "This field cannot be blank.")]}


@pytest.mark.parametrize("name", sorted(ADDRESS_VALID))
def test_address_field_sets_the_same_values_on_both_paths(customer, name):
    # given
    value, expected = ADDRESS_VALID[name]
    arguments = {**ADDRESS_BASE, name: value}

    # when
    address = address_build(customer=customer, **arguments)
    values = address_values_build(**arguments)

    # then
    single = {
        column: getattr(address, column).code if column == "country" else getattr(address, column)
        for column in expected
    }
    assert single == {column: values[column] for column in expected} == expected


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [(name, value, codes) for name, cases in ADDRESS_INVALID.items() for value, codes in cases],
)
def test_address_field_gives_the_same_errors_on_both_paths(store, customer, name, value, expected):
    # given
    arguments = {**ADDRESS_BASE, name: value}

    # when
    single = error_details(address_build, customer=customer, **arguments)
    bulk = error_details(address_values_build, **arguments)
    nested_single = error_details(
        customer_build, store=store, email="n@example.com", addresses=[arguments]
    )
    nested_bulk = error_details(
        customer_row_build,
        group_ids=customer_groups_known(),
        email="n@example.com",
        addresses=[arguments],
    )

    # then
    assert {key: [code for code, _ in items] for key, items in single.items()} == expected
    assert bulk == single
    assert nested_single == nested_bulk == {f"addresses.0.{k}": v for k, v in single.items()}


@pytest.mark.parametrize("name", ["address1", "city", "country"])
def test_a_missing_required_address_field_is_blank_on_both_paths(customer, name):
    # given
    arguments = {key: value for key, value in ADDRESS_BASE.items() if key != name}

    # when
    single = error_details(address_build, customer=customer, **arguments)
    bulk = error_details(address_values_build, **arguments)

    # then
    assert single == bulk == {name: [("blank", "This field cannot be blank.")]}
