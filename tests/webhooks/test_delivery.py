"""Deliveries by the task worker to a real receiver on loopback (SPEC 13)."""

import base64
import hashlib
import hmac
import json
import socket
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.management.commands import db_worker
from standardwebhooks import Webhook

from customers.models import Customer
from customers.services import customer_create, customer_update
from customers.webhooks.models import Delivery, DeliveryAttempt, Event, Subscription
from customers.webhooks.services import delivery_redeliver, subscription_rotate_secret
from customers.webhooks.signing import secret_generate, signature
from tests.webhooks.receiver import Receiver

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("_queue"),
]

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def _queue():
    with override_settings(
        TASKS=DATABASE_QUEUE,
        WEBHOOK_ALLOW_PRIVATE_TARGETS=True,
        WEBHOOK_HTTPS_ONLY=False,
        WEBHOOK_TIMEOUT=0.5,
        WEBHOOK_RETRY_DELAYS=[0, 0],
    ):
        yield


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def hook(receiver):
    return Subscription.objects.create(url=receiver.url, events=["*"], secret=secret_generate())


def run_worker() -> None:
    # The worker runs in this process, on the test's connection and transaction.
    with mock.patch.object(db_worker, "close_old_connections", return_value=None):
        call_command("worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def create(store, email="ada@example.com") -> Customer:
    return customer_create(store=store, email=email, first_name="Ada", last_name="Lovelace")


def stdlib_verify(secret: str, headers: dict, body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(f"v1,{expected}", given)
        for given in headers["webhook-signature"].split(" ")
    )


def test_a_delivery_is_signed_and_carries_the_event(store, hook, receiver):
    # given
    customer = create(store)
    assert receiver.received == []  # nothing leaves before the worker runs

    # when
    run_worker()

    # then
    event = Event.objects.get()
    (request,) = receiver.received
    assert request.path == "/hooks"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == str(event.uuid)
    assert stdlib_verify(hook.secret, request.headers, request.body)
    assert json.loads(request.body) == event.payload
    assert json.loads(request.body)["data"]["id"] == str(customer.uuid)
    # and: the standardwebhooks package accepts it
    Webhook(hook.secret).verify(request.body, request.headers)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SUCCEEDED, 1)
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.status_code, attempt.error, attempt.response_excerpt) == (200, "", "ok")


def test_our_signature_matches_the_standardwebhooks_package():
    secret = secret_generate()
    body = b'{"type":"customer.created"}'

    ours = signature(secret=secret, message_id="msg_1", timestamp=1700000000, body=body)

    theirs = Webhook(secret).sign(
        "msg_1", datetime.fromtimestamp(1700000000, tz=UTC), body.decode()
    )

    assert ours == theirs


def test_a_500_is_retried_with_the_same_webhook_id(store, hook, receiver):
    receiver.answers = [500]
    create(store)

    run_worker()

    assert [a.status_code for a in DeliveryAttempt.objects.order_by("created_at")] == [500, 200]
    assert len({request.headers["webhook-id"] for request in receiver.received}) == 1
    assert Delivery.objects.get().status == Delivery.Status.SUCCEEDED


def test_a_timeout_is_retried(store, hook, receiver):
    receiver.answers = [("sleep", 1.5, 200)]
    create(store)

    run_worker()

    attempts = list(DeliveryAttempt.objects.order_by("created_at"))
    assert [(a.status_code, a.error) for a in attempts] == [
        (None, "Timed out after 0.5 s"),
        (200, ""),
    ]
    assert Delivery.objects.get().status == Delivery.Status.SUCCEEDED


def test_after_the_last_retry_the_delivery_fails(store, hook, receiver):
    receiver.answers = [500, 502, 503]
    create(store)

    run_worker()

    assert [a.status_code for a in DeliveryAttempt.objects.order_by("created_at")] == [
        500,
        502,
        503,
    ]
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 3)


@override_settings(WEBHOOK_DISABLE_AFTER_FAILURES=3, WEBHOOK_DISABLE_AFTER_SECONDS=0)
def test_a_run_of_failures_disables_the_subscription_with_its_reason(store, hook, receiver):
    receiver.answers = [500, 500, 500]
    create(store)

    run_worker()

    hook.refresh_from_db()
    assert hook.active is False
    assert "after 3 failed attempts" in hook.disabled_reason
    assert hook.disabled_reason.endswith("last error: HTTP 500")


def test_one_customers_events_leave_in_order(store, hook, receiver):
    # given: the first event fails once; the second is queued meanwhile
    receiver.answers = [500]
    customer = create(store)
    customer_update(customer=customer, first_name="Augusta")
    customer_update(customer=customer, last_name="King")

    # when
    run_worker()

    # then
    types = [json.loads(request.body)["type"] for request in receiver.received]
    changed = [json.loads(r.body)["data"].get("changed") for r in receiver.received]
    assert types == ["customer.created", "customer.created", "customer.updated", "customer.updated"]
    assert changed == [None, None, ["firstName"], ["lastName"]]
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SUCCEEDED}


def test_a_redelivery_sends_the_same_webhook_id(store, hook, receiver):
    create(store)
    run_worker()

    delivery_redeliver(delivery=Delivery.objects.get())
    run_worker()

    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body


def test_during_a_rotation_both_secrets_sign(store, hook, receiver):
    old = hook.secret
    rotated = subscription_rotate_secret(subscription=hook)
    create(store)

    run_worker()

    (request,) = receiver.received
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert stdlib_verify(old, request.headers, request.body)
    assert stdlib_verify(rotated.secret, request.headers, request.body)
    Webhook(rotated.secret).verify(request.body, request.headers)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hooks",
        "http://10.0.0.1/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:{port}/hooks",
        "http://localhost:{port}/hooks",
    ],
)
def test_internal_targets_are_refused_at_delivery(store, receiver, url):
    # given: a subscription saved when it was allowed (or DNS said otherwise)
    hook = Subscription.objects.create(
        url=url.format(port=receiver.server.server_port), events=["*"], secret=secret_generate()
    )
    create(store)

    # when
    with override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=False, WEBHOOK_RETRY_DELAYS=[]):
        run_worker()

    # then
    assert receiver.received == []
    attempt = DeliveryAttempt.objects.get(subscription=hook)
    assert (attempt.status_code, attempt.error) == (
        None,
        "Target refused: The URL's host resolves to an internal address.",
    )


def test_a_host_whose_dns_changed_to_a_private_address_is_refused(store, receiver):
    hook = Subscription.objects.create(
        url="http://hooks.example.com/x", events=["*"], secret=secret_generate()
    )
    create(store)
    private = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80))]

    with (
        override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=False, WEBHOOK_RETRY_DELAYS=[]),
        mock.patch("socket.getaddrinfo", return_value=private),
    ):
        run_worker()

    assert DeliveryAttempt.objects.get(subscription=hook).error == (
        "Target refused: The URL's host resolves to an internal address."
    )


def test_redirects_are_not_followed(store, hook, receiver):
    receiver.answers = [302]
    create(store)

    with override_settings(WEBHOOK_RETRY_DELAYS=[]):
        run_worker()

    assert len(receiver.received) == 1
    assert DeliveryAttempt.objects.get().error == "HTTP 302"


def test_an_inactive_subscription_is_sent_nothing(store, hook, receiver):
    create(store)
    Subscription.objects.filter(pk=hook.pk).update(active=False)

    run_worker()

    assert receiver.received == []
    assert Delivery.objects.get().status == Delivery.Status.FAILED
    assert DeliveryAttempt.objects.count() == 0


def test_a_subscription_receives_only_events_after_it(store, receiver):
    customer = create(store)
    hook = Subscription.objects.create(url=receiver.url, events=["*"], secret=secret_generate())

    customer_update(customer=customer, first_name="Augusta")
    run_worker()

    assert [json.loads(r.body)["type"] for r in receiver.received] == ["customer.updated"]
    assert hook.deliveries.count() == 1
