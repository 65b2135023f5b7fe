import json
from datetime import UTC, date, datetime

import pytest

from customers.models import Customer, CustomerGroup
from customers.services import customer_anonymize, customer_create, customer_soft_delete
from tests.commands.conftest import run_command

CUSTOMER_FIELDS = (
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
)
ADDRESS_FIELDS = (
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
    "is_default_shipping",
    "is_default_billing",
)


def snapshot(store):
    """Everything the files carry, customer by customer (ids and timestamps are the store's)."""
    result = []
    for customer in Customer.objects.filter(store=store).order_by("reference"):
        fields = {name: getattr(customer, name) for name in CUSTOMER_FIELDS}
        fields["password"] = customer.password if customer.has_usable_password() else None
        fields["addresses"] = [
            {name: str(getattr(address, name)) for name in ADDRESS_FIELDS}
            for address in customer.addresses.order_by("id")
        ]
        result.append(fields)
    return result


@pytest.fixture
def customers(store):
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
    return full, invited


@pytest.mark.parametrize("file_format", ["csv", "ndjson"], ids=["csv_case", "ndjson_case"])
def test_export_then_import_into_a_fresh_store_gives_the_same_customers(
    store, other_store, customers, tmp_path, file_format
):
    # given
    path = tmp_path / f"customers.{file_format}"
    exported = run_command(
        "export_customers", "--format", file_format, "--store", "DE", "--output", str(path)
    )

    # when
    imported = run_command("import_customers", str(path), "--store", other_store.code)

    # then
    assert exported.code == 0
    assert exported.stderr == "Exported 2 customers.\n"
    assert imported.code == 0
    assert Customer.objects.filter(store=other_store).count() == 2
    full, _ = customers
    assert snapshot(other_store) == [
        entry for entry in snapshot(store) if entry["reference"] in (full.reference, "ERP-7")
    ]


def test_export_to_stdout_writes_the_csv(store, customers):
    # when
    result = run_command("export_customers", "--store", "DE")

    # then
    lines = result.stdout.splitlines()
    assert result.code == 0
    assert lines[0].startswith("reference,email,first_name,last_name,salutation,gender,")
    assert len(lines) == 1 + 3 + 1  # header, Anna's two addresses, the quoted newline, Ben
    assert lines[-1] == ("ERP-7,ben@example.com,,,,,,,,invited,1,false,,false,,,,,,,,,,,,,,,,,,,")


def test_ndjson_export_is_the_integration_representation_plus_extras(store, customers):
    # given
    full, invited = customers

    # when
    result = run_command("export_customers", "--format", "ndjson")

    # then
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [item["customerRef"] for item in objects] == [full.reference, "ERP-7"]
    ben = objects[1]
    assert ben == {
        "accepts_marketing": False,
        "active": False,
        "addresses": [],
        "attributeGroups": {},
        "createdDate": ben["createdDate"],
        "customerRef": "ERP-7",
        "customer_state": "invited",
        "defaultAddress": None,
        "dob": None,
        "email": "ben@example.com",
        "firstName": "",
        "id": str(invited.uuid),
        "lastModifiedDate": ben["lastModifiedDate"],
        "lastName": "",
        "marketing_optin_level": None,
        "marketing_preferences_updated_at": None,
        "mobile": None,
        "phone": None,
        "taxExempt": False,
        "taxExemptions": [],
        "verified_email": False,
        "password_hash": "",
        "email_verified_at": None,
        "group_id": 1,
        "salutation": "",
        "gender": None,
    }
    assert objects[0]["password_hash"] == full.password
    assert objects[0]["email_verified_at"] == "2024-05-01T10:00:00.123456+00:00"


def test_export_with_unknown_store_exits_with_2(store):
    # when
    result = run_command("export_customers", "--store", "XX")

    # then
    assert result.code == 2
    assert result.stderr == "Unknown store 'XX'."
