"""Customer credentials beyond the password: one-time keys, refresh tokens and sessions.

No secret is stored: keys are kept as their SHA-256, refresh tokens by their `jti`, sessions
by their Django session key (the session data itself lives in Django's session store).
"""

from django.db import models
from django.utils import timezone

from customers.models import Customer


class CustomerKey(models.Model):
    """A single-use 128-bit key sent by email: password reset or email confirmation."""

    class Purpose(models.TextChoices):
        PASSWORD_RESET = "password_reset"
        CONFIRM_EMAIL = "confirm_email"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="keys")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["customer", "purpose"], name="accounts_key_customer_idx"),
            models.Index(fields=["expires_at"], name="accounts_key_expires_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=["password_reset", "confirm_email"]),
                name="accounts_customerkey_purpose_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} key #{self.pk}"

    @property
    def is_live(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class CustomerRefreshToken(models.Model):
    """A Storefront refresh token, tracked by `jti` so that it can be rotated and revoked."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="refresh_tokens")
    jti = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["expires_at"], name="accounts_refresh_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"refresh token #{self.pk}"


class CustomerSession(models.Model):
    """Links a Django session (EverShop `sid`) to its customer, so it can be revoked."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"session #{self.pk}"


class AuthCounter(models.Model):
    """A failure counter shared by every process (SPEC 3): one row per key, with its expiry.

    Rows are written only by `accounts.throttling` with one atomic upsert each, so concurrent
    failures on several servers all count. Expired rows are dead and purged by `purge_tokens`.
    """

    counter_key = models.CharField(max_length=64, unique=True, editable=False)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["expires_at"], name="accounts_counter_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"auth counter #{self.pk}"


class SharedCacheEntry(models.Model):
    """The table of Django's database cache (`accounts_cache`), created by `migrate`.

    Without Redis, the per-IP throttles keep their state here, so that every process sees
    it; the columns are the ones `createcachetable` would create.
    """

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "accounts_cache"
        ordering = ["cache_key"]

    def __str__(self) -> str:
        return "cache entry"
