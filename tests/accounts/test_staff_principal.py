"""The staff user of an API request, read with its permissions and stores (accounts/staff.py).

Nothing about a staff user is kept between requests: each test changes something between two
requests with the same token and expects the second answer to follow the change.
"""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.staff import staff_user_get
from tests.factories.customers import CustomerFactory, StoreFactory
from tests.integration_api.conftest import staff_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def integrator(store):
    """Staff with one permission of its own, two through a group, limited to the store."""
    group = Group.objects.create(name="integrations")
    group.permissions.set(Permission.objects.filter(codename__in=["view_customer", "add_customer"]))
    user = User.objects.create_user("erp", "erp@example.com", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_address"))
    user.groups.add(group)
    store.staff.add(user)
    return user


def test_the_user_is_read_with_its_permissions_and_stores(integrator, store):
    # when
    user = staff_user_get(str(integrator.pk))

    # then: Django's own answer, and nothing more to read for it
    expected = ModelBackend().get_all_permissions(User.objects.get(pk=integrator.pk))
    with CaptureQueriesContext(connection) as captured:
        assert (
            user.get_all_permissions()
            == expected
            == {
                "addresses.view_address",
                "customers.view_customer",
                "customers.add_customer",
            }
        )
        assert user.has_perm("customers.view_customer")
        assert not user.has_perm("customers.delete_customer")
    assert captured.captured_queries == []
    assert user.assigned_store_ids == frozenset({store.pk})


def test_a_superuser_is_read_alone(db):
    # given
    root = User.objects.create_superuser("root", "root@example.com", "a-long-staff-password")

    # when
    with CaptureQueriesContext(connection) as captured:
        user = staff_user_get(root.pk)

    # then
    assert user == root
    assert len(captured.captured_queries) == 1
    assert not hasattr(user, "assigned_store_ids")


@pytest.mark.parametrize("user_id", ["0", "999999", "not-a-number", None])
def test_an_unknown_or_malformed_id_is_nobody(db, user_id):
    assert staff_user_get(user_id) is None


@pytest.fixture
def found(store):
    return CustomerFactory(store=store, email="anne.kraus@example.com")


def lookup(client, customer):
    return client.get(f"/api/v2/customers/{customer.uuid}")


def test_a_deactivated_staff_user_is_refused_on_the_next_request(integrator, found):
    # given
    client = staff_client_for(integrator)
    assert lookup(client, found).status_code == 200

    # when
    User.objects.filter(pk=integrator.pk).update(is_active=False)

    # then
    response = lookup(client, found)
    assert response.status_code == 401
    assert response.json() == {"status": 401, "message": "User is inactive"}


def test_a_permission_taken_from_the_group_counts_on_the_next_request(integrator, found):
    # given
    client = staff_client_for(integrator)
    assert lookup(client, found).status_code == 200

    # when
    Group.objects.get(name="integrations").permissions.remove(
        Permission.objects.get(codename="view_customer")
    )

    # then
    response = lookup(client, found)
    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "message": "You do not have permission to perform this action.",
    }


def test_a_store_taken_from_the_staff_user_counts_on_the_next_request(integrator, store, found):
    # given: limited to DE; then moved to AT only
    client = staff_client_for(integrator)
    assert lookup(client, found).status_code == 200

    # when
    store.staff.remove(integrator)
    StoreFactory(code="AT").staff.add(integrator)

    # then
    response = lookup(client, found)
    assert response.status_code == 403
    assert response.json() == {"status": 403, "message": "You may not access this tenant."}


def test_a_deactivated_store_counts_on_the_next_request(integrator, store, found):
    # given
    client = staff_client_for(integrator)
    assert lookup(client, found).status_code == 200

    # when
    store.is_active = False
    store.save(update_fields=["is_active"])

    # then
    response = lookup(client, found)
    assert response.status_code == 404
    assert response.json() == {"status": 404, "message": "Unknown tenant"}
