"""The customer rule table and the validation of new and changed customers.

One table (CUSTOMER_RULES) drives the single path (`customer_build`, a model instance) and
the bulk path (`customer_row_build`, plain column values), so they judge alike.
"""

import functools
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from addresses.models import Address
from addresses.services import (
    address_values_build,
    addresses_first_is_default,
)
from customers import validation
from customers.models import Customer, CustomerGroup, Store
from customers.validation import FieldRule

_MARKETING_FIELDS = ("accepts_marketing", "marketing_optin_level")


@dataclass
class CustomerDraft:
    """A validated, unsaved customer with its unsaved addresses (the bulk paths' unit)."""

    customer: Customer
    addresses: list[Address] = field(default_factory=list)


def _phone(name: str, region: str | None = None) -> FieldRule:
    # `normalise_phone` applies the phone field's rule (a valid number); the model field's
    # checks would parse it again, which costs more than the rest of a row.
    return FieldRule(
        normalise=functools.partial(validation.normalise_phone, field=name, region=region),
        model_check=False,
    )


# The customer rule table: domain fields a caller may set on create or update (besides the
# password and the reference). Every write path reads its values from it.
CUSTOMER_RULES: dict[str, FieldRule] = {
    "email": FieldRule(normalise=validation.normalise_email, required=True, text=False),
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


@functools.cache
def customer_rules(phone_region: str | None) -> Mapping[str, FieldRule]:
    """CUSTOMER_RULES reading national phone numbers in `phone_region` (SPEC 10).

    The region is the store's (`validation.store_phone_region`); None reads them in
    `PHONENUMBER_DEFAULT_REGION`, as CUSTOMER_RULES does.
    """
    if phone_region is None:
        return CUSTOMER_RULES
    return {
        **CUSTOMER_RULES,
        "phone": _phone("phone", phone_region),
        "mobile": _phone("mobile", phone_region),
    }


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
    phone_region: str | None = None,
) -> dict[str, Any]:
    """Normalise and check customer fields by CUSTOMER_RULES: the column values they set.

    `current` is the customer being changed (None for a new one); `group_exists` answers
    whether a group id is known (the bulk path passes a lookup in `customer_groups_known()`);
    national phone numbers are read in `phone_region` (`customer_rules`).

    Raises:
        ValidationError: keyed by domain field name.
    """
    values, errors = validation.rules_apply(
        Customer,
        customer_rules(phone_region),
        fields,
        creating=current is None,
        check=functools.partial(_check_group, group_exists=group_exists),
    )
    if errors:
        raise ValidationError(errors)
    _marketing_rule(values, fields, current)
    return values


def customer_fields_apply(customer: Customer, fields: Mapping[str, Any]) -> None:
    """Normalise and set `fields` on the saved `customer`; one ValidationError for all."""
    region = None
    if "phone" in fields or "mobile" in fields:
        region = validation.store_phone_region(customer.store)
    for name, value in customer_values_clean(fields, current=customer, phone_region=region).items():
        setattr(customer, name, value)


def _reference_clean(reference: str | None) -> str | None:
    if reference is None or reference == "":
        return None
    if not isinstance(reference, str):
        raise validation.field_error("reference", validation.NOT_TEXT, "invalid")
    validation.text_check(reference, field="reference")
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


def customer_password_apply(
    customer: Customer, *, password: str | None, password_hash: str | None
) -> None:
    if password is not None:
        if not isinstance(password, str):
            raise validation.field_error("password", validation.NOT_TEXT, "invalid")
        # A lone surrogate has no bytes to hash: refused, not a hasher's UnicodeEncodeError.
        validation.text_check(password, field="password")
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
    region = validation.store_phone_region(store)
    values = _collect(errors, lambda: customer_values_clean(fields, phone_region=region)) or {}
    customer = Customer(store=store, **values)
    _collect(
        errors,
        lambda: customer_password_apply(customer, password=password, password_hash=password_hash),
    )
    customer.reference = _collect(errors, lambda: _reference_clean(reference)) or ""
    address_values = _collect(errors, lambda: _addresses_clean(addresses))
    if errors:
        raise ValidationError(errors)
    drafts = [Address(**address) for address in address_values]
    return CustomerDraft(customer=customer, addresses=drafts)


# The bulk path: a million-row import cannot afford a model instance and `full_clean()` per
# row (about 1.6 ms a row, measured). `customer_row_build` applies the same rule table to plain
# column values, which `inserts.customers_rows_insert` writes with PostgreSQL's COPY.


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


def customer_row_build(
    *,
    group_ids: frozenset[int],
    password_hash: str | None = None,
    reference: str | None = None,
    addresses: Iterable[Mapping[str, Any]] = (),
    phone_region: str | None = None,
    **fields: Any,
) -> CustomerRow:
    """Validate a new customer like `customer_build`, as column values (the import path).

    `group_ids` comes from `customer_groups_known()`; `phone_region` is the store's
    (`validation.store_phone_region`), which `customer_build` reads from its store. Without
    `password_hash` the password is unusable.

    Raises:
        ValidationError: keyed by domain field names (addresses as `addresses.<i>.<field>`),
            with the same messages and codes as `customer_build`.
    """
    errors: dict[str, list[ValidationError]] = {}
    values = (
        _collect(
            errors,
            lambda: customer_values_clean(
                fields, group_exists=group_ids.__contains__, phone_region=phone_region
            ),
        )
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
