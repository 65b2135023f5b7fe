"""No live key waits in the task queue: the task that sends an email issues its key (issue 14).

With the database backend a queued task's arguments (and, once run, its result) are rows that
the admin shows; a raw confirmation or reset key there would be a working credential.
"""

import json
import re

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from accounts import notifications
from accounts.credentials import hash_key
from accounts.models import CustomerKey
from accounts.services import customer_register, password_reset_send
from customers.services import customer_update

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
HEX_KEY = re.compile(r"[0-9a-f]{32}")


def queued() -> list[dict]:
    return [task.args_kwargs["kwargs"] for task in DBTaskResult.objects.order_by("enqueued_at")]


def run_queued() -> None:
    """Run every queued email task as the worker would."""
    for kwargs in queued():
        notifications.deliver_customer_email.call(**kwargs)


def key_free(rows: list) -> bool:
    return HEX_KEY.search(json.dumps(rows)) is None


@override_settings(TASKS=DATABASE_QUEUE)
def test_registration_queues_the_confirmation_without_a_key(store):
    # when
    with transaction.atomic():
        customer = customer_register(
            store=store, password="correct-horse-9", email="anne@example.com", first_name="Anne"
        )

    # then the queue holds the task, with no key, and no key exists yet
    assert queued() == [
        {
            "customer_id": customer.pk,
            "template": "confirm_email",
            "to": "",
            "key": "",
        }
    ]
    assert CustomerKey.objects.count() == 0

    # when the worker runs it
    run_queued()

    # then the email carries the one key, issued by the task
    (message,) = mail.outbox
    raw = re.search(r"register/confirm\?token=([0-9a-f]{32})", message.body).group(1)
    key = CustomerKey.objects.get()
    assert (key.customer_id, key.purpose, key.key_hash) == (
        customer.pk,
        "confirm_email",
        hash_key(raw),
    )
    assert key_free([queued(), list(DBTaskResult.objects.values_list("return_value", flat=True))])


@override_settings(TASKS=DATABASE_QUEUE)
def test_a_password_reset_queues_the_email_without_a_key(customer):
    # given an older reset key
    with transaction.atomic():
        password_reset_send(customer=customer)
    run_queued()
    older = CustomerKey.objects.get()
    DBTaskResult.objects.all().delete()
    mail.outbox.clear()

    # when
    with transaction.atomic():
        password_reset_send(customer=customer)

    # then the queued task carries no key, and the older key still lives until it runs
    assert queued() == [
        {
            "customer_id": customer.pk,
            "template": "password_reset",
            "to": "",
            "key": "",
        }
    ]
    older.refresh_from_db()
    assert older.used_at is None

    # when the worker runs it
    run_queued()

    # then the new key is the only live one, and it is the one in the email
    (message,) = mail.outbox
    raw = re.search(r"password/restore\?token=([0-9a-f]{32})", message.body).group(1)
    live = [key for key in CustomerKey.objects.all() if key.is_live]
    assert [key.key_hash for key in live] == [hash_key(raw)]
    assert key_free([queued(), list(DBTaskResult.objects.values_list("return_value", flat=True))])


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(
            lambda store, customer: customer_register(
                store=store, password="correct-horse-9", email="anne@example.com"
            ),
            id="registration_case",
        ),
        pytest.param(
            lambda store, customer: password_reset_send(customer=customer), id="reset_case"
        ),
        pytest.param(
            lambda store, customer: customer_update(
                customer=customer, email="john.new@example.com"
            ),
            id="email_change_case",
        ),
    ],
)
@override_settings(TASKS=DATABASE_QUEUE)
def test_no_queued_task_row_holds_a_key(store, customer, write):
    # when
    with transaction.atomic():
        write(store, customer)

    # then
    rows = list(DBTaskResult.objects.values("args_kwargs"))
    assert rows
    assert all(row["args_kwargs"]["kwargs"]["key"] == "" for row in rows)
    assert key_free(rows)
    assert CustomerKey.objects.count() == 0
