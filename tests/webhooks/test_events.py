"""Every change of a customer or an address is an event, written by its own transaction."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from rest_framework.test import APIClient

from accounts.models import CustomerKey
from accounts.services import (
    customer_change_password,
    email_confirm,
    key_issue,
    password_reset_send,
)
from addresses.services import address_create, address_delete, address_update
from customers.errors import EmailAlreadyUsed
from customers.formats.twc import customer_to_twc
from customers.models import Customer
from customers.services import (
    customer_anonymize,
    customer_create,
    customer_delete,
    customer_restore,
    customer_set_state,
    customer_soft_delete,
    customer_update,
)
from customers.webhooks.models import Delivery, Event
from customers.webhooks.services import EVENT_TYPES, event_record
from tests.factories.customers import CustomerFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Pa55word!"
FORBIDDEN_KEYS = ("password", "hash", "key", "secret", "token")


def types() -> list[str]:
    return list(Event.objects.values_list("type", flat=True))


def create(store, **fields) -> Customer:
    return customer_create(
        store=store,
        email=fields.pop("email", "ada@example.com"),
        password=PASSWORD,
        first_name="Ada",
        last_name="Lovelace",
        **fields,
    )


def test_created_event_carries_the_integration_representation(store, subscription):
    # when
    customer = create(store)

    # then
    event = Event.objects.get()
    customer.refresh_from_db()
    assert event.type == "customer.created"
    assert event.customer_uuid == customer.uuid
    assert event.reference == customer.reference
    assert event.store == store
    assert event.payload == {
        "type": "customer.created",
        "timestamp": event.created_at.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{event.created_at.microsecond // 1000:03d}Z",
        "data": {
            "id": str(customer.uuid),
            "reference": customer.reference,
            "store": "DE",
            "customer": json.loads(json.dumps(customer_to_twc(customer))),
        },
    }
    delivery = Delivery.objects.get()
    assert (delivery.event, delivery.subscription, delivery.status) == (
        event,
        subscription,
        Delivery.Status.PENDING,
    )


def test_update_names_the_changed_fields_in_integration_names(store, subscription):
    # given
    customer = create(store)
    Event.objects.all().delete()

    # when
    customer_update(customer=customer, first_name="Augusta", email="augusta@example.com")

    # then
    event = Event.objects.get()
    assert event.type == "customer.updated"
    assert event.payload["data"]["changed"] == ["email", "firstName"]
    assert event.payload["data"]["customer"]["firstName"] == "Augusta"


def test_update_that_changes_nothing_writes_no_event(store, subscription):
    customer = create(store)
    Event.objects.all().delete()

    customer_update(customer=customer, first_name="Ada")

    assert types() == []


def test_password_change_is_its_own_event_never_a_changed_field(store, subscription):
    # given
    customer = create(store)
    Event.objects.all().delete()

    # when
    customer_change_password(
        customer=customer, current_password=PASSWORD, new_password="An0ther-long-pass"
    )

    # then
    assert types() == ["customer.password_changed"]
    assert "changed" not in Event.objects.get().payload["data"]


def test_state_changes_are_enabled_and_disabled(store, subscription):
    customer = create(store)
    Event.objects.all().delete()

    customer_set_state(customer=customer, state=Customer.State.DISABLED)
    customer_set_state(customer=customer, state=Customer.State.ENABLED)

    assert types() == ["customer.disabled", "customer.enabled"]


def test_deletes_restore_and_anonymize(store, subscription):
    # given
    customer = create(store)
    other = create(store, email="grace@example.com")
    Event.objects.all().delete()

    # when
    customer_soft_delete(customer=customer)
    customer_soft_delete(customer=customer)  # already deleted: no second event
    customer_restore(customer=customer)
    customer_anonymize(customer=customer)
    customer_delete(customer=other)

    # then
    assert types() == [
        "customer.deleted",
        "customer.restored",
        "customer.anonymized",
        "customer.purged",
    ]
    anonymized = Event.objects.get(type="customer.anonymized").payload["data"]["customer"]
    assert anonymized["email"] == f"anonymized-{customer.uuid}@invalid"
    assert anonymized["firstName"] == ""
    purged = Event.objects.get(type="customer.purged")
    assert purged.customer_uuid == other.uuid
    assert purged.payload["data"]["customer"]["email"] == "grace@example.com"


def test_email_confirmed_and_password_reset_requested(store, subscription):
    customer = create(store)
    Event.objects.all().delete()

    email_confirm(
        raw_key=key_issue(
            customer=customer,
            purpose=CustomerKey.Purpose.CONFIRM_EMAIL,
            lifetime=timedelta(hours=1),
        )
    )
    password_reset_send(customer=customer)

    assert types() == ["customer.email_confirmed", "customer.password_reset_requested"]


def test_address_events_carry_the_address(store, subscription):
    # given
    customer = create(store)
    Event.objects.all().delete()

    # when
    address = address_create(customer=customer, address1="Main St 1", city="Berlin", country="DE")
    address_update(address=address, city="Hamburg")
    address_delete(address=address)

    # then
    assert types() == ["address.created", "address.updated", "address.deleted"]
    payloads = [event.payload["data"] for event in Event.objects.all()]
    assert [payload["address"]["city"] for payload in payloads] == ["Berlin", "Hamburg", "Hamburg"]
    assert {payload["address"]["id"] for payload in payloads} == {str(address.uuid)}
    assert {payload["id"] for payload in payloads} == {str(customer.uuid)}


def test_a_rolled_back_change_writes_no_event_and_no_delivery(store, subscription):
    # given: a second customer with the same email fails after the first is written
    def two_with_one_email():
        with transaction.atomic():
            create(store)
            create(store)

    with pytest.raises(EmailAlreadyUsed):
        two_with_one_email()

    # then
    assert Customer.objects.count() == 0
    assert Event.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_an_error_after_the_service_rolls_its_event_back(store, subscription):
    class Boom(Exception):
        pass

    def create_then_fail():
        with transaction.atomic():
            create(store)
            raise Boom

    with pytest.raises(Boom):
        create_then_fail()

    assert (Customer.objects.count(), Event.objects.count(), Delivery.objects.count()) == (0, 0, 0)


def test_without_a_subscription_nothing_is_written(store):
    create(store)

    assert (Event.objects.count(), Delivery.objects.count()) == (0, 0)


def test_subscription_filters_by_type_and_store(store, other_store, make_subscription):
    # given
    wants_updates = make_subscription(events=["customer.updated"])
    wants_austria = make_subscription(stores=["AT"])
    customer = create(store)

    # when
    customer_update(customer=customer, last_name="Byron")

    # then
    assert list(Delivery.objects.values_list("event__type", "subscription")) == [
        ("customer.updated", wants_updates.pk)
    ]
    assert wants_austria.deliveries.count() == 0


def test_upload_emits_one_imported_event_with_counts(store, subscription, make_staff_with_all):
    client = APIClient()
    client.force_authenticate(make_staff_with_all)
    body = [{"email": f"u{n}@example.com", "firstName": "U", "lastName": str(n)} for n in range(3)]

    response = client.post("/api/v2/upload-customers", body, format="json")

    assert response.status_code == 201, response.content
    event = Event.objects.get()
    assert event.type == "customers.imported"
    assert event.payload["data"] == {
        "store": "DE",
        "created": 3,
        "updated": 0,
        "failed": 0,
        "source": "upload",
    }


def test_import_run_emits_one_imported_event_and_no_per_customer_events(
    store, subscription, tmp_path
):
    # given: one existing customer updated by the file, one new
    CustomerFactory(store=store, email="old@example.com", first_name="Old", reference="DE--900")
    source = tmp_path / "customers.csv"
    source.write_text(
        "email,first_name,last_name,reference\n"
        "old@example.com,Renamed,Person,DE--900\n"
        "new@example.com,New,Person,\n",
        encoding="utf-8",
    )

    # when
    call_command("import_customers", str(source), "--update-existing", verbosity=0)

    # then
    event = Event.objects.get()
    assert event.type == "customers.imported"
    assert event.payload["data"] == {
        "store": "DE",
        "created": 1,
        "updated": 1,
        "failed": 0,
        "source": "import",
    }


def _walk(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield path + "." + key, key
            yield from _walk(item, path + "." + key)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, path + "[]")


def test_no_payload_of_any_type_carries_a_password_hash_or_key(store, subscription, tmp_path):
    # given: every event type, once
    customer = create(store)
    customer_update(customer=customer, first_name="Augusta")
    customer_set_state(customer=customer, state=Customer.State.DISABLED)
    customer_set_state(customer=customer, state=Customer.State.ENABLED)
    address = address_create(customer=customer, address1="Main St 1", city="Berlin", country="DE")
    address_update(address=address, city="Hamburg")
    address_delete(address=address)
    raw_key = key_issue(
        customer=customer,
        purpose=CustomerKey.Purpose.CONFIRM_EMAIL,
        lifetime=timedelta(hours=1),
    )
    email_confirm(raw_key=raw_key)
    password_reset_send(customer=customer)
    customer_change_password(
        customer=customer, current_password=PASSWORD, new_password="An0ther-long-pass"
    )
    customer_soft_delete(customer=customer)
    customer_restore(customer=customer)
    customer_anonymize(customer=customer)
    customer_delete(customer=create(store, email="purged@example.com"))
    event_record(
        type="customers.imported",
        store=store,
        data={"store": "DE", "created": 0, "updated": 0, "failed": 0, "source": "import"},
    )
    secrets_seen = [
        customer.password,
        raw_key,
        *CustomerKey.objects.values_list("key_hash", flat=True),
    ]

    # then
    assert set(types()) == set(EVENT_TYPES)
    for event in Event.objects.all():
        text = json.dumps(event.payload)
        for path, key in _walk(event.payload):
            assert not any(word in key.lower() for word in FORBIDDEN_KEYS), (event.type, path)
        for secret in secrets_seen:
            assert secret not in text, event.type
