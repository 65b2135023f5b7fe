"""`customer_update` with a new email: unverified until confirmed, both addresses told (SPEC 12).

A change of case only is the same mailbox (uniqueness ignores case): it is saved, stays
verified and sends nothing.
"""

import re
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from accounts.services import email_confirm
from customers.errors import EmailAlreadyUsed
from customers.models import Customer
from customers.services import customer_update
from tests.factories.customers import CustomerFactory

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
VERIFIED_AT = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
OLD = "john.smith@example.com"
NEW = "john.new@example.com"


@pytest.fixture
def verified(customer):
    Customer.objects.filter(pk=customer.pk).update(email_verified_at=VERIFIED_AT)
    customer.refresh_from_db()
    return customer


def test_a_new_email_clears_verification_and_writes_to_both_addresses(
    verified, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        customer_update(customer=verified, email=NEW)

    # then
    stored = Customer.objects.get(pk=verified.pk)
    assert (stored.email, stored.email_verified_at) == (NEW, None)
    confirmation, notice = mail.outbox
    assert (confirmation.to, confirmation.subject) == ([NEW], "Confirm your new email address")
    assert (notice.to, notice.subject) == ([OLD], "Your email address was changed")
    assert NEW not in notice.body
    assert all(NEW not in html for html, _ in notice.alternatives)

    # and: the key sent to the new address confirms it
    raw = re.search(r"register/confirm\?token=([0-9a-f]{32})", confirmation.body).group(1)
    assert email_confirm(raw_key=raw) == verified
    assert Customer.objects.get(pk=verified.pk).email_verified_at is not None


@override_settings(TASKS=DATABASE_QUEUE)
def test_both_emails_are_queued_by_the_change_s_own_transaction(verified):
    # when
    with transaction.atomic():
        customer_update(customer=verified, email=NEW)
        queued_inside = DBTaskResult.objects.count()

    # then
    assert queued_inside == 2
    assert sorted(
        (task.args_kwargs["kwargs"]["template"], task.args_kwargs["kwargs"]["to"])
        for task in DBTaskResult.objects.all()
    ) == [("confirm_new_email", ""), ("email_changed", OLD)]


@override_settings(TASKS=DATABASE_QUEUE)
def test_a_change_that_rolls_back_sends_nothing_and_keeps_verification(verified):
    # given
    def change():
        with transaction.atomic():
            customer_update(customer=verified, email=NEW)
            raise RuntimeError("a later step of the same request fails")

    # when
    with pytest.raises(RuntimeError):
        change()

    # then
    assert DBTaskResult.objects.count() == 0
    stored = Customer.objects.get(pk=verified.pk)
    assert (stored.email, stored.email_verified_at) == (OLD, VERIFIED_AT)


def test_a_taken_email_sends_nothing_and_changes_nothing(
    verified, other_customer, django_capture_on_commit_callbacks
):
    # when
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(EmailAlreadyUsed),
    ):
        customer_update(customer=verified, email=other_customer.email)

    # then
    assert callbacks == []
    assert mail.outbox == []
    stored = Customer.objects.get(pk=verified.pk)
    assert (stored.email, stored.email_verified_at) == (OLD, VERIFIED_AT)


@pytest.mark.parametrize(
    "email",
    [
        pytest.param(OLD, id="same_email_case"),
        pytest.param("John.Smith@example.com", id="case_only_case"),
        pytest.param("JOHN.SMITH@EXAMPLE.COM", id="upper_case_case"),
    ],
)
def test_the_same_mailbox_keeps_verification_and_sends_nothing(
    verified, django_capture_on_commit_callbacks, email
):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        customer_update(customer=verified, email=email, first_name="Jon")

    # then the spelling is saved (the domain lower-cased by normalisation)
    stored = Customer.objects.get(pk=verified.pk)
    local, domain = email.rsplit("@", 1)
    assert (stored.email, stored.email_verified_at) == (f"{local}@{domain.lower()}", VERIFIED_AT)
    assert stored.first_name == "Jon"
    assert callbacks == []
    assert mail.outbox == []


def test_an_update_without_an_email_sends_nothing(verified, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        customer_update(customer=verified, last_name="Smythe")

    # then
    assert callbacks == []
    assert Customer.objects.get(pk=verified.pk).email_verified_at == VERIFIED_AT


def test_a_verification_given_with_the_new_email_is_kept(
    verified, django_capture_on_commit_callbacks
):
    # given a staff or integration caller that states the new address is verified
    when = datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        customer_update(customer=verified, email=NEW, email_verified_at=when)

    # then the old address is still told
    stored = Customer.objects.get(pk=verified.pk)
    assert (stored.email, stored.email_verified_at) == (NEW, when)
    assert sorted(message.to[0] for message in mail.outbox) == [NEW, OLD]


def test_an_unverified_customer_changing_email_gets_the_same_two_emails(
    store, django_capture_on_commit_callbacks
):
    # given
    customer = CustomerFactory(store=store, email="anne@example.com", email_verified_at=None)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        customer_update(customer=customer, email="anne.new@example.com")

    # then
    assert [message.to for message in mail.outbox] == [
        ["anne.new@example.com"],
        ["anne@example.com"],
    ]
