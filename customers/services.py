"""Every write to stores and customers: create, update, state changes, the three deletes.

Dialects, the admin and the commands call these functions and nothing else. Each one owns its
transaction, validates before it saves, and turns a lost race on a unique constraint into the
same domain error that the up-front check raises.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest, Lower
from django.utils import timezone

from addresses.models import Address
from customers import validation
from customers.errors import (
    CustomerGroupNotFound,
    CustomerGroupProtected,
    CustomerNotDeleted,
    EmailAlreadyUsed,
    PhoneAlreadyUsed,
    ReferenceAlreadyUsed,
    ReferenceImmutable,
)
from customers.lock_objects import customer_lock
from customers.models import DEFAULT_GROUP_ID, Customer, CustomerGroup, Store

# Domain fields a caller may set on create or update (besides the password and reference).
CUSTOMER_FIELDS = frozenset(
    {
        "email",
        "salutation",
        "first_name",
        "last_name",
        "full_name",
        "gender",
        "date_of_birth",
        "phone",
        "mobile",
        "state",
        "group_id",
        "accepts_marketing",
        "marketing_optin_level",
        "tax_exempt",
        "tax_exemptions",
        "attribute_groups",
        "email_verified_at",
        "accepted_terms_at",
    }
)
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
    store, created = Store.objects.get_or_create(code=code, defaults={"name": name})
    return store, created


def customer_group_delete(*, group: CustomerGroup) -> None:
    """Raises: CustomerGroupProtected for the default group."""
    if group.pk == DEFAULT_GROUP_ID:
        raise CustomerGroupProtected()
    group.delete()


# --- Building and checking customers ----------------------------------------------------------


def _apply_fields(customer: Customer, fields: Mapping[str, Any]) -> None:
    """Normalise and set `fields` on `customer`; raise one ValidationError for all problems."""
    unknown = set(fields) - CUSTOMER_FIELDS
    if unknown:
        raise TypeError(f"Not customer fields: {sorted(unknown)}")
    errors: dict[str, list[ValidationError]] = {}

    def collect(error: ValidationError) -> None:
        for name, messages in error.error_dict.items():
            errors.setdefault(name, []).extend(messages)

    marketing_before = (customer.accepts_marketing, customer.marketing_optin_level)
    for name, value in fields.items():
        try:
            if name == "full_name":
                customer.first_name, customer.last_name = validation.split_full_name(value or "")
            elif name == "email":
                customer.email = validation.normalise_email(value)
            elif name in ("phone", "mobile"):
                setattr(customer, name, validation.normalise_phone(value, field=name))
            elif name == "date_of_birth":
                customer.date_of_birth = validation.validate_date_of_birth(value)
            elif name == "tax_exemptions":
                customer.tax_exemptions = validation.validate_tax_exemptions(value)
            elif name == "attribute_groups":
                customer.attribute_groups = validation.validate_attribute_groups(value)
            elif name in ("email_verified_at", "accepted_terms_at"):
                setattr(customer, name, validation.aware(value))
            elif name in ("salutation", "first_name", "last_name"):
                setattr(customer, name, value or "")
            else:
                setattr(customer, name, value)
        except ValidationError as error:
            collect(error)

    # TWC: no marketing consent means no opt-in level.
    if not customer.accepts_marketing:
        customer.marketing_optin_level = None
    if (customer.accepts_marketing, customer.marketing_optin_level) != marketing_before or (
        customer.pk is None and any(name in fields for name in _MARKETING_FIELDS)
    ):
        customer.marketing_preferences_updated_at = timezone.now()

    exclude = ["password", "reference", "store", "uuid"] + [
        name for name in ("phone", "mobile", "date_of_birth") if name in errors
    ]
    try:
        customer.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        collect(error)
    group_unchecked = "group_id" in fields and not {"group", "group_id"} & set(errors)
    if group_unchecked and not CustomerGroup.objects.filter(pk=customer.group_id).exists():
        errors["group_id"] = [
            ValidationError(CustomerGroupNotFound.message, code=CustomerGroupNotFound.code)
        ]
    if errors:
        raise ValidationError(errors)


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


def customer_build(
    *,
    store: Store,
    password: str | None = None,
    password_hash: str | None = None,
    reference: str | None = None,
    addresses: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> CustomerDraft:
    """Validate a new customer without touching uniqueness or saving anything.

    Raises:
        ValidationError: keyed by domain field names (addresses as `addresses.<i>.<field>`).
    """
    from addresses.services import address_build

    customer = Customer(store=store)
    errors: dict[str, list[ValidationError]] = {}
    for step in (
        lambda: _apply_fields(customer, fields),
        lambda: _apply_password(customer, password=password, password_hash=password_hash),
        lambda: _apply_reference(customer, reference),
    ):
        try:
            step()
        except ValidationError as error:
            for name, messages in error.error_dict.items():
                errors.setdefault(name, []).extend(messages)
    drafts = []
    for index, data in enumerate(addresses):
        try:
            drafts.append(address_build(customer=customer, **data))
        except ValidationError as error:
            for name, messages in error.error_dict.items():
                errors.setdefault(f"addresses.{index}.{name}", []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if drafts:
        # The first address of a customer is its default shipping and billing address.
        for draft in drafts:
            draft.is_default_shipping = draft.is_default_billing = False
        drafts[0].is_default_shipping = drafts[0].is_default_billing = True
    return CustomerDraft(customer=customer, addresses=drafts)


def _apply_reference(customer: Customer, reference: str | None) -> None:
    if reference is None or reference == "":
        return
    customer.reference = reference
    customer.full_clean(
        exclude=[f.name for f in Customer._meta.fields if f.name != "reference"],
        validate_unique=False,
        validate_constraints=False,
    )


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
    **fields: Any,
) -> Customer:
    """Create a customer, with its addresses, in `store`.

    `fields` are domain fields (CUSTOMER_FIELDS); `password` is raw and validated,
    `password_hash` is an already hashed password (imports); with neither the password is
    unusable. The reference is generated unless supplied.

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
    taken = {
        "email": set(
            live.alias(email_lower=Lower("email"))
            .filter(email_lower__in=keys["email"])
            .values_list("email_lower", flat=True)
        )
        if keys["email"]
        else set(),
        "phone": {
            str(p) for p in live.filter(phone__in=keys["phone"]).values_list("phone", flat=True)
        }
        if keys["phone"]
        else set(),
        "mobile": {
            str(p) for p in live.filter(mobile__in=keys["mobile"]).values_list("mobile", flat=True)
        }
        if keys["mobile"]
        else set(),
        "reference": set(
            Customer.objects.filter(store=store, reference__in=keys["reference"]).values_list(
                "reference", flat=True
            )
        )
        if keys["reference"]
        else set(),
    }
    for (name, value), index in seen.items():
        if value in taken[name]:
            problems.setdefault(index, []).append((_error_for(name), name))
    return problems


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
    from accounts.services import customer_credentials_revoke

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
    from accounts.services import customer_credentials_revoke

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
    from accounts.services import customer_credentials_revoke

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
    from accounts.services import customer_credentials_revoke

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
    from django.contrib.auth.hashers import check_password

    def upgrade(raw: str) -> None:
        customer.set_password(raw)
        Customer.objects.filter(pk=customer.pk).update(password=customer.password)

    return check_password(password, customer.password, setter=upgrade)


def customer_record_login(*, customer: Customer) -> None:
    customer.touch_login()
    Customer.objects.filter(pk=customer.pk).update(last_login_at=customer.last_login_at)


def customer_terms_check(*, accepted_terms: Any) -> None:
    """Raises: TermsNotAccepted unless `accepted_terms` is exactly `True`."""
    from customers.errors import TermsNotAccepted

    if accepted_terms is not True:
        raise TermsNotAccepted(field="accepted_terms")
