"""Timing says nothing about whether an email exists (SPEC 3, 12).

Statistical tests: many requests, known and unknown emails interleaved so that drift in the
machine's load hits both alike, medians compared with a tolerance (a quarter of the faster
median: a request that does extra work for a known email took 60% to 250% longer here).
The queue is the database one of production, so the request does what it does there.
"""

import gc
import statistics
import time

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import cache
from django.test import override_settings

from accounts.services import _dummy_hash
from tests.storefront.conftest import JsonApiClient

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TRIES = 150


def _timed(send) -> float:
    cache.clear()  # the per-IP throttle would answer 429 after ten tries
    start = time.perf_counter()
    response = send()
    elapsed = time.perf_counter() - start
    assert response.status_code in (201, 204, 401), response.content
    return elapsed


def _medians(send_known, send_unknown) -> tuple[float, float]:
    known, unknown = [], []
    for _ in range(5):  # warm up caches, templates, hashers
        send_known()
        send_unknown()
    gc.disable()  # a collection landing in one series only would look like a difference
    try:
        for number in range(TRIES):
            if number % 2:
                known.append(_timed(send_known))
                unknown.append(_timed(send_unknown))
            else:
                unknown.append(_timed(send_unknown))
                known.append(_timed(send_known))
    finally:
        gc.enable()
    return statistics.median(known), statistics.median(unknown)


def _alike(known: float, unknown: float, *, relative: float) -> bool:
    # within `relative` of each other, and never more than a tenth of a millisecond apart in
    # absolute terms below that (timer noise on a busy machine)
    return abs(known - unknown) <= max(relative * min(known, unknown), 0.0001)


def _assert_alike(send_known, send_unknown, *, relative: float, rounds: int = 3) -> None:
    """Medians alike in one of `rounds` measurements.

    A burst of load from another process can skew one round; a request that does more
    work for a known email is slower in every round (60% to 250% here), so it still fails.
    """
    measured = []
    for _ in range(rounds):
        known, unknown = _medians(send_known, send_unknown)
        if _alike(known, unknown, relative=relative):
            return
        measured.append(f"known {known * 1000:.3f} ms, unknown {unknown * 1000:.3f} ms")
    raise AssertionError("; ".join(measured))


@override_settings(TASKS=DATABASE_QUEUE)
def test_forgotten_password_takes_the_same_time_for_known_and_unknown_emails(customer):
    client = JsonApiClient()

    def forgotten(email):
        return lambda: client.send(
            "post",
            "/customer-forgotten-password",
            "customer-forgotten-password",
            {"email": email},
        )

    # when / then
    _assert_alike(forgotten(customer.email), forgotten("nobody@example.com"), relative=0.25)


class CostlyHasher(PBKDF2PasswordHasher):
    """A hash that costs milliseconds, as a real one does, so a skipped check would show."""

    algorithm = "pbkdf2_sha256_timing"
    iterations = 20_000


@override_settings(
    TASKS=DATABASE_QUEUE,
    AUTH_LOCKOUT_FAILURES=1_000_000,
    PASSWORD_HASHERS=["tests.accounts.test_timing.CostlyHasher"],
)
def test_a_failed_login_takes_the_same_time_for_known_and_unknown_emails(customer):
    # given: a password hashed at a real cost, and the lockout out of the way (its counter is
    # written on both paths alike)
    _dummy_hash.cache_clear()
    customer.set_password("change123")
    customer.save(update_fields=["password"])
    client = JsonApiClient()

    def login(email):
        return lambda: client.send(
            "post",
            "/access-tokens",
            "access-tokens",
            {"username": email, "password": "wrong-password"},
        )

    # when: a wrong password for a customer, and any password for nobody
    # then: the unknown email is checked against a dummy hash of the same hasher
    try:
        _assert_alike(login(customer.email), login("nobody@example.com"), relative=0.25)
    finally:
        _dummy_hash.cache_clear()
