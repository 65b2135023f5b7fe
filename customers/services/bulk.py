"""The bulk write service, `customer_bulk_upsert`: upload, import and generate_customers."""

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower

from addresses.services import (
    address_create,
    address_values_clean,
)
from config.errors import DomainError
from customers.errors import (
    EmailAlreadyUsed,
    PhoneAlreadyUsed,
    ReferenceAlreadyUsed,
)
from customers.models import Customer, Store
from customers.services.inserts import customers_rows_insert
from customers.services.lifecycle import customer_update
from customers.services.rules import (
    CustomerRow,
    customer_row_build,
    customer_values_clean,
    with_default_state,
)
from customers.services.stores import customer_groups_known
from customers.services.uniqueness import LOOKUP_CHUNK, customers_check_batch
from customers.webhooks.services import events_suppressed


class BulkMode(StrEnum):
    """What `customer_bulk_upsert` does with a row that names an existing customer."""

    # Every row is a new customer: one that exists already is a uniqueness error (upload).
    CREATE = "create"
    # A row naming an existing customer leaves it unchanged (import).
    SKIP_EXISTING = "skip_existing"
    # A row naming an existing customer updates it (import --update-existing).
    UPDATE_EXISTING = "update_existing"


class BulkStatus(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ERROR = "error"
    # Valid, but not written: another row of an all-or-nothing batch failed.
    NOT_WRITTEN = "not_written"


@dataclass
class BulkRow:
    """One row for `customer_bulk_upsert`, as `customer_bulk_row` validated it.

    `arguments` are the service arguments as given (an update applies them); `built` is the
    validated new customer, or `error` says why the row is not one.
    """

    arguments: Mapping[str, Any]
    built: CustomerRow | None = None
    error: ValidationError | None = None


@dataclass
class BulkResult:
    """What `customer_bulk_upsert` did with one row.

    `errors` hold every problem of a failed row: Django `ValidationError`s keyed by domain
    field, or domain errors with a `field`.
    """

    status: BulkStatus
    customer_id: int | None = None
    reference: str = ""
    errors: list[ValidationError | DomainError] = field(default_factory=list)


def customer_bulk_row(
    arguments: Mapping[str, Any] | ValidationError,
    *,
    group_ids: frozenset[int],
    default_state: str | None = None,
) -> BulkRow:
    """Validate one row for `customer_bulk_upsert`; touches no database (worker processes).

    `arguments` are `customer_row_build`'s, or the `ValidationError` of a row that the caller
    could not parse (it fails as that error). A row that names no state and carries no
    password hash is created with `default_state` (`with_default_state`); an update never
    applies it.
    """
    if isinstance(arguments, ValidationError):
        return BulkRow(arguments={}, error=arguments)
    new_customer = with_default_state(
        arguments, default_state=default_state, has_password=bool(arguments.get("password_hash"))
    )
    try:
        return BulkRow(arguments, built=customer_row_build(group_ids=group_ids, **new_customer))
    except ValidationError as error:
        return BulkRow(arguments, error=error)


def customer_bulk_upsert(
    *,
    store: Store,
    rows: Sequence[BulkRow | Mapping[str, Any] | ValidationError],
    mode: BulkMode = BulkMode.CREATE,
    default_state: str | None = None,
    all_or_nothing: bool = False,
    created_earlier: Container[int] = (),
    write: bool = True,
) -> list[BulkResult]:
    """Create (and with UPDATE_EXISTING update) many customers of `store`; a result per row.

    Rows are `BulkRow`s from `customer_bulk_row`, or its arguments (validated here with
    `default_state`). Outside CREATE a row names an existing customer by its reference when it
    has one, else by its email (case-insensitive, live customers of the store); a row with a
    reference the store does not know is a new customer. A row naming a customer in
    `created_earlier` (ids a caller created before, e.g. earlier batches of one file) is a
    duplicate. New rows get the set-based uniqueness check (inside the batch and against the
    store) and one bulk insert; when a concurrent writer takes a value between the check and
    the insert, the check runs again and the rest is inserted.

    With `all_or_nothing`, nothing is written unless every row is valid (valid rows are then
    NOT_WRITTEN); only in CREATE, where nothing is written before the one insert. With
    `write=False` (CREATE only) every check runs and nothing is written (a validation).

    Raises:
        ValueError: `all_or_nothing` or `write=False` outside CREATE (a programming error).
    """
    mode = BulkMode(mode)
    if (all_or_nothing or not write) and mode is not BulkMode.CREATE:
        raise ValueError(
            "all_or_nothing and write=False need BulkMode.CREATE: updates are written row by row."
        )
    group_ids: frozenset[int] | None = None
    prepared: list[BulkRow] = []
    for row in rows:
        if not isinstance(row, BulkRow):
            if group_ids is None:
                group_ids = customer_groups_known()
            row = customer_bulk_row(row, group_ids=group_ids, default_state=default_state)
        prepared.append(row)
    results: dict[int, BulkResult] = {
        index: BulkResult(BulkStatus.ERROR, errors=[row.error])
        for index, row in enumerate(prepared)
        if row.built is None
    }
    candidates = [index for index, row in enumerate(prepared) if row.built is not None]
    if mode is not BulkMode.CREATE:
        candidates = _existing_rows_update_or_skip(
            store, prepared, candidates, results, mode=mode, created_earlier=created_earlier
        )

    def reject(problems: dict[int, list[tuple[type[DomainError], str]]], indexes: list[int]):
        for position, index in enumerate(indexes):
            if position in problems:
                results[index] = BulkResult(
                    BulkStatus.ERROR,
                    errors=[error_class(field=name) for error_class, name in problems[position]],
                )
        return [index for position, index in enumerate(indexes) if position not in problems]

    good = reject(
        customers_check_batch(store=store, drafts=[prepared[i].built for i in candidates]),
        candidates,
    )
    if (all_or_nothing and results) or not write:
        return _with_not_written(results, len(prepared))
    try:
        customers_rows_insert(store=store, rows=[prepared[i].built for i in good])
    except (EmailAlreadyUsed, PhoneAlreadyUsed, ReferenceAlreadyUsed):
        # Another writer took one of the values since the check: check again (the winner is
        # visible now) and insert the rest; a second loss is an error.
        good = reject(
            customers_check_batch(store=store, drafts=[prepared[i].built for i in good]), good
        )
        if all_or_nothing and results:
            return _with_not_written(results, len(prepared))
        customers_rows_insert(store=store, rows=[prepared[i].built for i in good])
    for index in good:
        built = prepared[index].built
        results[index] = BulkResult(
            BulkStatus.CREATED, customer_id=built.values["id"], reference=built.reference
        )
    return [results[index] for index in range(len(prepared))]


def _with_not_written(results: dict[int, BulkResult], count: int) -> list[BulkResult]:
    return [results.get(index, BulkResult(BulkStatus.NOT_WRITTEN)) for index in range(count)]


def _existing_rows_update_or_skip(
    store: Store,
    prepared: list[BulkRow],
    candidates: list[int],
    results: dict[int, BulkResult],
    *,
    mode: BulkMode,
    created_earlier: Container[int],
) -> list[int]:
    """Match rows to existing customers, update or leave those; return the new rows."""
    live = Customer.objects.filter(store=store, deleted_at__isnull=True)
    built = {index: prepared[index].built for index in candidates}
    references = sorted({row.reference for row in built.values() if row.reference})
    emails = sorted({row.email.lower() for row in built.values() if not row.reference})
    by_reference: dict[str, int] = {}
    by_email: dict[str, int] = {}
    # Small IN lists keep PostgreSQL on the unique indexes (see LOOKUP_CHUNK).
    for start in range(0, max(len(references), len(emails)), LOOKUP_CHUNK):
        if chunk := references[start : start + LOOKUP_CHUNK]:
            by_reference.update(live.filter(reference__in=chunk).values_list("reference", "pk"))
        if chunk := emails[start : start + LOOKUP_CHUNK]:
            by_email.update(
                live.annotate(email_lower=Lower("email"))
                .filter(email_lower__in=chunk)
                .values_list("email_lower", "pk")
            )
    fresh = []
    for index, row in built.items():
        if row.reference:
            pk, matched_on = by_reference.get(row.reference), "reference"
        else:
            pk, matched_on = by_email.get(row.email.lower()), "email"
        if pk is None:
            fresh.append(index)
        elif pk in created_earlier:
            # The same customer twice in one file: the second row is a duplicate.
            error_class = ReferenceAlreadyUsed if matched_on == "reference" else EmailAlreadyUsed
            results[index] = BulkResult(BulkStatus.ERROR, errors=[error_class(field=matched_on)])
        elif mode is BulkMode.UPDATE_EXISTING:
            results[index] = _existing_update(pk, prepared[index].arguments)
        else:
            results[index] = BulkResult(BulkStatus.UNCHANGED, customer_id=pk)
    return fresh


def _existing_update(pk: int, arguments: Mapping[str, Any]) -> BulkResult:
    """Apply a row to the existing customer `pk`: its fields, and addresses it lacks."""
    customer = Customer.objects.prefetch_related("addresses").get(pk=pk)
    result = BulkResult(BulkStatus.UNCHANGED, customer_id=pk, reference=customer.reference)
    changes = {
        name: value
        for name, value in arguments.items()
        if name not in ("reference", "addresses", "password_hash")
    }
    addresses = arguments.get("addresses", [])
    if _same(customer, changes) and all(_has_address(customer, address) for address in addresses):
        return result
    try:
        with transaction.atomic(), events_suppressed():
            customer = customer_update(customer=customer, **changes)
            for address in addresses:
                if not _has_address(customer, address):
                    address_create(customer=customer, **address)
    except (ValidationError, DomainError) as error:
        return BulkResult(BulkStatus.ERROR, customer_id=pk, errors=[error])
    result.status = BulkStatus.UPDATED
    return result


def _same(customer: Customer, changes: Mapping[str, Any]) -> bool:
    """Whether `changes` would leave `customer` as it is (compared after normalisation)."""
    try:
        values = customer_values_clean(
            {"email": customer.email, **changes}, group_exists={customer.group_id}.__contains__
        )
    except ValidationError:
        return False
    compared = set()
    for name in changes:
        compared.update({"full_name": ("first_name", "last_name")}.get(name, (name,)))
    if "accepts_marketing" in changes:
        compared.add("marketing_optin_level")
    return all(getattr(customer, name) == values.get(name) for name in compared)


def _has_address(customer: Customer, fields: Mapping[str, Any]) -> bool:
    try:
        wanted = address_values_clean(creating=False, **fields)
    except ValidationError:
        return False
    return any(
        all(str(getattr(address, name) or "") == str(value or "") for name, value in wanted.items())
        for address in customer.addresses.all()
    )
