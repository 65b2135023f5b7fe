"""Unknown paths and unexpected exceptions answer in the envelope of the path's dialect."""

import json
import logging

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from config.api import fallback
from config.api.common import BodySizeLimitMixin

STOREFRONT_404 = {"errors": [{"status": 404, "detail": "Not found."}]}
ADMIN_404 = {"error": {"status": 404, "message": "Not found"}}
INTEGRATION_404 = {"status": 404, "message": "Not found"}


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        pytest.param(
            "/customers/DE--1/orders",
            "application/vnd.api+json",
            STOREFRONT_404,
            id="storefront_case",
        ),
        pytest.param(
            "/customer-wishlists",
            "application/vnd.api+json",
            STOREFRONT_404,
            id="storefront_dash_case",
        ),
        pytest.param("/api/orders", "application/json", ADMIN_404, id="admin_case"),
        pytest.param("/customer/register", "application/json", ADMIN_404, id="admin_session_case"),
        pytest.param(
            "/api/v2/orders/1", "application/json", INTEGRATION_404, id="integration_case"
        ),
    ],
)
def test_an_unknown_path_under_a_dialect_prefix_answers_404_in_its_envelope(
    db, path, content_type, body
):
    # when
    response = Client().get(path)

    # then
    assert response.status_code == 404
    assert response.headers["Content-Type"] == content_type
    assert response.json() == body


def test_an_unknown_path_of_no_dialect_keeps_djangos_page(db):
    # when
    response = Client().get("/nothing-here")

    # then
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param(
            "/customers",
            {"errors": [{"status": 500, "detail": "Internal server error."}]},
            id="storefront_case",
        ),
        pytest.param(
            "/api/customers",
            {"error": {"status": 500, "message": "Internal server error."}},
            id="admin_case",
        ),
        pytest.param(
            "/api/v2/customers/search?email=a@example.com",
            {"status": 500, "message": "Internal server error."},
            id="integration_case",
        ),
    ],
)
def test_a_bug_in_a_view_answers_500_in_the_envelope_and_is_logged(
    db, monkeypatch, caplog, path, body
):
    # given: a defect every view runs into
    def defect(self, request, *args, **kwargs):
        raise ZeroDivisionError("defect")

    monkeypatch.setattr(BodySizeLimitMixin, "initial", defect)

    # when
    with caplog.at_level(logging.ERROR, logger="config.api"):
        response = APIClient().get(path)

    # then
    assert response.status_code == 500
    assert response.json() == body
    logged = [record for record in caplog.records if record.name == "config.api"]
    assert [type(record.exc_info[1]) for record in logged] == [ZeroDivisionError]


@pytest.mark.parametrize(
    ("path", "exc", "status", "body", "retry_after"),
    [
        pytest.param(
            "/api/v2/customers",
            OperationalError("connection refused"),
            503,
            {"status": 503, "message": "The service is temporarily unavailable. Try again later."},
            "30",
            id="unavailable_case",
        ),
        pytest.param(
            "/access-tokens",
            KeyError("defect"),
            500,
            {"errors": [{"status": 500, "detail": "Internal server error."}]},
            None,
            id="defect_case",
        ),
    ],
)
def test_an_exception_outside_any_view_answers_in_the_envelope(
    path, exc, status, body, retry_after
):
    # given
    request = RequestFactory().get(path)

    # when: Django calls handler500 while it handles the exception
    try:
        raise exc
    except type(exc):
        response = fallback.server_error(request)

    # then
    assert response.status_code == status
    assert response.headers.get("Retry-After") == retry_after
    assert json.loads(response.content) == body


def test_an_exception_outside_any_view_of_no_dialect_keeps_djangos_page():
    # given
    request = RequestFactory().get("/somewhere")

    # when
    try:
        raise KeyError("defect")
    except KeyError:
        response = fallback.server_error(request)

    # then
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
