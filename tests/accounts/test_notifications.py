"""Emails leave after commit, off the request thread, and a failed delivery is only logged."""

import logging
import smtplib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import override_settings

from accounts import notifications

released = threading.Event()


class HeldBackend(EmailBackend):
    """Delivers only once the test releases it, like a slow mail server."""

    def send_messages(self, messages):
        released.wait(timeout=10)
        return super().send_messages(messages)


class BrokenBackend(EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("connection lost")


@pytest.fixture
def outbox(monkeypatch):
    executor = ThreadPoolExecutor(max_workers=1)
    monkeypatch.setattr(notifications, "outbox", executor)
    yield executor
    released.set()
    executor.shutdown(wait=True)


@override_settings(
    EMAIL_SEND_IN_BACKGROUND=True,
    EMAIL_BACKEND="tests.accounts.test_notifications.HeldBackend",
)
def test_the_caller_does_not_wait_for_the_mail_server(
    customer, outbox, django_capture_on_commit_callbacks
):
    # given
    released.clear()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        notifications.send_password_reset(customer=customer, key="k" * 32)

    # then: the call returned while the server still held the email
    assert mail.outbox == []
    released.set()
    outbox.shutdown(wait=True)
    assert [(m.to, m.subject) for m in mail.outbox] == [([customer.email], "Reset your password")]


def test_nothing_is_sent_before_the_transaction_commits(
    customer, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notifications.send_password_changed(customer=customer)

    # then
    assert len(callbacks) == 1
    assert mail.outbox == []


@override_settings(
    EMAIL_SEND_IN_BACKGROUND=False,
    EMAIL_BACKEND="tests.accounts.test_notifications.BrokenBackend",
)
def test_a_failed_delivery_is_logged_with_the_reference_not_the_address(
    customer, caplog, django_capture_on_commit_callbacks
):
    # when
    with (
        caplog.at_level(logging.ERROR, logger="accounts.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notifications.send_password_changed(customer=customer)

    # then
    assert [record.getMessage() for record in caplog.records] == [
        f"Could not send the 'Your password was changed' email to customer {customer.reference}"
    ]
    assert customer.email not in caplog.text
