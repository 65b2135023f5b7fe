"""The store's reference counter and live-customer count stay true whoever writes.

`Store.live_customers` is kept by database triggers, so these tests compare it with a real
count after each kind of write, the COPY path of imports and uploads included.
"""

import pytest

from customers.errors import CustomerGroupProtected
from customers.models import Customer, CustomerGroup, Store
from customers.services import (
    customer_anonymize,
    customer_build,
    customer_create,
    customer_delete,
    customer_group_delete,
    customer_groups_known,
    customer_restore,
    customer_row_build,
    customer_soft_delete,
    customers_insert_batch,
    customers_rows_insert,
    store_update,
)
from tests.factories.customers import CustomerFactory, CustomerGroupFactory, StoreFactory


def live_counts() -> dict[str, int]:
    return dict(Store.objects.values_list("code", "live_customers"))


def real_counts() -> dict[str, int]:
    return {
        store.code: Customer.objects.filter(store=store, deleted_at__isnull=True).count()
        for store in Store.objects.all()
    }


def test_every_write_path_keeps_the_live_customer_count_exact(store):
    # given
    other = StoreFactory(code="AT")

    # when / then: one kind of write after the other
    ada = customer_create(store=store, email="ada@example.com")
    customer_create(store=other, email="ada@example.com")
    assert live_counts() == real_counts() == {"DE": 1, "AT": 1}

    customers_insert_batch(
        store=store,
        drafts=[customer_build(store=store, email=f"batch{n}@example.com") for n in range(3)],
    )
    assert live_counts() == real_counts() == {"DE": 4, "AT": 1}

    group_ids = customer_groups_known()
    customers_rows_insert(
        store=other,
        rows=[
            customer_row_build(group_ids=group_ids, email=f"row{n}@example.com") for n in range(5)
        ],
    )
    assert live_counts() == real_counts() == {"DE": 4, "AT": 6}

    customer_soft_delete(customer=ada)
    assert live_counts() == real_counts() == {"DE": 3, "AT": 6}

    customer_restore(customer=Customer.objects.get(pk=ada.pk))
    assert live_counts() == real_counts() == {"DE": 4, "AT": 6}

    customer_anonymize(customer=Customer.objects.get(pk=ada.pk))
    assert live_counts() == real_counts() == {"DE": 4, "AT": 6}

    customer_delete(customer=Customer.objects.get(pk=ada.pk))
    assert live_counts() == real_counts() == {"DE": 3, "AT": 6}


def test_writes_that_bypass_the_services_are_counted_too(store):
    # given
    customers = CustomerFactory.create_batch(3, store=store)

    # when
    Customer.objects.filter(pk=customers[0].pk).delete()
    Customer.objects.filter(pk=customers[1].pk).update(deleted_at="2024-01-01T00:00:00Z")

    # then
    assert live_counts() == real_counts() == {"DE": 1}


def test_deleting_a_soft_deleted_customer_leaves_the_count_alone(store):
    # given
    customer = customer_create(store=store, email="gone@example.com")
    customer_soft_delete(customer=customer)

    # when
    customer_delete(customer=Customer.objects.get(pk=customer.pk))

    # then
    assert live_counts() == real_counts() == {"DE": 0}


def test_store_update_never_writes_back_stale_counters(store):
    # given: a copy of the store loaded before customers were created
    stale = Store.objects.get(pk=store.pk)
    customer_create(store=store, email="ada@example.com")
    customer_create(store=store, email="grace@example.com")

    # when
    store_update(store=stale, name="Deutschland", is_active=False)

    # then
    stored = Store.objects.get(pk=store.pk)
    assert (stored.name, stored.is_active) == ("Deutschland", False)
    assert (stored.last_reference_number, stored.live_customers) == (2, 2)


def test_a_group_with_customers_cannot_be_deleted(store):
    # given
    group = CustomerGroupFactory(name="Wholesale")
    customer_create(store=store, email="ada@example.com", group_id=group.pk)

    # when
    with pytest.raises(CustomerGroupProtected) as raised:
        customer_group_delete(group=group)

    # then
    assert raised.value.message == (
        "A customer group cannot be deleted while customers belong to it."
    )
    assert CustomerGroup.objects.filter(pk=group.pk).exists()


def test_saving_a_stale_store_in_full_leaves_its_counters_alone(store):
    # given
    stale = Store.objects.get(pk=store.pk)
    customer_create(store=store, email="ada@example.com")

    # when
    stale.name = "Deutschland"
    stale.save()

    # then
    stored = Store.objects.get(pk=store.pk)
    assert (stored.name, stored.last_reference_number, stored.live_customers) == (
        "Deutschland",
        1,
        1,
    )
