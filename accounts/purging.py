"""Removing credentials that can never be used again: spent keys and dead refresh tokens.

Expired login-failure counters and expired entries of the database cache go too (either
already counts as absent), and so do finished background tasks older than
`TASK_RESULTS_KEEP_DAYS`: their arguments name email addresses, kept no longer than needed.

Nothing here revokes anything: a key or token is deleted only when it is already unusable,
so deleting it changes no answer the APIs give.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import CustomerKey, CustomerRefreshToken, SharedCacheEntry
from accounts.throttling import counters_purge


@dataclass(frozen=True)
class PurgeResult:
    keys: int
    refresh_tokens: int
    staff_tokens: int
    auth_counters: int = 0
    cache_entries: int = 0
    task_results: int = 0


@transaction.atomic
def tokens_purge(*, now: datetime | None = None) -> PurgeResult:
    """Delete spent keys, dead customer refresh tokens, expired staff ones and login counters.

    A revoked customer refresh token can go at once: refreshing looks the token up by `jti`
    among the unrevoked, so a missing row is refused just as a revoked one. Staff tokens
    are simplejwt's: a blacklisted one must stay until it expires, because deleting its
    outstanding row would also delete the blacklist entry that keeps it dead.
    """
    now = now or timezone.now()
    keys, _ = CustomerKey.objects.filter(Q(used_at__isnull=False) | Q(expires_at__lte=now)).delete()
    refresh_tokens, _ = CustomerRefreshToken.objects.filter(
        Q(revoked_at__isnull=False) | Q(expires_at__lte=now)
    ).delete()
    expired_staff = OutstandingToken.objects.filter(expires_at__lte=now)
    staff_tokens = expired_staff.count()
    expired_staff.delete()
    return PurgeResult(
        keys=keys,
        refresh_tokens=refresh_tokens,
        staff_tokens=staff_tokens,
        auth_counters=counters_purge(now=now),
        cache_entries=SharedCacheEntry.objects.filter(expires__lte=now).delete()[0],
        task_results=DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
            finished_at__lte=now - timedelta(days=settings.TASK_RESULTS_KEEP_DAYS),
        ).delete()[0],
    )
