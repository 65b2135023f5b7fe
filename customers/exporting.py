"""Writing customers out as CSV or NDJSON, in the shapes `customers.importing` reads back.

`export_customers_to` is the entry point. On PostgreSQL one query renders every line and
COPY streams them out; elsewhere customers are read in chunks (`iterator(chunk_size=...)`,
addresses prefetched per chunk) and rendered here. Memory stays flat either way.
"""

import csv
import functools
import json
from collections.abc import Iterator
from typing import IO, Any

from django.contrib.auth.hashers import is_password_usable
from django.db import connection, transaction
from django.db.models import Prefetch, QuerySet
from django.utils import translation
from django_countries import countries

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


# --- PostgreSQL: one query, rendered by the database, streamed out with COPY ----------------
#
# The portable path above builds a model instance, a dict and a JSON text per customer in
# Python (about 2,800 customers/s). On PostgreSQL the database renders each line itself, in
# one query that reads customers in id order and aggregates each one's addresses (an index
# lookup per customer), and COPY streams the lines out: no row object in Python at all.
# The SQL mirrors `csv_rows` and `ndjson_object` value for value; a test compares the two.


def _iso(column: str) -> str:
    """SQL for `datetime.isoformat()` of a UTC timestamp (microseconds only when not zero)."""
    return (
        f"(replace(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), "
        f"'.000000', '') || '+00:00')"
    )


def _twc_ms(column: str) -> str:
    """SQL for `twc_datetime`: UTC, milliseconds, `Z`."""
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"


def _flag(column: str) -> str:
    return f"CASE WHEN {column} THEN 'true' WHEN NOT {column} THEN 'false' END"


def _password_sql() -> str:
    # `is_password_usable`: an unusable password starts with "!".
    return "CASE WHEN %(hashes)s AND left(c.password, 1) <> '!' THEN c.password ELSE '' END"


_CUSTOMER_FILTER = (
    "c.deleted_at IS NULL AND c.anonymized_at IS NULL"
    " AND (%(store)s::bigint IS NULL OR c.store_id = %(store)s::bigint)"
)


def _ndjson_sql() -> str:
    # Each address, and then the customer, as a row whose columns carry the TWC names:
    # row_to_json and array_to_json render rows with their column types resolved once per
    # row type, the cheapest JSON PostgreSQL builds (json_build_object resolves them per call).
    address = """
        SELECT ad.address1 AS "address1", ad.address2 AS "address2",
               ad.label AS "addressName", ad.city AS "city", ad.company AS "company",
               COALESCE(%(countries)s::jsonb ->> ad.country, '') AS "country",
               ad.country AS "countryCode", c.uuid AS "customerId",
               ad.is_default_shipping AS "defaultAddress", ad.email AS "email",
               ad.first_name AS "firstName", ad.uuid AS "id", ad.last_name AS "lastName",
               ad.phone AS "phone", ad.postcode AS "postcode", ad.province AS "province",
               ad.province_code AS "provinceCode", ad.salutation AS "salutation",
               ad.address3 AS "address3", ad.is_default_billing AS "is_default_billing"
    """
    return f"""
    SELECT row_to_json(r)
    FROM {Customer._meta.db_table} c
    JOIN {Store._meta.db_table} s ON s.id = c.store_id
    LEFT JOIN LATERAL (
        -- The default shipping address, if any, sorts first (array_to_json: no line breaks,
        -- unlike json_agg).
        SELECT array_to_json(array_agg(x ORDER BY ad.is_default_shipping DESC,
                                       ad.is_default_billing DESC, ad.id)) AS items,
               bool_or(ad.is_default_shipping) AS has_default
        FROM {Address._meta.db_table} ad CROSS JOIN LATERAL ({address}) x
        WHERE ad.customer_id = c.id
    ) a ON true
    CROSS JOIN LATERAL (SELECT
        c.accepts_marketing AS "accepts_marketing",
        c.state = 'enabled' AS "active",
        COALESCE(a.items, '[]'::json) AS "addresses",
        COALESCE(NULLIF(c.attribute_groups, 'null'::jsonb), '{{}}'::jsonb) AS "attributeGroups",
        {_twc_ms("c.created_at")} AS "createdDate",
        c.reference AS "customerRef",
        c.state AS "customer_state",
        CASE WHEN a.has_default THEN a.items -> 0 END AS "defaultAddress",
        to_char(c.date_of_birth, 'YYYY-MM-DD') AS "dob",
        c.email AS "email",
        c.first_name AS "firstName",
        c.uuid AS "id",
        {_twc_ms("c.updated_at")} AS "lastModifiedDate",
        c.last_name AS "lastName",
        c.marketing_optin_level AS "marketing_optin_level",
        {_iso("c.marketing_preferences_updated_at")} AS "marketing_preferences_updated_at",
        NULLIF(c.mobile, '') AS "mobile",
        NULLIF(c.phone, '') AS "phone",
        c.tax_exempt AS "taxExempt",
        COALESCE(NULLIF(c.tax_exemptions, 'null'::jsonb), '[]'::jsonb) AS "taxExemptions",
        c.email_verified_at IS NOT NULL AS "verified_email",
        {_password_sql()} AS "password_hash",
        {_iso("c.email_verified_at")} AS "email_verified_at",
        c.group_id AS "group_id",
        c.salutation AS "salutation",
        c.gender AS "gender",
        s.code AS "store",
        {_iso("c.created_at")} AS "created_at",
        {_iso("c.accepted_terms_at")} AS "accepted_terms_at"
    ) r
    WHERE {_CUSTOMER_FILTER}
    ORDER BY c.id"""


def _json_text(column: str, empty: str) -> str:
    # `json.dumps(value) if value else ""`; jsonb prints lists and objects as json.dumps does.
    return (
        f"CASE WHEN {column} IS NULL OR {column} IN ('null', '{empty}') THEN NULL "
        f"ELSE {column}::text END"
    )


def _csv_sql() -> str:
    cells = {
        "reference": "NULLIF(c.reference, '')",
        "email": "NULLIF(c.email, '')",
        "first_name": "NULLIF(c.first_name, '')",
        "last_name": "NULLIF(c.last_name, '')",
        "salutation": "NULLIF(c.salutation, '')",
        "gender": "NULLIF(c.gender, '')",
        "date_of_birth": "to_char(c.date_of_birth, 'YYYY-MM-DD')",
        "phone": "NULLIF(c.phone, '')",
        "mobile": "NULLIF(c.mobile, '')",
        "state": "c.state",
        "group_id": "c.group_id::text",
        "accepts_marketing": _flag("c.accepts_marketing"),
        "marketing_optin_level": "NULLIF(c.marketing_optin_level, '')",
        "tax_exempt": _flag("c.tax_exempt"),
        "tax_exemptions": _json_text("c.tax_exemptions", "[]"),
        "attribute_groups": _json_text("c.attribute_groups", "{}"),
        "email_verified_at": _iso("c.email_verified_at"),
        "password_hash": f"NULLIF({_password_sql()}, '')",
        "store": "s.code",
        "uuid": "c.uuid::text",
        "created_at": _iso("c.created_at"),
        "marketing_preferences_updated_at": _iso("c.marketing_preferences_updated_at"),
        "accepted_terms_at": _iso("c.accepted_terms_at"),
    }
    for name in CSV_ADDRESS_FIELDS:
        if name == "uuid":
            cells[CSV_ADDRESS_PREFIX + name] = "ad.uuid::text"
        elif name in ("is_default_shipping", "is_default_billing"):
            cells[CSV_ADDRESS_PREFIX + name] = _flag(f"ad.{name}")
        else:
            cells[CSV_ADDRESS_PREFIX + name] = f"NULLIF(ad.{name}, '')"
    assert tuple(cells) == CSV_COLUMNS  # the SQL follows the header, cell for cell
    return f"""
    SELECT {", ".join(cells.values())}
    FROM {Customer._meta.db_table} c
    JOIN {Store._meta.db_table} s ON s.id = c.store_id
    LEFT JOIN {Address._meta.db_table} ad ON ad.customer_id = c.id
    WHERE {_CUSTOMER_FILTER}
    ORDER BY c.id, ad.is_default_shipping DESC, ad.is_default_billing DESC, ad.id"""


@functools.cache
def _country_names() -> str:
    with translation.override("en"):
        return json.dumps({code: str(name) for code, name in countries})


class _TextLines:
    """Byte chunks to a text stream, decoded a whole line at a time.

    A multi-byte character may span two chunks, and Django's OutputWrapper ends every write
    it is given with a newline.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._rest = b""

    def write(self, data: bytes) -> None:
        data = self._rest + bytes(data)
        end = data.rfind(b"\n") + 1
        self._rest = data[end:]
        if end:
            self._stream.write(data[:end].decode())

    def flush(self) -> None:
        if self._rest:
            self._stream.write(self._rest.decode())
            self._rest = b""


def _copy_out(sql: str, params: dict[str, Any], stream: IO[str], options: str) -> None:
    # A real file (or stdout) takes COPY's bytes as they come, on its binary buffer.
    sink = getattr(stream, "buffer", None)
    if sink is not None:
        stream.flush()
    else:
        sink = _TextLines(stream)
    write = sink.write
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3's own cursor: Django's wrapper has no copy()
        with raw.copy(f"COPY ({sql}) TO STDOUT WITH ({options})", params) as copy:
            for chunk in copy:
                write(chunk)
    sink.flush()


def _postgresql_export(
    file_format: str, stream: IO[str], store: Store | None, with_password_hashes: bool
) -> int:
    params = {
        "store": store.pk if store is not None else None,
        "hashes": with_password_hashes,
        "countries": _country_names(),
    }
    count_sql = f"SELECT count(*) FROM {Customer._meta.db_table} c WHERE {_CUSTOMER_FILTER}"
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            if own_transaction:
                # One snapshot for the count and the rows, whatever is written meanwhile.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute(count_sql, params)
            (count,) = cursor.fetchone()
        if file_format == "ndjson":
            # One JSON text a line: CSV mode with a quote and delimiter that JSON never holds
            # raw (it escapes control characters), so the text comes out as it is.
            _copy_out(
                _ndjson_sql(), params, stream, "FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01'"
            )
        else:
            csv.writer(stream, lineterminator="\n").writerow(CSV_COLUMNS)
            _copy_out(_csv_sql(), params, stream, "FORMAT csv")
    return count


def export_customers_to(
    stream: IO[str],
    *,
    file_format: str,
    store: Store | None = None,
    with_password_hashes: bool = False,
) -> int:
    """Write the live customers (of `store`, or of every store) to `stream`; return how many.

    On PostgreSQL the database renders and streams the file (COPY); elsewhere the portable
    writers do it in Python. Both give the same file, read back by `import_customers`.
    """
    if connection.vendor == "postgresql":
        return _postgresql_export(file_format, stream, store, with_password_hashes)
    return WRITERS[file_format](
        customers_for_export(store=store), stream, with_password_hashes=with_password_hashes
    )
