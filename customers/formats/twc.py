"""The TWC customer representation (SPEC 6) to and from the domain's field names.

Part of the core: the import and export read and write these JSON objects, and the
Integration dialect (`customers/api/integration.py`) uses the same functions.
`twc_to_domain` only checks the *shape* of the input (types, known choices, date formats);
every business rule stays in `customers.services`, which reports its problems by domain field
name; `twc_field` turns those names back into the TWC names a client sent.
"""

import functools
import re
import threading
from datetime import UTC, date, datetime
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import translation
from django_countries import countries
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from customers import validation
from customers.models import Customer, CustomerState, OptinLevel

# --- Input ------------------------------------------------------------------------------------


class StrictCharField(serializers.CharField):
    """A JSON string that a column can hold.

    DRF's CharField would quietly turn numbers into text; NUL and lone surrogates are
    refused with the core's own rule (`customers.validation.text_problem`), so the wire and
    the services answer them alike.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The core's check replaces DRF's two validators (its surrogate one walks every
        # character in Python).
        self.validators = [
            v
            for v in self.validators
            if not isinstance(
                v, ProhibitSurrogateCharactersValidator | ProhibitNullCharactersValidator
            )
        ]

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        problem = validation.text_problem(data)
        if problem is not None:
            message, code = problem
            raise serializers.ValidationError(message, code=code)
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON `true` or `false`; DRF's BooleanField also takes "yes", 1, "on" and friends."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class DobField(serializers.Field):
    """`YYYY-MM-DD`, or an ISO 8601 date-time as in the seed, whose date part is kept."""

    default_error_messages = {
        "invalid": "Date has wrong format. Use YYYY-MM-DD or an ISO 8601 date-time.",
    }
    _DATE_TIME = re.compile(
        r"(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"
    )

    def to_internal_value(self, data: Any) -> date:
        if not isinstance(data, str):
            self.fail("invalid")
        text = data.strip()
        match = self._DATE_TIME.fullmatch(text)
        try:
            return date.fromisoformat(match.group(1) if match else text)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value: date) -> str:
        return value.isoformat()


def _text(**kwargs: Any) -> StrictCharField:
    return StrictCharField(required=False, allow_blank=True, allow_null=True, **kwargs)


def _flag() -> StrictBooleanField:
    return StrictBooleanField(required=False)


class TwcAddressSerializer(serializers.Serializer):
    """One TWC address; `id` and `customerId` are read-only and ignored."""

    address1 = _text()
    address2 = _text()
    addressName = _text()
    city = _text()
    company = _text()
    country = _text()
    countryCode = _text()
    defaultAddress = _flag()
    email = _text()
    firstName = _text()
    lastName = _text()
    phone = _text()
    postcode = _text()
    province = _text()
    provinceCode = _text()


class TwcCustomerSerializer(serializers.Serializer):
    """One TWC customer; read-only keys (`id`, `createdDate`, ...) and unknown keys are ignored."""

    email = _text()
    firstName = _text()
    lastName = _text()
    phone = _text()
    mobile = _text()
    dob = DobField(required=False, allow_null=True)
    active = _flag()
    customer_state = serializers.ChoiceField(choices=CustomerState.values, required=False)
    customerState = serializers.ChoiceField(choices=CustomerState.values, required=False)
    accepts_marketing = _flag()
    marketing_optin_level = serializers.ChoiceField(
        choices=OptinLevel.values, required=False, allow_null=True
    )
    taxExempt = _flag()
    taxExemptions = serializers.ListField(
        child=StrictCharField(allow_blank=True), required=False, allow_null=True
    )
    attributeGroups = serializers.DictField(required=False, allow_null=True)
    customerRef = _text()
    addresses = serializers.ListField(child=TwcAddressSerializer(), required=False, allow_null=True)
    # `defaultAddress` is parsed only when it is used (see `twc_to_domain`).


# TWC name -> domain name, for the keys that map one to one.
_CUSTOMER_KEYS = {
    "email": "email",
    "firstName": "first_name",
    "lastName": "last_name",
    "phone": "phone",
    "mobile": "mobile",
    "dob": "date_of_birth",
    "accepts_marketing": "accepts_marketing",
    "marketing_optin_level": "marketing_optin_level",
    "taxExempt": "tax_exempt",
    "taxExemptions": "tax_exemptions",
    "attributeGroups": "attribute_groups",
}
_ADDRESS_KEYS = {
    "address1": "address1",
    "address2": "address2",
    "addressName": "label",
    "city": "city",
    "company": "company",
    "email": "email",
    "firstName": "first_name",
    "lastName": "last_name",
    "phone": "phone",
    "postcode": "postcode",
    "province": "province",
    "provinceCode": "province_code",
}

# Serializers copy their declared fields on first use; one instance per thread and mode is
# reused so that a million-row import does not pay that per row.
_serializers = threading.local()


def _serializer(partial: bool) -> TwcCustomerSerializer:
    name = "partial" if partial else "full"
    serializer = getattr(_serializers, name, None)
    if serializer is None:
        serializer = TwcCustomerSerializer(partial=partial)
        setattr(_serializers, name, serializer)
    return serializer


def _address_to_domain(data: dict[str, Any]) -> dict[str, Any]:
    address = {_ADDRESS_KEYS[key]: value for key, value in data.items() if key in _ADDRESS_KEYS}
    # The domain resolves a name (or a code) to a code; `country_code` wins over `country`.
    if "country" in data:
        address["country"] = data["country"]
    if "countryCode" in data:
        address["country_code"] = data["countryCode"]
    if "defaultAddress" in data:
        address["is_default_shipping"] = address["is_default_billing"] = data["defaultAddress"]
    return address


def _shape_errors(detail: Any, path: str = "") -> dict[str, list[DjangoValidationError]]:
    """DRF's nested error detail as Django errors keyed by TWC path (`addresses[0].city`)."""
    found: dict[str, list[DjangoValidationError]] = {}
    if isinstance(detail, dict):
        items = detail.items()
    elif isinstance(detail, list) and not all(
        isinstance(item, serializers.ErrorDetail) for item in detail
    ):
        items = enumerate(detail)
    else:
        for item in detail if isinstance(detail, list) else [detail]:
            found.setdefault(path or NON_FIELD_ERRORS, []).append(
                DjangoValidationError(str(item), code=getattr(item, "code", "invalid"))
            )
        return found
    for key, value in items:
        if key == "non_field_errors":
            child = path
        elif isinstance(key, int):
            child = f"{path}[{key}]"
        else:
            child = f"{path}.{key}" if path else str(key)
        for name, errors in _shape_errors(value, child).items():
            found.setdefault(name, []).extend(errors)
    return found


def twc_to_domain(data: dict, *, partial: bool = False) -> dict:
    """Parse one TWC customer object into `customer_build`/`customer_create` keyword arguments.

    Args:
        data: the decoded JSON object.
        partial: only the keys present in `data` are returned (PUT); nested `addresses` and
            `defaultAddress` are then left out, since addresses change through their own route.

    Returns:
        Domain field names, plus `reference` and `addresses` (a list of address field dicts).
        `customer_state` (or its synonym `customerState`) wins over `active` when both are
        given; without either there is no `state` (the caller's service applies its default).

    Raises:
        ValidationError: shape problems keyed by TWC name (`dob`, `addresses[0].city`).
    """
    serializer = _serializer(partial)
    try:
        parsed = serializer.run_validation(data)
    except serializers.ValidationError as error:
        raise DjangoValidationError(_shape_errors(error.detail)) from None
    result = {domain: parsed[key] for key, domain in _CUSTOMER_KEYS.items() if key in parsed}
    state = parsed.get("customer_state") or parsed.get("customerState")
    if state is None and "active" in parsed:
        state = (CustomerState.ENABLED if parsed["active"] else CustomerState.DISABLED).value
    if state is not None:
        result["state"] = state
    if "customerRef" in parsed:
        result["reference"] = parsed["customerRef"] or None
        if partial and result["reference"] is None:
            del result["reference"]
    if not partial:
        addresses = [_address_to_domain(item) for item in parsed.get("addresses") or []]
        # The customer-level `defaultAddress` restates one of `addresses` in the seed; on its
        # own it is the customer's (first, hence default) address.
        default = data.get("defaultAddress")
        if not addresses and default is not None:
            try:
                addresses = [twc_address_to_domain(default)]
            except DjangoValidationError as error:
                raise DjangoValidationError(
                    {
                        "defaultAddress"
                        if name == NON_FIELD_ERRORS
                        else f"defaultAddress.{name}": e
                        for name, e in error.error_dict.items()
                    }
                ) from None
        result["addresses"] = addresses
    return result


_address_serializers = threading.local()


def twc_address_to_domain(data: dict) -> dict:
    """Parse one TWC address object into `address_create` keyword arguments.

    Raises:
        ValidationError: shape problems keyed by TWC name (`countryCode`).
    """
    serializer = getattr(_address_serializers, "instance", None)
    if serializer is None:
        serializer = _address_serializers.instance = TwcAddressSerializer()
    try:
        parsed = serializer.run_validation(data)
    except serializers.ValidationError as error:
        raise DjangoValidationError(_shape_errors(error.detail)) from None
    return _address_to_domain(parsed)


# --- Domain field names back to TWC names -----------------------------------------------------

_TWC_FIELDS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "date_of_birth": "dob",
    "state": "customer_state",
    "tax_exempt": "taxExempt",
    "tax_exemptions": "taxExemptions",
    "attribute_groups": "attributeGroups",
    "reference": "customerRef",
    "email_verified_at": "verified_email",
    "group": "group_id",
}
_TWC_ADDRESS_FIELDS = {
    "label": "addressName",
    "first_name": "firstName",
    "last_name": "lastName",
    "province_code": "provinceCode",
    "country": "countryCode",
    "is_default_shipping": "defaultAddress",
    "is_default_billing": "defaultAddress",
}
_ADDRESS_PATH = re.compile(r"addresses\.(\d+)\.(\w+)")


def twc_field(domain_name: str | None) -> str | None:
    """The TWC name of a domain field; None for errors that concern no field.

    `first_name` becomes `firstName`, `addresses.0.city` becomes `addresses[0].city`.
    """
    if domain_name in (None, NON_FIELD_ERRORS, "non_field_errors", ""):
        return None
    match = _ADDRESS_PATH.fullmatch(domain_name)
    if match:
        index, name = match.groups()
        return f"addresses[{index}].{_TWC_ADDRESS_FIELDS.get(name, name)}"
    return _TWC_FIELDS.get(domain_name, domain_name)


def twc_address_field(domain_name: str | None) -> str | None:
    """The TWC name of an address field, for errors of the single-address route."""
    if domain_name in (None, NON_FIELD_ERRORS, "non_field_errors", ""):
        return None
    return _TWC_ADDRESS_FIELDS.get(domain_name, domain_name)


# --- Output -----------------------------------------------------------------------------------


def twc_datetime(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and `Z`, as in the seed (`2022-06-20T06:21:32.358Z`)."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@functools.cache
def _country_name(code: str) -> str:
    # The English name (SPEC 1.3); looked up once per code, not once per address rendered.
    with translation.override("en"):
        return str(countries.name(code)) if code else ""


def address_to_twc(address: Any, customer: Customer) -> dict[str, Any]:
    country = address.country  # a new Country object on every read: read it once
    code = country.code if country else ""
    return {
        "address1": address.address1,
        "address2": address.address2,
        "addressName": address.label,
        "city": address.city,
        "company": address.company,
        "country": _country_name(code),
        "countryCode": code,
        "customerId": str(customer.uuid),
        "defaultAddress": address.is_default_shipping,
        "email": address.email,
        "firstName": address.first_name,
        "id": str(address.uuid),
        "lastName": address.last_name,
        "phone": address.phone,
        "postcode": address.postcode,
        "province": address.province,
        "provinceCode": address.province_code,
    }


def _phone(value: Any) -> str | None:
    return value.as_e164 if value else None


def customer_to_twc(customer: Customer) -> dict[str, Any]:
    """The SPEC 6 representation, keys in the seed's order; read addresses are prefetched."""
    addresses = list(customer.addresses.all())
    rendered = {address.pk: address_to_twc(address, customer) for address in addresses}
    default = next((address for address in addresses if address.is_default_shipping), None)
    return {
        "accepts_marketing": customer.accepts_marketing,
        "active": customer.state == CustomerState.ENABLED,
        "addresses": list(rendered.values()),
        "attributeGroups": customer.attribute_groups or {},
        "createdDate": twc_datetime(customer.created_at),
        "customerRef": customer.reference,
        "customer_state": customer.state,
        "defaultAddress": rendered[default.pk] if default is not None else None,
        "dob": customer.date_of_birth.isoformat() if customer.date_of_birth else None,
        "email": customer.email,
        "firstName": customer.first_name,
        "id": str(customer.uuid),
        "lastModifiedDate": twc_datetime(customer.updated_at),
        "lastName": customer.last_name,
        "marketing_optin_level": customer.marketing_optin_level,
        "marketing_preferences_updated_at": twc_datetime(customer.marketing_preferences_updated_at),
        "mobile": _phone(customer.mobile),
        "phone": _phone(customer.phone),
        "taxExempt": customer.tax_exempt,
        "taxExemptions": list(customer.tax_exemptions or []),
        "verified_email": customer.email_verified_at is not None,
    }
