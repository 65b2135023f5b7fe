"""Demo data hangs together per store: names, genders, salutations and addresses agree."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from faker.providers.person.de_AT import Provider as AustrianNames
from faker.providers.person.de_DE import Provider as GermanNames

from addresses.models import Address
from customers.management.commands.generate_customers import COUNTRIES
from customers.models import Customer
from tests.commands.conftest import run_command

POSTCODE_SHAPES = {"DE": r"\d{5}", "AT": r"\d{4}"}
NAMES = {"DE": GermanNames, "AT": AustrianNames}


@pytest.mark.parametrize("code", ["DE", "AT"], ids=["de_case", "at_case"])
def test_generated_customers_are_coherent_in_their_store(store, other_store, code):
    # given
    target = store if code == "DE" else other_store  # other_store is "AT"

    # when
    result = run_command(
        "generate_customers",
        "60",
        "--store",
        code,
        "--addresses-per-customer",
        "1.5",
        "--seed",
        "7",
    )

    # then
    assert result.code == 0
    customers = list(Customer.objects.filter(store=target).prefetch_related("addresses"))
    assert len(customers) == 60
    names = NAMES[code]
    for customer in customers:
        if customer.gender == "Male":
            assert customer.salutation == "Mr"
            assert customer.first_name in names.first_names_male
        elif customer.gender == "Female":
            assert customer.salutation in ("Mrs", "Ms")
            assert customer.first_name in names.first_names_female
        else:
            assert customer.gender is None
            assert customer.salutation == ""
        for address in customer.addresses.all():
            assert address.country.code == code
            assert (address.city, address.postcode) in COUNTRIES[code].places
            assert re.fullmatch(POSTCODE_SHAPES[code], address.postcode)
            assert (address.first_name, address.last_name) == (
                customer.first_name,
                customer.last_name,
            )
            for text in (address.address1, address.company, address.city):
                assert "\n" not in text
                assert text == " ".join(text.split())
    # Every gender occurs, and the seed gives the same data each time.
    assert {customer.gender for customer in customers} == {"Male", "Female", None}
    assert Address.objects.filter(customer__store=target).count() == EXPECTED_ADDRESSES[code]
    first = min(customers, key=lambda customer: customer.pk)
    address = first.addresses.order_by("id").first()
    assert (
        first.first_name,
        first.last_name,
        first.gender,
        first.salutation,
        address.address1,
        address.postcode,
        address.city,
    ) == FIRST[code]


EXPECTED_ADDRESSES = {"DE": 93, "AT": 92}
FIRST = {
    "DE": ("Janin", "Holt", "Female", "Ms", "Lilian-Benthin-Straße 55", "20095", "Hamburg"),
    "AT": ("Ellie", "Tauber", "Female", "Ms", "Matteo-Jenewein-Weg 55", "1010", "Wien"),
}


def test_faker_is_a_runtime_requirement():
    # generate_customers is an operator command: `make run` installs requirements.txt only.
    requirements = (Path(settings.BASE_DIR) / "requirements.txt").read_text().splitlines()
    assert [line for line in requirements if line.startswith("Faker")] == ["Faker==40.54.0"]
