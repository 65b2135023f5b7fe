"""Customer references: `{STORE_CODE}--{n}` numbers that are never handed out twice (SPEC 1.2).

On PostgreSQL each store numbers from its own sequence (migration 0009): taking numbers
waits for no other transaction, so a writer never queues behind an open import batch. A
number taken by a transaction that rolls back is not reused: references may have gaps, never
repeats. Elsewhere (SQLite) the store's `last_reference_number` is the counter; SQLite
serialises writers anyway.

A supplied reference of the generated shape (`DE--42`) moves the numbering past it, so that
a generated reference never collides with it.
"""

from collections.abc import Iterable, Sequence
from typing import Protocol

from django.db import connection
from django.db.models import F
from django.db.models.functions import Greatest

from customers.models import Store

# Supplied numbers above this do not move the numbering: one request could otherwise use up
# a store's numbers (a bigint sequence ends at about 9.2e18), and generated numbers would
# need a quadrillion customers to reach them.
RESERVABLE_MAX = 10**15


class HasReference(Protocol):
    reference: str


def references_assign(*, store: Store, customers: Sequence[HasReference]) -> None:
    """Give each of `customers` without a reference the next `{STORE}--{n}`, in order.

    Supplied references of the generated shape move the numbering past them first, so the
    generated ones never collide with them (nor with each other, whoever writes at the
    same time).
    """
    references_reserve_supplied(
        store=store, references=[c.reference for c in customers if c.reference]
    )
    missing = [c for c in customers if not c.reference]
    for customer, reference in zip(
        missing, references_allocate(store=store, count=len(missing)), strict=True
    ):
        customer.reference = reference


def references_allocate(*, store: Store, count: int) -> list[str]:
    """`count` new references of `store`, in ascending order; none was handed out before."""
    if count <= 0:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT customers_reference_allocate(%s, %s)", [store.pk, count])
            numbers = sorted(number for (number,) in cursor.fetchall())
    else:
        Store.objects.filter(pk=store.pk).update(
            last_reference_number=F("last_reference_number") + count
        )
        last = Store.objects.values_list("last_reference_number", flat=True).get(pk=store.pk)
        numbers = list(range(last - count + 1, last + 1))
    return [f"{store.code}--{number}" for number in numbers]


def references_reserve_supplied(*, store: Store, references: Iterable[str]) -> None:
    """Move `store`'s numbering past every reference of the generated shape in `references`.

    Others (`ERP-7`, `AT--3` in store DE, `DE--007`) cannot collide with a generated one and
    change nothing.
    """
    number = max((_generated_number(r, store.code) for r in references), default=0)
    if number <= 0:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT customers_reference_reserve(%s, %s)", [store.pk, number])
    else:
        Store.objects.filter(pk=store.pk).update(
            last_reference_number=Greatest(F("last_reference_number"), number)
        )


def references_last_number(*, store: Store) -> int:
    """The highest number `store` has handed out or reserved (0 before the first)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT customers_reference_last(%s)", [store.pk])
            return cursor.fetchone()[0]
    return Store.objects.values_list("last_reference_number", flat=True).get(pk=store.pk)


def _generated_number(reference: str, code: str) -> int:
    """`n` when `reference` is `{code}--{n}` as generated (no leading zero), else 0."""
    prefix, separator, number = reference.partition("--")
    if prefix != code or not separator or not number.isascii() or not number.isdigit():
        return 0
    if number.startswith("0") or len(number) > len(str(RESERVABLE_MAX)):
        return 0
    value = int(number)
    return value if value <= RESERVABLE_MAX else 0
