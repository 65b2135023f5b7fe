"""One customer's writes: create, update, state changes, the three deletes, and login helpers.

Each one owns its transaction, validates before it saves, and turns a lost race on a unique
constraint into the same domain error that the up-front check raises.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.hashers import check_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.credentials import customer_credentials_revoke
from accounts.notifications import email_change_notify
from addresses.models import Address
from customers.errors import (
    CustomerNotDeleted,
    ReferenceImmutable,
    StaffOnlyField,
)
from customers.lock_objects import customer_lock
from customers.models import Customer, Store
from customers.services.references import references_assign
from customers.services.rules import (
    CustomerDraft,
    customer_build,
    customer_fields_apply,
    customer_password_apply,
)
from customers.services.uniqueness import customer_conflicts_raise, raise_for_integrity_error
from customers.webhooks import services as events

# Fields that only staff may set; a customer (or an anonymous registration) sending any of
# them is refused whatever the value (SPEC 5).
STAFF_ONLY_FIELDS = ("state", "group_id", "store")


def customer_staff_fields_refuse(*, fields: Iterable[str]) -> None:
    """Refuse the staff-only fields among `fields` (domain names) for a caller that is not staff.

    Raises:
        StaffOnlyField: any of STAFF_ONLY_FIELDS is present; `params["fields"]` names them.
    """
    sent = set(fields)
    refused = [name for name in STAFF_ONLY_FIELDS if name in sent]
    if refused:
        raise StaffOnlyField(params={"fields": refused})


def _save_draft(draft: CustomerDraft) -> Customer:
    customer = draft.customer
    customer_conflicts_raise(customer)
    references_assign(store=customer.store, customers=[customer])
    try:
        with transaction.atomic():
            customer.save(force_insert=True)
    except IntegrityError as error:
        raise_for_integrity_error(error)
    for address in draft.addresses:
        address.customer = customer
    Address.objects.bulk_create(draft.addresses)
    return customer


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
    customer = _save_draft(draft)
    events.event_record(type="customer.created", customer=customer)
    return customer


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    password: str | None = None,
    reference: str | None = None,
    keep_refresh_jti: str | None = None,
    keep_session_key: str | None = None,
    by_staff: bool = True,
    **changes: Any,
) -> Customer:
    """Change the given fields of `customer`; fields not given keep their value.

    A new email (not just a change of case) clears `email_verified_at`, unless the same call
    sets it, and queues a confirmation to the new address and a notice to the old one.

    A new password, or leaving the `enabled` state, revokes the customer's refresh tokens,
    sessions and keys, except the caller's own token or session when it names them. With
    `by_staff=False` (the customer changing itself) the staff-only fields are refused before
    anything else is looked at.

    Raises:
        StaffOnlyField: `by_staff` is false and a staff-only field was given.
        ValidationError: invalid fields, keyed by domain field name.
        EmailAlreadyUsed, PhoneAlreadyUsed: uniqueness in the store.
        ReferenceImmutable: a different `reference` was given.
    """
    if not by_staff:
        customer_staff_fields_refuse(fields=changes)
    if reference is not None and reference != customer.reference:
        raise ReferenceImmutable(field="reference")
    customer = customer_lock(customer=customer)
    state_before = customer.state
    old_email = customer.email
    before = events.customer_snapshot(customer)
    customer_fields_apply(customer, changes)
    # A new mailbox must be confirmed again (SPEC 12); a change of case only is the same
    # mailbox (uniqueness compares emails case-insensitively), so it keeps its verification.
    email_changed = customer.email.lower() != old_email.lower()
    if email_changed and "email_verified_at" not in changes:
        customer.email_verified_at = None
    if password is not None:
        customer_password_apply(customer, password=password, password_hash=None)
    customer_conflicts_raise(customer)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as error:
        raise_for_integrity_error(error)
    if email_changed:
        # Queued by this transaction: a change that rolls back sends nothing.
        email_change_notify(customer=customer, old_email=old_email)
    if password is not None or (
        state_before == Customer.State.ENABLED and customer.state != Customer.State.ENABLED
    ):
        customer_credentials_revoke(
            customer=customer, keep_refresh_jti=keep_refresh_jti, keep_session_key=keep_session_key
        )
    events.customer_changes_record(
        customer=customer, before=before, password_changed=bool(password)
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
        events.event_record(type="customer.deleted", customer=customer)
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
    customer_conflicts_raise(customer)
    try:
        with transaction.atomic():
            customer.save(update_fields=["deleted_at", "updated_at"])
    except IntegrityError as error:
        raise_for_integrity_error(error)
    events.event_record(type="customer.restored", customer=customer)
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer) -> Customer:
    """Remove the customer for good, with its addresses, keys, tokens and sessions.

    Returns the deleted instance (its `pk` kept) so that a dialect can echo it.
    """
    customer = customer_lock(customer=customer)
    customer_credentials_revoke(customer=customer)
    events.event_record(type="customer.purged", customer=customer)
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
    events.event_record(type="customer.anonymized", customer=customer)
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
