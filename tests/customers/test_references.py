"""customers.services.references: `{STORE}--{n}` references, never handed out twice (SPEC 1.2)."""

import threading

import pytest
from django.db import connection, transaction

from customers.models import Store
from customers.services import customer_create
from customers.services.references import (
    RESERVABLE_MAX,
    references_allocate,
    references_assign,
    references_last_number,
    references_reserve_supplied,
)
from tests.factories.customers import StoreFactory


class Draft:
    def __init__(self, reference: str = "") -> None:
        self.reference = reference


def test_allocation_hands_out_ascending_numbers_per_store(store):
    # given
    other = StoreFactory(code="AT")

    # when
    first = references_allocate(store=store, count=3)
    elsewhere = references_allocate(store=other, count=2)
    second = references_allocate(store=store, count=1)

    # then
    assert (first, second, elsewhere) == (
        ["DE--1", "DE--2", "DE--3"],
        ["DE--4"],
        ["AT--1", "AT--2"],
    )
    assert (references_last_number(store=store), references_last_number(store=other)) == (4, 2)
    assert references_allocate(store=store, count=0) == []


def test_assign_fills_only_the_missing_references_in_order(store):
    # given
    drafts = [Draft(), Draft("ERP-7"), Draft(), Draft("DE--5"), Draft()]

    # when
    references_assign(store=store, customers=drafts)

    # then: the supplied DE--5 moved the numbering past it first
    assert [d.reference for d in drafts] == ["DE--6", "ERP-7", "DE--7", "DE--5", "DE--8"]
    assert references_last_number(store=store) == 8


@pytest.mark.parametrize(
    ("supplied", "last"),
    [
        pytest.param(["DE--12"], 12, id="generated_shape_case"),
        pytest.param(["DE--12", "DE--40", "DE--3"], 40, id="highest_of_several_case"),
        pytest.param(["DE--2"], 10, id="lower_number_never_moves_back_case"),
        pytest.param(["DE--012"], 10, id="leading_zero_case"),
        pytest.param(["AT--99"], 10, id="other_store_code_case"),
        pytest.param(["ERP-99", "DE-99", "DE--", "DE--9a", "DE--²"], 10, id="other_shape_case"),
        pytest.param([f"DE--{RESERVABLE_MAX}"], RESERVABLE_MAX, id="largest_reservable_case"),
        pytest.param([f"DE--{RESERVABLE_MAX + 1}"], 10, id="beyond_reservable_case"),
        pytest.param(["DE--" + "9" * 60], 10, id="beyond_bigint_case"),
    ],
)
def test_supplied_references_move_the_numbering_past_them(store, supplied, last):
    # given
    references_allocate(store=store, count=10)

    # when
    references_reserve_supplied(store=store, references=supplied)

    # then
    assert references_last_number(store=store) == last
    assert references_allocate(store=store, count=1) == [f"DE--{last + 1}"]


def test_a_new_store_numbers_from_one(db):
    # when
    store = StoreFactory(code="CH")

    # then
    assert references_last_number(store=store) == 0
    assert customer_create(store=store, email="ada@example.com").reference == "CH--1"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite rolls its counter back")
def test_numbers_of_a_rolled_back_write_are_never_handed_out_again(store):
    # given
    with transaction.atomic():
        taken = references_allocate(store=store, count=2)
        transaction.set_rollback(True)
    assert taken == ["DE--1", "DE--2"]

    # when
    after = references_allocate(store=store, count=1)

    # then: a gap, never a repeat
    assert after == ["DE--3"]
    assert references_last_number(store=store) == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_allocations_and_reservations_never_repeat_a_number():
    # given: four writers in one store, each allocating and reserving in its own transaction
    store = Store.objects.get(code="DE")
    taken: list[list[str]] = []
    # (reserved number, the numbers its thread allocated right after the reservation)
    reservations: list[tuple[int, list[int]]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4, timeout=20)

    def writer(offset: int) -> None:
        mine: list[str] = []
        try:
            start.wait()
            for round_ in range(40):
                with transaction.atomic():
                    mine += references_allocate(store=store, count=5)
                    if round_ % 10 == offset:
                        number = references_last_number(store=store) + 3
                        references_reserve_supplied(store=store, references=[f"DE--{number}"])
                        after = references_allocate(store=store, count=1)
                        mine += after
                        reservations.append((number, [int(r.split("--")[1]) for r in after]))
        except BaseException as error:  # reported to the test thread
            errors.append(error)
        finally:
            taken.append(mine)
            connection.close()

    threads = [threading.Thread(target=writer, args=(offset,)) for offset in range(4)]

    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then
    assert errors == []
    numbers = [int(reference.split("--")[1]) for mine in taken for reference in mine]
    assert len(numbers) == len(set(numbers)) == 4 * 40 * 5 + 4 * 4
    # A reservation never moves the numbering back: what follows it is past it.
    assert len(reservations) == 16
    assert all(min(after) > number for number, after in reservations)
    assert references_last_number(store=store) == max(numbers)
