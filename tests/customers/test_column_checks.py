"""model_field_clean's quick acceptance agrees with the model fields' own checks.

`customers.validation` accepts a common valid value with the field's checks done directly
and sends everything else through the field's own methods. For every column the rule
tables write, a spread of values (valid, too long, blank, null, of another type, outside
the choices, failing a validator) must come out the same both ways: the same value, or the
same errors.
"""

import uuid
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from addresses.models import Address
from customers import validation
from customers.models import Customer

VALUES = [
    "",
    " ",
    "x",
    "Anna",
    "a" * 254,
    "a" * 400,
    "ERP-7",
    "not a ref!",
    "anna@example.com",
    "not an email",
    "enabled",
    "invited",
    "Mr",
    "DE",
    "ZZ",
    None,
    True,
    False,
    0,
    7,
    date(1990, 2, 3),
    datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    {},
    {"g": {}},
    [],
    ["VAT"],
]


def columns():
    for model in (Customer, Address):
        for field in model._meta.concrete_fields:
            if not field.is_relation and not field.primary_key:
                yield pytest.param(model, field.name, id=f"{model.__name__}.{field.name}")


def outcome(model, name, value):
    try:
        return "value", validation.model_field_clean(model, name, value)
    except ValidationError as error:
        return "errors", [(item.code, str(item.message)) for item in error.error_dict[name]]
    except (TypeError, ValueError, AttributeError) as error:
        # A value of a type the field cannot take at all (the rule tables' normalisers and
        # text checks stop those before): it must fail alike too.
        return "raises", type(error).__name__


# A `date` given to a date-time field is read as a naive midnight by Django, which warns.
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning")
@pytest.mark.parametrize(("model", "name"), list(columns()))
def test_quick_acceptance_agrees_with_the_field(monkeypatch, model, name):
    # given
    quick = [outcome(model, name, value) for value in VALUES]

    # when: every value goes through the field's own checks
    monkeypatch.setattr(validation, "_quick_valid", lambda rules, value: False)
    slow = [outcome(model, name, value) for value in VALUES]

    # then
    assert quick == slow
