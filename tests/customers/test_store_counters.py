"""A store's live-customer total stays exact whoever writes, without a row every writer updates.

Triggers record each change as an insert-only `LiveCustomerDelta` row; the total is the
store's folded `live_customers` plus its pending deltas, and a fold moves them in. These
tests compare it with a real count after each kind of write, the COPY path of imports and
uploads included, before and after folding.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers import live_totals
from customers.errors import CustomerGroupProtected
from customers.live_totals import live_total, live_totals_fold
from customers.models import Customer, CustomerGroup, LiveCustomerDelta, Store
from customers.selectors import customer_list
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
from customers.services.references import references_last_number
from tests.commands.conftest import run_command
from tests.factories.customers import CustomerFactory, CustomerGroupFactory, StoreFactory


def live_counts() -> dict[str, int]:
    return {
        store.code: live_total(stores=Store.objects.filter(pk=store.pk))
        for store in Store.objects.all()
    }


def folded_counts() -> dict[str, int]:
    return dict(Store.objects.values_list("code", "live_customers"))


def pending_counts() -> dict[str, int]:
    pending = {store.code: 0 for store in Store.objects.all()}
    for delta in LiveCustomerDelta.objects.select_related("store"):
        pending[delta.store.code] += delta.delta
    return pending


def real_counts() -> dict[str, int]:
    return {
        store.code: Customer.objects.filter(store=store, deleted_at__isnull=True).count()
        for store in Store.objects.all()
    }


def test_every_write_path_keeps_the_live_customer_total_exact(store):
    # given
    other = StoreFactory(code="AT")

    # when / then: one kind of write after the other, nothing folded in between
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

    # then: every change is still pending, the store rows were never written
    assert folded_counts() == {"DE": 0, "AT": 0}
    assert pending_counts() == {"DE": 3, "AT": 6}


def test_a_fold_moves_the_pending_deltas_into_the_store_rows(store):
    # given
    other = StoreFactory(code="AT")
    customer_create(store=store, email="ada@example.com")
    gone = customer_create(store=store, email="grace@example.com")
    customer_soft_delete(customer=gone)
    customer_create(store=other, email="ada@example.com")
    pending_rows = LiveCustomerDelta.objects.count()

    # when
    folded = live_totals_fold()

    # then
    assert folded == pending_rows
    assert LiveCustomerDelta.objects.count() == 0
    assert folded_counts() == live_counts() == real_counts() == {"DE": 1, "AT": 1}

    # and: later writes pend on top of the folded total
    customer_create(store=store, email="alan@example.com")
    assert (folded_counts(), pending_counts()) == ({"DE": 1, "AT": 1}, {"DE": 1, "AT": 0})
    assert live_counts() == real_counts() == {"DE": 2, "AT": 1}


def test_a_fold_of_some_stores_leaves_the_others_pending(store):
    # given
    other = StoreFactory(code="AT")
    customer_create(store=store, email="ada@example.com")
    customer_create(store=other, email="ada@example.com")

    # when
    folded = live_totals_fold(store_ids=[other.pk])

    # then
    assert folded == 1
    assert (folded_counts(), pending_counts()) == ({"DE": 0, "AT": 1}, {"DE": 1, "AT": 0})
    assert live_counts() == real_counts() == {"DE": 1, "AT": 1}
    assert live_totals_fold(store_ids=[]) == 0


def test_a_list_that_finds_many_pending_deltas_folds_them(store, monkeypatch, admin_user):
    # given: a low threshold, and more single-row writes than it allows
    monkeypatch.setattr(live_totals, "FOLD_AFTER", 2)
    for n in range(3):
        customer_create(store=store, email=f"c{n}@example.com")
    assert LiveCustomerDelta.objects.count() == 3

    # when
    listing = customer_list(filters={}, user=admin_user)

    # then: the total was exact before folding, and the deltas are folded now
    assert listing.total == 3
    assert LiveCustomerDelta.objects.count() == 0
    assert folded_counts() == {"DE": 3}
    assert customer_list(filters={}, user=admin_user).total == 3


def test_a_list_below_the_threshold_leaves_the_deltas_pending(store, admin_user):
    # given
    for n in range(3):
        customer_create(store=store, email=f"c{n}@example.com")

    # when
    listing = customer_list(filters={}, user=admin_user)

    # then
    assert listing.total == 3
    assert (folded_counts(), pending_counts()) == ({"DE": 0}, {"DE": 3})


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps the counter row")
def test_creating_customers_never_updates_the_store_row(store):
    # given
    group_ids = customer_groups_known()

    # when
    with CaptureQueriesContext(connection) as queries:
        customer_create(store=store, email="ada@example.com", reference="DE--7")
        customer_create(store=store, email="grace@example.com")
        customers_rows_insert(
            store=store,
            rows=[customer_row_build(group_ids=group_ids, email=f"r{n}@example.com") for n in [1]],
        )

    # then
    statements = [query["sql"] for query in queries.captured_queries]
    assert [sql for sql in statements if "customers_store" in sql and "UPDATE" in sql] == []
    assert list(Customer.objects.order_by("id").values_list("reference", flat=True)) == [
        "DE--7",
        "DE--8",
        "DE--9",
    ]


def test_writes_that_bypass_the_services_are_counted_too(store):
    # given
    customers = CustomerFactory.create_batch(3, store=store)

    # when
    Customer.objects.filter(pk=customers[0].pk).delete()
    Customer.objects.filter(pk=customers[1].pk).update(deleted_at="2024-01-01T00:00:00Z")

    # then
    assert live_counts() == real_counts() == {"DE": 1}


def test_moving_a_customer_to_another_store_moves_its_count(store):
    # given
    other = StoreFactory(code="AT")
    customer = customer_create(store=store, email="ada@example.com")

    # when
    Customer.objects.filter(pk=customer.pk).update(store=other)

    # then
    assert live_counts() == real_counts() == {"DE": 0, "AT": 1}


def test_deleting_a_soft_deleted_customer_leaves_the_count_alone(store):
    # given
    customer = customer_create(store=store, email="gone@example.com")
    customer_soft_delete(customer=customer)

    # when
    customer_delete(customer=Customer.objects.get(pk=customer.pk))

    # then
    assert live_counts() == real_counts() == {"DE": 0}


def test_store_update_never_writes_back_stale_counters(store):
    # given: a copy of the store loaded before customers were created and folded
    stale = Store.objects.get(pk=store.pk)
    customer_create(store=store, email="ada@example.com")
    customer_create(store=store, email="grace@example.com")
    live_totals_fold()

    # when
    store_update(store=stale, name="Deutschland", is_active=False)

    # then
    stored = Store.objects.get(pk=store.pk)
    assert (stored.name, stored.is_active, stored.live_customers) == ("Deutschland", False, 2)
    assert references_last_number(store=store) == 2
    assert live_counts() == real_counts() == {"DE": 2}


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
    live_totals_fold()

    # when
    stale.name = "Deutschland"
    stale.save()

    # then
    stored = Store.objects.get(pk=store.pk)
    assert (stored.name, stored.live_customers) == ("Deutschland", 1)
    assert references_last_number(store=store) == 1
    assert customer_create(store=store, email="grace@example.com").reference == "DE--2"


def test_purge_tokens_folds_the_pending_deltas(store):
    # given
    customer_create(store=store, email="ada@example.com")
    customer_create(store=store, email="grace@example.com")

    # when
    result = run_command("purge_tokens")

    # then
    assert result.code == 0
    assert result.stdout.splitlines()[-1] == (
        "Folded 2 pending changes into the live customer totals."
    )
    assert (folded_counts(), pending_counts()) == ({"DE": 2}, {"DE": 0})
