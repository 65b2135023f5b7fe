"""Credential revocation: what every change that must end a customer's access calls.

Revoking a customer's credentials ends every refresh token and session and uses up every
outstanding key. This module depends only on models (and the session engine), so that the
customer services (password change, disable, delete, anonymize) and the account services
both call it without depending on each other.
"""

import hashlib
from importlib import import_module

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from accounts.models import CustomerKey, CustomerRefreshToken, CustomerSession
from customers.models import Customer


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def customer_keys_invalidate(*, customer: Customer, purpose: str | None = None) -> int:
    """Mark the customer's outstanding keys (of one purpose, or all) as used."""
    keys = CustomerKey.objects.filter(customer=customer, used_at__isnull=True)
    if purpose:
        keys = keys.filter(purpose=purpose)
    return keys.update(used_at=timezone.now())


def customer_credentials_revoke(
    *,
    customer: Customer,
    keep_refresh_jti: str | None = None,
    keep_session_key: str | None = None,
) -> None:
    """Revoke every refresh token and session and every outstanding key of the customer.

    The caller's own refresh token or session can be kept (a password change keeps the
    session that made it).
    """
    now = timezone.now()
    tokens = CustomerRefreshToken.objects.filter(customer=customer, revoked_at__isnull=True)
    if keep_refresh_jti:
        tokens = tokens.exclude(jti=keep_refresh_jti)
    tokens.update(revoked_at=now)
    sessions = CustomerSession.objects.filter(customer=customer)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session_key in sessions.values_list("session_key", flat=True):
        store(session_key=session_key).delete()
    sessions.delete()
    customer_keys_invalidate(customer=customer)
    credentials_version_bump(customer=customer)


def credentials_version_bump(*, customer: Customer) -> int:
    """End the customer's access tokens issued so far, except those of live refresh tokens.

    One atomic increment; `customer` is updated too. Returns the new version.
    """
    Customer.objects.filter(pk=customer.pk).update(credentials_version=F("credentials_version") + 1)
    customer.refresh_from_db(fields=["credentials_version"])
    return customer.credentials_version
