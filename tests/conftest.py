"""Shared pytest configuration: fixtures are registered from tests/fixtures/."""

import pytest
from django.core.cache import cache

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
def _fresh_store_state(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(
        marker and marker.kwargs.get("transaction")
    )
    if not (marker or transactional or "db" in request.fixturenames):
        return
    request.getfixturevalue("_django_db_helper")
    from django.conf import settings
    from django.db import connection

    from customers.models import DEFAULT_GROUP_ID, CustomerGroup, Store

    if transactional:
        # A transactional test flushes the database after it, the rows that migrate creates
        # included: the next one starts with the default group and store again.
        CustomerGroup.objects.get_or_create(pk=DEFAULT_GROUP_ID, defaults={"name": "Default"})
        code = settings.DEFAULT_STORE_CODE
        Store.objects.get_or_create(code=code, defaults={"name": f"Store {code}"})
    if connection.vendor == "postgresql":
        # References come from a sequence per store, and sequences do not roll back with a
        # test's transaction: every test starts each store's numbering from zero.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(('customers_store_reference_' || id)::regclass, 0) "
                "FROM customers_store"
            )
