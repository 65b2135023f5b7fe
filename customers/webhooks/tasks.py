"""Deliveries, run by the task worker: one POST per try, retried with backoff, in order.

A delivery task:
1. takes the delivery (a lease of `WEBHOOK_TIMEOUT` + 5 s, so that a second task for it
   waits; a task put back after its worker was killed mid-send finds the lease still held,
   and queues itself again for when it ends);
2. waits while an earlier event of the same customer to the same subscription is pending:
   it returns without sending, and the earlier delivery, once settled, queues it again;
3. checks the target again (DNS may have changed), connects to the address it checked, POSTs
   the signed body without following redirects, and logs the attempt;
4. on a 2xx marks it succeeded; otherwise queues the next try after `WEBHOOK_RETRY_DELAYS`
   (with jitter), or marks it failed when there is none left;
5. once settled, queues the customer's next pending delivery to that subscription.
"""

import http.client
import json
import logging
import random
import socket
import ssl
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from accounts.notifications import enqueue
from customers.webhooks.models import Delivery, DeliveryAttempt
from customers.webhooks.services import (
    subscription_failure_record,
    subscription_secrets,
    subscription_success_record,
)
from customers.webhooks.signing import signature_header
from customers.webhooks.targets import TargetRefused, target_resolve

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 1000
LEASE_MARGIN = timedelta(seconds=5)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address the target check approved, whatever DNS says now."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def delivery_enqueue(delivery: Delivery, *, run_after=None) -> None:
    """Queue the delivery's task in the current transaction (after it, on other backends)."""
    target = deliver_webhook
    if run_after is not None and target.get_backend().supports_defer:
        target = target.using(run_after=run_after)
    enqueue(target, delivery_id=str(delivery.pk))


def _retry_delay(attempts: int) -> float | None:
    delays = settings.WEBHOOK_RETRY_DELAYS
    if attempts > len(delays):
        return None
    delay = delays[attempts - 1]
    return delay * random.uniform(0.8, 1.2)


def _take(delivery_id: str) -> Delivery | None:
    """The pending delivery, leased to this task; None when another task holds it."""
    now = timezone.now()
    lease = timedelta(seconds=settings.WEBHOOK_TIMEOUT) + LEASE_MARGIN
    taken = (
        Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + lease)
    )
    if not taken:
        return None
    return Delivery.objects.select_related("event", "subscription").get(pk=delivery_id)


def _earlier_pending(delivery: Delivery) -> bool:
    if delivery.customer_uuid is None:
        return False
    return (
        Delivery.objects.filter(
            subscription_id=delivery.subscription_id,
            customer_uuid=delivery.customer_uuid,
            status=Delivery.Status.PENDING,
            event_id__lt=delivery.event_id,
        )
        .exclude(pk=delivery.pk)
        .exists()
    )


def _next_in_line(delivery: Delivery) -> None:
    if delivery.customer_uuid is None:
        return
    following = (
        Delivery.objects.filter(
            subscription_id=delivery.subscription_id,
            customer_uuid=delivery.customer_uuid,
            status=Delivery.Status.PENDING,
        )
        .exclude(pk=delivery.pk)
        .order_by("event_id")
        .first()
    )
    if following is not None:
        delivery_enqueue(following)


def _post(url: str, *, headers: dict[str, str], body: bytes) -> tuple[int, str]:
    scheme, host, port, address = target_resolve(url)
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address, timeout=settings.WEBHOOK_TIMEOUT)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_CHARS).decode("utf-8", "replace")
        return response.status, excerpt
    finally:
        connection.close()


def _attempt(delivery: Delivery) -> tuple[bool, str]:
    """POST once and log the attempt; (success, error)."""
    event, subscription = delivery.event, delivery.subscription
    body = json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    message_id = str(event.uuid)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Clientele-Webhooks",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            secrets_=subscription_secrets(subscription),
            message_id=message_id,
            timestamp=timestamp,
            body=body,
        ),
    }
    status_code, excerpt, error = None, "", ""
    started = time.monotonic()
    try:
        status_code, excerpt = _post(subscription.url, headers=headers, body=body)
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except TargetRefused as refused:
        error = f"Target refused: {refused}"
    except TimeoutError:
        error = f"Timed out after {settings.WEBHOOK_TIMEOUT} s"
    except (OSError, http.client.HTTPException) as failure:
        error = f"{type(failure).__name__}: {failure}"[:500]
    duration_ms = int((time.monotonic() - started) * 1000)
    DeliveryAttempt.objects.create(
        delivery=delivery,
        subscription=subscription,
        status_code=status_code,
        duration_ms=duration_ms,
        error=error,
        response_excerpt=excerpt,
    )
    return not error, error


@task()
def deliver_webhook(*, delivery_id: str) -> str:
    """Try one delivery (see the module docstring); returns what happened."""
    delivery = _take(delivery_id)
    if delivery is None:
        held_until = (
            Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING)
            .values_list("locked_until", flat=True)
            .first()
        )
        if held_until is not None and deliver_webhook.get_backend().supports_defer:
            # Another worker holds it, or one that died did: look again when its lease ends.
            delivery_enqueue(Delivery(pk=delivery_id), run_after=held_until)
            return "later"
        return "skipped"
    if not delivery.subscription.active:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED, locked_until=None
        )
        _next_in_line(delivery)
        return "inactive"
    if _earlier_pending(delivery):
        # The earlier delivery queues this one again once it is settled.
        Delivery.objects.filter(pk=delivery.pk).update(locked_until=None)
        return "waiting"
    succeeded, error = _attempt(delivery)
    attempts = delivery.attempts + 1
    with transaction.atomic():
        if succeeded:
            status = Delivery.Status.SUCCEEDED
            subscription_success_record(subscription=delivery.subscription)
        else:
            subscription_failure_record(subscription=delivery.subscription, error=error)
            delay = _retry_delay(attempts)
            status = Delivery.Status.PENDING if delay is not None else Delivery.Status.FAILED
        Delivery.objects.filter(pk=delivery.pk).update(
            status=status, attempts=attempts, locked_until=None, updated_at=timezone.now()
        )
        if status == Delivery.Status.PENDING:
            delivery_enqueue(delivery, run_after=timezone.now() + timedelta(seconds=delay))
            logger.warning(
                "Webhook delivery %s failed (try %d: %s); next try in %.0f s",
                delivery.pk,
                attempts,
                error,
                delay,
            )
            return "retry"
        _next_in_line(delivery)
    if status == Delivery.Status.FAILED:
        logger.warning("Webhook delivery %s failed for good after %d tries", delivery.pk, attempts)
        return "failed"
    return "sent"
