"""PostgreSQL's export (one query, COPY) writes what the portable writers write."""

import csv
import io
import json

import pytest
from django.db import connection

from customers import exporting

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the COPY export is PostgreSQL's"
)


def portable(file_format, store=None, with_password_hashes=False):
    stream = io.StringIO()
    count = exporting.WRITERS[file_format](
        exporting.customers_for_export(store=store),
        stream,
        with_password_hashes=with_password_hashes,
    )
    return count, stream.getvalue()


def fast(file_format, store=None, with_password_hashes=False):
    stream = io.StringIO()
    count = exporting.export_customers_to(
        stream, file_format=file_format, store=store, with_password_hashes=with_password_hashes
    )
    return count, stream.getvalue()


@pytest.mark.parametrize("hashes", [False, True], ids=["no_hashes_case", "hashes_case"])
def test_the_ndjson_of_postgresql_is_the_portable_ndjson(
    customers, customer_in_other_store, hashes
):
    # when
    fast_count, fast_text = fast("ndjson", with_password_hashes=hashes)
    portable_count, portable_text = portable("ndjson", with_password_hashes=hashes)

    # then
    assert fast_count == portable_count == 3
    assert [json.loads(line) for line in fast_text.splitlines()] == [
        json.loads(line) for line in portable_text.splitlines()
    ]


@pytest.mark.parametrize("hashes", [False, True], ids=["no_hashes_case", "hashes_case"])
def test_the_csv_of_postgresql_is_the_portable_csv(customers, customer_in_other_store, hashes):
    # when
    fast_count, fast_text = fast("csv", with_password_hashes=hashes)
    portable_count, portable_text = portable("csv", with_password_hashes=hashes)

    # then
    assert fast_count == portable_count == 3
    fast_rows = list(csv.reader(io.StringIO(fast_text)))
    assert fast_rows == list(csv.reader(io.StringIO(portable_text)))
    assert len(fast_rows) == 1 + 2 + 1 + 2  # header, Anna's two addresses, Ben, the AT pair


def test_the_postgresql_export_of_one_store(store, customers, customer_in_other_store):
    # when
    fast_count, fast_text = fast("ndjson", store=store)

    # then
    assert fast_count == 2
    assert [json.loads(line)["customerRef"] for line in fast_text.splitlines()] == [
        customers[0].reference,
        "ERP-7",
    ]
    assert [json.loads(line) for line in fast_text.splitlines()] == [
        json.loads(line) for line in portable("ndjson", store=store)[1].splitlines()
    ]
