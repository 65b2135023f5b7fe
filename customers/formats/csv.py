"""The CSV representation of customers (SPEC 8): columns, cell values, error field names.

One customer a row; the header names domain fields. `tax_exemptions` and `attribute_groups`
(JSON text) are extra columns so that an export reads back losslessly, and so are what only
an import restores: `store` (a store code), `uuid`, `created_at`,
`marketing_preferences_updated_at`, `accepted_terms_at`, and each address's `uuid` and
default flags. A customer's further addresses are continuation rows with the same store,
reference and uuid.
"""

import json
import uuid
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError

CSV_CUSTOMER_COLUMNS = (
    "reference",
    "email",
    "first_name",
    "last_name",
    "salutation",
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
    "password_hash",
    "store",
    "uuid",
    "created_at",
    "marketing_preferences_updated_at",
    "accepted_terms_at",
)


CSV_ADDRESS_FIELDS = (
    "label",
    "salutation",
    "first_name",
    "last_name",
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
    "uuid",
    "is_default_shipping",
    "is_default_billing",
)


CSV_ADDRESS_PREFIX = "address_"


CSV_COLUMNS = CSV_CUSTOMER_COLUMNS + tuple(CSV_ADDRESS_PREFIX + name for name in CSV_ADDRESS_FIELDS)


CSV_PASSWORD_COLUMN = "password"


_CSV_DATETIMES = frozenset(
    {"email_verified_at", "created_at", "marketing_preferences_updated_at", "accepted_terms_at"}
)


_CSV_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def csv_address_cells(cells: dict[str, Any]) -> dict[str, str]:
    return {
        name: (cells.get(CSV_ADDRESS_PREFIX + name) or "").strip()
        for name in CSV_ADDRESS_FIELDS
        if CSV_ADDRESS_PREFIX + name in cells
    }


def csv_value(name: str, text: str) -> Any:
    """Turn one CSV cell into the Python value the service takes (the CSV 'serializer').

    Address cells go through here too, by their field name without the prefix.
    """
    if name in ("accepts_marketing", "tax_exempt", "is_default_shipping", "is_default_billing"):
        if text.lower() not in _CSV_BOOLEANS:
            raise ValidationError("Must be true or false.", code="invalid")
        return _CSV_BOOLEANS[text.lower()]
    if name == "date_of_birth":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValidationError("Enter a date as YYYY-MM-DD.", code="invalid") from None
    if name == "uuid":
        try:
            return uuid.UUID(text)
        except ValueError:
            raise ValidationError("Enter a valid UUID.", code="invalid") from None
    if name in _CSV_DATETIMES:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                "Enter an ISO 8601 date-time, e.g. 2024-05-01T10:00:00Z.", code="invalid"
            ) from None
    if name == "group_id":
        if not (text.isascii() and text.isdigit()):
            raise ValidationError("Enter a whole number.", code="invalid")
        return int(text)
    if name in ("tax_exemptions", "attribute_groups"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValidationError("Enter valid JSON.", code="invalid") from None
    return text


def csv_field(name: str | None) -> str:
    """The CSV column a domain error is about (addresses keep `addresses.<i>.<field>`)."""
    return {"group": "group_id", "__all__": "", None: ""}.get(name, name)
