"""National phone numbers are read in the store's country (SPEC 1.2), by the core's parser."""

import pytest
from django.core.exceptions import ValidationError

from customers.models import Store
from customers.selectors import customer_search
from customers.validation import normalise_phone, store_phone_region
from tests.factories.customers import CustomerFactory, StoreFactory


@pytest.mark.parametrize(
    ("code", "default_region", "region"),
    [
        pytest.param("DE", None, "DE", id="country_code_case"),
        pytest.param("AT", "DE", "AT", id="country_code_wins_case"),
        pytest.param("B2B", "DE", "DE", id="not_a_country_case"),
        pytest.param("EU", None, None, id="no_region_case"),
    ],
)
def test_a_store_reads_national_numbers_in_its_country(settings, code, default_region, region):
    # given
    settings.PHONENUMBER_DEFAULT_REGION = default_region

    # when / then
    assert store_phone_region(Store(code=code, name=code)) == region


def test_a_national_number_is_read_in_the_given_region(settings):
    # given
    settings.PHONENUMBER_DEFAULT_REGION = None

    # when
    number = normalise_phone("0662 123456", field="phone", region="AT")

    # then
    assert number.as_e164 == "+43662123456"


def test_without_a_region_a_national_number_is_refused(settings):
    # given
    settings.PHONENUMBER_DEFAULT_REGION = None

    # when
    with pytest.raises(ValidationError) as raised:
        normalise_phone("030 1234567", field="phone")

    # then
    assert [error.code for error in raised.value.error_dict["phone"]] == ["invalid_phone_number"]


def test_an_integration_search_reads_a_national_number_in_the_tenants_country(settings, db):
    # given: an Austrian store's customer, and no default region at all
    settings.PHONENUMBER_DEFAULT_REGION = None
    store = StoreFactory(code="AT")
    wanted = CustomerFactory(store=store, phone="+43662123456")
    CustomerFactory(store=store, phone="+43662123457")

    # when
    found = customer_search(store_code="at", phone="0662 123456")

    # then
    assert [customer.pk for customer in found] == [wanted.pk]
