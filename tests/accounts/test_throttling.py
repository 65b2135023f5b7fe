"""The login lockout: counters in a shared store, one account per normalised email (SPEC 3)."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.errors import LoginThrottled
from accounts.models import AuthCounter, SharedCacheEntry
from accounts.purging import tokens_purge
from accounts.throttling import (
    account_key,
    login_check_allowed,
    login_failures,
    login_record_failure,
    login_record_success,
)
from tests.storefront.conftest import JsonApiClient, errors

ACCOUNT = "DE:john.smith@example.com"
LOCKED = errors("429", 429, "Too many attempts. Try again later.")


@pytest.mark.django_db
def test_four_failures_leave_the_account_open():
    # given
    for expected in range(1, 5):
        assert login_record_failure(account=ACCOUNT) == expected

    # when / then: no error
    login_check_allowed(account=ACCOUNT)
    assert login_failures(account=ACCOUNT) == 4
    assert AuthCounter.objects.get().count == 4


@pytest.mark.django_db
def test_the_fifth_failure_locks_the_account_for_the_window():
    # given: AUTH_LOCKOUT_FAILURES is 5
    for _ in range(5):
        login_record_failure(account=ACCOUNT)

    # when
    with pytest.raises(LoginThrottled) as caught:
        login_check_allowed(account=ACCOUNT)

    # then
    assert 899 <= caught.value.retry_after <= 900
    counter = AuthCounter.objects.get()
    assert counter.count == 5
    remaining = (counter.expires_at - timezone.now()).total_seconds()
    assert 898 < remaining <= 900


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param("John.Smith@Example.COM", id="case_case"),
        pytest.param("  john.smith@example.com ", id="spaces_case"),
        pytest.param("john.smith@example.\uff43\uff4f\uff4d", id="fullwidth_domain_case"),
        pytest.param("\uff4aohn.smith@example.com", id="fullwidth_local_case"),
    ],
)
def test_variants_of_one_email_are_one_account(variant):
    assert account_key(f"DE:{variant}") == account_key(ACCOUNT)


def test_stores_and_staff_count_apart():
    assert len({account_key(ACCOUNT), account_key("AT:john.smith@example.com")}) == 2
    assert account_key("staff:John") == account_key("staff:john")


@pytest.mark.parametrize(
    "identifier",
    [
        pytest.param("\ud800@example.com", id="lone_surrogate_case"),
        pytest.param("a\x00b@example.com", id="nul_case"),
        pytest.param("not an email", id="not_an_email_case"),
    ],
)
def test_any_identifier_has_a_key(identifier):
    # when
    key = account_key(f"DE:{identifier}")

    # then: a SHA-256, never an error
    assert len(key) == 64
    assert key != account_key(ACCOUNT)


@pytest.mark.django_db
def test_variants_share_one_counter():
    # given
    login_record_failure(account="DE:JOHN.SMITH@example.com")
    login_record_failure(account="DE: john.smith@EXAMPLE.com")
    login_record_failure(account="DE:john.smith@example.\uff43\uff4f\uff4d")
    login_record_failure(account="DE:John.Smith@example.com")
    login_record_failure(account=ACCOUNT)

    # then
    assert AuthCounter.objects.count() == 1
    with pytest.raises(LoginThrottled):
        login_check_allowed(account="DE:john.smith@example.com")


@pytest.mark.django_db
def test_a_success_clears_the_count():
    # given
    for _ in range(4):
        login_record_failure(account=ACCOUNT)

    # when
    login_record_success(account=ACCOUNT)

    # then
    assert AuthCounter.objects.count() == 0
    assert login_record_failure(account=ACCOUNT) == 1


@pytest.mark.django_db
def test_an_expired_counter_starts_again_and_is_purged():
    # given: five failures whose window is over
    for _ in range(5):
        login_record_failure(account=ACCOUNT)
    AuthCounter.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    # when / then: no longer locked, and the next failure counts from one
    login_check_allowed(account=ACCOUNT)
    assert login_failures(account=ACCOUNT) == 0
    assert login_record_failure(account=ACCOUNT) == 1
    assert 899 < (AuthCounter.objects.get().expires_at - timezone.now()).total_seconds() <= 900

    # and: purge removes expired rows only
    login_record_failure(account="DE:other@example.com")
    AuthCounter.objects.filter(counter_key=account_key(ACCOUNT)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    result = tokens_purge()
    assert result.auth_counters == 1
    assert list(AuthCounter.objects.values_list("counter_key", flat=True)) == [
        account_key("DE:other@example.com")
    ]


def _redis_url() -> str:
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    return url


@pytest.mark.django_db
def test_the_redis_store_counts_the_same_way():
    # given: Redis configured, and an account nobody else uses
    url = _redis_url()
    account = f"DE:{uuid.uuid4().hex}@example.com"
    with override_settings(REDIS_URL=url):
        try:
            for expected in range(1, 5):
                assert login_record_failure(account=account) == expected
            login_check_allowed(account=account)

            # when
            assert login_record_failure(account=account.upper()) == 5

            # then
            with pytest.raises(LoginThrottled) as caught:
                login_check_allowed(account=account)
            assert 899 <= caught.value.retry_after <= 900
            assert login_failures(account=account) == 5
            assert AuthCounter.objects.count() == 0  # nothing in the database
        finally:
            login_record_success(account=account)
        assert login_failures(account=account) == 0


def test_production_settings_share_the_throttle_cache():
    # The per-IP throttles use the default cache: without REDIS_URL it is the database.
    from config.settings import base

    if base.REDIS_URL:
        assert base.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    else:
        assert base.CACHES["default"] == {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "accounts_cache",
            "OPTIONS": {"MAX_ENTRIES": 50_000, "CULL_FREQUENCY": 3},
        }


# --- Through the three login routes -------------------------------------------------------------


@pytest.fixture
def api_client():
    return JsonApiClient()


def storefront_login(client, username, password="wrong-pass"):
    return client.send(
        "post", "/access-tokens", "access-tokens", {"username": username, "password": password}
    )


def evershop_login(client, email, password="wrong-pass"):
    return client.post("/customer/login", {"email": email, "password": password}, format="json")


def test_the_count_is_shared_by_the_storefront_and_evershop_logins(api_client, customer):
    # given: three failures on the Storefront and two on EverShop, with variants of the email
    assert storefront_login(api_client, "John.Smith@example.com").status_code == 401
    assert storefront_login(api_client, " john.smith@example.com").status_code == 401
    assert storefront_login(api_client, "john.smith@example.\uff43\uff4f\uff4d").status_code == 401
    assert evershop_login(api_client, "JOHN.SMITH@EXAMPLE.COM").status_code == 401
    assert evershop_login(api_client, "john.smith@example.com").status_code == 401

    # when: the right password, on either route
    storefront = storefront_login(api_client, "john.smith@example.com", "change123")
    evershop = evershop_login(api_client, "john.smith@example.com", "change123")

    # then
    assert storefront.status_code == 429
    assert storefront.json() == LOCKED
    assert 899 <= int(storefront["Retry-After"]) <= 900
    assert evershop.status_code == 429
    assert evershop.json() == {
        "error": {"status": 429, "message": "Too many attempts. Try again later."}
    }
    assert AuthCounter.objects.get().count == 5


def test_staff_token_logins_are_locked_too(api_client, django_user_model):
    # given
    django_user_model.objects.create_user("clerk", password="right-pass-123", is_staff=True)
    for _ in range(5):
        response = api_client.post(
            "/api/auth/token", {"username": "Clerk", "password": "wrong"}, format="json"
        )
        assert response.status_code == 401

    # when
    response = api_client.post(
        "/api/auth/token", {"username": "clerk", "password": "right-pass-123"}, format="json"
    )

    # then
    assert response.status_code == 429
    assert response.json() == {
        "error": {"status": 429, "message": "Too many attempts. Try again later."}
    }


@pytest.mark.django_db
def test_purge_deletes_expired_cache_entries_and_old_task_results():
    # given
    now = timezone.now()
    SharedCacheEntry.objects.create(cache_key="live", value="x", expires=now + timedelta(minutes=1))
    SharedCacheEntry.objects.create(cache_key="dead", value="x", expires=now - timedelta(seconds=1))

    def task_result(status, finished_days_ago):
        return DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="accounts.notifications.deliver_customer_email",
            backend_name="default",
            run_after=now,
            status=status,
            finished_at=None
            if finished_days_ago is None
            else now - timedelta(days=finished_days_ago),
        )

    kept = [
        task_result(TaskResultStatus.READY, None),
        task_result(TaskResultStatus.SUCCESSFUL, 6),
    ]
    task_result(TaskResultStatus.SUCCESSFUL, 8)
    task_result(TaskResultStatus.FAILED, 8)

    # when
    result = tokens_purge(now=now)

    # then: TASK_RESULTS_KEEP_DAYS is 7
    assert (result.cache_entries, result.task_results) == (1, 2)
    assert list(SharedCacheEntry.objects.values_list("cache_key", flat=True)) == ["live"]
    assert set(DBTaskResult.objects.values_list("id", flat=True)) == {t.id for t in kept}


def test_forgotten_password_sends_at_most_the_limit_per_account(
    api_client, customer, django_capture_on_commit_callbacks
):
    # given: AUTH_LOCKOUT_FAILURES is 5; spellings of one email count as one account
    client = api_client
    spellings = [customer.email, customer.email.upper(), f" {customer.email}"] * 2

    # when
    for email in spellings:
        cache.clear()  # the per-IP throttle is not under test here
        with django_capture_on_commit_callbacks(execute=True):
            response = client.send(
                "post",
                "/customer-forgotten-password",
                "customer-forgotten-password",
                {"email": email},
            )
        assert response.status_code == 204

    # then: six identical answers, five emails
    assert [message.to for message in mail.outbox] == [[customer.email]] * 5
