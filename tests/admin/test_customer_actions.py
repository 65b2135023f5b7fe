"""The customer grid's actions, each through its service (SPEC 7)."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

from django.contrib.messages import get_messages
from django.core import mail
from django.utils import timezone

from accounts.models import CustomerKey, CustomerRefreshToken
from customers import exporting
from customers.models import Customer
from tests.admin.conftest import CHANGELIST_URL, action
from tests.factories.customers import AddressFactory, CustomerFactory


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def refresh_token(customer: Customer) -> CustomerRefreshToken:
    return CustomerRefreshToken.objects.create(
        customer=customer,
        jti=f"jti-{customer.pk}",
        expires_at=timezone.now() + timedelta(days=1),
    )


def test_enable_action(admin_client, customer, other_customer):
    # given
    Customer.objects.filter(pk__in=[customer.pk, other_customer.pk]).update(state="disabled")

    # when
    response = admin_client.post(CHANGELIST_URL, action("enable_customers", customer))

    # then
    assert response.status_code == 302
    assert messages_of(response) == [("success", "1 customer enabled.")]
    states = dict(Customer.objects.values_list("pk", "state"))
    assert states == {customer.pk: "enabled", other_customer.pk: "disabled"}


def test_disable_action_revokes_refresh_tokens(admin_client, customer, other_customer):
    # given
    token = refresh_token(customer)

    # when
    response = admin_client.post(
        CHANGELIST_URL, action("disable_customers", customer, other_customer)
    )

    # then
    assert messages_of(response) == [("success", "2 customers disabled.")]
    assert set(Customer.objects.values_list("state", flat=True)) == {"disabled"}
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_anonymize_action(admin_client, customer):
    # given
    AddressFactory(customer=customer)

    # when
    response = admin_client.post(CHANGELIST_URL, action("anonymize_customers", customer))

    # then
    assert messages_of(response) == [("success", "1 customer anonymized.")]
    customer.refresh_from_db()
    assert customer.email == f"anonymized-{customer.uuid}@invalid"
    assert (customer.first_name, customer.last_name, customer.state) == ("", "", "disabled")
    assert customer.anonymized_at is not None
    assert customer.addresses.get().address1 == ""


def test_soft_delete_action(admin_client, customer):
    # when
    response = admin_client.post(CHANGELIST_URL, action("soft_delete_customers", customer))

    # then
    assert messages_of(response) == [("success", "1 customer soft-deleted.")]
    customer.refresh_from_db()
    assert customer.deleted_at is not None


def test_restore_action(admin_client, customer):
    # given
    Customer.objects.filter(pk=customer.pk).update(deleted_at=timezone.now())

    # when
    response = admin_client.post(CHANGELIST_URL, action("restore_customers", customer))

    # then
    assert messages_of(response) == [("success", "1 customer restored.")]
    customer.refresh_from_db()
    assert customer.deleted_at is None


def test_restore_action_reports_domain_errors(admin_client, store, customer):
    # given
    gone = CustomerFactory(
        store=store, reference="C--9", email="JOHN.SMITH@example.com", deleted_at=timezone.now()
    )

    # when
    response = admin_client.post(CHANGELIST_URL, action("restore_customers", gone, customer))

    # then
    assert response.status_code == 302
    assert messages_of(response) == [
        ("error", f"{customer.reference}: Only a deleted customer can be restored."),
        ("error", "C--9: email: This email address is already used by another customer."),
    ]
    gone.refresh_from_db()
    assert gone.deleted_at is not None


def test_send_password_reset_action(
    admin_client, customer, other_customer, django_capture_on_commit_callbacks
):
    # given
    Customer.objects.filter(pk=other_customer.pk).update(deleted_at=timezone.now())

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST_URL, action("send_password_reset", customer, other_customer)
        )

    # then
    assert messages_of(response) == [
        ("error", f"{other_customer.reference}: Customer not found."),
        ("success", "1 customer sent a password-reset email."),
    ]
    assert [message.to for message in mail.outbox] == [["john.smith@example.com"]]
    assert CustomerKey.objects.get().customer == customer


def test_delete_selected_action_deletes_through_the_service(admin_client, customer):
    # given
    token = refresh_token(customer)
    AddressFactory(customer=customer)

    # when
    confirm = admin_client.post(CHANGELIST_URL, action("delete_selected", customer))
    response = admin_client.post(
        CHANGELIST_URL, {**action("delete_selected", customer), "post": "yes"}
    )

    # then
    assert confirm.status_code == 200
    assert confirm.context["perms_lacking"] == set()
    assert response.status_code == 302
    assert Customer.objects.count() == 0
    assert CustomerRefreshToken.objects.filter(pk=token.pk).exists() is False


def test_export_csv_action(admin_client, store):
    # given
    customer = CustomerFactory(
        store=store,
        reference="DE--7",
        email="anna.berg@example.com",
        first_name="Anna",
        last_name="=Berg",
        salutation="Ms",
        gender="Female",
        date_of_birth=date(1990, 5, 17),
        phone="+49301234567",
        accepts_marketing=True,
        marketing_optin_level="single_opt_in",
        email_verified_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    AddressFactory(
        customer=customer,
        first_name="Anna",
        last_name="Berg",
        address1="Main Street 1",
        postcode="10115",
        city="Berlin",
        phone="22111-3-4-5",
        is_default_shipping=True,
        is_default_billing=True,
    )
    bare = CustomerFactory(
        store=store,
        reference="DE--8",
        email="ben@example.com",
        first_name="Ben",
        last_name="Kurz",
        salutation="",
        email_verified_at=None,
    )

    # when
    response = admin_client.post(CHANGELIST_URL, action("export_csv", bare, customer))

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    body = b"".join(response.streaming_content).decode()
    # The export carries what an import restores: store, uuid, dates, address ids and flags.
    address = customer.addresses.get()
    marketing_date = customer.marketing_preferences_updated_at
    assert body.split("\r\n") == [
        "reference,email,first_name,last_name,salutation,gender,date_of_birth,phone,mobile,"
        "state,group_id,accepts_marketing,marketing_optin_level,tax_exempt,tax_exemptions,"
        "attribute_groups,email_verified_at,store,uuid,created_at,"
        "marketing_preferences_updated_at,accepted_terms_at,address_label,address_salutation,"
        "address_first_name,address_last_name,address_company,address_address1,"
        "address_address2,address_address3,address_postcode,address_city,address_province,"
        "address_province_code,address_country,address_phone,address_email,address_uuid,"
        "address_is_default_shipping,address_is_default_billing",
        "DE--7,anna.berg@example.com,Anna,'=Berg,Ms,Female,1990-05-17,+49301234567,,enabled,1,"
        "true,single_opt_in,false,,,2024-01-02T03:04:05+00:00,DE,"
        f"{customer.uuid},{customer.created_at.isoformat()},"
        f"{marketing_date.isoformat() if marketing_date else ''},,,,Anna,Berg,,Main Street 1,,,"
        f"10115,Berlin,,,DE,22111-3-4-5,,{address.uuid},true,true",
        f"DE--8,ben@example.com,Ben,Kurz,,,,,,enabled,1,false,,false,,,,DE,{bare.uuid},"
        f"{bare.created_at.isoformat()},,,,,,,,,,,,,,,,,,,,",
        "",
    ]
    assert customer.password not in body


def test_permanent_delete_is_listed_last_under_soft_delete(admin_client, customer):
    # when
    response = admin_client.get(CHANGELIST_URL)

    # then
    choices = response.context["action_form"].fields["action"].choices
    assert [(name, str(label)) for name, label in choices] == [
        ("", "---------"),
        ("enable_customers", "Enable selected customers"),
        ("disable_customers", "Disable selected customers"),
        ("anonymize_customers", "Anonymize selected customers"),
        ("soft_delete_customers", "Soft delete selected customers"),
        ("restore_customers", "Restore selected soft-deleted customers"),
        ("send_password_reset", "Send a password-reset email"),
        ("export_csv", "Export selected customers as CSV"),
        ("delete_selected", "Delete selected customers permanently"),
    ]


def test_permanent_delete_warns_before_it_deletes(admin_client, customer):
    # when
    confirmation = admin_client.post(CHANGELIST_URL, action("delete_selected", customer))

    # then
    assert confirmation.status_code == 200
    assert (
        '<p class="errornote">This deletes the selected customers permanently: their '
        "addresses, keys,\ntokens and sessions go with them, and nothing can bring them back."
    ) in confirmation.content.decode()
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_permanent_delete_after_confirmation_deletes(admin_client, customer, other_customer):
    # when
    response = admin_client.post(
        CHANGELIST_URL, {**action("delete_selected", customer), "post": "yes"}
    )

    # then
    assert response.status_code == 302
    assert list(Customer.objects.values_list("pk", flat=True)) == [other_customer.pk]


def test_delete_page_of_one_customer_warns_too(admin_client, customer):
    # when
    response = admin_client.get(f"/admin/customers/customer/{customer.pk}/delete/")

    # then
    assert response.status_code == 200
    assert (
        '<p class="errornote">This deletes the customer permanently: its addresses, keys, '
        "tokens and\nsessions go with it, and nothing can bring it back."
    ) in response.content.decode()


def _download(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_csv_action_writes_the_operators_export(admin_client, store, other_store):
    # given
    first = CustomerFactory(store=store, reference="DE--1", email="anna@example.com")
    AddressFactory(customer=first, is_default_shipping=True, is_default_billing=True)
    AddressFactory(customer=first)
    second = CustomerFactory(store=other_store, reference="AT--1", email="max@example.com")

    # when
    rows = _download(admin_client.post(CHANGELIST_URL, action("export_csv", second, first)))

    # then: customers.exporting's header and rows, without the password hash column
    columns = list(exporting.CSV_COLUMNS)
    kept = [index for index, name in enumerate(columns) if name != "password_hash"]
    expected = [
        [row[index] for index in kept]
        for customer in exporting.customers_for_export().filter(pk__in=[first.pk, second.pk])
        for row in exporting.csv_rows(customer)
    ]
    assert rows == [[columns[index] for index in kept], *expected]
    assert [row[0] for row in rows[1:]] == ["DE--1", "DE--1", "AT--1"]
    assert "password_hash" not in rows[0]


def test_export_csv_action_of_one_reference_in_two_stores(admin_client, store, other_store):
    # given: the same reference in two stores (references are unique per store)
    person = {
        "reference": "DE--1",
        "email": "anna@example.com",
        "first_name": "Anna",
        "last_name": "Berg",
        "salutation": "",
        "gender": None,
        "date_of_birth": None,
        "phone": None,
        "mobile": None,
        "accepts_marketing": False,
        "email_verified_at": None,
    }
    first = CustomerFactory(store=store, **person)
    second = CustomerFactory(store=other_store, **person)

    # when
    rows = _download(
        admin_client.post(CHANGELIST_URL, action("export_csv", *Customer.objects.all()))
    )

    # then: the export names each customer's store, uuid and creation time, so the two rows
    # tell the two customers apart and each re-imports into its own store
    header, *lines = rows
    exported = [dict(zip(header, line, strict=True)) for line in lines]
    assert [
        (row["reference"], row["store"], row["uuid"], datetime.fromisoformat(row["created_at"]))
        for row in exported
    ] == [
        ("DE--1", store.code, str(first.uuid), first.created_at),
        ("DE--1", other_store.code, str(second.uuid), second.created_at),
    ]
    assert {row["email"] for row in exported} == {"anna@example.com"}


def test_export_csv_action_leaves_out_deleted_and_anonymized(admin_client, customer, store):
    # given
    deleted = CustomerFactory(store=store, deleted_at=timezone.now())
    anonymized = CustomerFactory(store=store, anonymized_at=timezone.now())

    # when
    response = admin_client.post(
        CHANGELIST_URL, action("export_csv", customer, deleted, anonymized)
    )

    # then
    rows = _download(response)
    assert [row[0] for row in rows[1:]] == [customer.reference]
    assert messages_of(response) == [
        (
            "warning",
            "2 soft-deleted or anonymized customers were left out of the export, as "
            "export_customers leaves them out.",
        )
    ]
