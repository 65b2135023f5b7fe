"""Shared pytest configuration: fixtures are registered from tests/fixtures/."""

import pytest
from django.core.cache import cache
from django.db import connection, connections
from pytest_django.plugin import blocking_manager_key

from customers.models import LiveCustomerDelta

pytest_plugins = [
    "tests.fixtures.customers",
]


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle and lockout state lives in the cache; every test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_store_numbering(request):
    """Every test starts each store's reference numbering from zero (PostgreSQL).

    References come from a sequence per store, and sequences do not roll back with a test's
    transaction.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db"} & set(request.fixturenames):
        return
    request.getfixturevalue("_django_db_helper")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(('customers_store_reference_' || id)::regclass, 0) "
                "FROM customers_store"
            )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Put the migrations' rows back once a transactional test has flushed the database.

    A transactional test (a second connection, a live server, a replica) commits, so it ends
    with a flush that removes what the migrations created: the default store and group,
    content types and permissions. Every such test asks for a serialized rollback, so the
    flush leaves the database empty and the migrated contents are at hand to restore here,
    with their original ids, for the tests that run after it.
    """
    result = yield
    marker = item.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(getattr(item, "fixturenames", ()))
    if transactional:
        blocker = item.config.stash[blocking_manager_key]
        with blocker.unblock():
            # SQLite's flush deletes rows one by one, so the live-count trigger leaves a
            # negative delta for every customer it removed: they belong to no store now.
            LiveCustomerDelta.objects.all().delete()
            for connection in connections.all(initialized_only=True):
                contents = getattr(connection, "_test_serialized_contents", None)
                if contents:
                    connection.creation.deserialize_db_from_string(contents)
    return result
