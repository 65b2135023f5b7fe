"""The reject file (--errors-to) holds the rejected rows in the input's format: fixed, it
imports as it is."""

import csv
import json
from datetime import date

import pytest

from addresses.models import Address
from customers.importing import CSV_COLUMNS
from customers.models import Customer
from tests.commands.conftest import run_command

GOOD_ADDRESS = {"address_address1": "Hauptstraße 1", "address_city": "Berlin"}


def test_a_fixed_csv_reject_file_imports_as_it_is(store, write_csv, tmp_path):
    # given: three bad customers among good ones; one has two addresses (two rows)
    path = write_csv(
        [
            {"email": "good@example.com", **GOOD_ADDRESS, "address_country": "DE"},
            {"email": "not-an-email", "first_name": "Nora"},
            {"reference": "ERP-1", "email": "two@example.com", **GOOD_ADDRESS},
            {"reference": "ERP-1", "email": "two@example.com", **GOOD_ADDRESS},
            {"email": "dob@example.com", "date_of_birth": "12.04.1985"},
        ]
    )
    rejects = tmp_path / "rejects.csv"
    first = run_command("import_customers", str(path), "--errors-to", str(rejects))
    with rejects.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        header, rows = reader.fieldnames, list(reader)

    # when: the operator fixes the cells the reasons name, and imports the file as it is
    rows[0]["email"] = "nora@example.com"
    rows[1]["address_country"] = rows[2]["address_country"] = "DE"
    rows[3]["date_of_birth"] = "1985-04-12"
    with rejects.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    second = run_command("import_customers", str(rejects))

    # then
    assert first.code == 1
    assert header == [*CSV_COLUMNS, "errors"]
    two_reasons = (
        "line 4: addresses.0.country: This field cannot be blank. (blank); "
        "line 4: addresses.1.country: This field cannot be blank. (blank)"
    )
    assert [(row["email"], row["errors"]) for row in rows] == [
        ("nora@example.com", "line 3: email: Enter a valid email address. (invalid)"),
        ("two@example.com", two_reasons),
        ("two@example.com", two_reasons),
        ("dob@example.com", "line 6: date_of_birth: Enter a date as YYYY-MM-DD. (invalid)"),
    ]
    assert second.code == 0
    assert second.stderr == ""
    assert sorted(Customer.objects.values_list("email", "first_name", "date_of_birth")) == sorted(
        [
            ("good@example.com", "", None),
            ("nora@example.com", "Nora", None),
            ("two@example.com", "", None),
            ("dob@example.com", "", date(1985, 4, 12)),
        ]
    )
    assert list(
        Address.objects.filter(customer__reference="ERP-1").values_list("city", "country")
    ) == [("Berlin", "DE"), ("Berlin", "DE")]


BAD_ITEMS = [
    {"email": "good@example.com"},
    {"email": "not-an-email", "firstName": "Nora"},
    {"email": "dob@example.com", "dob": "12.04.1985", "addresses": [{"address1": "A 1"}]},
]


def _fix(item):
    if item["email"] == "not-an-email":
        item["email"] = "nora@example.com"
    else:
        item["dob"] = "1985-04-12"
        item["addresses"][0].update({"city": "Wien", "countryCode": "AT"})


@pytest.mark.parametrize("file_format", ["json", "ndjson"], ids=["json_case", "ndjson_case"])
def test_a_fixed_json_reject_file_imports_as_it_is(store, tmp_path, file_format):
    # given
    path = tmp_path / f"customers.{file_format}"
    if file_format == "json":
        path.write_text(json.dumps(BAD_ITEMS, indent=2), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(item) + "\n" for item in BAD_ITEMS), encoding="utf-8")
    rejects = tmp_path / f"rejects.{file_format}"
    first = run_command("import_customers", str(path), "--errors-to", str(rejects))
    text = rejects.read_text(encoding="utf-8")
    items = (
        json.loads(text)
        if file_format == "json"
        else [json.loads(line) for line in text.splitlines()]
    )

    # when: the operator fixes the items, keeps their `errors`, and imports the file as it is
    for item in items:
        _fix(item)
    if file_format == "json":
        rejects.write_text(json.dumps(items), encoding="utf-8")
    else:
        rejects.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    second = run_command("import_customers", str(rejects))

    # then
    assert first.code == 1
    assert [sorted(item) for item in items] == [
        ["email", "errors", "firstName"],
        ["addresses", "dob", "email", "errors"],
    ]
    assert [[error["field"] for error in item["errors"]] for item in items] == [
        ["email"],
        ["dob"],
    ]
    assert second.code == 0
    assert sorted(Customer.objects.values_list("email", "first_name")) == [
        ("dob@example.com", ""),
        ("good@example.com", ""),
        ("nora@example.com", "Nora"),
    ]
    assert list(Address.objects.values_list("customer__email", "city", "country")) == [
        ("dob@example.com", "Wien", "AT")
    ]
