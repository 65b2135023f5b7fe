"""addresses.services: field rules and the default-address rules of SPEC 1.3."""

import pytest
from django.core.exceptions import ValidationError

from addresses.models import Address
from addresses.services import address_create, address_delete, address_set_default, address_update

BERLIN = {"address1": "Main Street 1", "city": "Berlin", "country": "DE"}


def flags(customer) -> list[tuple[str, bool, bool]]:
    return list(
        Address.objects.filter(customer=customer)
        .order_by("id")
        .values_list("address1", "is_default_shipping", "is_default_billing")
    )


@pytest.mark.parametrize(
    "requested",
    [
        pytest.param({}, id="nothing_requested_case"),
        pytest.param({"is_default_shipping": False, "is_default_billing": False}, id="false_case"),
        pytest.param({"is_default_shipping": True}, id="shipping_only_case"),
    ],
)
def test_first_address_becomes_both_defaults(customer, requested):
    # when
    address_create(customer=customer, **BERLIN, **requested)

    # then
    assert flags(customer) == [("Main Street 1", True, True)]


def test_second_address_is_not_a_default_unless_asked(customer):
    # given
    address_create(customer=customer, **BERLIN)

    # when
    address_create(customer=customer, **{**BERLIN, "address1": "Second 2"})

    # then
    assert flags(customer) == [("Main Street 1", True, True), ("Second 2", False, False)]


def test_new_default_takes_the_flag_from_the_others(customer, other_customer):
    # given
    address_create(customer=customer, **BERLIN)
    address_create(customer=other_customer, **BERLIN)

    # when
    address_create(customer=customer, **{**BERLIN, "address1": "Second 2"}, is_default_billing=True)

    # then
    assert flags(customer) == [("Main Street 1", True, False), ("Second 2", False, True)]
    assert flags(other_customer) == [("Main Street 1", True, True)]


def test_set_default_moves_both_flags(customer):
    # given
    address_create(customer=customer, **BERLIN)
    second = address_create(customer=customer, **{**BERLIN, "address1": "Second 2"})

    # when
    address_set_default(address=second)

    # then
    assert flags(customer) == [("Main Street 1", False, False), ("Second 2", True, True)]


@pytest.mark.parametrize(
    "flag",
    [
        pytest.param("is_default_shipping", id="shipping_case"),
        pytest.param("is_default_billing", id="billing_case"),
    ],
)
def test_false_for_the_current_default_is_ignored(customer, flag):
    # given
    first = address_create(customer=customer, **BERLIN)
    address_create(customer=customer, **{**BERLIN, "address1": "Second 2"})

    # when
    address_update(address=first, city="Potsdam", **{flag: False})

    # then
    assert flags(customer) == [("Main Street 1", True, True), ("Second 2", False, False)]
    assert Address.objects.get(pk=first.pk).city == "Potsdam"


def test_deleting_the_default_leaves_none(customer):
    # given
    first = address_create(customer=customer, **BERLIN)
    address_create(customer=customer, **{**BERLIN, "address1": "Second 2"})

    # when
    address_delete(address=first)

    # then
    assert flags(customer) == [("Second 2", False, False)]


@pytest.mark.parametrize(
    ("country", "code"),
    [
        pytest.param("Germany", "DE", id="name_case"),
        pytest.param("germany", "DE", id="lower_name_case"),
        pytest.param("de", "DE", id="lower_code_case"),
        pytest.param("AT", "AT", id="code_case"),
    ],
)
def test_country_is_stored_as_its_code(customer, country, code):
    # when
    address = address_create(customer=customer, **{**BERLIN, "country": country})

    # then
    assert Address.objects.get(pk=address.pk).country.code == code


@pytest.mark.parametrize(
    "country",
    [
        pytest.param("Atlantis", id="unknown_name_case"),
        pytest.param("XX", id="unknown_code_case"),
        pytest.param("", id="empty_case"),
        pytest.param(None, id="null_case"),
        pytest.param(49, id="number_case"),
    ],
)
def test_unknown_country_is_a_validation_error(customer, country):
    # when
    with pytest.raises(ValidationError) as error:
        address_create(customer=customer, **{**BERLIN, "country": country})

    # then
    assert {name: [e.code for e in errors] for name, errors in error.value.error_dict.items()} == {
        "country": ["invalid_country"]
    }
    assert Address.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        pytest.param({"address1": ""}, {"address1": ["blank"]}, id="no_address1_case"),
        pytest.param({"city": "   "}, {"city": ["blank"]}, id="blank_city_case"),
        pytest.param({"phone": "1" * 33}, {"phone": ["max_length"]}, id="long_phone_case"),
        pytest.param({"email": "nope"}, {"email": ["invalid"]}, id="email_case"),
        pytest.param(
            {"salutation": "Sir"}, {"salutation": ["invalid_choice"]}, id="salutation_case"
        ),
    ],
)
def test_invalid_address_fields_are_refused(customer, fields, errors):
    # when
    with pytest.raises(ValidationError) as error:
        address_create(customer=customer, **{**BERLIN, **fields})

    # then
    assert {name: [e.code for e in errs] for name, errs in error.value.error_dict.items()} == errors
    assert Address.objects.count() == 0


def test_address_phone_is_kept_as_given_and_full_name_is_split(customer):
    # when
    address = address_create(
        customer=customer, **BERLIN, phone="22111-3-4-5", full_name="Anna  Maria Berg"
    )

    # then
    address = Address.objects.get(pk=address.pk)
    assert (address.phone, address.first_name, address.last_name) == (
        "22111-3-4-5",
        "Anna",
        "Maria Berg",
    )


def test_update_keeps_absent_fields(customer):
    # given
    address = address_create(customer=customer, **BERLIN, postcode="10115", company="ACME")

    # when
    address_update(address=address, city="Potsdam")

    # then
    address = Address.objects.get(pk=address.pk)
    assert (address.city, address.postcode, address.company, address.address1) == (
        "Potsdam",
        "10115",
        "ACME",
        "Main Street 1",
    )


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        pytest.param({"country": "Germany", "country_code": "AT"}, "AT", id="code_wins_case"),
        pytest.param({"country": "Germany", "country_code": ""}, "DE", id="empty_code_case"),
        pytest.param({"country": "Germany", "country_code": None}, "DE", id="null_code_case"),
        pytest.param({"country_code": "fr"}, "FR", id="code_alone_case"),
    ],
)
def test_country_code_wins_over_country_when_it_has_a_value(customer, fields, code):
    # when
    address = address_create(customer=customer, address1="A 1", city="B", **fields)

    # then
    assert Address.objects.get(pk=address.pk).country.code == code


def test_a_bad_country_code_is_a_country_error_and_nothing_is_written(customer):
    # when
    with pytest.raises(ValidationError) as raised:
        address_create(
            customer=customer, address1="A 1", city="B", country="Germany", country_code="XX"
        )

    # then
    assert {k: [e.code for e in v] for k, v in raised.value.error_dict.items()} == {
        "country": ["invalid_country"]
    }
    assert Address.objects.count() == 0


def test_claim_defaults_makes_a_new_address_take_both_defaults(customer):
    # given
    first = address_create(customer=customer, address1="A 1", city="B", country="DE")

    # when
    second = address_create(
        customer=customer, claim_defaults=True, address1="C 2", city="D", country="DE"
    )
    third = address_create(
        customer=customer,
        claim_defaults=True,
        is_default_billing=False,
        address1="E 3",
        city="F",
        country="DE",
    )

    # then
    assert list(
        Address.objects.filter(customer=customer)
        .order_by("pk")
        .values_list("pk", "is_default_shipping", "is_default_billing")
    ) == [(first.pk, False, False), (second.pk, False, True), (third.pk, True, False)]
