"""Field rules shared by every way a customer is written: normalisation and validation.

Each function returns the normalised value or raises a Django `ValidationError` keyed by the
domain field name, with a stable `code`, so every dialect can render it in its own envelope.
"""

import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import phonenumbers
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django_countries import countries
from phonenumber_field.modelfields import PhoneNumberField
from phonenumber_field.phonenumber import PhoneNumber

from customers import emails

ATTRIBUTE_VALUE_TYPES = ("STRING", "INTEGER", "DECIMAL", "BOOLEAN", "DATE")
_WHITESPACE = re.compile(r"\s+")


def field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


# --- Text that no column can hold -------------------------------------------------------------
# PostgreSQL refuses NUL in text and in JSON, and no database takes a lone surrogate (it has
# no UTF-8 form); SQLite stores NUL quietly. Refusing both up front makes the two databases
# answer alike, with a field error instead of a database error (SPEC 12). The codes are
# DRF's own for the same checks, so a dialect renders them alike wherever they are caught.

NOT_TEXT = "Not a valid string."
NUL_CHARACTERS = "Null characters are not allowed."
SURROGATE_CHARACTERS = "Text must be valid Unicode (no lone surrogates)."
NUL_CODE = "null_characters_not_allowed"
SURROGATE_CODE = "surrogate_characters_not_allowed"


def text_problem(text: str) -> tuple[str, str] | None:
    """(message, code) when `text` holds NUL or a lone surrogate; None when it is storable."""
    if "\x00" in text:
        return NUL_CHARACTERS, NUL_CODE
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_CHARACTERS, SURROGATE_CODE
    return None


def _texts(value: Any):
    """Every string in `value`: itself, or the keys and values of nested objects and lists.

    Walked with a stack, not recursion: a core caller (an import) has no parser depth limit.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            for key, child in item.items():
                stack.append(key)
                stack.append(child)
        elif isinstance(item, list | tuple):
            stack.extend(item)


def text_check(value: Any, *, field: str) -> None:
    """Refuse NUL and lone surrogates anywhere in `value` (nested objects and lists too).

    Raises:
        ValidationError: keyed by `field`, code `null_characters_not_allowed` or
            `surrogate_characters_not_allowed`.
    """
    for text in _texts(value):
        problem = text_problem(text)
        if problem is not None:
            raise field_error(field, *problem)


def lookup_text_ok(value: Any) -> bool:
    """Whether `value` is text that can be compared with a column (no NUL, no lone surrogate).

    Selectors ask before a query: PostgreSQL fails on NUL where SQLite just finds nothing.
    """
    return isinstance(value, str) and text_problem(value) is None


def lookup_uuid(value: Any) -> UUID | None:
    """`value` read as a uuid for a lookup, or None when it is none: nothing has that id."""
    try:
        return UUID(str(value))
    except ValueError:
        return None


def split_full_name(full_name: str) -> tuple[str, str]:
    """Split at the first run of whitespace: the first word, then the rest (SPEC 1.2)."""
    words = _WHITESPACE.split(full_name.strip())
    if words == [""]:
        return "", ""
    return words[0], " ".join(words[1:])


def normalise_email(value: Any, *, field: str = "email") -> str:
    return emails.normalise_email(value, field=field)


def store_phone_region(store: Any) -> str | None:
    """The region national phone numbers of `store`'s customers are read in.

    A store has no country of its own; its code is one when it is an ISO 3166-1 country code
    that has a telephone numbering plan (`DE`, `AT`, `GB`). Otherwise (`EU`, `B2B`, no store
    yet) `PHONENUMBER_DEFAULT_REGION` applies, as everywhere else.
    """
    return store_code_phone_region(store.code if store is not None else None)


def store_code_phone_region(code: str | None) -> str | None:
    """`store_phone_region` of the store with `code` (upper case), without reading it."""
    if code in phonenumbers.SUPPORTED_REGIONS:
        return code
    return settings.PHONENUMBER_DEFAULT_REGION


def normalise_phone(value: Any, *, field: str, region: str | None = None) -> PhoneNumber | None:
    """Parse `value` to E.164; empty means no number.

    National forms are read in `region`, else in `PHONENUMBER_DEFAULT_REGION`; without
    either they are refused.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str | PhoneNumber):
        raise field_error(field, "Enter a valid phone number.", "invalid_phone_number")
    try:
        number = PhoneNumber.from_string(
            str(value), region=region or settings.PHONENUMBER_DEFAULT_REGION
        )
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not number.is_valid():
        raise field_error(
            field,
            "Enter a valid phone number in international format, e.g. +49 30 1234567.",
            "invalid_phone_number",
        )
    return number


@functools.cache
def _country_codes() -> frozenset[str]:
    # The codes `code in countries` tests, which it works out anew on every test.
    return frozenset(countries.countries)


def normalise_country(value: Any, *, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code, or an English country name resolved to its code."""
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if len(text) == 2 and text.upper() in _country_codes():
            return text.upper()
        code = countries.by_name(text, insensitive=True)
        if code:
            return code
    raise field_error(field, f"'{value}' is not a known country.", "invalid_country")


def validate_date_of_birth(value: Any, *, field: str = "date_of_birth") -> date | None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        try:
            value = models.DateField().to_python(value)
        except ValidationError as error:
            raise ValidationError({field: error.error_list}) from None
    if value is not None and value > timezone.now().date():
        raise field_error(field, "The date of birth cannot be in the future.", "future_date")
    return value


def validate_tax_exemptions(value: Any, *, field: str = "tax_exemptions") -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise field_error(field, "Must be a list of strings.", "invalid")
    return value


def _value_fits(value_type: str, raw: str) -> bool:
    if value_type == "STRING":
        return True
    if value_type == "INTEGER":
        return re.fullmatch(r"[+-]?\d+", raw.strip()) is not None
    if value_type == "DECIMAL":
        try:
            return Decimal(raw.strip()).is_finite()
        except InvalidOperation:
            return False
    if value_type == "BOOLEAN":
        return raw.strip().lower() in {"true", "false"}
    try:  # DATE
        date.fromisoformat(raw.strip())
    except ValueError:
        return False
    return True


def _attribute_text(raw: Any) -> Any:
    """A JSON number or flag as the text an attribute stores; other values pass unchanged.

    Infinite and NaN floats (a JSON `1e400`) and integers too long to print stay what they
    are, so that the caller refuses them instead of storing "inf".
    """
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, float) and not math.isfinite(raw):
        return raw
    if isinstance(raw, int | float):
        try:
            return str(raw)
        except ValueError:  # beyond Python's digit limit for int -> str
            return raw
    return raw


def validate_attribute_groups(value: Any, *, field: str = "attribute_groups") -> dict:
    """TWC `attributeGroups`: groups of typed attributes; each value must parse as its type."""
    if value is None:
        return {}

    def fail(message: str) -> ValidationError:
        return field_error(field, message, "invalid_attribute_groups")

    if not isinstance(value, dict):
        raise fail("Must be an object of attribute groups.")
    cleaned: dict[str, dict] = {}
    for key, group in value.items():
        if not isinstance(group, dict):
            raise fail(f"Attribute group '{key}' must be an object.")
        name = group.get("attribute_group", key)
        attributes = group.get("attributes", {})
        obsolete = group.get("is_obsolete", False)
        if not isinstance(name, str) or not isinstance(obsolete, bool):
            raise fail(f"Attribute group '{key}' has an invalid name or is_obsolete flag.")
        if not isinstance(attributes, dict):
            raise fail(f"Attribute group '{key}' must have an object of attributes.")
        cleaned_attributes = {}
        for attr_key, attribute in attributes.items():
            if not isinstance(attribute, dict):
                raise fail(f"Attribute '{key}.{attr_key}' must be an object.")
            raw = attribute.get("attribute_value")
            value_type = attribute.get("value_type", "STRING")
            if value_type not in ATTRIBUTE_VALUE_TYPES:
                raise fail(
                    f"Attribute '{key}.{attr_key}' has an unknown value_type '{value_type}'."
                )
            raw = _attribute_text(raw)
            if not isinstance(raw, str) or not _value_fits(value_type, raw):
                raise fail(f"Attribute '{key}.{attr_key}' is not a valid {value_type} value.")
            cleaned_attributes[attr_key] = {"attribute_value": raw, "value_type": value_type}
        cleaned[key] = {
            "attribute_group": name,
            "attributes": cleaned_attributes,
            "is_obsolete": obsolete,
        }
    return cleaned


def validate_password_hash(value: str, *, field: str = "password_hash") -> str:
    """A hash already in one of the configured Django hasher formats (imports)."""
    if not isinstance(value, str):
        raise field_error(field, NOT_TEXT, "invalid")
    text_check(value, field=field)
    try:
        identify_hasher(value)
    except ValueError:
        raise field_error(field, "Unknown password hash format.", "invalid_password_hash") from None
    return value


def aware(value: Any) -> Any:
    """Treat a naive datetime as UTC; never store a naive one.

    Other values pass unchanged: the model field's own check reports them.
    """
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value


# The Python types a model field's `to_python` hands back unchanged (the values a rule table
# normalises to), so that a value of one of them needs no conversion before its checks.
_UNCHANGED_BY_TO_PYTHON: tuple[tuple[type[models.Field], tuple[type, ...]], ...] = (
    (models.CharField, (str,)),
    (models.BooleanField, (bool,)),
    (models.DateTimeField, (datetime,)),
    (models.DateField, (date,)),
    (models.UUIDField, (UUID,)),
    (models.JSONField, (dict, list)),
)


@dataclass(frozen=True)
class _ColumnRules:
    """One model field's checks, worked out once.

    Django re-normalises `choices` on every check (for a country field ~250 entries a row)
    and runs each validator through several calls; a million-row import pays that per
    column. `quick_types`, `max_length` and `validators` let `model_field_clean` accept the
    common valid value with the same checks done directly; anything else, and every value
    that fails, goes through the field's own methods, so errors read exactly as Django's.
    """

    field: models.Field
    choices: frozenset | None
    quick_types: tuple[type, ...]
    max_length: int | None
    validators: tuple[Callable[[Any], None], ...]


@functools.cache
def _field_rules(model: type[models.Model], name: str) -> _ColumnRules:
    field = model._meta.get_field(name)
    choices = frozenset(value for value, _ in field.flatchoices) if field.choices else None
    quick_types: tuple[type, ...] = ()
    for field_class, types in _UNCHANGED_BY_TO_PYTHON:
        # Only a field whose `to_python` is its base class's own (a subclass may convert).
        if isinstance(field, field_class) and type(field).to_python is field_class.to_python:
            quick_types = types
            break
    limits = [v for v in field.validators if type(v) is MaxLengthValidator]
    max_length = limits[0].limit_value if len(limits) == 1 else None
    if max_length is not None and not isinstance(max_length, int):
        quick_types = ()  # a callable limit: only Django's own validator reads it
    return _ColumnRules(
        field=field,
        choices=choices,
        quick_types=quick_types,
        max_length=max_length,
        validators=tuple(v for v in field.validators if type(v) is not MaxLengthValidator),
    )


def _quick_valid(rules: _ColumnRules, value: Any) -> bool:
    """Whether `value` passes every check of `model_field_clean` unchanged (see _ColumnRules)."""
    if type(value) not in rules.quick_types:
        return False
    if rules.max_length is not None and len(value) > rules.max_length:
        return False
    if value in rules.field.empty_values:
        return False  # blank and null: the field's own checks decide
    if rules.choices is not None and value not in rules.choices:
        return False
    try:
        for validator in rules.validators:
            validator(value)
    except ValidationError:
        return False
    return True


def model_field_clean(model: type[models.Model], name: str, value: Any) -> Any:
    """Run the checks `Model.clean_fields()` runs on one plain (non-relation) field.

    The rules are the model field's own (null, blank, choices, max_length and its
    validators), so the bulk import path applies exactly what `full_clean()` applies without
    building a model instance per row.

    Raises:
        ValidationError: keyed by `name`, with the field's own messages and codes.
    """
    rules = _field_rules(model, name)
    if _quick_valid(rules, value):
        return value
    field, choices = rules.field, rules.choices
    if field.blank and value in field.empty_values:
        return value
    try:
        value = field.to_python(value)
        if field.editable:
            if choices is not None and value not in field.empty_values and value not in choices:
                raise ValidationError(
                    field.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": value},
                )
            if value is None and not field.null:
                raise ValidationError(field.error_messages["null"], code="null")
            if not field.blank and value in field.empty_values:
                raise ValidationError(field.error_messages["blank"], code="blank")
        field.run_validators(value)
    except ValidationError as error:
        raise ValidationError({name: error.error_list}) from None
    return value


# --- Rule tables ------------------------------------------------------------------------------
# One table per entity says, for each input field, which columns it sets, how its value is
# normalised, whether the model field's own checks apply and whether it is required. The
# single path (a model instance) and the bulk path (plain column values) both read their
# values from `rules_apply`, so they cannot judge a field differently.

BLANK_MESSAGE = "This field cannot be blank."


def _keep(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class FieldRule:
    """How one input field becomes column values.

    `normalise` turns the input into the column value (raising a `ValidationError` keyed by
    the field); `split` instead turns it into several columns. `model_check` runs the model
    field's own checks (`model_field_clean`) on each column set; `required` makes a blank
    value a `blank` error, and a missing one too when an entity is created. `text` says
    whether a value other than a string (or null) is refused up front as `invalid`; None
    decides by the column (text columns, and split fields) and False leaves it to a
    `normalise` that refuses such values with its own code.
    """

    normalise: Callable[[Any], Any] = _keep
    split: Callable[[Any], dict[str, Any]] | None = None
    model_check: bool = True
    required: bool = False
    text: bool | None = None


def none_as_empty_text(value: Any) -> Any:
    return "" if value is None else value


def falsy_as_empty_text(value: Any) -> Any:
    return value or ""


def empty_as_none(value: Any) -> Any:
    """Nullable choices: "no value" is null, which is what their check constraints allow."""
    return None if value == "" else value


def full_name_split(value: Any) -> dict[str, str]:
    first_name, last_name = split_full_name(value or "")
    return {"first_name": first_name, "last_name": last_name}


def blank(value: Any) -> bool:
    return value is None or not str(value).strip()


@functools.cache
def _is_text_column(model: type[models.Model], name: str) -> bool:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    # A phone number field is text in the database, but its rule takes `PhoneNumber` values.
    return isinstance(field, models.CharField | models.TextField) and not isinstance(
        field, PhoneNumberField
    )


def _input_text_check(model: type[models.Model], rule: FieldRule, name: str, value: Any) -> None:
    """Refuse what no text column may get: a non-text value, NUL or a lone surrogate.

    A number or a flag given for a text field is an error, never its `str()` (a JSON
    `1e400` would otherwise be stored as "inf"). NUL and lone surrogates are refused in
    every field, inside nested values too (TWC `attributeGroups` keys and values,
    `taxExemptions` items).
    """
    if type(value) is str:
        problem = text_problem(value)
        if problem is not None:
            raise field_error(name, *problem)
        return
    if value is not None:
        text = rule.text
        if text is None:
            text = rule.split is not None or _is_text_column(model, name)
        if text and not isinstance(value, str):
            raise field_error(name, NOT_TEXT, "invalid")
    text_check(value, field=name)


@functools.cache
def _field_positions(model: type[models.Model]) -> dict[str, int]:
    positions = {}
    for index, field in enumerate(model._meta.concrete_fields):
        positions[field.name] = positions[field.attname] = index
    return positions


def rules_apply(
    model: type[models.Model],
    rules: Mapping[str, FieldRule],
    fields: Mapping[str, Any],
    *,
    creating: bool,
    check: Callable[[dict[str, Any], dict[str, list[ValidationError]]], None] | None = None,
) -> tuple[dict[str, Any], dict[str, list[ValidationError]]]:
    """Normalise and check `fields` by `rules`: (column values, errors by field name).

    Normalisation errors come first, in input order; then the model-field, required and
    `check` errors, in the model's field order (the order `full_clean()` reports them in).

    Raises:
        TypeError: a field that the table does not know (a programming error).
    """
    if not rules.keys() >= fields.keys():
        unknown = sorted(set(fields) - rules.keys())
        raise TypeError(f"Not {model._meta.model_name} fields: {unknown}")
    values: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}
    field_errors: dict[str, list[ValidationError]] = {}
    for name, value in fields.items():
        rule = rules[name]
        try:
            _input_text_check(model, rule, name, value)
            if rule.split is None:
                produced = ((name, rule.normalise(value)),)
            else:
                produced = rule.split(value).items()
        except ValidationError as error:
            for key, messages in error.error_dict.items():
                errors.setdefault(key, []).extend(messages)
            continue
        for column, column_value in produced:
            if rule.model_check:
                try:
                    column_value = model_field_clean(model, column, column_value)
                except ValidationError as error:
                    field_errors.setdefault(column, []).extend(error.error_dict[column])
                    continue
            values[column] = column_value
    for name, rule in rules.items():
        if not rule.required or not (creating or name in fields):
            continue
        failed = name in errors or name in field_errors
        if not failed and blank(values.get(name)):
            values.pop(name, None)
            field_errors[name] = [ValidationError(BLANK_MESSAGE, code="blank")]
    if check is not None:
        check(values, field_errors)
    if field_errors:
        positions = _field_positions(model)
        for name in sorted(field_errors, key=lambda name: positions.get(name, len(positions))):
            errors.setdefault(name, []).extend(field_errors[name])
    return values, errors
