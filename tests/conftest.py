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
