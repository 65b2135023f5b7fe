"""created_at and updated_at: one instant at creation, a later one after a change."""

from addresses.models import Address
from addresses.services import address_create
from customers.models import Customer
from customers.services import (
    customer_build,
    customer_create,
    customer_update,
    customers_insert_batch,
)


def test_a_new_customer_and_its_address_were_created_and_updated_at_the_same_instant(store):
    # when
    customer = customer_create(
        store=store,
        email="ada@example.com",
        addresses=[{"address1": "Unter den Linden 1", "city": "Berlin", "country": "DE"}],
    )

    # then
    stored = Customer.objects.get(pk=customer.pk)
    assert stored.updated_at == stored.created_at
    address = Address.objects.get(customer=customer)
    assert address.updated_at == address.created_at


def test_customers_inserted_in_bulk_were_created_and_updated_at_the_same_instant(store):
    # when
    customers = customers_insert_batch(
        store=store, drafts=[customer_build(store=store, email="bulk@example.com")]
    )

    # then
    stored = Customer.objects.get(pk=customers[0].pk)
    assert stored.updated_at == stored.created_at


def test_a_change_moves_updated_at_past_created_at(store):
    # given
    customer = customer_create(store=store, email="ada@example.com")

    # when
    customer_update(customer=customer, first_name="Ada")
    address = address_create(
        customer=customer, address1="Unter den Linden 1", city="Berlin", country="DE"
    )

    # then
    stored = Customer.objects.get(pk=customer.pk)
    assert stored.updated_at > stored.created_at
    assert address.updated_at == address.created_at
