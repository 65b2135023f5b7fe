"""Text no column can hold, and non-text where text is expected, are field errors (SPEC 12).

NUL and lone surrogates are refused in every text field of customers and addresses (nested
values included), numbers and flags given for text are refused instead of stored as their
`str()`, and lookups with NUL answer "nobody" or an error on both databases alike.
"""

import math

import pytest
from django.core.exceptions import ValidationError

from accounts.errors import InvalidCredentials
from accounts.services import customer_login
from addresses.models import Address
from addresses.services import ADDRESS_RULES, address_create, address_values_clean
from customers.errors import CustomerNotFound, InvalidFilter
from customers.models import Customer
from customers.selectors import customer_get, customer_get_by_email, customer_search
from customers.services import (
    BulkMode,
    BulkStatus,
    customer_bulk_upsert,
    customer_create,
    customer_update,
)
from customers.services.rules import CUSTOMER_RULES, customer_row_build, customer_values_clean

NUL_CODE = "null_characters_not_allowed"
SURROGATE_CODE = "surrogate_characters_not_allowed"
HOSTILE = [
    pytest.param("a\x00b", NUL_CODE, id="nul_case"),
    pytest.param("a\ud800b", SURROGATE_CODE, id="lone_surrogate_case"),
    pytest.param("\udfff", SURROGATE_CODE, id="low_surrogate_only_case"),
]
# Customer fields that take free text or a choice given as text.
CUSTOMER_TEXT_FIELDS = [
    "email",
    "salutation",
    "first_name",
    "last_name",
    "full_name",
    "gender",
    "state",
    "marketing_optin_level",
]
ADDRESS_TEXT_FIELDS = sorted(name for name in ADDRESS_RULES if not name.startswith("is_default"))


def codes(error: ValidationError) -> dict[str, list[str]]:
    return {name: [e.code for e in errors] for name, errors in error.error_dict.items()}


def test_the_customer_text_fields_listed_here_are_the_table_s_text_fields():
    # given the rule table's fields that are not flags, dates, phones, lists or objects
    other = {
        "date_of_birth",
        "phone",
        "mobile",
        "group_id",
        "accepts_marketing",
        "tax_exempt",
        "tax_exemptions",
        "attribute_groups",
        "email_verified_at",
        "accepted_terms_at",
    }

    # then a new text field cannot be added without this file checking it
    assert sorted(set(CUSTOMER_RULES) - other) == sorted(CUSTOMER_TEXT_FIELDS)


@pytest.mark.parametrize("name", CUSTOMER_TEXT_FIELDS)
@pytest.mark.parametrize(("text", "code"), HOSTILE)
def test_customer_text_fields_refuse_nul_and_lone_surrogates(db, name, text, code):
    # when
    with pytest.raises(ValidationError) as error:
        customer_values_clean({"email": "anne@example.com", name: text})

    # then one rule for every field, the email included (checked before its normaliser)
    assert codes(error.value) == {name: [code]}


@pytest.mark.parametrize("name", ADDRESS_TEXT_FIELDS)
@pytest.mark.parametrize(("text", "code"), HOSTILE)
def test_address_text_fields_refuse_nul_and_lone_surrogates(name, text, code):
    # given
    fields = {"address1": "Main St 1", "city": "Berlin", "country": "DE", name: text}

    # when
    with pytest.raises(ValidationError) as error:
        address_values_clean(creating=True, **fields)

    # then
    assert codes(error.value) == {name: [code]}


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(math.inf, id="infinity_case"),
        pytest.param(1.5, id="float_case"),
        pytest.param(42, id="int_case"),
        pytest.param(10**5000, id="huge_int_case"),
        pytest.param(True, id="true_case"),
        pytest.param(False, id="false_case"),
        pytest.param(0, id="zero_case"),
        pytest.param(["Anne"], id="list_case"),
        pytest.param({"a": "b"}, id="object_case"),
    ],
)
@pytest.mark.parametrize("name", ["first_name", "last_name", "salutation", "full_name"])
def test_a_non_text_value_for_a_customer_text_field_is_refused(customer, name, value):
    # given
    before = Customer.objects.values().get(pk=customer.pk)

    # when
    with pytest.raises(ValidationError) as error:
        customer_update(customer=customer, **{name: value})

    # then nothing became "inf", "42" or "" in the database
    assert codes(error.value) == {name: ["invalid"]}
    assert error.value.error_dict[name][0].message == "Not a valid string."
    assert Customer.objects.values().get(pk=customer.pk) == before


@pytest.mark.parametrize("value", [math.inf, 10115, True])
def test_a_non_text_value_for_an_address_text_field_is_refused(customer, value):
    # when
    with pytest.raises(ValidationError) as error:
        address_create(
            customer=customer, address1="Main St 1", city="Berlin", country="DE", postcode=value
        )

    # then
    assert codes(error.value) == {"postcode": ["invalid"]}
    assert Address.objects.count() == 0


@pytest.mark.parametrize(
    ("groups", "code"),
    [
        pytest.param({"a\x00": {"attributes": {}}}, NUL_CODE, id="nul_in_group_key_case"),
        pytest.param(
            {"g": {"attribute_group": "G\ud800", "attributes": {}}},
            SURROGATE_CODE,
            id="surrogate_in_group_name_case",
        ),
        pytest.param(
            {"g": {"attributes": {"k\x00": {"attribute_value": "1"}}}},
            NUL_CODE,
            id="nul_in_attribute_key_case",
        ),
        pytest.param(
            {"g": {"attributes": {"k": {"attribute_value": "1\x00"}}}},
            NUL_CODE,
            id="nul_in_attribute_value_case",
        ),
        pytest.param(
            {"g": {"attributes": {"k": {"attribute_value": "x", "extra": ["\ud800"]}}}},
            SURROGATE_CODE,
            id="surrogate_in_an_ignored_key_case",
        ),
        pytest.param(
            {"g": {"attributes": {"k": {"attribute_value": math.inf}}}},
            "invalid_attribute_groups",
            id="infinite_number_case",
        ),
        pytest.param(
            {"g": {"attributes": {"k": {"attribute_value": 10**5000, "value_type": "INTEGER"}}}},
            "invalid_attribute_groups",
            id="unprintable_integer_case",
        ),
    ],
)
def test_attribute_groups_refuse_nul_surrogates_and_unprintable_numbers(store, groups, code):
    # when
    with pytest.raises(ValidationError) as error:
        customer_create(store=store, email="anne@example.com", attribute_groups=groups)

    # then
    assert codes(error.value) == {"attribute_groups": [code]}
    assert Customer.objects.count() == 0


def test_a_deeply_nested_attribute_value_is_walked_without_recursion(store):
    # given 100,000 levels: far beyond Python's recursion limit
    deep: list = ["\x00"]
    for _ in range(100_000):
        deep = [deep]
    groups = {"g": {"attributes": {"k": {"attribute_value": "1", "extra": deep}}}}

    # when
    with pytest.raises(ValidationError) as error:
        customer_create(store=store, email="anne@example.com", attribute_groups=groups)

    # then
    assert codes(error.value) == {"attribute_groups": [NUL_CODE]}


@pytest.mark.parametrize(("text", "code"), HOSTILE)
def test_tax_exemption_items_refuse_nul_and_lone_surrogates(store, text, code):
    # when
    with pytest.raises(ValidationError) as error:
        customer_create(store=store, email="anne@example.com", tax_exemptions=["GST", text])

    # then
    assert codes(error.value) == {"tax_exemptions": [code]}
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(("text", "code"), HOSTILE)
def test_a_password_with_nul_or_a_lone_surrogate_is_a_field_error(store, text, code):
    # when
    with pytest.raises(ValidationError) as error:
        customer_create(store=store, email="anne@example.com", password=f"correct-horse{text}")

    # then
    assert codes(error.value) == {"password": [code]}
    assert Customer.objects.count() == 0


def test_a_new_password_with_a_lone_surrogate_leaves_the_old_one(customer):
    # given
    customer.set_password("correct-horse-9")
    customer.save()
    before = Customer.objects.values().get(pk=customer.pk)

    # when
    with pytest.raises(ValidationError) as error:
        customer_update(customer=customer, password="new-horse-\ud800")

    # then
    assert codes(error.value) == {"password": [SURROGATE_CODE]}
    assert Customer.objects.values().get(pk=customer.pk) == before


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({"password_hash": "md5$\x00$abc"}, {"password_hash": [NUL_CODE]}, id="hash"),
        pytest.param({"reference": "ERP-\x00"}, {"reference": [NUL_CODE]}, id="reference"),
        pytest.param({"reference": 10001}, {"reference": ["invalid"]}, id="number_reference"),
        pytest.param({"first_name": math.inf}, {"first_name": ["invalid"]}, id="inf_name"),
        pytest.param(
            {"attribute_groups": {"\ud800": {}}}, {"attribute_groups": [SURROGATE_CODE]}, id="ag"
        ),
    ],
)
def test_the_bulk_path_refuses_what_the_single_path_refuses(store, fields, expected):
    # when
    with pytest.raises(ValidationError) as bulk_error:
        customer_row_build(group_ids=frozenset({1}), email="anne@example.com", **fields)
    results = customer_bulk_upsert(
        store=store, rows=[{"email": "anne@example.com", **fields}], mode=BulkMode.CREATE
    )

    # then
    assert codes(bulk_error.value) == expected
    assert [result.status for result in results] == [BulkStatus.ERROR]
    assert [codes(error) for error in results[0].errors] == [expected]
    assert Customer.objects.count() == 0


# --- Lookups ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    ["john.smith@example.com\x00", "\x00", "john.smith\ud800@example.com"],
)
def test_an_email_with_nul_or_a_lone_surrogate_finds_nobody(customer, email):
    # when / then: no database error on PostgreSQL, nobody on SQLite alike
    assert customer_get_by_email(store=customer.store, email=email) is None


@pytest.mark.parametrize("reference", ["\x00", f"{chr(0)}F--1", "F--1\ud800"])
def test_a_reference_with_nul_is_not_found(customer, reference):
    # when / then
    with pytest.raises(CustomerNotFound):
        customer_get(store=customer.store, reference=reference)


@pytest.mark.parametrize(
    "criteria",
    [
        pytest.param({"email": "\x00"}, id="email_case"),
        pytest.param({"first_name": "a\x00"}, id="first_name_case"),
        pytest.param({"last_name": "Smith", "email": "x\ud800"}, id="surrogate_case"),
        pytest.param({"phone": "+49\x00"}, id="phone_case"),
        pytest.param({"mobile": "+49\x00"}, id="mobile_case"),
    ],
)
def test_search_criteria_with_nul_are_an_invalid_filter(customer, criteria):
    # when
    with pytest.raises(InvalidFilter) as error:
        list(customer_search(store_code=customer.store.code, **criteria))

    # then the first offending criterion is named
    assert error.value.field == next(
        name for name, value in criteria.items() if "\x00" in value or "\ud800" in value
    )


@pytest.mark.parametrize(
    "password", ["correct-horse-9\x00", "correct-horse-9\ud800", "\udc00"], ids=str
)
def test_login_with_a_hostile_password_is_invalid_credentials(customer, password):
    # given the right password, with a hostile tail
    customer.set_password("correct-horse-9")
    customer.save()

    # when / then
    with pytest.raises(InvalidCredentials):
        customer_login(store=customer.store, email="john.smith@example.com", password=password)
