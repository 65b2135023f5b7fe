"""Helpers for the management command tests: write an input file, run a command."""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command

from addresses.services import address_set_default
from customers.importing import CSV_COLUMNS
from customers.models import Customer, CustomerGroup
from customers.services import customer_anonymize, customer_create, customer_soft_delete


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_command(name, *args):
    """Run a command as an operator would; the exit status is CommandError's returncode."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
    except CommandError as error:
        return Run(error.returncode, out.getvalue(), err.getvalue() + str(error))
    return Run(0, out.getvalue(), err.getvalue())


@pytest.fixture
def write_csv(tmp_path):
    """Write rows (dicts of column -> text) under the importer's full header."""

    def write(rows, name="customers.csv", columns=CSV_COLUMNS):
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
        return path

    return write


@pytest.fixture
def errors_path(tmp_path):
    return tmp_path / "errors.csv"


def reject_reasons(path, key="email"):
    """A CSV reject file's header and its rows as (`key` cell, `errors` cell) pairs."""
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        rows = [(row[key], row["errors"]) for row in reader]
        return reader.fieldnames, rows


@pytest.fixture
def customers(store):
    """A customer with every field and two addresses, an invited one, a deleted one and an
    anonymized one (the last two are not exported)."""
    group = CustomerGroup.objects.create(name="Wholesale")
    full = customer_create(
        store=store,
        password_hash="pbkdf2_sha256$600000$saltsalt$" + "B" * 43 + "=",
        email="Anna.Schmidt@example.com",
        salutation="Ms",
        first_name="Anna",
        last_name="Schmidt-Weber",
        gender="Female",
        date_of_birth=date(1985, 4, 12),
        phone="+49 30 1234567",
        mobile="+49 151 12345678",
        state="enabled",
        group_id=group.pk,
        accepts_marketing=True,
        marketing_optin_level="confirmed_opt_in",
        tax_exempt=True,
        tax_exemptions=["VAT", "EXPORT"],
        attribute_groups={
            "erp": {
                "attribute_group": "ERP",
                "attributes": {"tier": {"attribute_value": "3", "value_type": "INTEGER"}},
                "is_obsolete": False,
            }
        },
        email_verified_at=datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC),
        addresses=[
            {
                "label": "Home",
                "salutation": "Ms",
                "first_name": "Anna",
                "last_name": "Schmidt",
                "company": 'ACME, "Berlin"',
                "address1": "Hauptstraße 1",
                "address2": "Hinterhaus",
                "address3": "3. OG",
                "postcode": "10115",
                "city": "Berlin",
                "province": "Berlin",
                "province_code": "BE",
                "country": "DE",
                "phone": "22111-3-4-5",
                "email": "home@example.com",
            },
            {"address1": "Ring 2\nHof", "city": "Wien", "country": "AT"},
        ],
    )
    invited = customer_create(
        store=store, email="ben@example.com", reference="ERP-7", state="invited"
    )
    gone = customer_create(store=store, email="gone@example.com")
    customer_soft_delete(customer=gone)
    erased = customer_create(store=store, email="erased@example.com")
    customer_anonymize(customer=erased)
    # Dates from the past, so that a restored date cannot be the import's own clock.
    Customer.objects.filter(pk=full.pk).update(
        created_at=datetime(2019, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    )
    Customer.objects.filter(pk=invited.pk).update(
        created_at=datetime(2020, 1, 1, 0, 0, 0, tzinfo=UTC)
    )
    full.refresh_from_db()
    invited.refresh_from_db()
    return full, invited


@pytest.fixture
def customer_in_other_store(other_store, customers):
    """The same reference as a DE customer, and billing and shipping on different addresses."""
    customer = customer_create(
        store=other_store,
        email="ben@example.com",
        reference="ERP-7",
        accepted_terms_at=datetime(2021, 6, 7, 8, 9, 10, 111213, tzinfo=UTC),
        addresses=[
            {"address1": "Graben 1", "city": "Wien", "country": "AT"},
            {"address1": "Ring 2", "city": "Linz", "country": "AT", "postcode": "4020"},
        ],
    )
    second = customer.addresses.get(address1="Ring 2")
    address_set_default(address=second, shipping=False, billing=True)
    return customer
