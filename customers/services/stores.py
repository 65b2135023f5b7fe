"""Stores and customer groups."""

from django.db import transaction
from django.db.models import ProtectedError

from customers.errors import (
    CustomerGroupProtected,
)
from customers.models import DEFAULT_GROUP_ID, CustomerGroup, Store


def store_create(*, code: str, name: str, is_active: bool = True) -> tuple[Store, bool]:
    """Create the store `code`, or return the existing one (idempotent on the code)."""
    store = Store(code=code, name=name, is_active=is_active)
    store.full_clean(validate_unique=False, validate_constraints=False)
    store, created = Store.objects.get_or_create(
        code=code, defaults={"name": name, "is_active": is_active}
    )
    return store, created


def store_update(*, store: Store, name: str, is_active: bool) -> Store:
    """Rename or (de)activate `store` (its counters are never written back, see Store.save)."""
    store.name, store.is_active = name, is_active
    store.full_clean(validate_unique=False, validate_constraints=False)
    store.save(update_fields=["name", "is_active"])
    return store


def customer_group_delete(*, group: CustomerGroup) -> None:
    """Raises: CustomerGroupProtected for the default group or a group that has customers."""
    if group.pk == DEFAULT_GROUP_ID:
        raise CustomerGroupProtected()
    try:
        with transaction.atomic():
            group.delete()
    except ProtectedError:
        raise CustomerGroupProtected(
            "A customer group cannot be deleted while customers belong to it."
        ) from None


def customer_groups_known() -> frozenset[int]:
    """The ids of the customer groups, read once per import batch instead of once per row."""
    return frozenset(CustomerGroup.objects.values_list("pk", flat=True))
