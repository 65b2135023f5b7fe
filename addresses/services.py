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
from customers.validation import FieldRule, full_name_split, none_as_empty_text, rules_apply
from customers.webhooks import services as events


def _text() -> FieldRule:
    return FieldRule(normalise=none_as_empty_text)


def _flag(value: Any) -> bool:
    return bool(value)


# The address rule table: every write path (one address, a customer's addresses, the bulk
# import) reads its values from it.
ADDRESS_RULES: dict[str, FieldRule] = {
    "label": _text(),
    "salutation": _text(),
    "first_name": _text(),
    "last_name": _text(),
    "full_name": FieldRule(split=full_name_split),
    "company": _text(),
    "address1": FieldRule(normalise=none_as_empty_text, required=True),
    "address2": _text(),
    "address3": _text(),
    "postcode": _text(),
    "city": FieldRule(normalise=none_as_empty_text, required=True),
    "province": _text(),
    "province_code": _text(),
    "country": FieldRule(normalise=validation.normalise_country, required=True, text=False),
    "phone": _text(),
    "email": _text(),
    "is_default_shipping": FieldRule(normalise=_flag),
    "is_default_billing": FieldRule(normalise=_flag),
}
# `country_code` (an ISO 3166-1 alpha-2 code, TWC `countryCode`, Glue `iso2Code`) is accepted
# beside `country` and wins over it when it has a value.
ADDRESS_FIELDS = frozenset(ADDRESS_RULES) | {"country_code"}


def _country_code_wins(fields: Mapping[str, Any]) -> Mapping[str, Any]:
    if "country_code" not in fields:
        return fields
    fields = dict(fields)
    code = fields.pop("country_code")
    fields["country"] = code or fields.get("country")
    return fields


def address_values_clean(*, creating: bool, **fields: Any) -> dict[str, Any]:
    """Normalise and check address fields by ADDRESS_RULES: the column values they set.

    Raises:
        ValidationError: keyed by domain field name.
    """
    values, errors = rules_apply(
        Address, ADDRESS_RULES, _country_code_wins(fields), creating=creating
    )
    if errors:
        raise ValidationError(errors)
    return values


def address_build(*, customer: Customer, **fields: Any) -> Address:
    """Validate a new address for `customer` without saving it.

    Raises:
        ValidationError: keyed by domain field name.
    """
    return Address(customer=customer, **address_values_clean(creating=True, **fields))


def address_values_build(**fields: Any) -> dict[str, Any]:
    """Validate a new address as plain column values, for the bulk paths.

    Raises:
        ValidationError: keyed by domain field name.
    """
    return address_values_clean(creating=True, **fields)


def addresses_first_is_default(addresses: list[dict[str, Any]]) -> None:
    """A new customer's first address is its default shipping and billing address."""
    for index, address in enumerate(addresses):
        address["is_default_shipping"] = address["is_default_billing"] = index == 0


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
def address_create(*, customer: Customer, claim_defaults: bool = False, **fields: Any) -> Address:
    """Add an address; the customer's first address is its default shipping and billing.

    With `claim_defaults` (Glue) a default flag the input does not give is true: the new
    address takes that default from the others.

    Raises:
        ValidationError: keyed by domain field name.
    """
    if claim_defaults:
        fields = {"is_default_shipping": True, "is_default_billing": True, **fields}
    customer = customer_lock(customer=customer)
    address = address_build(customer=customer, **fields)
    if not Address.objects.filter(customer=customer).exists():
        address.is_default_shipping = address.is_default_billing = True
    _take_default_flags(address)
    address.save(force_insert=True)
    events.event_record(type="address.created", customer=customer, address=address)
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
    for name, value in address_values_clean(creating=False, **changes).items():
        setattr(address, name, value)
    _take_default_flags(address)
    address.save()
    events.event_record(type="address.updated", customer=address.customer, address=address)
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
    events.event_record(type="address.deleted", customer=address.customer, address=address)
    address.delete()
