"""Inserting many validated customers at once: `bulk_create`, or COPY on PostgreSQL."""

import json
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg import errors as psycopg_errors

from addresses.models import Address
from customers.models import Customer, Store
from customers.services.references import references_assign
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


def _copy_rows(model: type, rows: list[dict[str, Any]]) -> None:
    """COPY `rows` (attname -> value, missing ones take the field default) into `model`."""
    now = timezone.now()
    fields = list(model._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    # Per column: its attname, a constant default (or a callable one), and JSON or not.
    plan = []
    for f in fields:
        is_json = f.get_internal_type() == "JSONField"
        if f.attname in ("created_at", "updated_at"):
            default, factory = now, None
        elif f.has_default() and callable(f.default) and not is_json:
            default, factory = None, f.default
        else:
            default, factory = f.get_default(), None
            if is_json and default is not None:
                default = json.dumps(default)
        plan.append((f.attname, default, factory, is_json))
    missing = object()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3's own cursor: Django's wrapper has no copy()
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                record = []
                for attname, default, factory, is_json in plan:
                    value = row.get(attname, missing)
                    if value is missing:
                        value = factory() if factory is not None else default
                    elif is_json and value is not None:
                        value = json.dumps(value)
                    record.append(value)
                copy.write_row(record)


def _next_ids(model: type, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


@transaction.atomic
def customers_rows_insert(*, store: Store, rows: list[CustomerRow]) -> None:
    """Insert validated, conflict-free rows (see `customers_check_batch`) in one go.

    On PostgreSQL the keys are taken from the sequences up front and the rows are streamed
    with COPY (an order of magnitude faster than INSERT); elsewhere it is `bulk_create`.

    Raises:
        EmailAlreadyUsed, PhoneAlreadyUsed, ReferenceAlreadyUsed: a concurrent writer won a race.
    """
    if not rows:
        return
    references_assign(store=store, customers=rows)
    if connection.vendor != "postgresql":
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
        return
    customer_ids = _next_ids(Customer, len(rows))
    address_ids = iter(_next_ids(Address, sum(len(row.addresses) for row in rows)))
    addresses = []
    for row, customer_id in zip(rows, customer_ids, strict=True):
        row.values["id"] = customer_id
        row.values["store_id"] = store.pk
        for address in row.addresses:
            address["id"] = next(address_ids)
            address["customer_id"] = customer_id
            addresses.append(address)
    try:
        with transaction.atomic():
            _copy_rows(Customer, [row.values for row in rows])
    except psycopg_errors.IntegrityError as error:
        try:
            raise IntegrityError(str(error)) from error
        except IntegrityError as wrapped:
            raise_for_integrity_error(wrapped)
    _copy_rows(Address, addresses)
