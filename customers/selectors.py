"""Every read of stores and customers that a dialect, the admin or a command needs.

Lookups are scoped: API callers only ever see live (not soft-deleted) customers of the stores
they may reach, and a missing customer is an error, never `None` for the caller to interpret.
"""

from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Lower

from addresses.models import Address
from customers.errors import CustomerNotFound, StoreForbidden, StoreNotFound
from customers.models import Customer, Store


def store_get_default() -> Store:
    """The store of self-registration and of the Storefront (`DEFAULT_STORE_CODE`)."""
    return store_get(code=settings.DEFAULT_STORE_CODE)


def store_get(*, code: str | None) -> Store:
    """The active store `code`, or the default store when `code` is empty.

    Raises:
        StoreNotFound: unknown or inactive store.
    """
    code = code or settings.DEFAULT_STORE_CODE
    store = Store.objects.filter(code=code.strip().upper(), is_active=True).first()
    if store is None:
        raise StoreNotFound()
    return store


def stores_visible_to(*, user: AbstractBaseUser) -> QuerySet[Store]:
    """Superusers and staff assigned to no store see every store; others only theirs."""
    if user.is_superuser or not user.stores.exists():
        return Store.objects.all()
    return user.stores.all()


def store_check_access(*, user: AbstractBaseUser, store: Store) -> None:
    """Raises: StoreForbidden when `user` may not work in `store`."""
    if not stores_visible_to(user=user).filter(pk=store.pk).exists():
        raise StoreForbidden()


def customers_live() -> QuerySet[Customer]:
    """Customers every API may see: not soft-deleted."""
    return Customer.objects.filter(deleted_at__isnull=True)


def customers_with_addresses(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    return queryset.select_related("store", "group").prefetch_related(
        Prefetch("addresses", queryset=Address.objects.order_by("id"))
    )


def customer_get(
    *,
    store: Store | None = None,
    stores: QuerySet[Store] | None = None,
    uuid: str | None = None,
    reference: str | None = None,
    customer_id: int | None = None,
) -> Customer:
    """One live customer by uuid, reference or id, within `store` (or any of `stores`).

    Raises:
        CustomerNotFound: no such live customer in reach (a malformed uuid included).
    """
    queryset = customers_with_addresses(customers_live())
    if store is not None:
        queryset = queryset.filter(store=store)
    if stores is not None:
        queryset = queryset.filter(store__in=stores)
    if uuid is not None:
        try:
            queryset = queryset.filter(uuid=UUID(str(uuid)))
        except ValueError:
            raise CustomerNotFound() from None
    elif reference is not None:
        queryset = queryset.filter(reference=reference)
    elif customer_id is not None and str(customer_id).isdigit():
        queryset = queryset.filter(pk=int(customer_id))
    else:
        raise CustomerNotFound()
    customer = queryset.first()
    if customer is None:
        raise CustomerNotFound()
    return customer


def customer_get_by_email(*, store: Store, email: str) -> Customer | None:
    """The live customer of `store` with `email` (case-insensitive), if any.

    Used by login and forgotten-password, where "nobody" is an answer and not an error.
    """
    if not isinstance(email, str) or not email.strip():
        return None
    return (
        customers_live()
        .filter(store=store)
        .alias(email_lower=Lower("email"))
        .filter(email_lower=email.strip().lower())
        .first()
    )
