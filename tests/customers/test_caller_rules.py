"""Caller rules in the core: staff-only fields, owner scoping and search normalisation."""

import pytest
from django.core.exceptions import ValidationError

from customers.errors import CustomerNotFound, StaffOnlyField
from customers.models import Customer
from customers.selectors import customer_get, customer_search
from customers.services import customer_staff_fields_refuse, customer_update
from tests.factories.customers import CustomerFactory


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        pytest.param({"state": "disabled"}, ["state"], id="state_case"),
        pytest.param({"group_id": 1}, ["group_id"], id="group_case"),
        pytest.param(
            {"group_id": 1, "first_name": "X", "state": "x"}, ["state", "group_id"], id="both_case"
        ),
    ],
)
def test_customer_update_not_by_staff_refuses_staff_only_fields(customer, changes, refused):
    # given
    before = Customer.objects.values().get(pk=customer.pk)

    # when
    with pytest.raises(StaffOnlyField) as caught:
        customer_update(customer=customer, by_staff=False, **changes)

    # then
    assert caught.value.code == "customer_field_staff_only"
    assert caught.value.params == {"fields": refused}
    assert Customer.objects.values().get(pk=customer.pk) == before


def test_customer_update_not_by_staff_changes_other_fields(customer):
    # when
    customer_update(customer=customer, by_staff=False, first_name="Johnny")

    # then
    assert Customer.objects.get(pk=customer.pk).first_name == "Johnny"


def test_customer_update_by_staff_sets_state_and_group(customer):
    # when
    customer_update(customer=customer, state="disabled", group_id=1)

    # then
    assert Customer.objects.values_list("state", "group_id").get(pk=customer.pk) == (
        "disabled",
        1,
    )


def test_staff_fields_refuse_names_the_store_too():
    with pytest.raises(StaffOnlyField) as caught:
        customer_staff_fields_refuse(fields=["email", "store"])

    assert caught.value.params == {"fields": ["store"]}


def test_staff_fields_refuse_accepts_other_fields():
    assert customer_staff_fields_refuse(fields=["email", "password", "full_name"]) is None


def test_customer_get_with_owner_reaches_only_the_owner(customer, other_customer, store):
    # when
    found = customer_get(store=store, uuid=str(customer.uuid), owner=customer)

    # then
    assert found.pk == customer.pk
    with pytest.raises(CustomerNotFound):
        customer_get(store=store, uuid=str(other_customer.uuid), owner=customer)


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("+49 30 1234567", id="spaces_case"),
        pytest.param("+49 (30) 123-4567", id="punctuation_case"),
        pytest.param("+49301234567", id="e164_case"),
    ],
)
def test_customer_search_normalises_phone_and_mobile(store, typed):
    # given
    wanted = CustomerFactory(store=store, phone="+49301234567", mobile="+49301234567")
    CustomerFactory(store=store, phone="+49301234568")

    # when
    by_phone = list(customer_search(store_code=store.code, phone=typed))
    by_mobile = list(customer_search(store_code=store.code, mobile=typed))

    # then
    assert [found.pk for found in by_phone] == [wanted.pk]
    assert [found.pk for found in by_mobile] == [wanted.pk]


def test_customer_search_refuses_an_invalid_number(store):
    with pytest.raises(ValidationError) as caught:
        customer_search(store_code=store.code, phone="12", mobile="abc")

    assert sorted(caught.value.error_dict) == ["mobile", "phone"]
    assert [error.code for error in caught.value.error_dict["phone"]] == ["invalid_phone_number"]
