"""National phone numbers are read in the store's country (SPEC 1.2, 10), by the core's parser.

Reads (searches) and writes (create, change, bulk); imports: tests/commands/test_import_csv.py,
uploads: tests/integration_api/test_upload.py.
"""

import pytest
from django.core.exceptions import ValidationError

from customers.errors import PhoneAlreadyUsed
from customers.models import Customer, Store
from customers.selectors import customer_search
from customers.services import BulkStatus, customer_bulk_upsert, customer_create, customer_update
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


# --- Writes: every way a customer is written reads a national number in its store's country


@pytest.fixture
def austrian_store(settings, db):
    # A default region that would read the number otherwise: only the store's country applies.
    settings.PHONENUMBER_DEFAULT_REGION = "DE"
    return StoreFactory(code="AT", name="Austria")


def test_a_created_customer_has_national_numbers_read_in_its_stores_country(austrian_store):
    # when
    customer = customer_create(
        store=austrian_store, email="anna@example.com", phone="0662 123456", mobile="0664 1234567"
    )

    # then
    customer = Customer.objects.get(pk=customer.pk)
    assert (customer.phone.as_e164, customer.mobile.as_e164) == ("+43662123456", "+436641234567")


def test_a_changed_number_is_read_in_the_customers_stores_country(austrian_store):
    # given
    customer = CustomerFactory(store=austrian_store, phone=None)

    # when
    customer_update(customer=Customer.objects.get(pk=customer.pk), phone="0662 123456")

    # then
    assert Customer.objects.get(pk=customer.pk).phone.as_e164 == "+43662123456"


def test_a_bulk_write_reads_national_numbers_in_its_stores_country(austrian_store):
    # given: a taken number, and a second row with a bad email and that number, nationally
    CustomerFactory(store=austrian_store, email="taken@example.com", phone="+43662123457")
    rows = [
        {"email": "anna@example.com", "phone": "0662 123456"},
        {"email": "not-an-email", "phone": "0662 123457"},
    ]

    # when
    results = customer_bulk_upsert(store=austrian_store, rows=rows)

    # then: the failed row reports its duplicate too, found by the number read in Austria
    assert [result.status for result in results] == [BulkStatus.CREATED, BulkStatus.ERROR]
    field_errors, duplicate = results[1].errors
    assert field_errors.message_dict == {"email": ["Enter a valid email address."]}
    assert (type(duplicate), duplicate.field) == (PhoneAlreadyUsed, "phone")
    assert list(
        Customer.objects.filter(store=austrian_store).order_by("pk").values_list("email", "phone")
    ) == [("taken@example.com", "+43662123457"), ("anna@example.com", "+43662123456")]
