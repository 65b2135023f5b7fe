"""Writing customers out as CSV or NDJSON, in the shapes `customers.importing` reads back.

Customers are streamed from the database in chunks (`iterator(chunk_size=...)`, addresses
prefetched per chunk), so memory stays flat however many there are.
"""

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

from django.contrib.auth.hashers import is_password_usable
from django.db.models import Prefetch, QuerySet

from addresses.models import Address
from customers.formats.csv import CSV_ADDRESS_FIELDS, CSV_ADDRESS_PREFIX, CSV_COLUMNS
from customers.formats.twc import customer_to_twc
from customers.models import Customer, Store
from customers.selectors import customers_live

EXPORT_FORMATS = ("csv", "ndjson")
CHUNK_SIZE = 2000


def customers_for_export(*, store: Store | None = None) -> QuerySet[Customer]:
    """Live customers (of `store`, or of every store), oldest first, with their addresses.

    Anonymized customers are left out: nothing personal is left to move, and their
    placeholder email (on the reserved `invalid` domain) would not import anywhere.
    """
    queryset = customers_live().filter(anonymized_at__isnull=True)
    if store is not None:
        queryset = queryset.filter(store=store)
    # Defaults first: a reader that ignores the flags makes the first address the default.
    addresses = Address.objects.order_by("-is_default_shipping", "-is_default_billing", "id")
    return (
        queryset.order_by("id")
        .select_related("store")
        .prefetch_related(Prefetch("addresses", queryset=addresses))
    )


def _password_hash(customer: Customer, with_password_hashes: bool) -> str:
    # An unusable password is re-created unusable on import; its random text means nothing.
    if with_password_hashes and is_password_usable(customer.password):
        return customer.password
    return ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def csv_rows(customer: Customer, *, with_password_hashes: bool = False) -> Iterator[list[str]]:
    """One row per address (or one row without address); the customer cells repeat.

    Cells follow CSV_COLUMNS. The importer reads consecutive rows with one store, reference
    and uuid as one customer. `password_hash` is empty unless `with_password_hashes`.
    """
    cells = {
        "reference": customer.reference,
        "email": customer.email,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "salutation": customer.salutation,
        "gender": customer.gender,
        "date_of_birth": customer.date_of_birth,
        "phone": customer.phone.as_e164 if customer.phone else "",
        "mobile": customer.mobile.as_e164 if customer.mobile else "",
        "state": customer.state,
        "group_id": customer.group_id,
        "accepts_marketing": customer.accepts_marketing,
        "marketing_optin_level": customer.marketing_optin_level,
        "tax_exempt": customer.tax_exempt,
        "tax_exemptions": json.dumps(customer.tax_exemptions) if customer.tax_exemptions else "",
        "attribute_groups": json.dumps(customer.attribute_groups)
        if customer.attribute_groups
        else "",
        "email_verified_at": customer.email_verified_at,
        "password_hash": _password_hash(customer, with_password_hashes),
        "store": customer.store.code,
        "uuid": customer.uuid,
        "created_at": customer.created_at,
        "marketing_preferences_updated_at": customer.marketing_preferences_updated_at,
        "accepted_terms_at": customer.accepted_terms_at,
    }
    addresses = list(customer.addresses.all()) or [None]
    for address in addresses:
        row = dict(cells)
        if address is not None:
            for name in CSV_ADDRESS_FIELDS:
                row[CSV_ADDRESS_PREFIX + name] = getattr(address, name)
        yield [_text(row.get(column)) for column in CSV_COLUMNS]


def ndjson_object(customer: Customer, *, with_password_hashes: bool = False) -> dict[str, Any]:
    """The Integration API's representation plus what it cannot carry.

    `password_hash` (empty unless `with_password_hashes`) so that accounts keep working;
    exact dates, where TWC's are rounded to milliseconds or only a flag:
    `email_verified_at`, `created_at`, `accepted_terms_at`, and
    `marketing_preferences_updated_at` (TWC's key, to the microsecond here); the fields TWC
    does not have: `store` (a code), `group_id`, `salutation`, `gender`, and each address's
    `salutation`, `address3` and `is_default_billing` (TWC's `defaultAddress` is shipping).
    """
    data = customer_to_twc(customer)
    data["password_hash"] = _password_hash(customer, with_password_hashes)
    data["email_verified_at"] = _text(customer.email_verified_at) or None
    data["group_id"] = customer.group_id
    data["salutation"] = customer.salutation
    data["gender"] = customer.gender
    data["store"] = customer.store.code
    data["created_at"] = _text(customer.created_at)
    data["accepted_terms_at"] = _text(customer.accepted_terms_at) or None
    data["marketing_preferences_updated_at"] = (
        _text(customer.marketing_preferences_updated_at) or None
    )
    for item, address in zip(data["addresses"], customer.addresses.all(), strict=True):
        item["salutation"] = address.salutation
        item["address3"] = address.address3
        item["is_default_billing"] = address.is_default_billing
    return data


def write_csv(
    customers: QuerySet[Customer], stream: IO[str], *, with_password_hashes: bool = False
) -> int:
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for customer in customers.iterator(chunk_size=CHUNK_SIZE):
        writer.writerows(csv_rows(customer, with_password_hashes=with_password_hashes))
        count += 1
    return count


def write_ndjson(
    customers: QuerySet[Customer], stream: IO[str], *, with_password_hashes: bool = False
) -> int:
    count = 0
    for customer in customers.iterator(chunk_size=CHUNK_SIZE):
        item = ndjson_object(customer, with_password_hashes=with_password_hashes)
        stream.write(json.dumps(item, ensure_ascii=False, default=str) + "\n")
        count += 1
    return count


WRITERS = {"csv": write_csv, "ndjson": write_ndjson}
