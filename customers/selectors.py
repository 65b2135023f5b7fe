"""Every read of stores and customers that a dialect, the admin or a command needs.

Lookups are scoped: API callers only ever see live (not soft-deleted) customers of the stores
they may reach, and a missing customer is an error, never `None` for the caller to interpret.
"""

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, connections, router
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from addresses.models import Address
from config.rows import RowReader
from customers import validation
from customers.errors import CustomerNotFound, InvalidFilter, StoreForbidden, StoreNotFound
from customers.filters import CustomerFilter, order_without_indexes
from customers.live_totals import live_total
from customers.models import Customer, Store
from customers.validation import lookup_text_ok


def store_get_default() -> Store:
    """The store of self-registration and of the Storefront (`DEFAULT_STORE_CODE`)."""
    return store_get(code=settings.DEFAULT_STORE_CODE)


def store_code_normal(code: str | None) -> str:
    """The store code `code` names (trimmed, upper case); empty names the default store."""
    return (code or settings.DEFAULT_STORE_CODE).strip().upper()


def store_get(*, code: str | None) -> Store:
    """The active store `code`, or the default store when `code` is empty.

    Raises:
        StoreNotFound: unknown or inactive store.
    """
    code = store_code_normal(code)
    if not lookup_text_ok(code):
        raise StoreNotFound()  # NUL or a lone surrogate: PostgreSQL would refuse the query
    store = Store.objects.filter(code=code, is_active=True).first()
    if store is None:
        raise StoreNotFound()
    return store


def _assigned_store_ids(user: AbstractBaseUser) -> frozenset[int] | None:
    """The stores `user` is limited to, or None when it may see every store.

    Superusers and staff assigned to no store see every store (docs/decisions.md).
    """
    if user.is_superuser:
        return None
    # Read with the user when an API request authenticated it (accounts/staff.py).
    assigned = getattr(user, "assigned_store_ids", None)
    if assigned is None:
        assigned = frozenset(user.stores.values_list("pk", flat=True))
    return assigned or None


def stores_visible_to(*, user: AbstractBaseUser) -> QuerySet[Store]:
    """Superusers and staff assigned to no store see every store; others only theirs."""
    assigned = _assigned_store_ids(user)
    return Store.objects.all() if assigned is None else Store.objects.filter(pk__in=assigned)


def store_check_access(*, user: AbstractBaseUser, store_id: int) -> None:
    """Raises: StoreForbidden when `user` may not work in the store `store_id`."""
    assigned = _assigned_store_ids(user)
    if assigned is not None and store_id not in assigned:
        raise StoreForbidden()


def customers_live() -> QuerySet[Customer]:
    """Customers every API may see: not soft-deleted."""
    return Customer.objects.filter(deleted_at__isnull=True)


def customers_with_addresses(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    return queryset.prefetch_related(Prefetch("addresses", queryset=Address.objects.order_by("id")))


def customer_get(
    *,
    store: Store | None = None,
    stores: QuerySet[Store] | None = None,
    uuid: str | None = None,
    reference: str | None = None,
    customer_id: int | None = None,
    owner: Customer | None = None,
) -> Customer:
    """One live customer by uuid, reference or id, within `store` (or any of `stores`).

    With `owner` (a customer acting for itself) only that customer is in reach: any other
    is "not found", as for staff outside their stores, so probing says nothing (SPEC 12).

    Raises:
        CustomerNotFound: no such live customer in reach (a malformed uuid included).
    """
    queryset = customers_with_addresses(customers_live())
    if owner is not None:
        queryset = queryset.filter(pk=owner.pk, store_id=owner.store_id)
    if store is not None:
        queryset = queryset.filter(store=store)
    else:
        queryset = queryset.select_related("store")
    if stores is not None:
        queryset = queryset.filter(store__in=stores)
    if uuid is not None:
        value = validation.lookup_uuid(uuid)
        if value is None:
            raise CustomerNotFound()
        queryset = queryset.filter(uuid=value)
    elif reference is not None:
        if not lookup_text_ok(reference):
            raise CustomerNotFound()  # NUL: no reference holds it (and PostgreSQL would fail)
        queryset = queryset.filter(reference=reference)
    elif customer_id is not None and str(customer_id).isdigit():
        queryset = queryset.filter(pk=int(customer_id))
    else:
        raise CustomerNotFound()
    customer = next(iter(queryset[:1]), None)
    if customer is None:
        raise CustomerNotFound()
    if store is not None:
        customer.store = store  # known already: no join, no second query
    return customer


def customer_get_by_email(*, store: Store, email: str) -> Customer | None:
    """The live customer of `store` with `email` (case-insensitive), if any.

    Used by login and forgotten-password, where "nobody" is an answer and not an error: so
    is an email with NUL or a lone surrogate, which no customer has.
    """
    if not lookup_text_ok(email) or not email.strip():
        return None
    return (
        customers_live()
        .filter(store=store)
        .alias(email_lower=Lower("email"))
        .filter(email_lower=email.strip().lower())
        .first()
    )


# Columns the customer lists render; everything else stays in the database.
CUSTOMER_LIST_COLUMNS = (
    "id",
    "uuid",
    "store_id",
    "state",
    "group_id",
    "email",
    "first_name",
    "last_name",
    "created_at",
    "updated_at",
)


class CustomerList(NamedTuple):
    customers: QuerySet[Customer]
    # Exact number of `customers`.
    total: int


# Filters that only choose stores or an order: the per-store live counts give the total.
_NOT_NARROWING = frozenset({"store", "ordering"})
# Below this many matches a narrowed list is found first and sorted after. Above it, walking
# the ordering's index is left to the planner: with 1 match in 100 rows, a page of 20 is full
# after about 2,000 rows.
FEW_MATCHES = 10_000


def customer_list(*, filters: Mapping[str, Any], user: AbstractBaseUser) -> CustomerList:
    """Live customers of the stores `user` may see, matching `filters`, ordered, and how many.

    `filters` use domain names (see CustomerFilter). Without a narrowing filter the total is
    the stores' live totals (customers/live_totals.py), so that the first page of millions of
    customers does not count them all.

    Raises:
        InvalidFilter: a filter or ordering value is invalid; `field` names the filter.
        StoreForbidden: the `store` filter names a store `user` may not see.
    """
    assigned = _assigned_store_ids(user)
    queryset = customers_live().only(*CUSTOMER_LIST_COLUMNS)
    # Seeing every store needs no store condition at all, which lets PostgreSQL count live
    # rows from the small `deleted_at` index alone.
    if assigned is not None:
        queryset = queryset.filter(store_id__in=assigned)
    filterset = CustomerFilter(data=filters, queryset=queryset)
    if not filterset.is_valid():
        name, messages = next(iter(filterset.errors.items()))
        raise InvalidFilter(str(messages[0]), field=name)
    cleaned = filterset.form.cleaned_data
    store = cleaned.get("store")
    if store is not None and assigned is not None and store.pk not in assigned:
        raise StoreForbidden()
    customers = filterset.qs
    if any(
        value not in (None, "", []) for name, value in cleaned.items() if name not in _NOT_NARROWING
    ):
        total = customers.count()
        if total < FEW_MATCHES:
            customers = order_without_indexes(customers)
        return CustomerList(customers, total)
    counted = Store.objects.all()
    if store is not None:
        counted = counted.filter(pk=store.pk)
    elif assigned is not None:
        counted = counted.filter(pk__in=assigned)
    return CustomerList(customers, live_total(stores=counted))


SEARCH_LIMIT_MAX = 100
_SEARCH_TEXT_INVALID = "Search values must not contain NUL or lone surrogate characters."


def customer_search(
    *,
    store_code: str,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    phone: str | None = None,
    mobile: str | None = None,
    limit: int = 50,
) -> list[Customer]:
    """Live customers of the store `store_code` matching every criterion, with addresses.

    At most `limit` (<= 100), oldest first. Email and names match case-insensitively and
    exactly (email through the `lower(email)` unique index); `phone` and `mobile` are
    normalised to E.164 first, as they are stored, national forms read in the store's
    country (`validation.store_code_phone_region`).
    Finding nobody says nothing about the store: see `tenant_customers`.

    Raises:
        InvalidFilter: a criterion holds NUL or a lone surrogate; `field` names it.
        ValidationError: `phone` or `mobile` is not a valid number (keyed by that name).
    """
    store_code = store_code_normal(store_code)
    criteria = {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "phone": phone,
        "mobile": mobile,
    }
    for name, value in criteria.items():
        if value and not lookup_text_ok(value):
            raise InvalidFilter(_SEARCH_TEXT_INVALID, field=name)
    errors: dict[str, list[ValidationError]] = {}
    region = validation.store_code_phone_region(store_code)
    for name in ("phone", "mobile"):
        if criteria[name]:
            try:
                number = validation.normalise_phone(criteria[name], field=name, region=region)
            except ValidationError as error:
                errors.update(error.update_error_dict({}))
            else:
                criteria[name] = str(number)
    if errors:
        raise ValidationError(errors)
    if email:
        criteria["email"] = email.strip().lower()
    for name in ("first_name", "last_name"):
        if criteria[name]:
            criteria[name] = criteria[name].strip()
    given = {name: value for name, value in criteria.items() if value}
    return tenant_customers(store_code, given, limit=max(1, min(limit, SEARCH_LIMIT_MAX)))


def tenant_customer_get(
    *, store_code: str, uuid: str | None = None, reference: str | None = None
) -> Customer:
    """The live customer of the active store `store_code` with `uuid` or `reference`.

    Raises:
        CustomerNotFound: nobody (a malformed uuid included); that says nothing about the
            store: see `tenant_customers`.
    """
    store_code = store_code_normal(store_code)
    if uuid is not None:
        value = validation.lookup_uuid(uuid)
        if value is None:
            raise CustomerNotFound()
        uuid_field = Customer._meta.get_field("uuid")
        found = tenant_customers(
            store_code, {"uuid": uuid_field.get_db_prep_value(value, connection)}, limit=1
        )
    elif reference is not None and lookup_text_ok(reference):
        found = tenant_customers(store_code, {"reference": reference}, limit=1)
    else:
        found = []  # NUL: no reference holds it (and PostgreSQL would fail)
    if not found:
        raise CustomerNotFound()
    return found[0]


# --- Lookups in a tenant's store: the Integration API's hot path ------------------------------
#
# Every integration lookup and search runs through here, so their SQL is written once rather
# than compiled by the ORM on each call, which costs more than PostgreSQL's own work for such
# a query (bench/README.md). One statement finds the store by its code, the customers, and
# each one's addresses as a JSON array; `config.rows.RowReader` and `Model.from_db` still
# build real instances through the fields' own conversions. An unknown, inactive or
# forbidden store finds nobody: callers check the store when nothing is found, so that its
# error answers first.

# Search criterion -> condition on the customer `c`, each answered by an index
# (customers/models.py; tests/customers/test_indexes.py) except the names.
TENANT_CRITERIA = {
    "uuid": "c.uuid = %s",
    "reference": "c.reference = %s",
    "email": "lower(c.email) = %s",
    "first_name": "upper(c.first_name) = upper(%s)",
    "last_name": "upper(c.last_name) = upper(%s)",
    # `> ''` repeats the partial unique indexes' condition so that PostgreSQL uses them.
    "phone": "c.phone > '' AND c.phone = %s",
    "mobile": "c.mobile > '' AND c.mobile = %s",
}
_CUSTOMER_ROWS = RowReader(Customer)
_ADDRESS_FIELDS = Address._meta.concrete_fields
_ADDRESS_ATTNAMES = [field.attname for field in _ADDRESS_FIELDS]


def _addresses_json_sql() -> str:
    """SQL for the addresses of the customer `c` as a JSON array of objects, by id."""
    table = connection.ops.quote_name(Address._meta.db_table)
    pairs = ", ".join(f"'{field.column}', a.\"{field.column}\"" for field in _ADDRESS_FIELDS)
    if connection.vendor == "postgresql":
        return (
            f"(SELECT COALESCE(json_agg(json_build_object({pairs}) ORDER BY a.id), '[]')"
            f" FROM {table} a WHERE a.customer_id = c.id)"
        )
    return (
        f"(SELECT json_group_array(json_object({pairs}))"
        f" FROM (SELECT * FROM {table} WHERE customer_id = c.id ORDER BY id) a)"
    )


def tenant_customers_query(
    store_code: str, criteria: Mapping[str, Any], limit: int
) -> tuple[str, list[Any]]:
    """The SQL and parameters of `tenant_customers` (criteria already in stored form)."""
    conditions = "".join(f" AND {TENANT_CRITERIA[name]}" for name in criteria)
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {_CUSTOMER_ROWS.columns('c')}, {_addresses_json_sql()}"
        f" FROM {quote(Customer._meta.db_table)} c"
        f" WHERE c.store_id = (SELECT s.id FROM {quote(Store._meta.db_table)} s"
        " WHERE s.code = %s AND s.is_active)"
        f" AND c.deleted_at IS NULL{conditions} ORDER BY c.id LIMIT %s"
    )
    return sql, [store_code, *criteria.values(), limit]


def tenant_customers(store_code: str, criteria: Mapping[str, Any], *, limit: int) -> list[Customer]:
    """Live customers of the active store `store_code` matching every criterion.

    Oldest first, at most `limit`, each with its addresses read (`customer.addresses.all()`).
    """
    if not lookup_text_ok(store_code):
        return []  # no store has such a code (and PostgreSQL would refuse it)
    sql, params = tenant_customers_query(store_code, criteria, limit)
    db = router.db_for_read(Customer)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    customers = []
    for row in rows:
        customer = _CUSTOMER_ROWS.instance(row, db)
        addresses = row[-1]
        if isinstance(addresses, str):  # SQLite answers JSON as text
            addresses = json.loads(addresses)
        # What prefetch_related("addresses") leaves behind.
        customer._prefetched_objects_cache = {
            "addresses": [_address_from_row(address, customer) for address in addresses]
        }
        customers.append(customer)
    return customers


def _address_from_row(row: Mapping[str, Any], customer: Customer) -> Address:
    values = []
    for field in _ADDRESS_FIELDS:
        value = field.to_python(row[field.column])
        if isinstance(value, datetime) and timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)  # SQLite writes UTC without an offset
        values.append(value)
    address = Address.from_db(customer._state.db, _ADDRESS_ATTNAMES, values)
    address.customer = customer
    return address
