"""From a record to `customer_bulk_row`'s arguments, and a row's problems for the report."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from config.errors import DomainError
from customers.formats.csv import (
    CSV_CUSTOMER_COLUMNS,
    CSV_PASSWORD_COLUMN,
    csv_address_cells,
    csv_field,
    csv_value,
)
from customers.formats.twc import twc_field, twc_to_domain
from customers.importing.readers import MalformedRecord, SourceRecord

# What the TWC representation cannot say, carried as extra keys by export and import.
TWC_EXTRA_KEYS = (
    "password_hash",
    CSV_PASSWORD_COLUMN,
    "email_verified_at",
    "group_id",
    "salutation",
    "gender",
)


TWC_EXTRA_ADDRESS_KEYS = ("salutation", "address3")


# What only an import restores, under the names an export writes them (see
# `customers.services.bulk.RESTORED_FIELDS`): the TWC keys `createdDate` and
# `marketing_preferences_updated_at` are read-only in the API and rounded to milliseconds.
TWC_RESTORED_KEYS = ("created_at", "marketing_preferences_updated_at", "accepted_terms_at")


_MARKETING_DATE = "marketing_preferences_updated_at"


# CSV address cells that are not text.
_CSV_TYPED_ADDRESS_CELLS = ("uuid", "is_default_shipping", "is_default_billing")


@dataclass
class RowProblem:
    line: int
    field: str
    code: str
    message: str


def csv_record_arguments(record: SourceRecord) -> dict[str, Any]:
    """The `customer_row_build` arguments of a CSV record; empty cells are not given.

    Raises:
        ValidationError: cells that cannot be read as their type, keyed by column.
    """
    cells = record.data
    arguments: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}
    for name in (*CSV_CUSTOMER_COLUMNS, CSV_PASSWORD_COLUMN):
        text = (cells.get(name) or "").strip()
        if not text:
            if name == _MARKETING_DATE and name in cells:
                # An export's empty cell: no marketing choice was ever recorded.
                arguments[name] = None
            continue
        try:
            arguments[name] = csv_value(name, text)
        except ValidationError as error:
            errors[name] = error.error_list
    if errors:
        raise ValidationError(errors)
    addresses = [csv_address_cells(row) for row in (cells, *record.extra_rows)]
    arguments["addresses"] = [
        {name: value for name, value in address.items() if value}
        for address in addresses
        if any(address.values())
    ]
    for index, address in enumerate(arguments["addresses"]):
        for name in _CSV_TYPED_ADDRESS_CELLS:
            if name in address:
                try:
                    address[name] = csv_value(name, address[name])
                except ValidationError as error:
                    errors[f"addresses.{index}.{name}"] = error.error_list
    if errors:
        raise ValidationError(errors)
    return arguments


def _twc_restored(data: dict, errors: dict[str, list[ValidationError]]) -> dict[str, Any]:
    """The keys an export adds for a lossless import: store, uuid (`id`) and exact dates."""
    found: dict[str, Any] = {}
    data_keys = set(data)
    store = data.pop("store", None)
    if store not in (None, ""):
        if isinstance(store, str):
            found["store"] = store
        else:
            errors["store"] = [ValidationError("Must be a string.", code="invalid")]
    texts = {"uuid": data.pop("id", None)}
    texts.update({name: data.pop(name, None) for name in TWC_RESTORED_KEYS})
    for name, value in texts.items():
        if value in (None, ""):
            if name == _MARKETING_DATE and name in data_keys:
                found[name] = None  # no marketing choice was ever recorded
            continue
        if not isinstance(value, str):
            errors["id" if name == "uuid" else name] = [
                ValidationError("Must be a string.", code="invalid")
            ]
            continue
        try:
            found[name] = csv_value(name, value)
        except ValidationError as error:
            errors["id" if name == "uuid" else name] = error.error_list
    return found


def twc_record_arguments(record: SourceRecord) -> dict[str, Any]:
    """The `customer_row_build` arguments of a JSON/NDJSON record (TWC representation).

    Besides the TWC keys, a record may carry `password_hash` (or a plain `password`), and
    what the representation cannot say (TWC_EXTRA_KEYS): `email_verified_at` (TWC's
    `verified_email` is a read-only flag), `group_id`, `salutation`, `gender`, and on each
    address `salutation` and `address3`.

    Raises:
        ValidationError: keyed by TWC field names (the codec's) or by those extra keys.
    """
    data = record.data
    if isinstance(data, MalformedRecord):
        raise ValidationError({"__all__": [ValidationError(data.message, code="parse_error")]})
    if not isinstance(data, dict):
        raise ValidationError(
            {"__all__": [ValidationError("Each customer must be a JSON object.", code="invalid")]}
        )
    data = dict(data)
    # A reject file's reasons (see `rejects`): the fixed item imports as it is.
    data.pop("errors", None)
    extras = {name: data.pop(name, None) for name in TWC_EXTRA_KEYS}
    errors: dict[str, list[ValidationError]] = {}
    restored = _twc_restored(data, errors)
    address_extras = []
    if isinstance(data.get("addresses"), list):
        data["addresses"] = [
            dict(item) if isinstance(item, dict) else item for item in data["addresses"]
        ]
        for item in data["addresses"]:
            found = {}
            if isinstance(item, dict):
                found = {key: item.pop(key) for key in TWC_EXTRA_ADDRESS_KEYS if key in item}
                # The address `id` (its uuid) and its billing flag (TWC's `defaultAddress`
                # is the shipping default) are kept by an import, ignored by the API.
                for key, name in (("id", "uuid"), ("is_default_billing", "is_default_billing")):
                    if item.get(key) is not None:
                        found[name] = item.pop(key)
            address_extras.append(found)
    arguments = twc_to_domain(data)
    arguments.update(restored)
    for index, found in enumerate(address_extras):
        for key, value in found.items():
            if key == "is_default_billing":
                if isinstance(value, bool):
                    arguments["addresses"][index][key] = value
                else:
                    errors[f"addresses[{index}].{key}"] = [
                        ValidationError("Must be true or false.", code="invalid")
                    ]
            elif key == "uuid":
                try:
                    if not isinstance(value, str):
                        raise ValidationError("Enter a valid UUID.", code="invalid")
                    arguments["addresses"][index][key] = csv_value(key, value)
                except ValidationError as error:
                    errors[f"addresses[{index}].id"] = error.error_list
            elif value is None or isinstance(value, str):
                arguments["addresses"][index][key] = value
            else:
                errors[f"addresses[{index}].{key}"] = [
                    ValidationError("Must be a string.", code="invalid")
                ]
    for name, value in extras.items():
        if value is None or value == "":
            continue
        if name == "group_id":
            if isinstance(value, bool) or not isinstance(value, int):
                errors[name] = [ValidationError("Enter a whole number.", code="invalid")]
            else:
                arguments[name] = value
        elif not isinstance(value, str):
            errors[name] = [ValidationError("Must be a string.", code="invalid")]
        elif name == "email_verified_at":
            try:
                arguments[name] = csv_value(name, value)
            except ValidationError as error:
                errors[name] = error.error_list
        else:
            arguments[name] = value
    if errors:
        raise ValidationError(errors)
    return arguments


ARGUMENT_READERS: dict[str, Callable[[SourceRecord], dict[str, Any]]] = {
    "csv": csv_record_arguments,
    "json": twc_record_arguments,
    "ndjson": twc_record_arguments,
}


_RESTORED_ADDRESS_UUID = re.compile(r"addresses\.(\d+)\.uuid")


def twc_field_name(name: str | None) -> str:
    """The TWC key a domain error is about, as the Integration API names it."""
    if name == "uuid":
        return "id"
    if name and (match := _RESTORED_ADDRESS_UUID.fullmatch(name)):
        return f"addresses[{match.group(1)}].id"
    return twc_field(name) or ""


FIELD_NAMERS: dict[str, Callable[[str | None], str]] = {
    "csv": csv_field,
    "json": twc_field_name,
    "ndjson": twc_field_name,
}


def problems_of(
    line: int, error: ValidationError | DomainError, name_field: Callable[[str | None], str]
) -> list[RowProblem]:
    if isinstance(error, DomainError):
        return [RowProblem(line, name_field(error.field), error.code, error.message)]
    problems = []
    for name, messages in error.error_dict.items():
        for message in messages:
            text = message.message % message.params if message.params else message.message
            code = message.code or "invalid"
            problems.append(RowProblem(line, name_field(name), code, str(text)))
    return problems
