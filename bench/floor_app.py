"""The benchmark's floor: a bare WSGI app doing the API's indexed queries with raw psycopg.

Served by gunicorn like the real app (`gunicorn floor_app:app -w 2`), it answers the same
lookups with no framework at all, so `api_bench.py` can print each figure beside the fastest
this machine and database can do. `FLOOR_DATABASE_URL` names the database.
"""

import json
import os
from urllib.parse import parse_qs

import psycopg

CUSTOMER_COLUMNS = (
    "id, uuid, reference, email, first_name, last_name, phone, mobile, state, date_of_birth, "
    "accepts_marketing, marketing_optin_level, tax_exempt, tax_exemptions, attribute_groups, "
    "created_at, updated_at"
)
ADDRESS_COLUMNS = (
    "uuid, label, first_name, last_name, company, address1, address2, postcode, city, "
    "province, province_code, country, phone, email, is_default_shipping"
)
LIVE = "deleted_at IS NULL AND store_id = (SELECT id FROM customers_store WHERE code = 'DE')"
# Path -> (the customer query, the query parameter it reads or None for the path tail).
LOOKUPS = {
    "/id": f"SELECT {CUSTOMER_COLUMNS} FROM customers_customer WHERE uuid = %s AND {LIVE}",
    "/ref": f"SELECT {CUSTOMER_COLUMNS} FROM customers_customer WHERE reference = %s AND {LIVE}",
    "/email": (
        f"SELECT {CUSTOMER_COLUMNS} FROM customers_customer "
        f"WHERE lower(email) = lower(%s) AND {LIVE} ORDER BY id LIMIT 50"
    ),
    "/phone": (
        f"SELECT {CUSTOMER_COLUMNS} FROM customers_customer "
        f"WHERE phone = %s AND phone > '' AND {LIVE} ORDER BY id LIMIT 50"
    ),
}
# The list as the app runs it: the page's keys first (index-only on the live-id index), then
# those rows; the total from the stores' live counts unless a keyword narrows the list.
LIST_KEYS = (
    "SELECT id FROM customers_customer WHERE deleted_at IS NULL {where} "
    "ORDER BY {order} DESC LIMIT 20 OFFSET %(offset)s"
)
# As the app: a keyword with fewer matches than this sorts its matches instead of walking
# the id index (customers.selectors.FEW_MATCHES).
FEW_MATCHES = 10_000
LIST_ROWS = (
    "SELECT id, uuid, state, group_id, email, first_name, last_name, created_at, updated_at "
    "FROM customers_customer WHERE id = ANY(%(ids)s) ORDER BY id DESC"
)
COUNT = "SELECT count(*) FROM customers_customer WHERE deleted_at IS NULL {where}"
# As the app: each store's folded total plus its pending deltas (customers/live_totals.py).
LIVE_COUNT = (
    "SELECT sum(store.live_customers + COALESCE((SELECT sum(pending.delta) "
    "FROM customers_livecustomerdelta AS pending WHERE pending.store_id = store.id), 0)) "
    "FROM customers_store AS store"
)
# The search text of the trigram index (customers.models.SEARCH_TEXT, migration 0012).
KEYWORD = (
    "AND UPPER(((first_name || ' ' || last_name) || E'\\x1f' || email || E'\\x1f' "
    "|| COALESCE(phone, '') || E'\\x1f' || reference)::text) LIKE UPPER(%(kw)s)"
)

_connection = None


def _cursor():
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["FLOOR_DATABASE_URL"], autocommit=True)
    return _connection.cursor()


def _rows(cursor) -> list[dict]:
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _lookup(path: str, value: str) -> object:
    with _cursor() as cursor:
        cursor.execute(LOOKUPS[path], [value])
        customers = _rows(cursor)
        if customers:
            cursor.execute(
                f"SELECT customer_id, {ADDRESS_COLUMNS} FROM addresses_address "
                "WHERE customer_id = ANY(%s) ORDER BY id",
                [[c["id"] for c in customers]],
            )
            addresses = _rows(cursor)
            for customer in customers:
                customer["addresses"] = [a for a in addresses if a["customer_id"] == customer["id"]]
    if path in ("/id", "/ref"):
        return customers[0] if customers else None
    return customers


def _list(page: int, keyword: str | None) -> dict:
    where = KEYWORD if keyword else ""
    params = {"kw": f"%{keyword}%"} if keyword else {}
    with _cursor() as cursor:
        if keyword:
            cursor.execute(COUNT.format(where=where), params)
        else:
            cursor.execute(LIVE_COUNT)
        total = cursor.fetchone()[0]
        order = "COALESCE(id, id)" if keyword and total < FEW_MATCHES else "id"
        cursor.execute(
            LIST_KEYS.format(where=where, order=order), {**params, "offset": (page - 1) * 20}
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(LIST_ROWS, {"ids": ids})
        return {"data": _rows(cursor), "meta": {"total": total}}


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/list":
        body = _list(int(query.get("page", "1")), query.get("keyword"))
    elif path in LOOKUPS:
        body = _lookup(path, query.get("q", ""))
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    payload = json.dumps(body, default=str).encode()
    status = "200 OK" if body is not None else "404 Not Found"
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]
