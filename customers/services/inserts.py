"""Inserting many validated customers at once: `bulk_create`, or COPY on PostgreSQL."""

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from psycopg import errors as psycopg_errors

from addresses.models import Address
from customers.models import Customer, Store
from customers.services.references import (
    references_allocate,
    references_assign,
    references_reserve_supplied,
)
from customers.services.rules import CustomerDraft, CustomerRow
from customers.services.uniqueness import raise_for_integrity_error


@transaction.atomic
def customers_insert_batch(*, store: Store, drafts: list[CustomerDraft]) -> list[Customer]:
    """Insert validated, conflict-free drafts in bulk; references are allocated in one step.

    Raises:
        EmailAlreadyUsed, PhoneAlreadyUsed, ReferenceAlreadyUsed: a concurrent writer won a race.
    """
    customers = [draft.customer for draft in drafts]
    references_assign(store=store, customers=customers)
    try:
        with transaction.atomic():
            Customer.objects.bulk_create(customers)
    except IntegrityError as error:
        raise_for_integrity_error(error)
    if customers and customers[0].pk is None:
        # Backends without RETURNING on bulk inserts: read the keys back by reference.
        ids = dict(
            Customer.objects.filter(
                store=store, reference__in=[c.reference for c in customers]
            ).values_list("reference", "pk")
        )
        for customer in customers:
            customer.pk = customer.id = ids[customer.reference]
    addresses = []
    for draft in drafts:
        for address in draft.addresses:
            address.customer = draft.customer
            addresses.append(address)
    Address.objects.bulk_create(addresses)
    return customers


# --- COPY ----------------------------------------------------------------------------------
# On PostgreSQL new customers are written with COPY in its text format. The text of a row is
# made where the row is validated (an import's worker processes, `customers_copy_format`);
# the writer only puts the keys in front of it (`customers_copy_insert`).

# The columns the writer fills in, in front of every customer's and every address's text.
_CUSTOMER_KEYS = ("id", "store_id", "reference")
_ADDRESS_KEYS = ("id", "customer_id")

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text_copy_text(value: str) -> str:
    if value.isprintable() and "\\" not in value:
        return value  # nothing to escape (tabs and line breaks are not printable)
    return value.translate(_COPY_ESCAPES)


def _json_copy_text(value: Any) -> str:
    return _text_copy_text(json.dumps(value))


# COPY's text for a column value, by the value's type.
_COPY_TEXT_BY_TYPE: dict[type, Callable[[Any], str]] = {
    str: _text_copy_text,
    type(None): lambda value: "\\N",
    bool: lambda value: "t" if value else "f",
    int: str,
    UUID: str,
    date: date.isoformat,
    datetime: datetime.isoformat,
    dict: _json_copy_text,
    list: _json_copy_text,
}


def _copy_text(value: Any) -> str:
    """`value` as one column of COPY's text format."""
    for kind in type(value).__mro__:
        # Its own type, or the first base the table knows (a choices enum is a `str`).
        if kind in _COPY_TEXT_BY_TYPE:
            return _COPY_TEXT_BY_TYPE[kind](value)
    raise TypeError(f"No COPY text for a {type(value).__name__} value.")


@dataclass(frozen=True)
class _CopyColumns:
    """The columns of a model after the keys, and what a row that lacks one gets.

    `default_texts` holds each column's constant default as COPY text, None where a value
    is made per row (`factories`) or is the time of the insert (`stamped`). A row then
    costs a conversion only for the values it gives.
    """

    names: tuple[str, ...]
    positions: dict[str, int]
    # JSON columns: every value written as JSON, a string too.
    json_names: frozenset[str]
    default_texts: tuple[str | None, ...]
    factories: tuple[tuple[str, int, Callable[[], Any]], ...]
    stamped: tuple[int, ...]

    def texts_of_defaults(self, now_text: str) -> list[str | None]:
        """The texts of a row that gives no value, but for its factories' columns."""
        texts = list(self.default_texts)
        for position in self.stamped:
            texts[position] = now_text
        return texts


_STAMPED = ("created_at", "updated_at")


@functools.cache
def _copy_columns(model: type[models.Model], keys: tuple[str, ...]) -> _CopyColumns:
    names, json_names, default_texts, factories, stamped = [], set(), [], [], []
    for model_field in model._meta.concrete_fields:
        name = model_field.attname
        if name in keys:
            continue
        position = len(names)
        names.append(name)
        is_json = isinstance(model_field, models.JSONField)
        if is_json:
            json_names.add(name)
        if name in _STAMPED:
            stamped.append(position)
            default_texts.append(None)
        elif model_field.has_default() and callable(model_field.default):
            factories.append((name, position, model_field.default))
            default_texts.append(None)
        else:
            default = model_field.get_default()
            text_of = _json_copy_text if is_json and default is not None else _copy_text
            default_texts.append(text_of(default))
    return _CopyColumns(
        names=tuple(names),
        positions={name: position for position, name in enumerate(names)},
        json_names=frozenset(json_names),
        default_texts=tuple(default_texts),
        factories=tuple(factories),
        stamped=tuple(stamped),
    )


def _copy_tail(columns: _CopyColumns, values: dict[str, Any], defaults: list[str | None]) -> str:
    """The COPY text of one row's columns after its keys; `defaults` from `texts_of_defaults`."""
    texts = defaults.copy()
    positions, json_names, by_type = columns.positions, columns.json_names, _COPY_TEXT_BY_TYPE
    for name, value in values.items():
        position = positions.get(name)
        if position is None:
            continue
        if name in json_names and value is not None:
            texts[position] = _json_copy_text(value)
        else:
            texts[position] = (by_type.get(type(value)) or _copy_text)(value)
    for name, position, factory in columns.factories:
        if name not in values:
            value = factory()
            texts[position] = (_json_copy_text if name in json_names else _copy_text)(value)
    return "\t".join(texts)


@dataclass
class CopyReadyCustomers:
    """Validated new customers as COPY text, made ahead of the insert.

    Per customer: its supplied reference ("" when the store numbers it), the text of its
    columns but the keys, and the text of each of its addresses' columns but the keys.
    """

    references: list[str] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    addresses: list[list[str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.customers)


def customers_copy_format(rows: Iterable[CustomerRow]) -> CopyReadyCustomers:
    """The COPY text of validated new customers (`customer_row_build`); no database."""
    now_text = _copy_text(timezone.now())
    customer_columns = _copy_columns(Customer, _CUSTOMER_KEYS)
    address_columns = _copy_columns(Address, _ADDRESS_KEYS)
    customer_defaults = customer_columns.texts_of_defaults(now_text)
    address_defaults = address_columns.texts_of_defaults(now_text)
    ready = CopyReadyCustomers()
    for row in rows:
        ready.references.append(row.reference)
        ready.customers.append(_copy_tail(customer_columns, row.values, customer_defaults))
        ready.addresses.append(
            [_copy_tail(address_columns, address, address_defaults) for address in row.addresses]
        )
    return ready


def _next_ids(model: type, count: int) -> list[int]:
    if count == 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(model: type[models.Model], keys: tuple[str, ...], text: str) -> None:
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(model._meta.get_field(name).column)
        for name in (*keys, *_copy_columns(model, keys).names)
    )
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3's own cursor: Django's wrapper has no copy()
        try:
            with raw.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
                copy.write(text)
        except psycopg_errors.IntegrityError as error:
            # As Django's cursor would have raised it (psycopg's is the cause).
            raise IntegrityError(str(error)) from error


@transaction.atomic
def customers_copy_insert(*, store: Store, ready: CopyReadyCustomers) -> list[tuple[int, str]]:
    """Insert customers made ready by `customers_copy_format` (PostgreSQL).

    Returns each customer's id and reference, in order. Keys come from the sequences up
    front, references from the store's numbering; both may be left unused when the insert
    fails, never handed out twice.

    Raises:
        EmailAlreadyUsed, PhoneAlreadyUsed, ReferenceAlreadyUsed: a unique constraint refused
            a customer (nothing is written).
        IntegrityError: another constraint refused one (an address's uuid, say).
    """
    references_reserve_supplied(store=store, references=[r for r in ready.references if r])
    generated = iter(
        references_allocate(store=store, count=sum(1 for r in ready.references if not r))
    )
    references = [reference or next(generated) for reference in ready.references]
    customer_ids = _next_ids(Customer, len(ready))
    address_ids = iter(_next_ids(Address, sum(len(texts) for texts in ready.addresses)))
    customers, addresses = [], []
    for customer_id, reference, text, address_texts in zip(
        customer_ids, references, ready.customers, ready.addresses, strict=True
    ):
        customers.append(f"{customer_id}\t{store.pk}\t{_copy_text(reference)}\t{text}\n")
        addresses.extend(
            f"{next(address_ids)}\t{customer_id}\t{address_text}\n"
            for address_text in address_texts
        )
    try:
        with transaction.atomic():
            _copy(Customer, _CUSTOMER_KEYS, "".join(customers))
    except IntegrityError as error:
        raise_for_integrity_error(error)
    _copy(Address, _ADDRESS_KEYS, "".join(addresses))
    return list(zip(customer_ids, references, strict=True))


@transaction.atomic
def customers_rows_insert(*, store: Store, rows: list[CustomerRow]) -> None:
    """Insert validated, conflict-free rows (see `customers_check_batch`) in one go.

    Each row's `id` and `reference` are set. On PostgreSQL it is COPY (an order of magnitude
    faster than INSERT); elsewhere it is `bulk_create`.

    Raises:
        EmailAlreadyUsed, PhoneAlreadyUsed, ReferenceAlreadyUsed: a concurrent writer won a race.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        inserted = customers_copy_insert(store=store, ready=customers_copy_format(rows))
        for row, (customer_id, reference) in zip(rows, inserted, strict=True):
            row.values["id"] = customer_id
            row.reference = reference
        return
    references_assign(store=store, customers=rows)
    drafts = [
        CustomerDraft(
            customer=Customer(store=store, **row.values),
            addresses=[Address(**address) for address in row.addresses],
        )
        for row in rows
    ]
    customers_insert_batch(store=store, drafts=drafts)
    for row, draft in zip(rows, drafts, strict=True):
        row.values["id"] = draft.customer.pk
