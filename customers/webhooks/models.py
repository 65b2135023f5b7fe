"""Events (the outbox), webhook subscriptions, deliveries and their attempts (SPEC 13)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Event(models.Model):
    """One committed change, written by the transaction of the change.

    `id` orders events (a customer's events leave in `id` order); `uuid` is the public id,
    sent as `webhook-id`.
    """

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=64)
    store = models.ForeignKey(
        "customers.Store", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    customer_uuid = models.UUIDField(null=True, blank=True)
    reference = models.CharField(max_length=64, blank=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["created_at"], name="%(app_label)s_%(class)s_created"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.uuid}"


class Subscription(models.Model):
    """An endpoint subscribed to event types of some stores.

    The secret must be recoverable to sign, so it is stored as issued; it is shown once, at
    creation or rotation. After a rotation the previous secret keeps signing beside the new
    one until `previous_secret_expires_at`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    stores = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=500, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    disabled_reason = models.CharField(max_length=500, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return str(self.id)


class Delivery(models.Model):
    """One event to one subscription, tried until it succeeds or gives up."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    # Copied from the event: the ordering check reads one index.
    customer_uuid = models.UUIDField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # A worker sending it holds it until then; after that another worker may take it over.
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event_id", "created_at"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["subscription", "customer_uuid", "status", "event"],
                name="%(app_label)s_%(class)s_order",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)


class DeliveryAttempt(models.Model):
    """One POST to the subscription's URL and what came back."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="attempts"
    )
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["subscription", "-created_at"], name="%(app_label)s_%(class)s_log"
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)
