"""Stores and customer groups in the admin."""

from django.contrib.auth.models import User

from customers.models import CustomerGroup, Store
from tests.factories.customers import CustomerGroupFactory


def test_store_add_goes_through_the_service_and_keeps_staff(admin_client, db):
    # given
    staff = User.objects.create_user(username="vienna", is_staff=True)

    # when
    response = admin_client.post(
        "/admin/customers/store/add/",
        {"code": "AT", "name": "Austria", "staff": [str(staff.pk)]},
    )

    # then
    assert response.status_code == 302
    store = Store.objects.get(code="AT")
    assert (store.name, store.is_active) == ("Austria", False)
    assert list(store.staff.all()) == [staff]


def test_store_add_refuses_a_bad_code(admin_client, db):
    # when
    response = admin_client.post(
        "/admin/customers/store/add/", {"code": "at", "name": "Austria", "is_active": "on"}
    )

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "code": ["A store code is 1 to 16 upper-case letters or digits."]
    }
    assert Store.objects.filter(name="Austria").exists() is False


def test_store_code_is_read_only_and_stores_cannot_be_deleted(admin_client, store):
    # when
    change = admin_client.post(
        f"/admin/customers/store/{store.pk}/change/",
        {"code": "XX", "name": "Germany", "is_active": "on"},
    )
    delete = admin_client.get(f"/admin/customers/store/{store.pk}/delete/")

    # then
    assert change.status_code == 302
    store.refresh_from_db()
    assert (store.code, store.name) == ("DE", "Germany")
    assert delete.status_code == 403


def test_default_group_cannot_be_deleted(admin_client, db):
    # when
    response = admin_client.post("/admin/customers/customergroup/1/delete/", {"post": "yes"})

    # then
    assert response.status_code == 403
    assert CustomerGroup.objects.filter(pk=1).exists()


def test_other_group_is_deleted_through_the_service(admin_client, db):
    # given
    group = CustomerGroupFactory(name="Wholesale")

    # when
    response = admin_client.post(
        f"/admin/customers/customergroup/{group.pk}/delete/", {"post": "yes"}
    )

    # then
    assert response.status_code == 302
    assert list(CustomerGroup.objects.values_list("pk", flat=True)) == [1]


def test_delete_selected_groups_refuses_a_selection_with_the_default_group(admin_client, db):
    # given
    group = CustomerGroupFactory(name="Wholesale")

    # when
    response = admin_client.post(
        "/admin/customers/customergroup/",
        {
            "action": "delete_selected",
            "index": "0",
            "_selected_action": ["1", str(group.pk)],
            "post": "yes",
        },
    )

    # then
    assert response.status_code == 403
    assert CustomerGroup.objects.count() == 2
