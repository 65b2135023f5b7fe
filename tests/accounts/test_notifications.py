"""Emails are tasks: enqueued by the change's transaction, retried with backoff, then logged.

The test settings use django-tasks' immediate backend, handed the task after commit; the
tests marked `database_queue` use the database backend of production, whose task row is
written by the caller's transaction (SPEC 9, 12).
"""

import logging
import re
import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from accounts import notifications
from accounts.models import CustomerKey
from accounts.services import hash_key

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TASK_PATH = "accounts.notifications.deliver_customer_email"


class BrokenBackend(EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("connection lost")


def run_queue() -> None:
    # The worker closes connections between tasks, as a request would; here its connection is
    # the test's own, inside the test's transaction, so that housekeeping is skipped.
    with mock.patch.object(db_worker, "close_old_connections", return_value=None):
        call_command("worker", batch=True, startup_delay=False, reload=False, verbosity=0)


# --- The immediate backend of the test settings -----------------------------------------------


def test_nothing_is_sent_before_the_transaction_commits(
    customer, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notifications.send_password_changed(customer=customer)

    # then
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_the_email_leaves_after_commit(customer, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        notifications.send_password_changed(customer=customer)

    # then
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([customer.email], "Your password was changed")
    ]
    assert "https://shop.example.com/password/forgotten" in mail.outbox[0].body


@override_settings(EMAIL_BACKEND="tests.accounts.test_notifications.BrokenBackend")
def test_a_failed_delivery_is_logged_with_the_reference_not_the_address(
    customer, caplog, django_capture_on_commit_callbacks
):
    # when: the immediate backend cannot defer a retry, so the failure is final
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


# --- The database backend ----------------------------------------------------------------------


@override_settings(TASKS=DATABASE_QUEUE)
def test_a_rolled_back_change_enqueues_nothing(customer):
    # given: a change that enqueues its email, then fails
    queued_inside = []

    def change():
        with transaction.atomic():
            notifications.send_password_changed(customer=customer)
            queued_inside.append(DBTaskResult.objects.count())
            raise RuntimeError("the change fails")

    # when
    with pytest.raises(RuntimeError):
        change()

    # then: the row was written by the transaction, and went with it
    assert queued_inside == [1]

    assert DBTaskResult.objects.count() == 0
    assert mail.outbox == []


@override_settings(TASKS=DATABASE_QUEUE)
def test_a_committed_change_leaves_a_task_that_the_worker_sends(customer):
    # given
    with transaction.atomic():
        notifications.send_password_changed(customer=customer)

    # then: one queued task, nothing sent yet
    task = DBTaskResult.objects.get()
    assert task.status == TaskResultStatus.READY
    assert task.task_path == TASK_PATH
    assert task.args_kwargs == {
        "args": [],
        "kwargs": {
            "customer_id": customer.pk,
            "template": "password_changed",
            "to": "",
            "key": "",
        },
    }
    assert mail.outbox == []

    # when
    run_queue()

    # then
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert task.return_value == "sent"
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([customer.email], "Your password was changed")
    ]


@override_settings(TASKS=DATABASE_QUEUE)
def test_a_reset_key_is_issued_by_the_task_never_queued(customer):
    # given
    notifications.send_password_reset(customer=customer)
    assert "token" not in str(DBTaskResult.objects.get().args_kwargs)
    assert CustomerKey.objects.count() == 0

    # when
    run_queue()

    # then: the emailed key is the one live key of the customer
    (message,) = mail.outbox
    assert message.subject == "Reset your password"
    raw = re.search(r"restore\?token=([0-9a-f]{32})", message.body).group(1)
    key = CustomerKey.objects.get()
    assert key.key_hash == hash_key(raw)
    assert key.purpose == "password_reset"
    assert key.customer == customer
    assert key.used_at is None


@override_settings(
    TASKS=DATABASE_QUEUE,
    EMAIL_BACKEND="tests.accounts.test_notifications.BrokenBackend",
    EMAIL_RETRY_DELAYS=[60, 300],
)
def test_a_failed_send_is_retried_with_backoff_then_logged(customer, caplog):
    # given
    notifications.send_password_changed(customer=customer)

    # when: the first try fails
    with caplog.at_level(logging.WARNING, logger="accounts.notifications"):
        run_queue()

    # then: a second try is queued a minute later
    first, second = DBTaskResult.objects.order_by("enqueued_at")
    assert first.status == TaskResultStatus.SUCCESSFUL
    assert first.return_value == "retry"
    assert second.status == TaskResultStatus.READY
    assert second.args_kwargs["kwargs"]["attempt"] == 2
    delay = (second.run_after - timezone.now()).total_seconds()
    assert 55 < delay <= 60
    assert [r.getMessage() for r in caplog.records] == [
        "Could not send the 'Your password was changed' email to customer "
        f"{customer.reference} (try 1); trying again in 60s"
    ]

    # when: the second try fails too, and then the third
    caplog.clear()
    for expected_delay in (300, None):
        DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(
            run_after=timezone.now() - timedelta(seconds=1)
        )
        with caplog.at_level(logging.WARNING, logger="accounts.notifications"):
            run_queue()
        latest = DBTaskResult.objects.order_by("-enqueued_at").first()
        if expected_delay:
            assert latest.status == TaskResultStatus.READY
            delay = (latest.run_after - timezone.now()).total_seconds()
            assert expected_delay - 5 < delay <= expected_delay

    # then: three tries in all, the last one given up and logged
    assert DBTaskResult.objects.count() == 3
    assert list(
        DBTaskResult.objects.order_by("enqueued_at").values_list("return_value", flat=True)
    ) == [
        "retry",
        "retry",
        "failed",
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "Could not send the 'Your password was changed' email to customer "
        f"{customer.reference} (try 2); trying again in 300s",
        f"Could not send the 'Your password was changed' email to customer {customer.reference}",
    ]
    assert customer.email not in caplog.text
    assert mail.outbox == []


@override_settings(TASKS=DATABASE_QUEUE)
def test_an_anonymized_customer_gets_nothing(customer):
    # given
    notifications.send_password_changed(customer=customer)
    type(customer).objects.filter(pk=customer.pk).update(anonymized_at=timezone.now())

    # when
    run_queue()

    # then
    assert DBTaskResult.objects.get().return_value == "skipped"
    assert mail.outbox == []
