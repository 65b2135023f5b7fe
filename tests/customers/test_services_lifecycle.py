"""customer_update and the three deletes: soft delete, restore, delete, anonymize (SPEC 1.5)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.hashers import is_password_usable
from django.utils import timezone

from accounts.models import CustomerKey, CustomerRefreshToken, CustomerSession
from addresses.models import Address
from customers.errors import CustomerNotDeleted, ReferenceImmutable
from customers.models import Customer
from customers.services import (
    customer_anonymize,
    customer_delete,
    customer_restore,
    customer_set_state,
    customer_soft_delete,
    customer_update,
)
from tests.factories.customers import AddressFactory, CustomerFactory, CustomerKeyFactory

CREATED = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)


def credentials(customer: Customer) -> dict:
    """One live refresh token, session and key of `customer`."""
    return {
        "token": CustomerRefreshToken.objects.create(
            customer=customer,
            jti=f"jti-{customer.pk}",
            expires_at=timezone.now() + timedelta(days=1),
        ),
        "session": CustomerSession.objects.create(
            customer=customer, session_key=f"session{customer.pk:0>10}"
        ),
        "key": CustomerKeyFactory(customer=customer),
    }


def assert_revoked(creds: dict) -> None:
    creds["token"].refresh_from_db()
    creds["key"].refresh_from_db()
    assert creds["token"].revoked_at is not None
    assert creds["key"].used_at is not None
    assert CustomerSession.objects.filter(pk=creds["session"].pk).exists() is False


def assert_live(creds: dict) -> None:
    creds["token"].refresh_from_db()
    creds["key"].refresh_from_db()
    assert creds["token"].revoked_at is None
    assert creds["key"].used_at is None
    assert CustomerSession.objects.filter(pk=creds["session"].pk).exists() is True


def test_update_changes_only_the_given_fields(customer):
    # given
    before = Customer.objects.values().get(pk=customer.pk)

    # when
    customer_update(customer=customer, last_name="Smythe", phone="+49 30 1234567")

    # then
    after = Customer.objects.values().get(pk=customer.pk)
    changed = {key for key in after if after[key] != before[key]}
    assert changed == {"last_name", "phone", "updated_at"}
    assert (after["last_name"], after["phone"]) == ("Smythe", "+49301234567")


def test_update_with_full_name_splits_it(customer):
    # when
    customer_update(customer=customer, full_name="  Mary   Ann  Jones ")

    # then
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Mary", "Ann Jones")


@pytest.mark.parametrize(
    "reference",
    [pytest.param("DE--999", id="other_case"), pytest.param("", id="empty_case")],
)
def test_update_refuses_a_different_reference(customer, reference):
    # when
    with pytest.raises(ReferenceImmutable) as error:
        customer_update(customer=customer, reference=reference, first_name="Changed")

    # then
    assert error.value.field == "reference"
    customer.refresh_from_db()
    assert customer.first_name == "John"


def test_update_with_the_same_reference_is_fine(customer):
    # when
    updated = customer_update(customer=customer, reference=customer.reference, first_name="Jo")

    # then
    assert (updated.reference, Customer.objects.get(pk=customer.pk).first_name) == (
        customer.reference,
        "Jo",
    )


def test_update_sets_marketing_timestamp_only_when_marketing_changes(customer):
    # given
    customer_update(customer=customer, accepts_marketing=True)
    stamp = Customer.objects.get(pk=customer.pk).marketing_preferences_updated_at

    # when
    customer_update(customer=customer, accepts_marketing=True, first_name="Jo")
    unchanged = Customer.objects.get(pk=customer.pk).marketing_preferences_updated_at
    customer_update(customer=customer, accepts_marketing=False)

    # then
    after = Customer.objects.get(pk=customer.pk)
    assert stamp is not None
    assert unchanged == stamp
    assert after.marketing_preferences_updated_at > stamp
    assert after.marketing_optin_level is None


@pytest.mark.parametrize(
    "state",
    [
        pytest.param("disabled", id="disabled_case"),
        pytest.param("invited", id="invited_case"),
        pytest.param("declined", id="declined_case"),
    ],
)
def test_leaving_enabled_revokes_every_credential(customer, other_customer, state):
    # given
    mine = credentials(customer)
    others = credentials(other_customer)

    # when
    customer_set_state(customer=customer, state=state)

    # then
    assert Customer.objects.get(pk=customer.pk).state == state
    assert_revoked(mine)
    assert_live(others)


def test_staying_enabled_keeps_credentials(customer):
    # given
    mine = credentials(customer)

    # when
    customer_update(customer=customer, first_name="Jo", state="enabled")

    # then
    assert_live(mine)


def test_update_refuses_an_invalid_state(customer):
    # when
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        customer_set_state(customer=customer, state="frozen")

    # then
    assert [e.code for e in error.value.error_dict["state"]] == ["invalid_choice"]
    assert Customer.objects.get(pk=customer.pk).state == "enabled"


def test_soft_delete_hides_and_revokes(customer):
    # given
    mine = credentials(customer)

    # when
    customer_soft_delete(customer=customer)

    # then
    customer.refresh_from_db()
    assert customer.deleted_at is not None
    assert_revoked(mine)


def test_restore_undoes_a_soft_delete(customer):
    # given
    customer_soft_delete(customer=customer)

    # when
    customer_restore(customer=customer)

    # then
    assert Customer.objects.get(pk=customer.pk).deleted_at is None


def test_restore_of_a_live_customer_is_refused(customer):
    # when / then
    with pytest.raises(CustomerNotDeleted):
        customer_restore(customer=customer)


def test_delete_removes_the_customer_with_addresses_keys_and_tokens(customer, other_customer):
    # given
    AddressFactory(customer=customer)
    AddressFactory(customer=other_customer)
    credentials(customer)
    credentials(other_customer)
    pk = customer.pk

    # when
    deleted = customer_delete(customer=customer)

    # then
    assert deleted.pk == pk
    assert Customer.objects.filter(pk=pk).exists() is False
    for model in (Address, CustomerKey, CustomerRefreshToken, CustomerSession):
        assert list(model.objects.values_list("customer_id", flat=True)) == [other_customer.pk]


def test_anonymize_scrubs_exactly_the_personal_fields(store, other_customer):
    # given
    customer = CustomerFactory(
        store=store,
        reference="DE--5",
        email="anna.berg@example.com",
        salutation="Ms",
        first_name="Anna",
        last_name="Berg",
        gender="Female",
        date_of_birth=date(1990, 5, 17),
        phone="+49301234567",
        mobile="+491711234567",
        group_id=1,
        accepts_marketing=True,
        marketing_optin_level="single_opt_in",
        tax_exempt=True,
        tax_exemptions=["EU_VAT"],
        attribute_groups={
            "loyalty": {
                "attribute_group": "Loyalty",
                "attributes": {"tier": {"attribute_value": "gold", "value_type": "STRING"}},
                "is_obsolete": False,
            }
        },
    )
    Customer.objects.filter(pk=customer.pk).update(created_at=CREATED)
    address = AddressFactory(
        customer=customer,
        label="Home",
        salutation="Ms",
        first_name="Anna",
        last_name="Berg",
        company="Berg GmbH",
        address1="Main Street 1",
        address2="Floor 2",
        address3="Door 3",
        postcode="10115",
        city="Berlin",
        province="Berlin",
        province_code="BE",
        country="DE",
        phone="22111-3-4-5",
        email="anna.home@example.com",
        is_default_shipping=True,
        is_default_billing=True,
    )
    mine = credentials(customer)
    others = credentials(other_customer)
    before = Customer.objects.values().get(pk=customer.pk)
    address_before = Address.objects.values().get(pk=address.pk)

    # when
    customer_anonymize(customer=customer)

    # then
    after = Customer.objects.values().get(pk=customer.pk)
    changed = {key: after[key] for key in after if after[key] != before[key]}
    assert set(changed) == {
        "email",
        "salutation",
        "first_name",
        "last_name",
        "gender",
        "date_of_birth",
        "phone",
        "mobile",
        "attribute_groups",
        "tax_exemptions",
        "password",
        "state",
        "anonymized_at",
        "updated_at",
        "credentials_version",
    }
    assert after["credentials_version"] == before["credentials_version"] + 1
    assert {
        key: value
        for key, value in changed.items()
        if key not in {"password", "anonymized_at", "updated_at", "credentials_version"}
    } == {
        "email": f"anonymized-{customer.uuid}@invalid",
        "salutation": "",
        "first_name": "",
        "last_name": "",
        "gender": None,
        "date_of_birth": None,
        "phone": None,
        "mobile": None,
        "attribute_groups": {},
        "tax_exemptions": [],
        "state": "disabled",
    }
    assert is_password_usable(after["password"]) is False
    assert after["anonymized_at"] is not None
    for kept in ("id", "uuid", "reference", "store_id", "created_at"):
        assert after[kept] == before[kept]
    assert after["created_at"] == CREATED
    address_after = Address.objects.values().get(pk=address.pk)
    address_changed = {
        key: address_after[key]
        for key in address_after
        if address_after[key] != address_before[key] and key != "updated_at"
    }
    assert address_changed == {
        "label": "",
        "salutation": "",
        "first_name": "",
        "last_name": "",
        "company": "",
        "address1": "",
        "address2": "",
        "address3": "",
        "postcode": "",
        "phone": "",
        "email": "",
    }
    assert_revoked(mine)
    assert_live(others)
