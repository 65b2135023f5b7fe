import re

from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from addresses.models import Address
from customers.models import Customer
from customers.services import customer_build
from tests.commands.conftest import run_command


def test_generate_customers_creates_valid_customers_with_addresses(store):
    # when
    result = run_command("generate_customers", "30", "--addresses-per-customer", "2", "--seed", "7")

    # then
    assert result.code == 0
    assert result.stdout.strip().splitlines()[-1] == (
        "Created 30 customers in store DE (0 skipped as duplicates), seed 7."
    )
    assert Customer.objects.filter(store=store).count() == 30
    assert Address.objects.count() == 60
    assert Address.objects.filter(is_default_shipping=True, is_default_billing=True).count() == 30
    for customer in Customer.objects.prefetch_related("addresses"):
        # Each generated customer passes the API's own validation.
        customer_build(
            store=store,
            email=customer.email,
            first_name=customer.first_name,
            last_name=customer.last_name,
            phone=str(customer.phone or ""),
            mobile=str(customer.mobile or ""),
            addresses=[
                {"address1": a.address1, "city": a.city, "country": a.country.code}
                for a in customer.addresses.all()
            ],
        )
        assert re.fullmatch(r"[a-z0-9]+\.[a-z0-9]+\.000007\d+@example\.com", customer.email)


def test_generate_customers_again_with_the_same_seed_skips_the_duplicates(store):
    # given
    run_command("generate_customers", "5", "--seed", "3")

    # when
    result = run_command("generate_customers", "5", "--seed", "3")

    # then
    assert result.code == 0
    assert result.stdout.strip().splitlines()[-1] == (
        "Created 0 customers in store DE (5 skipped as duplicates), seed 3."
    )
    assert Customer.objects.count() == 5


def test_generate_customers_inserts_before_it_looks_anything_up(store):
    # when
    with CaptureQueriesContext(connection) as queries:
        result = run_command("generate_customers", "4", "--seed", "5")

    # then: its rows are new, so nothing is looked up in the customer table to write them
    assert result.code == 0
    assert [q["sql"] for q in queries if 'FROM "customers_customer"' in q["sql"]] == []
    assert Customer.objects.filter(store=store).count() == 4


def test_generate_customers_in_an_unknown_store_exits_with_2(db):
    # when
    result = run_command("generate_customers", "5", "--store", "XX")

    # then
    assert result.code == 2
    assert result.stderr == "Unknown store 'XX'."
    assert Customer.objects.count() == 0


def test_a_fractional_addresses_per_customer_is_an_average_of_whole_addresses(store):
    # when
    result = run_command(
        "generate_customers", "400", "--addresses-per-customer", "1.5", "--seed", "11"
    )

    # then
    assert result.code == 0
    per_customer = {
        count
        for count in Customer.objects.annotate(n=Count("addresses")).values_list("n", flat=True)
    }
    assert per_customer == {1, 2}
    # 400 draws of one Bernoulli(0.5) each: 600 expected; seed 11 gives exactly 580.
    assert Address.objects.count() == 580
