import gc
import io
import re
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.db import connection

from addresses.models import Address
from customers.importing import CSV_COLUMNS
from customers.management.commands import import_customers
from customers.models import Customer
from customers.services import bulk
from customers.services.references import references_last_number
from tests.commands.conftest import reject_reasons, run_command
from tests.factories.customers import AddressFactory, CustomerFactory

PBKDF2_HASH = "pbkdf2_sha256$600000$saltsaltsalt$" + "A" * 43 + "="
ADDRESS = {
    "address_address1": "Hauptstraße 1",
    "address_city": "Berlin",
    "address_postcode": "10115",
    "address_country": "DE",
}


def summary(read, created=0, updated=0, unchanged=0, failed=0, dry=False):
    tail = r" \(dry run: nothing was written\)" if dry else ""
    return re.compile(
        rf"Read {read}, created {created}, updated {updated}, unchanged {unchanged}, "
        rf"failed {failed} in \d+\.\d s \([\d,]+ rows/s\){tail}\."
    )


def last_line(text):
    return text.strip().splitlines()[-1]


def test_import_creates_customers_with_addresses(store, write_csv):
    # given
    path = write_csv(
        [
            {
                "email": "Anna.Schmidt@Example.com",
                "first_name": "Anna",
                "last_name": "Schmidt",
                "salutation": "Ms",
                "gender": "Female",
                "date_of_birth": "1985-04-12",
                "phone": "+49 (30) 123-4567",
                "accepts_marketing": "true",
                "marketing_optin_level": "confirmed_opt_in",
                "tax_exempt": "yes",
                "email_verified_at": "2024-05-01T10:00:00Z",
                "password_hash": PBKDF2_HASH,
                "address_first_name": "Anna",
                "address_company": "ACME",
                **ADDRESS,
            },
            {"reference": "ERP-7", "email": "ben@example.com", "first_name": "Ben"},
        ]
    )

    # when
    result = run_command("import_customers", str(path))

    # then
    assert result.code == 0
    assert summary(2, created=2).fullmatch(last_line(result.stdout))
    anna = Customer.objects.get(email="Anna.Schmidt@example.com")
    assert anna.reference == "DE--1"
    assert (anna.first_name, anna.last_name, anna.salutation, anna.gender) == (
        "Anna",
        "Schmidt",
        "Ms",
        "Female",
    )
    assert anna.date_of_birth == date(1985, 4, 12)
    assert anna.phone.as_e164 == "+49301234567"
    assert anna.state == Customer.State.ENABLED
    assert anna.password == PBKDF2_HASH
    assert anna.accepts_marketing is True
    assert anna.marketing_optin_level == "confirmed_opt_in"
    assert anna.marketing_preferences_updated_at is not None
    assert anna.tax_exempt is True
    assert anna.email_verified_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    address = Address.objects.get(customer=anna)
    assert (address.first_name, address.company, address.address1, address.city) == (
        "Anna",
        "ACME",
        "Hauptstraße 1",
        "Berlin",
    )
    assert (address.postcode, address.country.code) == ("10115", "DE")
    assert (address.is_default_shipping, address.is_default_billing) == (True, True)
    ben = Customer.objects.get(reference="ERP-7")
    assert ben.state == Customer.State.INVITED
    assert ben.has_usable_password() is False
    assert ben.email_verified_at is None
    assert ben.addresses.count() == 0
    assert references_last_number(store=store) == 1


def test_import_reads_consecutive_rows_of_one_reference_as_one_customer(store, write_csv):
    # given
    path = write_csv(
        [
            {"reference": "R-1", "email": "anna@example.com", **ADDRESS},
            {
                "reference": "R-1",
                "email": "anna@example.com",
                **ADDRESS,
                "address_address1": "Nebenweg 2",
            },
        ]
    )

    # when
    result = run_command("import_customers", str(path))

    # then
    assert result.code == 0
    customer = Customer.objects.get(reference="R-1")
    assert list(
        customer.addresses.order_by("id").values_list(
            "address1", "is_default_shipping", "is_default_billing"
        )
    ) == [("Hauptstraße 1", True, True), ("Nebenweg 2", False, False)]


@pytest.mark.parametrize(
    "options",
    [["--batch-size", "1000"], ["--batch-size", "1"], ["--batch-size", "3", "--workers", "0"]],
    ids=["one_batch_case", "row_batches_case", "no_worker_processes_case"],
)
def test_import_reports_each_bad_row_and_imports_the_good_ones(
    store, write_csv, errors_path, options
):
    # given
    CustomerFactory(store=store, email="taken@example.com", reference="OLD-1")
    path = write_csv(
        [
            {"email": "good@example.com", **ADDRESS},
            {"email": "not-an-email"},
            {"email": "phone@example.com", "phone": "12"},
            {"email": "country@example.com", **ADDRESS, "address_country": "Narnia"},
            {"email": "GOOD@example.com"},
            {"email": "taken@example.com", "reference": "NEW-1"},
            {"email": "hash@example.com", "password_hash": "md6$salt$abcdef"},
            {"email": "mobile@example.com", "mobile": "+49 151 12345678"},
            {"email": "mobile2@example.com", "mobile": "+4915112345678"},
            {"email": "Taken@Example.com"},
        ]
    )

    # when
    result = run_command("import_customers", str(path), "--errors-to", str(errors_path), *options)

    # then
    assert result.code == 1
    assert summary(10, created=2, unchanged=1, failed=7).fullmatch(last_line(result.stdout))
    assert result.stderr == f"7 rows were rejected; see {errors_path}."
    # The rejected rows themselves, in the input's columns, with their reasons added.
    email_taken = "This email address is already used by another customer. (customer_email_taken)"
    assert reject_reasons(errors_path) == (
        [*CSV_COLUMNS, "errors"],
        [
            ("not-an-email", "line 3: email: Enter a valid email address. (invalid)"),
            (
                "phone@example.com",
                "line 4: phone: Enter a valid phone number in international format, "
                "e.g. +49 30 1234567. (invalid_phone_number)",
            ),
            (
                "country@example.com",
                "line 5: addresses.0.country: 'Narnia' is not a known country. (invalid_country)",
            ),
            ("GOOD@example.com", f"line 6: email: {email_taken}"),
            ("taken@example.com", f"line 7: email: {email_taken}"),
            (
                "hash@example.com",
                "line 8: password_hash: Unknown password hash format. (invalid_password_hash)",
            ),
            (
                "mobile2@example.com",
                "line 10: mobile: This phone number is already used by another customer. "
                "(customer_phone_taken)",
            ),
        ],
    )
    assert sorted(Customer.objects.values_list("email", flat=True)) == [
        "good@example.com",
        "mobile@example.com",
        "taken@example.com",
    ]
    assert Address.objects.get().customer.email == "good@example.com"


def test_import_without_errors_file_writes_problems_to_stderr(store, write_csv):
    # given
    path = write_csv([{"email": "ok@example.com"}, {"email": "x@example.com", "gender": "Other"}])

    # when
    result = run_command("import_customers", str(path))

    # then
    assert result.code == 1
    assert result.stderr == (
        "line 3: gender: Value 'Other' is not a valid choice. (invalid_choice)\n"
        "1 row was rejected; see stderr."
    )
    assert list(Customer.objects.values_list("email", flat=True)) == ["ok@example.com"]


def test_import_rejects_cells_that_are_not_their_type(store, write_csv, errors_path):
    # given
    path = write_csv(
        [
            {
                "email": "x@example.com",
                "date_of_birth": "12.04.1985",
                "accepts_marketing": "maybe",
                "group_id": "one",
                "email_verified_at": "yesterday",
            }
        ]
    )

    # when
    result = run_command("import_customers", str(path), "--errors-to", str(errors_path))

    # then
    assert result.code == 1
    assert reject_reasons(errors_path) == (
        [*CSV_COLUMNS, "errors"],
        [
            (
                "x@example.com",
                "line 2: date_of_birth: Enter a date as YYYY-MM-DD. (invalid); "
                "line 2: group_id: Enter a whole number. (invalid); "
                "line 2: accepts_marketing: Must be true or false. (invalid); "
                "line 2: email_verified_at: Enter an ISO 8601 date-time, "
                "e.g. 2024-05-01T10:00:00Z. (invalid)",
            )
        ],
    )
    assert Customer.objects.count() == 0


def test_import_twice_creates_nothing_new(store, write_csv):
    # given
    rows = [
        {"email": "anna@example.com", **ADDRESS},
        {"reference": "ERP-1", "email": "ben@example.com", **ADDRESS},
    ]
    path = write_csv(rows)
    first = run_command("import_customers", str(path))
    before = list(Customer.objects.values_list("pk", "reference", "email", "updated_at"))

    # when
    second = run_command("import_customers", str(path))

    # then
    assert first.code == 0
    assert second.code == 0
    assert summary(2, unchanged=2).fullmatch(last_line(second.stdout))
    assert list(Customer.objects.values_list("pk", "reference", "email", "updated_at")) == before
    assert Address.objects.count() == 2


def test_dry_run_writes_nothing(store, write_csv):
    # given
    path = write_csv([{"email": "anna@example.com", **ADDRESS}, {"email": "bad"}])

    # when
    result = run_command("import_customers", str(path), "--dry-run")

    # then
    assert result.code == 1
    assert summary(2, created=1, failed=1, dry=True).fullmatch(last_line(result.stdout))
    assert Customer.objects.count() == 0
    assert Address.objects.count() == 0
    # A sequence does not roll back: on PostgreSQL the dry run leaves a gap in the numbering.
    assert references_last_number(store=store) == (1 if connection.vendor == "postgresql" else 0)


def test_update_existing_updates_matched_customers(store, write_csv):
    # given
    by_email = CustomerFactory(
        store=store, email="anna@example.com", first_name="Anna", last_name="Alt"
    )
    AddressFactory(customer=by_email, address1="Hauptstraße 1", city="Berlin", postcode="10115")
    by_reference = CustomerFactory(store=store, reference="ERP-9", email="old@example.com")
    same = CustomerFactory(store=store, email="same@example.com", first_name="Sam", last_name="E")
    path = write_csv(
        [
            {"email": "ANNA@example.com", "last_name": "Neu", **ADDRESS},
            {"reference": "ERP-9", "email": "new@example.com", **ADDRESS},
            {"email": "same@example.com", "first_name": "Sam", "last_name": "E"},
        ]
    )

    # when
    result = run_command("import_customers", str(path), "--update-existing")

    # then
    assert result.code == 0
    assert summary(3, updated=2, unchanged=1).fullmatch(last_line(result.stdout))
    by_email.refresh_from_db()
    assert (by_email.first_name, by_email.last_name, by_email.email) == (
        "Anna",
        "Neu",
        "ANNA@example.com",
    )
    assert by_email.addresses.count() == 1
    by_reference.refresh_from_db()
    assert by_reference.email == "new@example.com"
    assert list(by_reference.addresses.values_list("address1", "is_default_shipping")) == [
        ("Hauptstraße 1", True)
    ]
    assert Customer.objects.get(pk=same.pk).updated_at == same.updated_at
    assert Customer.objects.count() == 3


def test_plain_text_passwords_are_hashed_with_a_warning(store, write_csv, errors_path):
    # given
    columns = ("email", "password")
    path = write_csv(
        [
            {"email": "anna@example.com", "password": "correct-horse-battery"},
            {"email": "ben@example.com", "password": "short"},
        ],
        columns=columns,
    )

    # when
    result = run_command("import_customers", str(path), "--errors-to", str(errors_path))

    # then
    assert result.code == 1
    assert result.stderr.startswith(
        "The file has plain-text passwords: hashing them is the slow path"
    )
    anna = Customer.objects.get()
    assert check_password("correct-horse-battery", anna.password) is True
    assert anna.state == Customer.State.ENABLED
    assert errors_path.read_text(encoding="utf-8").splitlines() == [
        "email,password,errors",
        "ben@example.com,short,line 3: password: This password is too short. "
        "It must contain at least 8 characters. (password_too_short)",
    ]


def test_progress_is_a_line_on_stderr_now_and_then_when_not_a_terminal(
    store, write_csv, monkeypatch
):
    # given: a progress line after every batch (by default at most one each 10 s)
    monkeypatch.setattr(import_customers, "PROGRESS_EVERY_SECONDS", 0)
    path = write_csv([{"email": "a@example.com"}, {"email": "b@example.com"}])

    # when
    result = run_command("import_customers", str(path), "--batch-size", "1")

    # then: progress on stderr, the summary alone on stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(
        r"Progress: 1 rows read: created 1, updated 0, unchanged 0, failed 0 \([\d,]+ rows/s\)",
        lines[0],
    )
    assert re.fullmatch(
        r"Progress: 2 rows read: created 2, updated 0, unchanged 0, failed 0 \([\d,]+ rows/s\)",
        lines[1],
    )
    assert summary(2, created=2).fullmatch(result.stdout.strip())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["missing.csv"], "Cannot open {tmp}/missing.csv: No such file or directory."),
        (
            ["customers.txt"],
            "Cannot tell the format of {tmp}/customers.txt; pass --format csv, json or ndjson.",
        ),
        (["customers.csv", "--store", "XX"], "Unknown store 'XX'."),
        (["customers.csv", "--batch-size", "0"], "--batch-size must be at least 1."),
        (["no_email.csv"], "The CSV header has no 'email' column."),
        (["empty.csv"], "The file is empty: a CSV header is required."),
    ],
    ids=[
        "missing_file_case",
        "unknown_extension_case",
        "unknown_store_case",
        "bad_batch_size_case",
        "no_email_column_case",
        "empty_file_case",
    ],
)
def test_usage_and_file_errors_exit_with_2(store, tmp_path, write_csv, arguments, message):
    # given
    write_csv([{"email": "a@example.com"}])
    write_csv([{"first_name": "A"}], name="no_email.csv", columns=("first_name",))
    (tmp_path / "customers.txt").write_text("email\na@example.com\n")
    (tmp_path / "empty.csv").write_text("")
    path, *options = arguments

    # when
    result = run_command("import_customers", str(tmp_path / path), *options)

    # then
    assert result.code == 2
    assert result.stderr.endswith(message.format(tmp=tmp_path))
    assert Customer.objects.count() == 0


def test_a_row_that_loses_a_race_after_the_check_is_rejected_alone(
    store, write_csv, errors_path, monkeypatch
):
    # given
    CustomerFactory(store=store, email="first@example.com", phone="+49301234567")
    path = write_csv(
        [{"email": "a@example.com"}, {"email": "b@example.com", "phone": "+49 30 1234567"}]
    )
    real_check = bulk.customers_check_batch
    calls = []

    def check_missing_the_race_once(*, store, drafts):
        # The first check runs before a concurrent writer commits the same phone number.
        calls.append(len(drafts))
        return {} if len(calls) == 1 else real_check(store=store, drafts=drafts)

    monkeypatch.setattr(bulk, "customers_check_batch", check_missing_the_race_once)

    # when
    result = run_command(
        "import_customers", str(path), "--errors-to", str(errors_path), "--workers", "0"
    )

    # then
    assert result.code == 1
    assert calls == [2, 2]
    assert reject_reasons(errors_path) == (
        [*CSV_COLUMNS, "errors"],
        [
            (
                "b@example.com",
                "line 3: phone: This phone number is already used by another customer. "
                "(customer_phone_taken)",
            )
        ],
    )
    assert sorted(Customer.objects.values_list("email", flat=True)) == [
        "a@example.com",
        "first@example.com",
    ]


class TerminalOutput(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_bar_with_rows_per_second_on_a_terminal(store, write_csv, capsys):
    # given
    path = write_csv([{"email": "a@example.com"}, {"email": "b@example.com"}])
    out = TerminalOutput()

    # when
    call_command("import_customers", str(path), "--batch-size", "1", stdout=out)

    # then
    bar = capsys.readouterr().err
    assert re.search(r"Importing: 2\.00 rows \[[\d:]+, [\d.]+ rows/s\]", bar)
    assert summary(2, created=2).fullmatch(out.getvalue().strip())


def test_rows_go_to_the_store_they_name_unless_store_is_given(store, other_store, write_csv):
    # given
    path = write_csv(
        [
            {"email": "at@example.com", "store": "at"},
            {"email": "de@example.com"},
            {"email": "xx@example.com", "store": "XX"},
        ]
    )

    # when
    per_row = run_command("import_customers", str(path))
    forced = run_command("import_customers", str(path), "--store", "DE", "--update-existing")

    # then
    assert per_row.code == 1
    assert per_row.stderr == (
        "line 4: store: Unknown or inactive store. (store_not_found)\n"
        "1 row was rejected; see stderr."
    )
    assert forced.code == 0
    assert sorted(Customer.objects.values_list("store__code", "email")) == [
        ("AT", "at@example.com"),
        ("DE", "at@example.com"),
        ("DE", "de@example.com"),
        ("DE", "xx@example.com"),
    ]


@pytest.mark.parametrize("workers", ["0", "1"])
def test_batches_after_one_with_existing_customers_are_imported_alike(
    store, write_csv, errors_path, workers
):
    # given: batches of two; the second names an existing customer, the third repeats the
    # first row's customer (a duplicate), the last is new again
    CustomerFactory(store=store, email="here@example.com", reference="HERE-1")
    emails = ["a", "b", "here", "c", "d", "A", "e", "f"]
    path = write_csv([{"email": f"{name}@example.com", **ADDRESS} for name in emails])

    # when
    result = run_command(
        "import_customers",
        str(path),
        "--batch-size",
        "2",
        "--workers",
        workers,
        "--errors-to",
        str(errors_path),
    )

    # then
    assert result.code == 1
    assert summary(8, created=6, unchanged=1, failed=1).fullmatch(last_line(result.stdout))
    assert reject_reasons(errors_path)[1] == [
        (
            "A@example.com",
            "line 7: email: This email address is already used by another customer. "
            "(customer_email_taken)",
        )
    ]
    imported = Customer.objects.filter(store=store).exclude(email="here@example.com")
    assert sorted(imported.values_list("email", flat=True)) == [
        f"{name}@example.com" for name in "abcdef"
    ]
    assert all(customer.addresses.count() == 1 for customer in imported)
    assert Customer.objects.get(email="here@example.com").addresses.count() == 0


def test_workers_share_the_main_process_pages_only_while_they_run(store, write_csv):
    # given
    path = write_csv([{"email": f"{name}@example.com", **ADDRESS} for name in "abc"])

    # when: the import freezes the collector's objects before forking its workers
    result = run_command("import_customers", str(path), "--workers", "1", "--batch-size", "1")

    # then: and lets go of them afterwards
    assert result.code == 0
    assert summary(3, created=3).fullmatch(last_line(result.stdout))
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("workers", [0, 1])
def test_an_import_reads_national_numbers_in_each_rows_store(
    other_store, store, write_csv, workers, settings
):
    # given: an export of two stores (DE, AT), each row naming its own
    settings.PHONENUMBER_DEFAULT_REGION = "DE"
    path = write_csv(
        [
            {"email": "anna@example.com", "phone": "0662 123456", "store": "at"},
            {"email": "ben@example.com", "phone": "030 1234567", "store": "DE"},
        ]
    )

    # when
    result = run_command("import_customers", str(path), "--workers", str(workers))

    # then
    assert result.code == 0, result.stderr
    assert sorted(Customer.objects.values_list("store__code", "email", "phone")) == [
        ("AT", "anna@example.com", "+43662123456"),
        ("DE", "ben@example.com", "+49301234567"),
    ]


def test_an_import_into_a_store_reads_national_numbers_in_its_country(
    other_store, write_csv, settings
):
    # given: a default region that would read the number otherwise
    settings.PHONENUMBER_DEFAULT_REGION = "DE"
    path = write_csv([{"email": "anna@example.com", "mobile": "0664 1234567"}])

    # when
    result = run_command("import_customers", str(path), "--store", "AT")

    # then
    assert result.code == 0, result.stderr
    assert list(Customer.objects.values_list("store__code", "mobile")) == [("AT", "+436641234567")]
