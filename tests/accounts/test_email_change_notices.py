"""An email change: a confirmation to the new address, a notice to the old one (SPEC 12).

The customer service calls `email_change_notify` in the transaction that saves the new
email; these tests call it as the service does, after saving the new address.
"""

import re

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from accounts import notifications
from accounts.models import CustomerKey
from accounts.services import email_confirm, hash_key
from customers.models import Customer

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
OLD = "john.smith@example.com"
NEW = "john.new@example.com"


@pytest.fixture
def changed(customer):
    Customer.objects.filter(pk=customer.pk).update(email=NEW, email_verified_at=None)
    customer.refresh_from_db()
    return customer


def test_the_new_address_gets_a_key_and_the_old_one_a_notice(
    changed, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        notifications.email_change_notify(customer=changed, old_email=OLD)

    # then
    confirmation, notice = mail.outbox
    assert (confirmation.to, confirmation.subject) == ([NEW], "Confirm your new email address")
    assert (notice.to, notice.subject) == ([OLD], "Your email address was changed")
    assert notice.body == (
        "Hello John,\n\nthe email address of your account was just changed, and this address "
        "no longer signs in.\n\nIf this was not you, contact us at once and reset your "
        "password: https://shop.example.com/password/forgotten\n"
    )
    assert NEW not in notice.body
    assert [alternative[1] for alternative in notice.alternatives] == ["text/html"]

    # and: the key in the confirmation is live and confirms the new address
    raw = re.search(r"register/confirm\?token=([0-9a-f]{32})", confirmation.body).group(1)
    key = CustomerKey.objects.get()
    assert (key.key_hash, key.purpose, key.used_at) == (hash_key(raw), "confirm_email", None)
    assert email_confirm(raw_key=raw) == changed
    changed.refresh_from_db()
    assert changed.email_verified_at is not None


def test_nothing_leaves_before_commit(changed, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notifications.email_change_notify(customer=changed, old_email=OLD)

    # then
    assert len(callbacks) == 2
    assert mail.outbox == []
    assert CustomerKey.objects.count() == 0


@override_settings(TASKS=DATABASE_QUEUE)
def test_both_are_tasks_of_the_changes_transaction_without_a_key(changed):
    # when
    with transaction.atomic():
        notifications.email_change_notify(customer=changed, old_email=OLD)

    # then
    assert sorted(
        (task.args_kwargs["kwargs"]["template"], task.args_kwargs["kwargs"]["to"])
        for task in DBTaskResult.objects.all()
    ) == [("confirm_new_email", ""), ("email_changed", OLD)]
    assert all(task.args_kwargs["kwargs"]["key"] == "" for task in DBTaskResult.objects.all())
    assert mail.outbox == []


@override_settings(TASKS=DATABASE_QUEUE)
def test_a_rolled_back_change_notifies_nobody(changed):
    # given
    def change():
        with transaction.atomic():
            notifications.email_change_notify(customer=changed, old_email=OLD)
            raise RuntimeError("the change fails")

    # when
    with pytest.raises(RuntimeError):
        change()

    # then
    assert DBTaskResult.objects.count() == 0
