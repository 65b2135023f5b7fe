"""Every write to addresses, with the default-address rules of SPEC 1.3.

A customer has at most one default shipping and one default billing address; its first
address is both; making an address a default takes the flag from the others; `false` for a
current default is ignored (only deleting it leaves the customer without one).
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from addresses.models import Address
from customers import validation
from customers.lock_objects import customer_lock
from customers.models import Customer

ADDRESS_FIELDS = frozenset(
    {
        "label",
        "salutation",
        "first_name",
        "last_name",
        "full_name",
        "company",
        "address1",
        "address2",
        "address3",
        "postcode",
        "city",
        "province",
        "province_code",
        "country",
        "phone",
        "email",
        "is_default_shipping",
        "is_default_billing",
    }
)
_TEXT_FIELDS = ADDRESS_FIELDS - {
    "full_name",
    "country",
    "is_default_shipping",
    "is_default_billing",
}


def _normalised_field(name: str, value: Any) -> list[tuple[str, Any]]:
    """The attribute values one input field sets, normalised (shared by every write path)."""
    if name == "full_name":
        first_name, last_name = validation.split_full_name(value or "")
        return [("first_name", first_name), ("last_name", last_name)]
    if name == "country":
        return [("country", validation.normalise_country(value))]
    if name in _TEXT_FIELDS:
        return [(name, "" if value is None else value)]
    return [(name, bool(value))]


def _apply_fields(address: Address, fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - ADDRESS_FIELDS
    if unknown:
        raise TypeError(f"Not address fields: {sorted(unknown)}")
    errors: dict[str, list[ValidationError]] = {}
    for name, value in fields.items():
        try:
            for attname, normalised in _normalised_field(name, value):
                setattr(address, attname, normalised)
        except ValidationError as error:
            errors.update(error.error_dict)
    try:
        address.full_clean(
            exclude=["customer", "uuid", *errors], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        errors.update(error.error_dict)
    for required in ("address1", "city"):
        if required not in errors and not str(getattr(address, required)).strip():
            errors[required] = [ValidationError("This field cannot be blank.", code="blank")]
    if errors:
        raise ValidationError(errors)


def address_build(*, customer: Customer, **fields: Any) -> Address:
    """Validate a new address for `customer` without saving it.

    Raises:
        ValidationError: keyed by domain field name.
    """
    address = Address(customer=customer)
    _apply_fields(address, fields)
    return address


def address_values_build(**fields: Any) -> dict[str, Any]:
    """Validate a new address as plain column values, for the bulk import path.

    The same normalisation and the same model-field rules as `address_build`, without
    building a model instance (a million-row import cannot afford `full_clean()` per row).

    Raises:
        ValidationError: keyed by domain field name.
    """
    unknown = set(fields) - ADDRESS_FIELDS
    if unknown:
        raise TypeError(f"Not address fields: {sorted(unknown)}")
    values: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}
    for name, value in fields.items():
        try:
            values.update(_normalised_field(name, value))
        except ValidationError as error:
            errors.update(error.error_dict)
    for name, value in list(values.items()):
        if name in errors:
            continue
        try:
            values[name] = validation.model_field_clean(Address, name, value)
        except ValidationError as error:
            errors.update(error.error_dict)
    for required in ("address1", "city", "country"):
        if required not in errors and not str(values.get(required) or "").strip():
            errors[required] = [ValidationError("This field cannot be blank.", code="blank")]
    if errors:
        raise ValidationError(errors)
    return values


def _take_default_flags(address: Address) -> None:
    """Clear the flags `address` claims from the customer's other addresses."""
    others = Address.objects.filter(customer_id=address.customer_id).exclude(pk=address.pk)
    if address.is_default_shipping:
        others.filter(is_default_shipping=True).update(
            is_default_shipping=False, updated_at=timezone.now()
        )
    if address.is_default_billing:
        others.filter(is_default_billing=True).update(
            is_default_billing=False, updated_at=timezone.now()
        )


@transaction.atomic
def address_create(*, customer: Customer, **fields: Any) -> Address:
    """Add an address; the customer's first address is its default shipping and billing.

    Raises:
        ValidationError: keyed by domain field name.
    """
    customer = customer_lock(customer=customer)
    address = address_build(customer=customer, **fields)
    if not Address.objects.filter(customer=customer).exists():
        address.is_default_shipping = address.is_default_billing = True
    _take_default_flags(address)
    address.save(force_insert=True)
    return address


@transaction.atomic
def address_update(*, address: Address, **changes: Any) -> Address:
    """Change the given fields; `true` for a default flag takes it from the other addresses.

    Raises:
        ValidationError: keyed by domain field name.
    """
    customer_lock(customer=address.customer)
    address = Address.objects.select_related("customer").get(pk=address.pk)
    # Turning a current default off is ignored: it stays until another address takes it.
    for flag in ("is_default_shipping", "is_default_billing"):
        if flag in changes and not changes[flag] and getattr(address, flag):
            changes = {**changes, flag: True}
    _apply_fields(address, changes)
    _take_default_flags(address)
    address.save()
    return address


@transaction.atomic
def address_set_default(
    *, address: Address, shipping: bool = True, billing: bool = True
) -> Address:
    """Make `address` the customer's default shipping and/or billing address."""
    changes = {}
    if shipping:
        changes["is_default_shipping"] = True
    if billing:
        changes["is_default_billing"] = True
    return address_update(address=address, **changes)


@transaction.atomic
def address_delete(*, address: Address) -> None:
    """Delete the address; deleting a default leaves the customer without that default."""
    customer_lock(customer=address.customer)
    address.delete()
