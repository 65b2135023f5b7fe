from unittest import mock

import pytest
from django.db import DatabaseError


def test_healthz_answers_ok(client):
    # when
    response = client.get("/healthz")

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_answers_ok_when_the_database_answers(client):
    # when
    response = client.get("/readyz")

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


@pytest.mark.django_db
def test_readyz_answers_503_when_the_database_does_not(client):
    # given
    with mock.patch("config.health.connection.cursor", side_effect=DatabaseError("down")):
        # when
        response = client.get("/readyz")

    # then
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down"}
