import io
import json

import pytest

from customers.importing import ImportFileError, read_json_array, readers
from customers.models import Customer
from tests.commands.conftest import run_command
from tests.factories.customers import CustomerFactory

ANNA = {
    "customerRef": "TWC-1",
    "email": "anna@example.com",
    "firstName": "Anna",
    "lastName": "Schmidt",
    "dob": "1985-04-12T00:00:00.000Z",
    "customer_state": "enabled",
    "addresses": [
        {"address1": "Hauptstraße 1", "city": "Berlin", "countryCode": "DE", "addressName": "Home"}
    ],
    "password_hash": "pbkdf2_sha256$600000$saltsalt$" + "C" * 43 + "=",
}
BEN = {"email": "ben@example.com", "firstName": "Ben"}


@pytest.mark.parametrize("file_format", ["json", "ndjson"], ids=["json_case", "ndjson_case"])
def test_import_reads_the_integration_representation(store, tmp_path, file_format):
    # given
    path = tmp_path / f"customers.{file_format}"
    if file_format == "json":
        path.write_text(json.dumps([ANNA, BEN], indent=2), encoding="utf-8")
    else:
        path.write_text(f"{json.dumps(ANNA)}\n\n{json.dumps(BEN)}\n", encoding="utf-8")

    # when
    result = run_command("import_customers", str(path))

    # then
    assert result.code == 0
    anna = Customer.objects.get(reference="TWC-1")
    assert (anna.email, anna.first_name, anna.last_name, str(anna.date_of_birth)) == (
        "anna@example.com",
        "Anna",
        "Schmidt",
        "1985-04-12",
    )
    assert anna.state == Customer.State.ENABLED
    assert anna.password == ANNA["password_hash"]
    assert list(anna.addresses.values_list("label", "address1", "city", "country")) == [
        ("Home", "Hauptstraße 1", "Berlin", "DE")
    ]
    ben = Customer.objects.get(email="ben@example.com")
    assert ben.state == Customer.State.INVITED
    assert ben.has_usable_password() is False


def test_password_hash_without_a_state_makes_an_enabled_customer(store, tmp_path):
    # given
    path = tmp_path / "customers.ndjson"
    record = {key: value for key, value in ANNA.items() if key != "customer_state"}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")

    # when
    result = run_command("import_customers", str(path))

    # then
    assert result.code == 0
    assert Customer.objects.get().state == Customer.State.ENABLED


def test_update_existing_from_ndjson_keeps_the_state_when_none_is_given(store, tmp_path):
    # given
    customer = CustomerFactory(store=store, reference="TWC-9", email="old@example.com")
    path = tmp_path / "customers.ndjson"
    path.write_text(
        json.dumps({"customerRef": "TWC-9", "email": "new@example.com", "lastName": "Neu"}) + "\n",
        encoding="utf-8",
    )

    # when
    result = run_command("import_customers", str(path), "--update-existing")

    # then
    assert result.code == 0
    customer.refresh_from_db()
    assert (customer.email, customer.last_name, customer.state) == (
        "new@example.com",
        "Neu",
        Customer.State.ENABLED,
    )


def test_ndjson_errors_name_the_integration_fields(store, tmp_path, errors_path):
    # given
    CustomerFactory(store=store, email="taken@example.com", reference="OLD-1")
    lines = [
        json.dumps(BEN),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"email": "x@example.com", "dob": "12.04.1985", "active": "yes"}),
        json.dumps({"email": "y@example.com", "firstName": "y" * 101}),
        json.dumps({"email": "z@example.com", "addresses": [{"address1": "A 1", "city": "B"}]}),
        json.dumps({"customerRef": "NEW-1", "email": "taken@example.com"}),
        json.dumps({"email": "h@example.com", "password_hash": "md6$x$y"}),
    ]
    path = tmp_path / "customers.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # when
    result = run_command("import_customers", str(path), "--errors-to", str(errors_path))

    # then
    assert result.code == 1

    # Each rejected item as it was, with an `errors` key (a broken line as its `source`).
    def problem(line, field, code, message):
        return {"line": line, "field": field, "code": code, "message": message}

    rejected = [json.loads(line) for line in errors_path.read_text(encoding="utf-8").splitlines()]
    assert rejected == [
        {
            "errors": [
                problem(
                    2,
                    "",
                    "parse_error",
                    "Malformed JSON: Expecting property name enclosed in double quotes (column 2).",
                )
            ],
            "source": "{not json",
        },
        {
            "errors": [problem(3, "", "invalid", "Each customer must be a JSON object.")],
            "source": ["a list"],
        },
        {
            "email": "x@example.com",
            "dob": "12.04.1985",
            "active": "yes",
            "errors": [
                problem(
                    4,
                    "dob",
                    "invalid",
                    "Date has wrong format. Use YYYY-MM-DD or an ISO 8601 date-time.",
                ),
                problem(4, "active", "invalid", "Must be a valid boolean."),
            ],
        },
        {
            "email": "y@example.com",
            "firstName": "y" * 101,
            "errors": [
                problem(
                    5,
                    "firstName",
                    "max_length",
                    "Ensure this value has at most 100 characters (it has 101).",
                )
            ],
        },
        {
            "email": "z@example.com",
            "addresses": [{"address1": "A 1", "city": "B"}],
            "errors": [
                problem(6, "addresses[0].countryCode", "blank", "This field cannot be blank.")
            ],
        },
        {
            "customerRef": "NEW-1",
            "email": "taken@example.com",
            "errors": [
                problem(
                    7,
                    "email",
                    "customer_email_taken",
                    "This email address is already used by another customer.",
                )
            ],
        },
        {
            "email": "h@example.com",
            "password_hash": "md6$x$y",
            "errors": [
                problem(
                    8, "password_hash", "invalid_password_hash", "Unknown password hash format."
                )
            ],
        },
    ]
    assert list(Customer.objects.order_by("email").values_list("email", flat=True)) == [
        "ben@example.com",
        "taken@example.com",
    ]


def test_a_broken_json_array_stops_the_import_with_2(store, tmp_path):
    # given
    path = tmp_path / "customers.json"
    path.write_text('[\n  {"email": "a@example.com"},\n  {"email": "b@example.com"\n', "utf-8")

    # when
    result = run_command("import_customers", str(path))

    # then
    assert result.code == 2
    assert result.stderr == "line 4: malformed JSON: Expecting ',' delimiter."
    assert Customer.objects.count() == 0


@pytest.fixture
def tiny_chunks(monkeypatch):
    # Items then straddle many reads: every boundary case of the streaming reader is hit.
    monkeypatch.setattr(readers, "_JSON_CHUNK_CHARS", 3)


def test_json_array_reader_streams_items_with_their_line_numbers(tiny_chunks):
    # given
    text = '  [\n {"a": "x\\n]"},\n\n  {"b": [1, {"c": 2}]} ,"s", 3\n]\n'

    # when
    records = list(read_json_array(io.StringIO(text)))

    # then
    assert [(record.line, record.data) for record in records] == [
        (2, {"a": "x\n]"}),
        (4, {"b": [1, {"c": 2}]}),
        (4, "s"),
        (4, 3),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1}', "line 1: a JSON file must hold one array of customers."),
        ("", "line 1: a JSON file must hold one array of customers."),
        ('[{"a": 1}', "line 1: the JSON array is not closed."),
        ('[\n{"a": 1}\n{"b": 2}]', "line 3: expected ',' or ']' between customers."),
        ('[{"a": 1}] [', "line 1: unexpected data after the JSON array."),
        ('[\n{"a": tru}]', "line 2: malformed JSON: Expecting value."),
        ("[1,]", "line 1: malformed JSON: Expecting value."),
    ],
    ids=[
        "object_case",
        "empty_case",
        "unclosed_case",
        "missing_comma_case",
        "trailing_data_case",
        "bad_literal_case",
        "trailing_comma_case",
    ],
)
def test_json_array_reader_rejects_broken_files(tiny_chunks, text, message):
    # when
    with pytest.raises(ImportFileError) as error:
        list(read_json_array(io.StringIO(text)))

    # then
    assert str(error.value) == message


def test_json_array_reader_refuses_an_item_larger_than_the_limit(monkeypatch, tiny_chunks):
    # given
    monkeypatch.setattr(readers, "MAX_JSON_ITEM_CHARS", 10)

    # when
    with pytest.raises(ImportFileError) as error:
        list(read_json_array(io.StringIO('[{"email": "' + "a" * 50 + '"}]')))

    # then
    assert str(error.value) == "line 1: a customer is larger than the item limit."


def test_an_import_keeps_the_default_flags_and_ids_it_is_given(store, tmp_path):
    # given: billing and shipping defaults on different addresses, and one file of two
    # customers whose second claims the shipping default twice
    addresses = [
        {
            "id": "3f0b7c52-8a36-4a1c-9a53-3d1a6f2a7b01",
            "address1": "A 1",
            "city": "Wien",
            "countryCode": "AT",
            "defaultAddress": True,
            "is_default_billing": False,
        },
        {
            "address1": "B 2",
            "city": "Graz",
            "countryCode": "AT",
            "defaultAddress": False,
            "is_default_billing": True,
        },
    ]
    twice = [dict(address, defaultAddress=True) for address in addresses]
    lines = [
        {
            "id": "9a1f0a3e-5c4b-4f7e-8d2a-1b2c3d4e5f60",
            "email": "kept@example.com",
            "addresses": addresses,
        },
        {"email": "twice@example.com", "addresses": twice},
    ]
    path = tmp_path / "customers.ndjson"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")

    # when
    result = run_command("import_customers", str(path))

    # then
    assert result.code == 1
    assert result.stderr == (
        "line 2: addresses[1].defaultAddress: Another address of this customer is already "
        "the default. (invalid)\n"
        "1 row was rejected; see stderr."
    )
    kept = Customer.objects.get()
    assert str(kept.uuid) == "9a1f0a3e-5c4b-4f7e-8d2a-1b2c3d4e5f60"
    assert [
        (str(a.uuid) if a.address1 == "A 1" else "-", a.is_default_shipping, a.is_default_billing)
        for a in kept.addresses.order_by("address1")
    ] == [("3f0b7c52-8a36-4a1c-9a53-3d1a6f2a7b01", True, False), ("-", False, True)]
