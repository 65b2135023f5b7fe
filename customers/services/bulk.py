"""The bulk write service, `customer_bulk_upsert`: upload, import and generate_customers."""

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower

from addresses.models import Address
from addresses.services import (
    address_create,
    address_values_clean,
)
from config.errors import DomainError
from customers import validation
from customers.errors import (
    EmailAlreadyUsed,
    PhoneAlreadyUsed,
    ReferenceAlreadyUsed,
)
from customers.models import Customer, Store
from customers.services.inserts import (
    CopyReadyCustomers,
    customers_copy_format,
    customers_copy_insert,
    customers_rows_insert,
)
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


# What only an import restores (SPEC 8: an export read back gives the same customers): ids
# and dates that no API may set. Each address may also carry its `uuid`, and its default
# flags are then kept as given instead of "the first address is the default".
RESTORED_FIELDS = ("uuid", "created_at", "marketing_preferences_updated_at")
_DEFAULT_FLAGS = ("is_default_shipping", "is_default_billing")


@dataclass
class _Restored:
    values: dict[str, Any] = field(default_factory=dict)
    # Per address: its uuid and the default flags the row gave (None: not given).
    address_values: list[dict[str, Any]] = field(default_factory=list)


def _restored_split(arguments: Mapping[str, Any]) -> tuple[dict[str, Any], _Restored]:
    """The arguments without what only an import restores, and that part on its own."""
    arguments = dict(arguments)
    restored = _Restored(
        values={name: arguments.pop(name) for name in RESTORED_FIELDS if name in arguments}
    )
    addresses = []
    for address in arguments.get("addresses") or ():
        address = dict(address)
        restored.address_values.append(
            {
                name: address.pop(name)
                for name in ("uuid", *_DEFAULT_FLAGS)
                if address.get(name) is not None
            }
        )
        addresses.append(address)
    if "addresses" in arguments:
        arguments["addresses"] = addresses
    return arguments, restored


def _restore(built: CustomerRow, restored: _Restored) -> None:
    """Put the restored values on a validated row.

    Raises:
        ValidationError: two addresses claim one default.
    """
    if not restored.values and not restored.address_values:
        return
    for name, value in restored.values.items():
        if value is not None:
            built.values[name] = validation.aware(value)
        elif name == "marketing_preferences_updated_at" and not built.values.get(
            "accepts_marketing"
        ):
            # No consent and no date: no marketing choice was ever recorded. (A consent
            # without a date is dated now, as the domain dates it.)
            built.values[name] = None
    errors: dict[str, list[ValidationError]] = {}
    for address, given in zip(built.addresses, restored.address_values, strict=True):
        if "uuid" in given:
            address["uuid"] = given["uuid"]
    for flag in _DEFAULT_FLAGS:
        if not any(flag in given for given in restored.address_values):
            continue
        claimed = False
        for index, (address, given) in enumerate(
            zip(built.addresses, restored.address_values, strict=True)
        ):
            address[flag] = bool(given.get(flag))
            if address[flag] and claimed:
                errors[f"addresses.{index}.{flag}"] = [
                    ValidationError(
                        "Another address of this customer is already the default.",
                        code="invalid",
                    )
                ]
            claimed = claimed or address[flag]
    if errors:
        raise ValidationError(errors)


def customer_bulk_row(
    arguments: Mapping[str, Any] | ValidationError,
    *,
    group_ids: frozenset[int],
    default_state: str | None = None,
    restore: bool = False,
    phone_region: str | None = None,
) -> BulkRow:
    """Validate one row for `customer_bulk_upsert`; touches no database (worker processes).

    `arguments` are `customer_row_build`'s, or the `ValidationError` of a row that the caller
    could not parse (it fails as that error). A row that names no state and carries no
    password hash is created with `default_state` (`with_default_state`); an update never
    applies it. With `restore` (the import) the row may also carry RESTORED_FIELDS, address
    `uuid`s and default flags, which a new customer keeps (an update ignores them). National
    phone numbers are read in `phone_region`, the store's (`validation.store_phone_region`).
    """
    if isinstance(arguments, ValidationError):
        return BulkRow(arguments={}, error=arguments)
    restored = _Restored()
    if restore:
        arguments, restored = _restored_split(arguments)
    new_customer = with_default_state(
        arguments, default_state=default_state, has_password=bool(arguments.get("password_hash"))
    )
    try:
        built = customer_row_build(group_ids=group_ids, phone_region=phone_region, **new_customer)
        _restore(built, restored)
    except ValidationError as error:
        return BulkRow(arguments, error=error)
    return BulkRow(arguments, built=built)


def customer_bulk_upsert(
    *,
    store: Store,
    rows: Sequence[BulkRow | Mapping[str, Any] | ValidationError],
    mode: BulkMode = BulkMode.CREATE,
    default_state: str | None = None,
    all_or_nothing: bool = False,
    created_earlier: Container[int] = (),
    write: bool = True,
    expect_new: bool = False,
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

    With `expect_new` (a caller whose rows are usually all new: an import of new customers),
    a batch of valid rows is inserted before anything is looked up; the unique constraints
    are the check. Only when one refuses a row is the insert undone and the batch matched and
    checked as above, so the results are the same either way.

    Raises:
        ValueError: `all_or_nothing` or `write=False` outside CREATE (a programming error).
    """
    mode = BulkMode(mode)
    if (all_or_nothing or not write) and mode is not BulkMode.CREATE:
        raise ValueError(
            "all_or_nothing and write=False need BulkMode.CREATE: updates are written row by row."
        )
    group_ids: frozenset[int] | None = None
    phone_region = validation.store_phone_region(store)
    prepared: list[BulkRow] = []
    for row in rows:
        if not isinstance(row, BulkRow):
            if group_ids is None:
                group_ids = customer_groups_known()
            row = customer_bulk_row(
                row, group_ids=group_ids, default_state=default_state, phone_region=phone_region
            )
        prepared.append(row)
    results: dict[int, BulkResult] = {
        index: BulkResult(BulkStatus.ERROR, errors=[row.error])
        for index, row in enumerate(prepared)
        if row.built is None
    }
    if expect_new and write and not results:
        created = _rows_insert_new(store, [row.built for row in prepared])
        if created is not None:
            return created
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

    # A row that failed validation is checked too, for the values that are valid on their
    # own, so that it reports every problem at once (field errors and duplicates).
    failed = {}
    if mode is BulkMode.CREATE:
        failed = {
            i: _unique_values(row, phone_region)
            for i, row in enumerate(prepared)
            if row.built is None
        }
        failed = {index: values for index, values in failed.items() if values is not None}
    problems = customers_check_batch(
        store=store, drafts=[prepared[i].built for i in candidates] + list(failed.values())
    )
    for position, index in enumerate(failed, start=len(candidates)):
        results[index].errors.extend(
            error_class(field=name) for error_class, name in problems.get(position, [])
        )
    good = reject(
        {position: found for position, found in problems.items() if position < len(candidates)},
        candidates,
    )
    good = _restored_uuids_check(prepared, good, results)
    if (all_or_nothing and results) or not write:
        return _with_not_written(results, len(prepared))
    try:
        _rows_insert(store, [prepared[i].built for i in good])
    except (EmailAlreadyUsed, PhoneAlreadyUsed, ReferenceAlreadyUsed):
        # Another writer took one of the values since the check: check again (the winner is
        # visible now) and insert the rest; a second loss is an error.
        good = reject(
            customers_check_batch(store=store, drafts=[prepared[i].built for i in good]), good
        )
        if all_or_nothing and results:
            return _with_not_written(results, len(prepared))
        _rows_insert(store, [prepared[i].built for i in good])
    for index in good:
        built = prepared[index].built
        results[index] = BulkResult(
            BulkStatus.CREATED, customer_id=built.values["id"], reference=built.reference
        )
    return [results[index] for index in range(len(prepared))]


@transaction.atomic
def _rows_insert(store: Store, rows: list[CustomerRow]) -> None:
    customers_rows_insert(store=store, rows=rows)
    if connection.vendor == "postgresql":
        return  # COPY wrote the restored `created_at` as given
    # `bulk_create` stamps `created_at` (auto_now_add) over a restored one: put it back.
    for row in rows:
        if "created_at" in row.values:
            Customer.objects.filter(pk=row.values["id"]).update(created_at=row.values["created_at"])


def customer_bulk_create_new(*, store: Store, ready: CopyReadyCustomers) -> list[BulkResult] | None:
    """`customer_bulk_upsert(expect_new=True)` for rows validated and formatted ahead.

    The import validates rows and makes their COPY text (`customers_copy_format`) in its
    worker processes; this inserts them when the database takes every one (PostgreSQL).
    None when a unique constraint refuses one: nothing is written, and the caller gives the
    rows to `customer_bulk_upsert`, which matches and checks them.
    """
    try:
        inserted = customers_copy_insert(store=store, ready=ready)
    except (EmailAlreadyUsed, PhoneAlreadyUsed, ReferenceAlreadyUsed, IntegrityError):
        return None
    return [
        BulkResult(BulkStatus.CREATED, customer_id=customer_id, reference=reference)
        for customer_id, reference in inserted
    ]


def _rows_insert_new(store: Store, rows: list[CustomerRow]) -> list[BulkResult] | None:
    """Insert `rows` if the database takes every one; None (nothing written) if not."""
    if connection.vendor == "postgresql":
        return customer_bulk_create_new(store=store, ready=customers_copy_format(rows))
    # `bulk_create` sets keys and references on the rows: it works on copies, so that the
    # rows are as they were when it fails.
    attempt = [
        CustomerRow(values=dict(row.values), addresses=[dict(item) for item in row.addresses])
        for row in rows
    ]
    try:
        _rows_insert(store, attempt)
    except (EmailAlreadyUsed, PhoneAlreadyUsed, ReferenceAlreadyUsed, IntegrityError):
        return None
    return [
        BulkResult(BulkStatus.CREATED, customer_id=row.values["id"], reference=row.reference)
        for row in attempt
    ]


def _restored_uuids_check(
    prepared: list[BulkRow], indexes: list[int], results: dict[int, BulkResult]
) -> list[int]:
    """Reject the new rows whose restored uuid (or an address's) is taken; return the rest.

    Taken means held by a customer (or address) in the database, or by an earlier row of
    the batch: an export imported a second time into another store is refused row by row,
    instead of one unique-index failure aborting the batch.
    """
    wanted: list[tuple[int, str, type, Any]] = []
    for index in indexes:
        built = prepared[index].built
        if "uuid" in built.values:
            wanted.append((index, "uuid", Customer, built.values["uuid"]))
        for position, address in enumerate(built.addresses):
            if "uuid" in address:
                wanted.append((index, f"addresses.{position}.uuid", Address, address["uuid"]))
    if not wanted:
        return indexes
    taken: set[tuple[type, Any]] = set()
    for model in (Customer, Address):
        values = sorted({str(value) for _, _, m, value in wanted if m is model})
        for start in range(0, len(values), LOOKUP_CHUNK):
            found = model.objects.filter(uuid__in=values[start : start + LOOKUP_CHUNK])
            taken.update((model, str(value)) for value in found.values_list("uuid", flat=True))
    problems: dict[int, dict[str, list[ValidationError]]] = {}
    for index, name, model, value in wanted:
        key = (model, str(value))
        if key in taken:
            problems.setdefault(index, {})[name] = [
                ValidationError("This uuid belongs to another record already.", code="unique")
            ]
        taken.add(key)
    for index, errors in problems.items():
        results[index] = BulkResult(BulkStatus.ERROR, errors=[ValidationError(errors)])
    return [index for index in indexes if index not in problems]


def _unique_values(row: BulkRow, phone_region: str | None) -> CustomerRow | None:
    """The unique values (email, phones, reference) of a failed row that are valid alone."""
    errors = getattr(row.error, "error_dict", None)
    if errors is None:
        return None
    values: dict[str, Any] = {"email": ""}

    def phone(value: Any, field: str) -> str:
        return validation.normalise_phone(value, field=field, region=phone_region).as_e164

    cleaners = {
        "email": validation.normalise_email,
        "phone": phone,
        "mobile": phone,
        "reference": lambda value, field: value if isinstance(value, str) else None,
    }
    for name, clean in cleaners.items():
        value = row.arguments.get(name)
        if name in errors or not value:
            continue
        try:
            values[name] = clean(value, field=name)
        except (ValidationError, AttributeError):
            continue
    return CustomerRow(values=values) if len(values) > 1 or values["email"] else None


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
    customer = Customer.objects.select_related("store").prefetch_related("addresses").get(pk=pk)
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
            {"email": customer.email, **changes},
            group_exists={customer.group_id}.__contains__,
            phone_region=validation.store_phone_region(customer.store),
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
