"""Helpers for the database router tests."""

import pytest
from django.db import connections
from pytest_django.plugin import blocking_manager_key


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Put the migrations' rows back once a replica test has flushed the database.

    The replica tests are transactional (a replica is another connection: it only sees
    committed rows), so each ends with a flush that removes the default store and group the
    migrations created, which the transactional tests that run after them expect. They ask
    for a serialized rollback, so the database's initial contents are at hand to restore.
    """
    result = yield
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        blocker = item.config.stash[blocking_manager_key]
        with blocker.unblock():
            for connection in connections.all(initialized_only=True):
                contents = getattr(connection, "_test_serialized_contents", None)
                if contents:
                    connection.creation.deserialize_db_from_string(contents)
    return result
