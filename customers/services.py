"""Every write to stores and customers: create, update, state changes, the three deletes.

Dialects, the admin and the commands call these functions and nothing else. Each one owns its
transaction, validates before it saves, and turns a lost race on a unique constraint into the
same domain error that the up-front check raises.
"""

import functools
import json
import secrets
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, check_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, F, ProtectedError, Value
from django.db.models.functions import Greatest, Lower
from django.utils import timezone
from psycopg import errors as psycopg_errors

from accounts.credentials import customer_credentials_revoke
from addresses.models import Address
from addresses.services import (
    address_create,
    address_values_build,
    address_values_clean,
    addresses_first_is_default,
)
from config.errors import DomainError
from customers import validation
from customers.errors import (
    CustomerGroupProtected,
    CustomerNotDeleted,
    EmailAlreadyUsed,
    PhoneAlreadyUsed,
    ReferenceAlreadyUsed,
    ReferenceImmutable,
)
from customers.lock_objects import customer_lock
from customers.models import DEFAULT_GROUP_ID, Customer, CustomerGroup, Store
from customers.validation import FieldRule

_MARKETING_FIELDS = ("accepts_marketing", "marketing_optin_level")
_CONSTRAINT_ERRORS = {
    "customers_customer_email_unique": (EmailAlreadyUsed, "email"),
    "customers_customer_phone_unique": (PhoneAlreadyUsed, "phone"),
    "customers_customer_mobile_unique": (PhoneAlreadyUsed, "mobile"),
    "customers_customer_reference_unique": (ReferenceAlreadyUsed, "reference"),
}


@dataclass
class CustomerDraft:
    """A validated, unsaved customer with its unsaved addresses (the bulk paths' unit)."""

    customer: Customer
    addresses: list[Address] = field(default_factory=list)


# --- Stores -----------------------------------------------------------------------------------


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


# --- Building and checking customers ----------------------------------------------------------


def _phone(name: str) -> FieldRule:
    # `normalise_phone` applies the phone field's rule (a valid number); the model field's
    # checks would parse it again, which costs more than the rest of a row.
    return FieldRule(
        normalise=functools.partial(validation.normalise_phone, field=name), model_check=False
    )


# The customer rule table: domain fields a caller may set on create or update (besides the
# password and the reference). Every write path reads its values from it.
CUSTOMER_RULES: dict[str, FieldRule] = {
    "email": FieldRule(normalise=validation.normalise_email, required=True),
    "salutation": FieldRule(normalise=validation.falsy_as_empty_text),
    "first_name": FieldRule(normalise=validation.falsy_as_empty_text),
    "last_name": FieldRule(normalise=validation.falsy_as_empty_text),
    "full_name": FieldRule(split=validation.full_name_split),
    "gender": FieldRule(normalise=validation.empty_as_none),
    "date_of_birth": FieldRule(normalise=validation.validate_date_of_birth),
    "phone": _phone("phone"),
    "mobile": _phone("mobile"),
    "state": FieldRule(),
    # Checked against the known groups (`_check_group`), not by a query per row.
    "group_id": FieldRule(model_check=False),
    "accepts_marketing": FieldRule(),
    "marketing_optin_level": FieldRule(normalise=validation.empty_as_none),
    "tax_exempt": FieldRule(),
    "tax_exemptions": FieldRule(normalise=validation.validate_tax_exemptions),
    "attribute_groups": FieldRule(normalise=validation.validate_attribute_groups),
    "email_verified_at": FieldRule(normalise=validation.aware),
    "accepted_terms_at": FieldRule(normalise=validation.aware),
}
CUSTOMER_FIELDS = frozenset(CUSTOMER_RULES)


def _group_exists(pk: int) -> bool:
    return CustomerGroup.objects.filter(pk=pk).exists()


def _check_group(
    values: dict[str, Any],
    errors: dict[str, list[ValidationError]],
    group_exists: Callable[[int], bool],
) -> None:
    """A `group_id` must name a customer group (the error the foreign key's check gives)."""
    if "group_id" not in values:
        return
    pk = values["group_id"]
    if isinstance(pk, int) and not isinstance(pk, bool) and group_exists(pk):
        return
    del values["group_id"]
    group = Customer._meta.get_field("group")
    errors["group"] = [
        ValidationError(
            group.error_messages["invalid"],
            code="invalid",
            params={
                "model": CustomerGroup._meta.verbose_name,
                "pk": pk,
                "field": "id",
                "value": pk,
            },
        )
    ]


def _marketing_rule(
    values: dict[str, Any], fields: Mapping[str, Any], current: Customer | None
) -> None:
    """TWC: no marketing consent means no opt-in level; a change of either is timestamped."""
    before = (
        (current.accepts_marketing, current.marketing_optin_level) if current else (False, None)
    )
    accepts = values.get("accepts_marketing", before[0])
    level = values.get("marketing_optin_level", before[1]) if accepts else None
    if not accepts:
        values["marketing_optin_level"] = None
    touched = any(name in fields for name in _MARKETING_FIELDS)
    if (accepts, level) != before or (current is None and touched):
        values["marketing_preferences_updated_at"] = timezone.now()


def customer_values_clean(
    fields: Mapping[str, Any],
    *,
    current: Customer | None = None,
    group_exists: Callable[[int], bool] = _group_exists,
) -> dict[str, Any]:
    """Normalise and check customer fields by CUSTOMER_RULES: the column values they set.

    `current` is the customer being changed (None for a new one); `group_exists` answers
    whether a group id is known (the bulk path passes a lookup in `customer_groups_known()`).

    Raises:
        ValidationError: keyed by domain field name.
    """
    values, errors = validation.rules_apply(
        Customer,
        CUSTOMER_RULES,
        fields,
        creating=current is None,
        check=functools.partial(_check_group, group_exists=group_exists),
    )
    if errors:
        raise ValidationError(errors)
    _marketing_rule(values, fields, current)
    return values


def _apply_fields(customer: Customer, fields: Mapping[str, Any]) -> None:
    """Normalise and set `fields` on the saved `customer`; one ValidationError for all."""
    for name, value in customer_values_clean(fields, current=customer).items():
        setattr(customer, name, value)


def _reference_clean(reference: str | None) -> str | None:
    if reference is None or reference == "":
        return None
    return validation.model_field_clean(Customer, "reference", reference)


def _addresses_clean(addresses: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The column values of a new customer's addresses, its first one the default."""
    values, errors = [], {}
    for index, data in enumerate(addresses):
        try:
            values.append(address_values_build(**data))
        except ValidationError as error:
            for name, messages in error.error_dict.items():
                errors[f"addresses.{index}.{name}"] = messages
    if errors:
        raise ValidationError(errors)
    addresses_first_is_default(values)
    return values


def _collect(errors: dict[str, list[ValidationError]], step: Callable[[], Any]) -> Any:
    """Run one validation step; add its errors to `errors` instead of raising them."""
    try:
        return step()
    except ValidationError as error:
        for name, messages in error.error_dict.items():
            errors.setdefault(name, []).extend(messages)
    return None


def _apply_password(customer: Customer, *, password: str | None, password_hash: str | None) -> None:
    if password is not None:
        try:
            validate_password(password, user=customer)
        except ValidationError as error:
            raise ValidationError({"password": error.error_list}) from None
        customer.set_password(password)
    elif password_hash:
        customer.password = validation.validate_password_hash(password_hash)
    elif not customer.password:
        customer.set_password(None)


def with_default_state(
    fields: Mapping[str, Any], *, default_state: str | None, has_password: bool
) -> Mapping[str, Any]:
    """The fields of a new customer, with `default_state` if they name no state.

    It applies only to a customer that gets no password (SPEC 6 and 8: such a customer is
    `invited`).
    """
    if default_state is None or has_password or "state" in fields:
        return fields
    return {**fields, "state": default_state}


def customer_build(
    *,
    store: Store,
    password: str | None = None,
    password_hash: str | None = None,
    reference: str | None = None,
    addresses: Iterable[Mapping[str, Any]] = (),
    default_state: str | None = None,
    **fields: Any,
) -> CustomerDraft:
    """Validate a new customer without touching uniqueness or saving anything.

    `default_state` is the state of a customer given neither a state nor a password (None:
    the model's default).

    Raises:
        ValidationError: keyed by domain field names (addresses as `addresses.<i>.<field>`).
    """
    fields = with_default_state(
        fields, default_state=default_state, has_password=bool(password or password_hash)
    )
    errors: dict[str, list[ValidationError]] = {}
    values = _collect(errors, lambda: customer_values_clean(fields)) or {}
    customer = Customer(store=store, **values)
    _collect(
        errors,
        lambda: _apply_password(customer, password=password, password_hash=password_hash),
    )
    customer.reference = _collect(errors, lambda: _reference_clean(reference)) or ""
    address_values = _collect(errors, lambda: _addresses_clean(addresses))
    if errors:
        raise ValidationError(errors)
    drafts = [Address(**address) for address in address_values]
    return CustomerDraft(customer=customer, addresses=drafts)


def _conflicts(
    customer: Customer,
) -> list[tuple[type[EmailAlreadyUsed | PhoneAlreadyUsed | ReferenceAlreadyUsed], str]]:
    """The unique fields of `customer` that another live customer of its store already has."""
    live = Customer.objects.filter(store_id=customer.store_id, deleted_at__isnull=True)
    if customer.pk:
        live = live.exclude(pk=customer.pk)
    found = []
    if live.alias(email_lower=Lower("email")).filter(email_lower=customer.email.lower()).exists():
        found.append((EmailAlreadyUsed, "email"))
    for name in ("phone", "mobile"):
        number = getattr(customer, name)
        if number and live.filter(**{name: number}).exists():
            found.append((PhoneAlreadyUsed, name))
    if (
        customer.reference
        and not customer.pk
        and Customer.objects.filter(
            store_id=customer.store_id, reference=customer.reference
        ).exists()
    ):
        found.append((ReferenceAlreadyUsed, "reference"))
    return found


def _raise_first_conflict(customer: Customer) -> None:
    conflicts = _conflicts(customer)
    if conflicts:
        error_class, name = conflicts[0]
        raise error_class(field=name)


def raise_for_integrity_error(error: IntegrityError) -> None:
    """Map a unique-constraint violation to its domain error; re-raise anything else."""
    cause = error.__cause__
    constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
    text = str(error)
    for name, (error_class, field_name) in _CONSTRAINT_ERRORS.items():
        if constraint == name or (constraint is None and name in text):
            raise error_class(field=field_name) from error
    # SQLite names the columns, not the constraint, for constraints on plain columns.
    if constraint is None and "UNIQUE constraint failed" in text:
        for column, (error_class, field_name) in {
            ".reference": (ReferenceAlreadyUsed, "reference"),
            ".mobile": (PhoneAlreadyUsed, "mobile"),
            ".phone": (PhoneAlreadyUsed, "phone"),
            ".email": (EmailAlreadyUsed, "email"),
        }.items():
            if column in text:
                raise error_class(field=field_name) from error
    raise error


def _assign_references(store: Store, customers: list[Customer]) -> None:
    """Give each customer without a reference the next `{STORE}--{n}`; numbers never repeat.

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


def _save_draft(draft: CustomerDraft) -> Customer:
    customer = draft.customer
    _raise_first_conflict(customer)
    _assign_references(customer.store, [customer])
    try:
        with transaction.atomic():
            customer.save(force_insert=True)
    except IntegrityError as error:
        raise_for_integrity_error(error)
    for address in draft.addresses:
        address.customer = customer
    Address.objects.bulk_create(draft.addresses)
    return customer


# --- Writes -----------------------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *,
    store: Store,
    password: str | None = None,
    password_hash: str | None = None,
    reference: str | None = None,
    addresses: Iterable[Mapping[str, Any]] = (),
    default_state: str | None = None,
    **fields: Any,
) -> Customer:
    """Create a customer, with its addresses, in `store`.

    `fields` are domain fields (CUSTOMER_FIELDS); `password` is raw and validated,
    `password_hash` is an already hashed password (imports); with neither the password is
    unusable. The reference is generated unless supplied. A customer given neither a state
    nor a password gets `default_state` (None: the model's default, `enabled`).

    Raises:
        ValidationError: invalid fields, keyed by domain field name.
        EmailAlreadyUsed, PhoneAlreadyUsed, ReferenceAlreadyUsed: uniqueness in the store.
    """
    draft = customer_build(
        store=store,
        password=password,
        password_hash=password_hash,
        reference=reference,
        addresses=addresses,
        default_state=default_state,
        **fields,
    )
    return _save_draft(draft)


def customers_check_batch(
    *, store: Store, drafts: list[CustomerDraft | None]
) -> dict[int, list[tuple[type[Exception], str]]]:
    """Uniqueness problems of a batch, by position: inside the batch and against the store.

    Set-based: a handful of queries whatever the batch size. `None` entries (rows that failed
    validation) are skipped but keep their position.
    """
    problems: dict[int, list[tuple[type[Exception], str]]] = {}
    seen: dict[tuple[str, str], int] = {}
    keys: dict[str, set[str]] = {
        "email": set(),
        "phone": set(),
        "mobile": set(),
        "reference": set(),
    }
    for index, draft in enumerate(drafts):
        if draft is None:
            continue
        customer = draft.customer
        values = {
            "email": customer.email.lower(),
            "phone": str(customer.phone) if customer.phone else "",
            "mobile": str(customer.mobile) if customer.mobile else "",
            "reference": customer.reference,
        }
        for name, value in values.items():
            if not value:
                continue
            keys[name].add(value)
            if (name, value) in seen:
                problems.setdefault(index, []).append((_error_for(name), name))
            else:
                seen[(name, value)] = index

    live = Customer.objects.filter(store=store, deleted_at__isnull=True)
    lookups = {
        "email": lambda chunk: (
            live.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=chunk)
            .values_list("email_lower", flat=True)
        ),
        # The numbers are E.164 strings already: as `Value`s they skip the phone field's
        # per-value parsing, which cost more than the query for a batch of thousands. The
        # `> ''` repeats the unique indexes' condition: PostgreSQL cannot infer it from a
        # long IN list, and without it scans the table.
        "phone": lambda chunk: live.filter(
            phone__gt="", phone__in=[Value(n, output_field=_E164_TEXT) for n in chunk]
        ).values_list("phone", flat=True),
        "mobile": lambda chunk: live.filter(
            mobile__gt="", mobile__in=[Value(n, output_field=_E164_TEXT) for n in chunk]
        ).values_list("mobile", flat=True),
        "reference": lambda chunk: Customer.objects.filter(
            store=store, reference__in=chunk
        ).values_list("reference", flat=True),
    }
    taken = {
        name: {str(value) for chunk in _chunked(keys[name]) for value in lookup(chunk)}
        for name, lookup in lookups.items()
    }
    for (name, value), index in seen.items():
        if value in taken[name]:
            problems.setdefault(index, []).append((_error_for(name), name))
    return problems


# One output field for every phone `Value` (building one per value was the costly part).
_E164_TEXT = CharField()
# Keys per lookup query: small enough that PostgreSQL probes the unique indexes instead of
# scanning the table, whatever its statistics say (measured: 4x faster than 5,000 at once).
LOOKUP_CHUNK = 500


def _chunked(values: Iterable[str]) -> Iterable[list[str]]:
    values = list(values)
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


def _error_for(name: str) -> type[EmailAlreadyUsed | PhoneAlreadyUsed | ReferenceAlreadyUsed]:
    return {"email": EmailAlreadyUsed, "reference": ReferenceAlreadyUsed}.get(
        name, PhoneAlreadyUsed
    )


@transaction.atomic
def customers_insert_batch(*, store: Store, drafts: list[CustomerDraft]) -> list[Customer]:
    """Insert validated, conflict-free drafts in bulk; references are allocated in one step.

    Raises:
        EmailAlreadyUsed, PhoneAlreadyUsed, ReferenceAlreadyUsed: a concurrent writer won a race.
    """
    customers = [draft.customer for draft in drafts]
    _assign_references(store, customers)
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


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    password: str | None = None,
    reference: str | None = None,
    keep_refresh_jti: str | None = None,
    keep_session_key: str | None = None,
    **changes: Any,
) -> Customer:
    """Change the given fields of `customer`; fields not given keep their value.

    A new password, or leaving the `enabled` state, revokes the customer's refresh tokens,
    sessions and keys, except the caller's own token or session when it names them.

    Raises:
        ValidationError: invalid fields, keyed by domain field name.
        EmailAlreadyUsed, PhoneAlreadyUsed: uniqueness in the store.
        ReferenceImmutable: a different `reference` was given.
    """
    if reference is not None and reference != customer.reference:
        raise ReferenceImmutable(field="reference")
    customer = customer_lock(customer=customer)
    state_before = customer.state
    _apply_fields(customer, changes)
    if password is not None:
        _apply_password(customer, password=password, password_hash=None)
    _raise_first_conflict(customer)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as error:
        raise_for_integrity_error(error)
    if password is not None or (
        state_before == Customer.State.ENABLED and customer.state != Customer.State.ENABLED
    ):
        customer_credentials_revoke(
            customer=customer, keep_refresh_jti=keep_refresh_jti, keep_session_key=keep_session_key
        )
    return customer


def customer_set_state(*, customer: Customer, state: str) -> Customer:
    """Enable or disable (or invite/decline); leaving `enabled` revokes every credential."""
    return customer_update(customer=customer, state=state)


@transaction.atomic
def customer_soft_delete(*, customer: Customer) -> Customer:
    """Hide the customer from every API and free its email and phones (SPEC 1.5)."""
    customer = customer_lock(customer=customer)
    if customer.deleted_at is None:
        customer.deleted_at = timezone.now()
        customer.save(update_fields=["deleted_at", "updated_at"])
    customer_credentials_revoke(customer=customer)
    return customer


@transaction.atomic
def customer_restore(*, customer: Customer) -> Customer:
    """Undo a soft delete.

    Raises:
        CustomerNotDeleted: the customer is not soft-deleted.
        EmailAlreadyUsed, PhoneAlreadyUsed: another customer took them meanwhile.
    """
    customer = customer_lock(customer=customer)
    if customer.deleted_at is None:
        raise CustomerNotDeleted()
    customer.deleted_at = None
    _raise_first_conflict(customer)
    try:
        with transaction.atomic():
            customer.save(update_fields=["deleted_at", "updated_at"])
    except IntegrityError as error:
        raise_for_integrity_error(error)
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer) -> Customer:
    """Remove the customer for good, with its addresses, keys, tokens and sessions.

    Returns the deleted instance (its `pk` kept) so that a dialect can echo it.
    """
    customer = customer_lock(customer=customer)
    customer_credentials_revoke(customer=customer)
    pk = customer.pk
    customer.delete()
    customer.pk = customer.id = pk
    return customer


ANONYMIZED_EMAIL_DOMAIN = "invalid"


@transaction.atomic
def customer_anonymize(*, customer: Customer) -> Customer:
    """Scrub the customer's personal data in one transaction (SPEC 1.5).

    Keeps `id`, `uuid`, `reference`, `store` and `created_at`; everything that names or
    reaches the person is emptied and every credential is revoked.
    """
    customer = customer_lock(customer=customer)
    customer.email = f"anonymized-{customer.uuid}@{ANONYMIZED_EMAIL_DOMAIN}"
    customer.salutation = ""
    customer.first_name = ""
    customer.last_name = ""
    customer.gender = None
    customer.date_of_birth = None
    customer.phone = None
    customer.mobile = None
    customer.attribute_groups = {}
    customer.tax_exemptions = []
    customer.set_password(None)
    customer.state = Customer.State.DISABLED
    customer.anonymized_at = timezone.now()
    customer.save()
    customer.addresses.update(
        label="",
        salutation="",
        first_name="",
        last_name="",
        company="",
        address1="",
        address2="",
        address3="",
        postcode="",
        phone="",
        email="",
        updated_at=timezone.now(),
    )
    customer_credentials_revoke(customer=customer)
    return customer


def customer_check_password(*, customer: Customer, password: str) -> bool:
    """Check `password`; a correct one stored with an old hasher is re-hashed with Argon2."""

    def upgrade(raw: str) -> None:
        customer.set_password(raw)
        Customer.objects.filter(pk=customer.pk).update(password=customer.password)

    return check_password(password, customer.password, setter=upgrade)


def customer_record_login(*, customer: Customer) -> None:
    customer.touch_login()
    Customer.objects.filter(pk=customer.pk).update(last_login_at=customer.last_login_at)


# --- Bulk import fast path --------------------------------------------------------------------
# A million-row import cannot afford a model instance and `full_clean()` per row (about 1.6 ms
# a row, measured). These functions apply the same rules, from the same definitions
# (`_normalised_field`, the model fields via `validation.model_field_clean`, the address
# rules), to plain column values, and insert them with PostgreSQL's COPY.


@dataclass
class CustomerRow:
    """A validated, unsaved customer as column values, with its addresses' column values.

    It reads like a `CustomerDraft` (`.customer.email`, `.reference`), so the set-based
    uniqueness check and the reference allocation take either.
    """

    values: dict[str, Any]
    addresses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def customer(self) -> "CustomerRow":
        return self

    @property
    def email(self) -> str:
        return self.values["email"]

    @property
    def phone(self) -> Any:
        return self.values.get("phone")

    @property
    def mobile(self) -> Any:
        return self.values.get("mobile")

    @property
    def reference(self) -> str:
        return self.values.get("reference", "")

    @reference.setter
    def reference(self, value: str) -> None:
        self.values["reference"] = value


def customer_groups_known() -> frozenset[int]:
    """The ids of the customer groups, read once per import batch instead of once per row."""
    return frozenset(CustomerGroup.objects.values_list("pk", flat=True))


def customer_row_build(
    *,
    group_ids: frozenset[int],
    password_hash: str | None = None,
    reference: str | None = None,
    addresses: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> CustomerRow:
    """Validate a new customer like `customer_build`, as column values (the import path).

    `group_ids` comes from `customer_groups_known()`. Without `password_hash` the password is
    unusable.

    Raises:
        ValidationError: keyed by domain field names (addresses as `addresses.<i>.<field>`),
            with the same messages and codes as `customer_build`.
    """
    errors: dict[str, list[ValidationError]] = {}
    values = (
        _collect(errors, lambda: customer_values_clean(fields, group_exists=group_ids.__contains__))
        or {}
    )
    for name in ("phone", "mobile"):
        if values.get(name) is not None:
            # E.164 text is what the column stores.
            values[name] = values[name].as_e164
    values["password"] = _collect(errors, lambda: _password_hash_value(password_hash))
    reference_value = _collect(errors, lambda: _reference_clean(reference))
    if reference_value:
        values["reference"] = reference_value
    address_values = _collect(errors, lambda: _addresses_clean(addresses))
    if errors:
        raise ValidationError(errors)
    return CustomerRow(values=values, addresses=address_values)


def _password_hash_value(password_hash: str | None) -> str:
    if password_hash:
        return validation.validate_password_hash(password_hash)
    # What `make_password(None)` stores ("!" and 40 random characters), without its
    # per-character `secrets.choice` loop, which cost 0.15 ms a row.
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20)


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
    _assign_references(store, rows)
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


# --- The bulk write service -------------------------------------------------------------------


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
    NOT_WRITTEN); it is meant for CREATE.
    """
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
        candidates = _existing_rows_apply(
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
    if all_or_nothing and results:
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


def _existing_rows_apply(
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
        with transaction.atomic():
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
