"""Logs never carry a live secret, and each line is written once (SPEC 2, 12).

The tests read what the configured console handler writes, by pointing its stream at a
buffer: the filter and the wiring of `LOGGING` are both under test.
"""

import io
import logging
from datetime import timedelta

import pytest

from accounts.models import CustomerKey
from accounts.services import key_issue
from accounts.tokens import customer_tokens_issue
from config.logging import REDACTED, redact
from tests.storefront.conftest import JsonApiClient, client_with_token


@pytest.fixture
def log():
    (handler,) = [h for h in logging.getLogger().handlers if h.name == "console"]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


@pytest.fixture
def live_refresh(customer):
    return customer_tokens_issue(customer=customer)


@pytest.fixture
def live_key(customer):
    return key_issue(customer=customer, purpose="password_reset", lifetime=timedelta(hours=1))


def test_deleting_a_refresh_token_by_path_logs_no_token(log, customer, live_refresh):
    # when: refused without credentials (403, logged), then done by its owner (204)
    refused = JsonApiClient().delete(f"/refresh-tokens/{live_refresh.refresh}")
    done = client_with_token(live_refresh.access).delete(f"/refresh-tokens/{live_refresh.refresh}")

    # then
    assert (refused.status_code, done.status_code) == (403, 204)
    assert log.getvalue() == f"Forbidden: /refresh-tokens/{REDACTED}\n"
    assert live_refresh.refresh not in log.getvalue()


def test_restoring_a_password_with_the_key_in_the_path_logs_no_key(log, customer, live_key):
    # when: a body that fails validation (422, logged)
    response = JsonApiClient().send(
        "patch",
        f"/customer-restore-password/{live_key}",
        "customer-restore-password",
        {"restorePasswordKey": live_key},
    )

    # then
    assert response.status_code == 422
    assert log.getvalue() == f"Unprocessable Entity: /customer-restore-password/{REDACTED}\n"
    assert live_key not in log.getvalue()
    assert CustomerKey.objects.get().used_at is None  # the key still works: nothing leaked


def test_the_server_request_line_of_a_success_logs_no_key(log, live_key, live_refresh):
    # when: the development server logs a 2xx request line
    logging.getLogger("django.server").info(
        '"%s" %s %s',
        f"PATCH /customer-restore-password/{live_key}?token={live_key} HTTP/1.1",
        "204",
        "0",
    )
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"DELETE /refresh-tokens/{live_refresh.refresh} HTTP/1.1", "204", "0"
    )

    # then: once each, redacted
    assert log.getvalue() == (
        f'"PATCH /customer-restore-password/{REDACTED}?token={REDACTED} HTTP/1.1" 204 0\n'
        f'"DELETE /refresh-tokens/{REDACTED} HTTP/1.1" 204 0\n'
    )


def test_the_gunicorn_access_log_is_redacted(live_refresh):
    # given: gunicorn's own handler on its access logger
    buffer = io.StringIO()
    access = logging.getLogger("gunicorn.access")
    handler = logging.StreamHandler(buffer)
    access.addHandler(handler)
    propagate, access.propagate = access.propagate, False
    try:
        # when
        access.info(
            '%(h)s "%(r)s" %(s)s',
            {
                "h": "127.0.0.1",
                "r": f"DELETE /refresh-tokens/{live_refresh.refresh} HTTP/1.1",
                "s": "204",
            },
        )
    finally:
        access.removeHandler(handler)
        access.propagate = propagate

    # then
    assert buffer.getvalue() == f'127.0.0.1 "DELETE /refresh-tokens/{REDACTED} HTTP/1.1" 204\n'


def test_every_django_line_is_written_once(log, settings):
    # given: DEBUG on, where Django's own console handler used to write each line again
    settings.DEBUG = True

    # when
    logging.getLogger("django.request").warning("Not Found: %s", "/nowhere")

    # then
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django.server").handlers == []
    assert log.getvalue() == "Not Found: /nowhere\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("/refresh-tokens/mine", "/refresh-tokens/mine", id="mine_kept_case"),
        pytest.param("/refresh-tokens/abc/", f"/refresh-tokens/{REDACTED}/", id="segment_case"),
        pytest.param(
            "/password/restore?token=x1&next=/a",
            f"/password/restore?token={REDACTED}&next=/a",
            id="query_token_case",
        ),
        pytest.param(
            "/x?a=1&refreshToken=abc;b=2",
            f"/x?a=1&refreshToken={REDACTED};b=2",
            id="query_refresh_case",
        ),
        pytest.param("/x?SID=abc", f"/x?SID={REDACTED}", id="query_case_insensitive_case"),
        pytest.param(
            "/api/customers/5f0c8a8e-2b1c-4c43-9f0e-1b2c3d4e5f60",
            "/api/customers/5f0c8a8e-2b1c-4c43-9f0e-1b2c3d4e5f60",
            id="uuid_kept_case",
        ),
        pytest.param("/api/v2/customers/DE--25/ref", "/api/v2/customers/DE--25/ref", id="ref_case"),
        pytest.param(
            "key 0123456789abcdef0123456789ABCDEF here", f"key {REDACTED} here", id="hex_key_case"
        ),
        pytest.param(
            "Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", f"Bearer {REDACTED}", id="jwt_case"
        ),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected
