import json
from datetime import UTC, datetime

import pytest

from addresses.models import Address
from customers.models import Customer
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


CUSTOMER_RESTORED_FIELDS = (
    "uuid",
    "created_at",
    "marketing_preferences_updated_at",
    "accepted_terms_at",
)


def snapshot(store=None):
    """Every field a file carries, customer by customer (in the store, or in every store).

    Integer ids and `updated_at` are the importing database's own; all else must match.
    """
    # What an export carries: live customers with something left to move.
    customers = Customer.objects.filter(deleted_at=None, anonymized_at=None)
    customers = customers.select_related("store").order_by("uuid")
    if store is not None:
        customers = customers.filter(store=store)
    result = []
    for customer in customers:
        fields = {name: getattr(customer, name) for name in CUSTOMER_FIELDS}
        fields.update({name: getattr(customer, name) for name in CUSTOMER_RESTORED_FIELDS})
        fields["store"] = customer.store.code
        fields["password"] = customer.password if customer.has_usable_password() else None
        fields["addresses"] = [
            {name: str(getattr(address, name)) for name in (*ADDRESS_FIELDS, "uuid")}
            for address in customer.addresses.order_by("uuid")
        ]
        result.append(fields)
    return result


def empty_the_database():
    """What a fresh database holds: stores and groups, no customer."""
    Customer.objects.all().delete()
    assert Address.objects.count() == 0


@pytest.mark.parametrize("file_format", ["csv", "ndjson"], ids=["csv_case", "ndjson_case"])
def test_an_export_of_every_store_restores_the_same_customers_into_an_empty_database(
    store, other_store, customers, customer_in_other_store, tmp_path, file_format
):
    # given
    before = snapshot()
    path = tmp_path / f"customers.{file_format}"
    exported = run_command(
        "export_customers", "--format", file_format, "--with-password-hashes", "--output", str(path)
    )
    empty_the_database()

    # when
    imported = run_command("import_customers", str(path))

    # then
    assert exported.code == 0
    assert exported.stderr == "Exported 3 customers.\n"
    assert imported.code == 0
    assert imported.stdout.splitlines()[-1].startswith(
        "Read 3, created 3, updated 0, unchanged 0, failed 0 in "
    )
    after = snapshot()
    assert after == before
    assert sorted(entry["store"] for entry in after) == ["AT", "DE", "DE"]
    restored = Customer.objects.get(store=other_store)
    assert restored.uuid == customer_in_other_store.uuid
    assert [
        (a.address1, a.is_default_shipping, a.is_default_billing)
        for a in restored.addresses.order_by("address1")
    ] == [("Graben 1", True, False), ("Ring 2", False, True)]
    full, _ = customers
    assert Customer.objects.get(uuid=full.uuid).created_at == datetime(
        2019, 3, 4, 5, 6, 7, 891011, tzinfo=UTC
    )


@pytest.mark.parametrize("file_format", ["csv", "ndjson"], ids=["csv_case", "ndjson_case"])
def test_importing_an_export_into_another_store_of_the_same_database_refuses_the_uuids(
    store, other_store, customers, tmp_path, file_format
):
    # given
    path = tmp_path / f"customers.{file_format}"
    run_command("export_customers", "--format", file_format, "--store", "DE", "--output", str(path))

    # when
    imported = run_command("import_customers", str(path), "--store", other_store.code)

    # then
    assert imported.code == 1
    assert Customer.objects.filter(store=other_store).count() == 0
    assert imported.stdout.splitlines()[-1].startswith(
        "Read 2, created 0, updated 0, unchanged 0, failed 2 in "
    )
    taken = "This uuid belongs to another record already. (unique)"
    if file_format == "csv":
        expected = [
            f"line 2: uuid: {taken}",
            f"line 2: addresses.0.uuid: {taken}",
            f"line 2: addresses.1.uuid: {taken}",
            f"line 5: uuid: {taken}",
        ]
    else:
        expected = [
            f"line 1: id: {taken}",
            f"line 1: addresses[0].id: {taken}",
            f"line 1: addresses[1].id: {taken}",
            f"line 2: id: {taken}",
        ]
    assert imported.stderr.splitlines()[:-1] == expected


def test_export_to_stdout_writes_the_csv(store, customers):
    # when
    result = run_command("export_customers", "--store", "DE")

    # then
    lines = result.stdout.splitlines()
    assert result.code == 0
    assert lines[0].startswith("reference,email,first_name,last_name,salutation,gender,")
    assert len(lines) == 1 + 3 + 1  # header, Anna's two addresses, the quoted newline, Ben
    _, invited = customers
    assert lines[-1] == (
        f"ERP-7,ben@example.com,,,,,,,,invited,1,false,,false,,,,,DE,{invited.uuid},"
        "2020-01-01T00:00:00+00:00,,,,,,,,,,,,,,,,,,,,"
    )


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
        "store": "DE",
        "created_at": "2020-01-01T00:00:00+00:00",
        "accepted_terms_at": None,
    }
    # Password hashes only when asked for (--with-password-hashes).
    assert objects[0]["password_hash"] == ""
    assert objects[0]["email_verified_at"] == "2024-05-01T10:00:00.123456+00:00"
    assert objects[0]["created_at"] == "2019-03-04T05:06:07.891011+00:00"
    assert [
        (item["id"], item["defaultAddress"], item["is_default_billing"])
        for item in objects[0]["addresses"]
    ] == [
        (str(a.uuid), a.is_default_shipping, a.is_default_billing)
        for a in full.addresses.order_by("-is_default_shipping", "id")
    ]


def test_password_hashes_are_exported_only_with_the_flag(store, customers):
    # given
    full, _ = customers

    # when
    without = run_command("export_customers", "--format", "ndjson", "--store", "DE")
    with_hashes = run_command(
        "export_customers", "--format", "ndjson", "--store", "DE", "--with-password-hashes"
    )

    # then
    assert [json.loads(line)["password_hash"] for line in without.stdout.splitlines()] == ["", ""]
    assert [json.loads(line)["password_hash"] for line in with_hashes.stdout.splitlines()] == [
        full.password,
        "",
    ]


def test_export_with_unknown_store_exits_with_2(store):
    # when
    result = run_command("export_customers", "--store", "XX")

    # then
    assert result.code == 2
    assert result.stderr == "Unknown store 'XX'."
