"""Brute-force protection for logins: failure counters per account in Django's cache.

After `AUTH_LOCKOUT_FAILURES` failed logins for one account within `AUTH_LOCKOUT_WINDOW`,
that account's logins are refused for the same window (SPEC 3), whatever the password. The
per-IP rate (`AUTH_THROTTLE_RATE`) is a DRF throttle on the login views themselves.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from accounts.errors import LoginThrottled


def _keys(account: str) -> tuple[str, str]:
    # The account identifier is hashed so that no email address sits in the cache.
    digest = hashlib.sha256(account.strip().lower().encode()).hexdigest()
    return f"login-failures:{digest}", f"login-locked:{digest}"


def _window_seconds() -> int:
    return int(settings.AUTH_LOCKOUT_WINDOW.total_seconds())


def login_check_allowed(*, account: str) -> None:
    """Raises: LoginThrottled while the account is locked, with the seconds left."""
    _, locked_key = _keys(account)
    locked_until = cache.get(locked_key)
    if locked_until is not None:
        remaining = int(locked_until - timezone.now().timestamp())
        raise LoginThrottled(retry_after=max(remaining, 1))


def login_record_failure(*, account: str) -> None:
    """Count a failed login; the failure that reaches the limit locks the account."""
    failures_key, locked_key = _keys(account)
    window = _window_seconds()
    cache.add(failures_key, 0, timeout=window)
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # expired between add and incr
        cache.add(failures_key, 1, timeout=window)
        failures = 1
    if failures >= settings.AUTH_LOCKOUT_FAILURES:
        cache.set(locked_key, timezone.now().timestamp() + window, timeout=window)
        cache.delete(failures_key)


def login_record_success(*, account: str) -> None:
    failures_key, _ = _keys(account)
    cache.delete(failures_key)
