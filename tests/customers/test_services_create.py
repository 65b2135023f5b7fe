"""customers.services.customer_create: field rules, normalisation and references (SPEC 1.2)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from customers.errors import ReferenceAlreadyUsed
from customers.models import Customer
from customers.services import customer_create, customer_delete
from tests.factories.customers import StoreFactory


def error_codes(error: ValidationError) -> dict[str, list[str]]:
    return {name: [e.code for e in errors] for name, errors in error.error_dict.items()}


@pytest.mark.parametrize(
    ("full_name", "first_name", "last_name"),
    [
        pytest.param("John Smith", "John", "Smith", id="two_words_case"),
        pytest.param(
            "  John \t  Ronald   Smith  ", "John", "Ronald Smith", id="whitespace_runs_case"
        ),
        pytest.param("Cher", "Cher", "", id="one_word_case"),
        pytest.param("   ", "", "", id="blank_case"),
    ],
)
def test_create_splits_full_name_at_the_first_whitespace_run(
    store, full_name, first_name, last_name
):
    # when
    customer = customer_create(store=store, email="a@example.com", full_name=full_name)

    # then
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == (first_name, last_name)
    assert customer.full_name == " ".join(full_name.split())


@pytest.mark.parametrize(
    ("email", "stored"),
    [
        pytest.param(
            " John.Smith@EXAMPLE.COM ", "John.Smith@example.com", id="domain_lowered_case"
        ),
        pytest.param("anna@example.com", "anna@example.com", id="unchanged_case"),
    ],
)
def test_create_normalises_email(store, email, stored):
    # when
    customer = customer_create(store=store, email=email)

    # then
    assert Customer.objects.get(pk=customer.pk).email == stored


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("", id="empty_case"),
        pytest.param("not-an-email", id="no_at_case"),
        pytest.param(f"{'a' * 250}@example.com", id="too_long_case"),
    ],
)
def test_create_refuses_invalid_email(store, email):
    # when
    with pytest.raises(ValidationError) as error:
        customer_create(store=store, email=email)

    # then
    assert list(error.value.error_dict) == ["email"]
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    "phone",
    [
        pytest.param("+49 30 1234567", id="spaces_case"),
        pytest.param("+49 (30) 123-4567", id="punctuation_case"),
        pytest.param("+49301234567", id="e164_case"),
    ],
)
def test_create_normalises_international_phone_to_e164(store, phone):
    # when
    customer = customer_create(store=store, email="a@example.com", phone=phone, mobile=phone)

    # then
    customer = Customer.objects.get(pk=customer.pk)
    assert (customer.phone.as_e164, customer.mobile.as_e164) == ("+49301234567", "+49301234567")


@override_settings(PHONENUMBER_DEFAULT_REGION=None)
def test_create_refuses_national_phone_without_default_region(db):
    # given: a store whose code is no country, so it has no region of its own
    store = StoreFactory(code="EU")

    # when
    with pytest.raises(ValidationError) as error:
        customer_create(store=store, email="a@example.com", phone="030 1234567")

    # then
    assert error_codes(error.value) == {"phone": ["invalid_phone_number"]}
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    "phone",
    [
        pytest.param("030 1234567", id="national_case"),
        pytest.param("0049 30 1234567", id="00_case"),
    ],
)
@override_settings(PHONENUMBER_DEFAULT_REGION="DE")
def test_create_accepts_national_phone_with_default_region(db, phone):
    # given: a store whose code is no country reads national numbers in the default region
    store = StoreFactory(code="EU")

    # when
    customer = customer_create(store=store, email="a@example.com", phone=phone)

    # then
    assert Customer.objects.get(pk=customer.pk).phone.as_e164 == "+49301234567"


@pytest.mark.parametrize(
    "phone",
    [
        pytest.param("12345", id="too_short_case"),
        pytest.param("+49 abc", id="letters_case"),
        pytest.param("+1 555 0000000000000", id="impossible_case"),
    ],
)
def test_create_refuses_invalid_phone(store, phone):
    # when
    with pytest.raises(ValidationError) as error:
        customer_create(store=store, email="a@example.com", mobile=phone)

    # then
    assert error_codes(error.value) == {"mobile": ["invalid_phone_number"]}
    assert Customer.objects.count() == 0


def test_create_refuses_future_date_of_birth(store):
    # given
    tomorrow = timezone.now().date() + timedelta(days=1)

    # when
    with pytest.raises(ValidationError) as error:
        customer_create(store=store, email="a@example.com", date_of_birth=tomorrow)

    # then
    assert error_codes(error.value) == {"date_of_birth": ["future_date"]}


def test_create_accepts_todays_date_of_birth(store):
    # given
    today = timezone.now().date()

    # when
    customer = customer_create(store=store, email="a@example.com", date_of_birth=today)

    # then
    assert Customer.objects.get(pk=customer.pk).date_of_birth == today


def test_create_collects_every_field_error_at_once(store):
    # when
    with pytest.raises(ValidationError) as error:
        customer_create(
            store=store,
            email="nope",
            phone="12",
            gender="Other",
            salutation="Sir",
            date_of_birth=date(2999, 1, 1),
        )

    # then
    assert error_codes(error.value) == {
        "email": ["invalid"],
        "phone": ["invalid_phone_number"],
        "date_of_birth": ["future_date"],
        "gender": ["invalid_choice"],
        "salutation": ["invalid_choice"],
    }


def attribute_groups(value_type: str, value) -> dict:
    return {
        "loyalty": {
            "attribute_group": "Loyalty",
            "attributes": {"points": {"attribute_value": value, "value_type": value_type}},
            "is_obsolete": False,
        }
    }


@pytest.mark.parametrize(
    ("value_type", "value"),
    [
        pytest.param("STRING", "anything", id="string_case"),
        pytest.param("INTEGER", "-42", id="integer_case"),
        pytest.param("DECIMAL", "3.14", id="decimal_case"),
        pytest.param("BOOLEAN", "true", id="boolean_case"),
        pytest.param("DATE", "2024-02-29", id="date_case"),
    ],
)
def test_create_accepts_typed_attribute_values(store, value_type, value):
    # when
    customer = customer_create(
        store=store, email="a@example.com", attribute_groups=attribute_groups(value_type, value)
    )

    # then
    assert Customer.objects.get(pk=customer.pk).attribute_groups == attribute_groups(
        value_type, value
    )


@pytest.mark.parametrize(
    "groups",
    [
        pytest.param(attribute_groups("INTEGER", "4.5"), id="integer_with_fraction_case"),
        pytest.param(attribute_groups("DECIMAL", "pi"), id="decimal_word_case"),
        pytest.param(attribute_groups("DECIMAL", "NaN"), id="decimal_nan_case"),
        pytest.param(attribute_groups("BOOLEAN", "yes"), id="boolean_word_case"),
        pytest.param(attribute_groups("DATE", "2023-02-29"), id="impossible_date_case"),
        pytest.param(attribute_groups("COLOUR", "red"), id="unknown_type_case"),
        pytest.param({"loyalty": "gold"}, id="group_not_object_case"),
        pytest.param(["loyalty"], id="not_object_case"),
        pytest.param({"loyalty": {"attributes": {"points": "12"}}}, id="attribute_not_object_case"),
    ],
)
def test_create_refuses_invalid_attribute_groups(store, groups):
    # when
    with pytest.raises(ValidationError) as error:
        customer_create(store=store, email="a@example.com", attribute_groups=groups)

    # then
    assert error_codes(error.value) == {"attribute_groups": ["invalid_attribute_groups"]}
    assert Customer.objects.count() == 0


def test_create_sets_the_marketing_timestamp_itself(store):
    # given
    before = timezone.now()

    # when
    customer = customer_create(
        store=store,
        email="a@example.com",
        accepts_marketing=True,
        marketing_optin_level="confirmed_opt_in",
    )

    # then
    customer = Customer.objects.get(pk=customer.pk)
    assert (customer.accepts_marketing, customer.marketing_optin_level) == (
        True,
        "confirmed_opt_in",
    )
    assert before <= customer.marketing_preferences_updated_at <= timezone.now()


def test_create_cannot_forge_the_marketing_timestamp(store):
    # when
    with pytest.raises(TypeError):
        customer_create(
            store=store,
            email="a@example.com",
            marketing_preferences_updated_at=timezone.now() - timedelta(days=300),
        )

    # then
    assert Customer.objects.count() == 0


def test_create_drops_the_optin_level_without_marketing_consent(store):
    # when
    customer = customer_create(
        store=store,
        email="a@example.com",
        accepts_marketing=False,
        marketing_optin_level="single_opt_in",
    )

    # then
    customer = Customer.objects.get(pk=customer.pk)
    assert (customer.accepts_marketing, customer.marketing_optin_level) == (False, None)


def test_create_without_marketing_fields_has_no_marketing_timestamp(store):
    # when
    customer = customer_create(store=store, email="a@example.com")

    # then
    assert Customer.objects.get(pk=customer.pk).marketing_preferences_updated_at is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("gender", "", id="empty_gender_case"),
        pytest.param("marketing_optin_level", "", id="empty_optin_level_case"),
        pytest.param("gender", None, id="null_gender_case"),
    ],
)
def test_create_reads_empty_choices_as_null(store, field, value):
    # when
    customer = customer_create(
        store=store, email="a@example.com", accepts_marketing=True, **{field: value}
    )

    # then
    assert getattr(Customer.objects.get(pk=customer.pk), field) is None


def test_create_generates_store_references_in_sequence(store, other_store):
    # when
    first = customer_create(store=store, email="a@example.com")
    second = customer_create(store=store, email="b@example.com")
    elsewhere = customer_create(store=other_store, email="a@example.com")

    # then
    assert (first.reference, second.reference, elsewhere.reference) == ("DE--1", "DE--2", "AT--1")
    assert Customer.objects.get(pk=second.pk).reference == "DE--2"


def test_create_never_reuses_a_reference_after_a_permanent_delete(store):
    # given
    customer_create(store=store, email="a@example.com")
    second = customer_create(store=store, email="b@example.com")
    customer_delete(customer=second)

    # when
    third = customer_create(store=store, email="c@example.com")

    # then
    assert third.reference == "DE--3"


def test_supplied_reference_of_the_generated_shape_pushes_the_counter(store):
    # given
    supplied = customer_create(store=store, email="a@example.com", reference="DE--10")

    # when
    generated = customer_create(store=store, email="b@example.com")

    # then
    assert (supplied.reference, generated.reference) == ("DE--10", "DE--11")


def test_supplied_reference_of_another_shape_leaves_the_counter(store):
    # given
    customer_create(store=store, email="a@example.com", reference="ERP.000123_x-9")

    # when
    generated = customer_create(store=store, email="b@example.com")

    # then
    assert generated.reference == "DE--1"


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("has space", id="space_case"),
        pytest.param("DE/1", id="slash_case"),
        pytest.param("x" * 65, id="too_long_case"),
        pytest.param("Übel", id="non_ascii_case"),
    ],
)
def test_supplied_reference_must_be_valid(store, reference):
    # when
    with pytest.raises(ValidationError) as error:
        customer_create(store=store, email="a@example.com", reference=reference)

    # then
    assert list(error.value.error_dict) == ["reference"]
    assert Customer.objects.count() == 0


def test_supplied_reference_must_be_unused_in_the_store(store, other_store):
    # given
    customer_create(store=store, email="a@example.com", reference="ERP-1")
    customer_create(store=other_store, email="a@example.com", reference="ERP-1")

    # when
    with pytest.raises(ReferenceAlreadyUsed):
        customer_create(store=store, email="b@example.com", reference="ERP-1")

    # then
    assert Customer.objects.filter(store=store).count() == 1


def test_create_without_password_is_unusable_and_with_one_is_hashed(store):
    # when
    invited = customer_create(store=store, email="a@example.com")
    member = customer_create(store=store, email="b@example.com", password="Blue-Harbour-42")

    # then
    assert invited.has_usable_password() is False
    assert member.password != "Blue-Harbour-42"
    from django.contrib.auth.hashers import check_password

    assert check_password("Blue-Harbour-42", Customer.objects.get(pk=member.pk).password)


def test_create_refuses_a_weak_password(store):
    # when
    with pytest.raises(ValidationError) as error:
        customer_create(store=store, email="a@example.com", password="short")

    # then
    assert list(error.value.error_dict) == ["password"]
    assert Customer.objects.count() == 0


def test_create_in_an_unknown_group_is_a_validation_error(store):
    # when
    with pytest.raises(ValidationError) as error:
        customer_create(store=store, email="a@example.com", group_id=-1)

    # then
    assert error_codes(error.value) == {"group": ["invalid"]}
    assert Customer.objects.count() == 0


def test_reference_counters_are_per_store(db):
    # given
    first = StoreFactory(code="CH", name="Switzerland")

    # when
    customer = customer_create(store=first, email="a@example.com")

    # then
    assert customer.reference == "CH--1"
