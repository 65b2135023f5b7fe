"""Customer reference allocation (`{STORE}--{n}`)."""

from typing import Any

from django.db.models import F
from django.db.models.functions import Greatest

from customers.models import Customer, Store


def references_assign(*, store: Store, customers: list[Customer] | list[Any]) -> None:
    """Give each customer without a reference the next `{STORE}--{n}`; numbers never repeat.

    `customers` are unsaved `Customer`s or `CustomerRow`s (anything with a `reference`).

    The counter row is updated in place (an atomic increment), so concurrent writers get
    disjoint ranges; supplied references of the generated shape push the counter past them.
    """
    supplied = [
        int(number)
        for c in customers
        if c.reference
        for prefix, _, number in [c.reference.partition("--")]
        if prefix == store.code and number.isdigit() and not number.startswith("0")
    ]
    if supplied:
        Store.objects.filter(pk=store.pk).update(
            last_reference_number=Greatest(F("last_reference_number"), max(supplied))
        )
    missing = [c for c in customers if not c.reference]
    if not missing:
        return
    Store.objects.filter(pk=store.pk).update(
        last_reference_number=F("last_reference_number") + len(missing)
    )
    last = Store.objects.values_list("last_reference_number", flat=True).get(pk=store.pk)
    for number, customer in enumerate(missing, start=last - len(missing) + 1):
        customer.reference = f"{store.code}--{number}"
