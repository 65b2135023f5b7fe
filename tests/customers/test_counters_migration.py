"""Migration 0009 carries a store's numbering and live count over, forwards and backwards."""

import pytest
from django.core.management import call_command
from django.db import connection

from customers.live_totals import live_total
from customers.models import Customer, LiveCustomerDelta, Store
from customers.services.references import references_allocate, references_last_number

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def counters(store: Store) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_reference_number, live_customers FROM customers_store WHERE id = %s",
            [store.pk],
        )
        return cursor.fetchone()


def test_the_numbering_and_the_count_survive_the_migration_both_ways():
    # given: the store as 0008 left it, 41 references handed out and 2 live customers
    store = Store.objects.get(code="DE")
    call_command("migrate", "customers", "0008", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_store SET last_reference_number = 41 WHERE id = %s", [store.pk]
        )
    Customer.objects.create(store=store, reference="DE--40", email="ada@example.com")
    Customer.objects.create(store=store, reference="DE--41", email="grace@example.com")
    assert counters(store) == (41, 2)

    # when: forwards
    call_command("migrate", "customers", verbosity=0)

    # then: numbering continues, and writes pend as deltas on top of the count
    assert references_last_number(store=store) == 41
    assert references_allocate(store=store, count=2) == ["DE--42", "DE--43"]
    Customer.objects.create(store=store, reference="DE--42", email="alan@example.com")
    assert counters(store)[1] == 2
    assert live_total(stores=Store.objects.filter(pk=store.pk)) == 3

    # when: backwards
    call_command("migrate", "customers", "0008", verbosity=0)

    # then: the counter takes over where the sequence stopped, the deltas are folded
    assert counters(store) == (43, 3)
    Customer.objects.create(store=store, reference="ERP-1", email="edsger@example.com")
    assert counters(store) == (43, 4)

    # and: forwards again
    call_command("migrate", "customers", verbosity=0)
    assert references_allocate(store=store, count=1) == ["DE--44"]
    assert LiveCustomerDelta.objects.count() == 0
    assert live_total(stores=Store.objects.filter(pk=store.pk)) == 4
