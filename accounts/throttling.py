"""Brute-force protection for logins: failure counters per account in a shared store.

After `AUTH_LOCKOUT_FAILURES` failed logins for one account within `AUTH_LOCKOUT_WINDOW`,
that account's logins are refused for the same window from the last counted failure
(SPEC 3), whatever the password. The state is shared by every process and server: Redis when
`REDIS_URL` is set (one atomic script per failure), the database otherwise (one atomic
upsert per failure); never one process's memory, or a lockout would need all its failures
to land on the same worker.

The account key is the normalised email (`customers.emails`), so case, surrounding spaces
and Unicode variants of one address count as one account, on every login route of every
dialect. The per-IP rate (`AUTH_THROTTLE_RATE`) is a DRF throttle on the login views; it
keeps its state in the default cache, which the settings make shared as well.
"""

import hashlib
import math
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.errors import LoginThrottled
from accounts.models import AuthCounter
from customers.emails import email_account_key

_REDIS_PREFIX = "clientele:auth-failures:"

# KEYS[1] the counter; ARGV[1] the window in seconds; ARGV[2] the limit. The first failure
# opens the window and the failure that reaches the limit restarts it: the lock lasts one
# full window from that failure.
_REDIS_FAILURE_SCRIPT = """
local failures = redis.call('INCR', KEYS[1])
if failures == 1 or failures == tonumber(ARGV[2]) then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return failures
"""


def account_key(account: str) -> str:
    """The stored key of an account identifier such as `DE:someone@example.com`.

    The part before the first colon is the scope (a store code, or `staff`); the rest is
    normalised as an email. The result is a SHA-256, so no address sits in the store.
    """
    scope, _, identifier = (account if isinstance(account, str) else "").partition(":")
    folded = f"{scope}:{email_account_key(identifier)}"
    # A lone surrogate must not crash the login: encode it rather than refuse it here.
    return hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()


def _window() -> timedelta:
    return settings.AUTH_LOCKOUT_WINDOW


def _limit() -> int:
    return settings.AUTH_LOCKOUT_FAILURES


# --- Redis store --------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _redis(url: str):
    return redis.Redis.from_url(url)


def _redis_state(key: str) -> tuple[int, float]:
    client = _redis(settings.REDIS_URL)
    with client.pipeline(transaction=True) as pipe:
        pipe.get(_REDIS_PREFIX + key)
        pipe.pttl(_REDIS_PREFIX + key)
        count, ttl_ms = pipe.execute()
    if count is None or ttl_ms is None or ttl_ms <= 0:
        return 0, 0.0
    return int(count), ttl_ms / 1000


def _redis_increment(key: str) -> int:
    client = _redis(settings.REDIS_URL)
    window = int(_window().total_seconds())
    return int(client.eval(_REDIS_FAILURE_SCRIPT, 1, _REDIS_PREFIX + key, window, _limit()))


def _redis_reset(key: str) -> None:
    _redis(settings.REDIS_URL).delete(_REDIS_PREFIX + key)


# --- Database store -----------------------------------------------------------------------------


def _as_datetime(value: object) -> datetime:
    if isinstance(value, str):  # SQLite returns datetimes as text
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def _database_state(key: str) -> tuple[int, float]:
    now = timezone.now()
    row = (
        AuthCounter.objects.filter(counter_key=key, expires_at__gt=now)
        .values_list("count", "expires_at")
        .first()
    )
    if row is None:
        return 0, 0.0
    return row[0], (row[1] - now).total_seconds()


def _database_increment(key: str) -> int:
    """One statement, atomic on PostgreSQL and SQLite: insert, or count one more failure.

    An expired row starts again at 1; the failure that reaches the limit restarts the window.
    """
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(AuthCounter._meta.db_table)
    sql = (
        f"INSERT INTO {table} (counter_key, count, expires_at) VALUES (%s, 1, %s) "
        "ON CONFLICT (counter_key) DO UPDATE SET "
        f"count = CASE WHEN {table}.expires_at <= %s THEN 1 ELSE {table}.count + 1 END, "
        f"expires_at = CASE WHEN {table}.expires_at <= %s THEN excluded.expires_at "
        f"WHEN {table}.count + 1 >= %s THEN excluded.expires_at "
        f"ELSE {table}.expires_at END "
        "RETURNING count"
    )
    params = [key, adapt(now + _window()), adapt(now), adapt(now), _limit()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (count,) = cursor.fetchone()
    return int(count)


def _database_reset(key: str) -> None:
    AuthCounter.objects.filter(counter_key=key).delete()


def _use_redis() -> bool:
    return bool(settings.REDIS_URL)


# --- The lockout --------------------------------------------------------------------------------


def login_failures(*, account: str) -> int:
    """Failures counted for the account in the current window (0 when none or expired)."""
    key = account_key(account)
    count, _ = _redis_state(key) if _use_redis() else _database_state(key)
    return count


def login_check_allowed(*, account: str) -> None:
    """Raises: LoginThrottled while the account is locked, with the seconds left."""
    key = account_key(account)
    count, remaining = _redis_state(key) if _use_redis() else _database_state(key)
    if count >= _limit():
        raise LoginThrottled(retry_after=max(math.ceil(remaining), 1))


def attempt_record(*, account: str) -> int:
    """Count one attempt for `account` in the shared store; returns the count in the window.

    The attempt that reaches `AUTH_LOCKOUT_FAILURES` restarts the window.
    """
    key = account_key(account)
    return _redis_increment(key) if _use_redis() else _database_increment(key)


def login_record_failure(*, account: str) -> int:
    """Count a failed login; the failure that reaches the limit locks the account.

    Returns the failures counted in the current window.
    """
    return attempt_record(account=account)


def login_record_success(*, account: str) -> None:
    key = account_key(account)
    if _use_redis():
        _redis_reset(key)
    else:
        _database_reset(key)


def counters_purge(*, now: datetime | None = None) -> int:
    """Delete expired counter rows of the database store; returns how many."""
    deleted, _ = AuthCounter.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
