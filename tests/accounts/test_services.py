"""accounts.services: one-time keys, password reset and change, confirmation (SPEC 1.4, 12)."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import (
    BCryptSHA256PasswordHasher,
    PBKDF2PasswordHasher,
    check_password,
    identify_hasher,
    make_password,
)
from django.core import mail
from django.utils import timezone

from accounts.errors import (
    CurrentPasswordWrong,
    EmailConfirmationKeyInvalid,
    PasswordMismatch,
    PasswordResetKeyInvalid,
)
from accounts.models import CustomerKey, CustomerRefreshToken, CustomerSession
from accounts.services import (
    customer_change_password,
    customer_register,
    email_confirm,
    key_issue,
    key_redeem,
    password_reset_complete,
    password_reset_request,
)
from customers.errors import TermsNotAccepted
from customers.models import Customer
from customers.services import customer_check_password
from tests.factories.customers import DEFAULT_PASSWORD, CustomerKeyFactory

RESET = CustomerKey.Purpose.PASSWORD_RESET
CONFIRM = CustomerKey.Purpose.CONFIRM_EMAIL
NEW_PASSWORD = "Blue-Harbour-42"


def refresh_token(customer: Customer, jti: str) -> CustomerRefreshToken:
    return CustomerRefreshToken.objects.create(
        customer=customer, jti=jti, expires_at=timezone.now() + timedelta(days=1)
    )


def session(customer: Customer, key: str) -> CustomerSession:
    return CustomerSession.objects.create(customer=customer, session_key=key)


def test_key_issue_stores_only_the_sha256(customer):
    # when
    raw = key_issue(customer=customer, purpose=RESET, lifetime=timedelta(minutes=60))

    # then
    key = CustomerKey.objects.get()
    assert len(raw) == 32
    assert int(raw, 16) >= 0
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(list(CustomerKey.objects.values_list()))
    assert (key.customer, key.purpose, key.used_at) == (customer, RESET, None)
    assert timedelta(minutes=59) < key.expires_at - timezone.now() <= timedelta(minutes=60)


def test_a_new_key_invalidates_older_keys_of_the_same_purpose(customer):
    # given
    old = key_issue(customer=customer, purpose=RESET, lifetime=timedelta(hours=1))
    confirmation = key_issue(customer=customer, purpose=CONFIRM, lifetime=timedelta(hours=1))

    # when
    new = key_issue(customer=customer, purpose=RESET, lifetime=timedelta(hours=1))

    # then
    with pytest.raises(PasswordResetKeyInvalid):
        key_redeem(raw_key=old, purpose=RESET)
    assert key_redeem(raw_key=new, purpose=RESET) == customer
    assert key_redeem(raw_key=confirmation, purpose=CONFIRM) == customer


def test_key_redeem_is_single_use(customer):
    # given
    raw = key_issue(customer=customer, purpose=RESET, lifetime=timedelta(hours=1))
    key_redeem(raw_key=raw, purpose=RESET)

    # when / then
    with pytest.raises(PasswordResetKeyInvalid):
        key_redeem(raw_key=raw, purpose=RESET)
    assert CustomerKey.objects.get().used_at is not None


def test_expired_key_is_refused(customer):
    # given
    CustomerKeyFactory(
        customer=customer, raw_key="a" * 32, expires_at=timezone.now() - timedelta(seconds=1)
    )

    # when / then
    with pytest.raises(PasswordResetKeyInvalid):
        key_redeem(raw_key="a" * 32, purpose=RESET)
    assert CustomerKey.objects.get().used_at is None


@pytest.mark.parametrize(
    ("issued", "redeemed", "error_class"),
    [
        pytest.param(RESET, CONFIRM, EmailConfirmationKeyInvalid, id="reset_as_confirm_case"),
        pytest.param(CONFIRM, RESET, PasswordResetKeyInvalid, id="confirm_as_reset_case"),
    ],
)
def test_key_of_another_purpose_is_refused(customer, issued, redeemed, error_class):
    # given
    raw = key_issue(customer=customer, purpose=issued, lifetime=timedelta(hours=1))

    # when / then
    with pytest.raises(error_class):
        key_redeem(raw_key=raw, purpose=redeemed)
    assert CustomerKey.objects.get().used_at is None


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty_case"),
        pytest.param("f" * 32, id="unknown_case"),
        pytest.param(None, id="null_case"),
    ],
)
def test_unknown_key_is_refused(customer, raw):
    # when / then
    with pytest.raises(PasswordResetKeyInvalid):
        key_redeem(raw_key=raw, purpose=RESET)


def test_password_reset_complete_changes_password_revokes_and_emails(
    customer, django_capture_on_commit_callbacks
):
    # given
    raw = key_issue(customer=customer, purpose=RESET, lifetime=timedelta(hours=1))
    token = refresh_token(customer, "jti-1")
    session(customer, "session-key-1")

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        password_reset_complete(raw_key=raw, password=NEW_PASSWORD, confirmation=NEW_PASSWORD)

    # then
    customer.refresh_from_db()
    assert check_password(NEW_PASSWORD, customer.password)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert CustomerSession.objects.count() == 0
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["john.smith@example.com"]]
    with pytest.raises(PasswordResetKeyInvalid):
        key_redeem(raw_key=raw, purpose=RESET)


def test_password_reset_complete_sends_nothing_before_commit(
    customer, django_capture_on_commit_callbacks
):
    # given
    raw = key_issue(customer=customer, purpose=RESET, lifetime=timedelta(hours=1))

    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        password_reset_complete(raw_key=raw, password=NEW_PASSWORD)

    # then
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_password_reset_complete_with_mismatch_changes_nothing(customer):
    # given
    raw = key_issue(customer=customer, purpose=RESET, lifetime=timedelta(hours=1))
    before = Customer.objects.get(pk=customer.pk).password

    # when
    with pytest.raises(PasswordMismatch):
        password_reset_complete(raw_key=raw, password=NEW_PASSWORD, confirmation="other-one-99")

    # then
    assert Customer.objects.get(pk=customer.pk).password == before
    assert CustomerKey.objects.get().used_at is None


def test_password_reset_request_is_silent_for_an_unknown_email(
    store, customer, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = password_reset_request(store=store, email="nobody@example.com")

    # then
    assert result is None
    assert mail.outbox == []
    assert CustomerKey.objects.count() == 0


def test_password_reset_request_sends_a_key_for_a_known_email(
    store, customer, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        password_reset_request(store=store, email="JOHN.SMITH@example.com")

    # then
    key = CustomerKey.objects.get()
    assert (key.customer, key.purpose) == (customer, RESET)
    assert [m.to for m in mail.outbox] == [["john.smith@example.com"]]
    body = mail.outbox[0].body
    raw = body.split("token=")[1][:32]
    assert hashlib.sha256(raw.encode()).hexdigest() == key.key_hash


def test_change_password_keeps_the_callers_token_and_session(
    customer, django_capture_on_commit_callbacks
):
    # given
    mine = refresh_token(customer, "jti-mine")
    other = refresh_token(customer, "jti-other")
    session(customer, "session-mine")
    session(customer, "session-other")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        customer_change_password(
            customer=customer,
            current_password=DEFAULT_PASSWORD,
            new_password=NEW_PASSWORD,
            confirmation=NEW_PASSWORD,
            keep_refresh_jti="jti-mine",
            keep_session_key="session-mine",
        )

    # then
    assert check_password(NEW_PASSWORD, Customer.objects.get(pk=customer.pk).password)
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.revoked_at, other.revoked_at is not None) == (None, True)
    assert list(CustomerSession.objects.values_list("session_key", flat=True)) == ["session-mine"]
    assert len(mail.outbox) == 1


def test_change_password_with_a_wrong_current_password_changes_nothing(customer):
    # given
    token = refresh_token(customer, "jti-1")
    before = Customer.objects.get(pk=customer.pk).password

    # when
    with pytest.raises(CurrentPasswordWrong):
        customer_change_password(
            customer=customer, current_password="wrong-password", new_password=NEW_PASSWORD
        )

    # then
    assert Customer.objects.get(pk=customer.pk).password == before
    token.refresh_from_db()
    assert token.revoked_at is None


def test_email_confirm_sets_email_verified_at(customer):
    # given
    Customer.objects.filter(pk=customer.pk).update(email_verified_at=None)
    raw = key_issue(customer=customer, purpose=CONFIRM, lifetime=timedelta(days=7))
    before = timezone.now()

    # when
    email_confirm(raw_key=raw)

    # then
    verified = Customer.objects.get(pk=customer.pk).email_verified_at
    assert before <= verified <= timezone.now()
    with pytest.raises(EmailConfirmationKeyInvalid):
        email_confirm(raw_key=raw)


def test_check_password_upgrades_an_old_pbkdf2_hash(customer):
    # given
    old_hash = PBKDF2PasswordHasher().encode("imported-secret", "saltsalt", iterations=1000)
    Customer.objects.filter(pk=customer.pk).update(password=old_hash)
    customer.refresh_from_db()
    preferred = identify_hasher(make_password("x")).algorithm

    # when
    ok = customer_check_password(customer=customer, password="imported-secret")

    # then
    stored = Customer.objects.get(pk=customer.pk).password
    assert ok is True
    assert identify_hasher(stored).algorithm == preferred
    assert check_password("imported-secret", stored)


def test_check_password_with_a_wrong_password_keeps_the_hash(customer):
    # given
    old_hash = PBKDF2PasswordHasher().encode("imported-secret", "saltsalt", iterations=1000)
    Customer.objects.filter(pk=customer.pk).update(password=old_hash)
    customer.refresh_from_db()

    # when
    ok = customer_check_password(customer=customer, password="wrong")

    # then
    assert ok is False
    assert Customer.objects.get(pk=customer.pk).password == old_hash


def test_check_password_verifies_an_imported_bcrypt_hash(customer):
    # given
    hasher = BCryptSHA256PasswordHasher()
    hasher.rounds = 4  # cheap for the test; the hash carries its own cost
    Customer.objects.filter(pk=customer.pk).update(
        password=hasher.encode("imported-secret", hasher.salt())
    )
    customer.refresh_from_db()

    # when
    ok = customer_check_password(customer=customer, password="imported-secret")

    # then
    assert ok is True
    assert check_password("imported-secret", Customer.objects.get(pk=customer.pk).password)


@pytest.mark.parametrize("accepted_terms", [None, False, "true", 1])
def test_register_with_required_terms_refuses_anything_but_true(store, accepted_terms):
    # when
    with pytest.raises(TermsNotAccepted) as raised:
        customer_register(
            store=store,
            email="new@example.com",
            password="Correct-Horse-9",
            accepted_terms=accepted_terms,
            require_terms=True,
        )

    # then
    assert raised.value.field == "accepted_terms"
    assert Customer.objects.count() == 0
    assert mail.outbox == []


def test_register_with_required_terms_records_the_acceptance(
    store, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        customer = customer_register(
            store=store,
            email="new@example.com",
            password="Correct-Horse-9",
            accepted_terms=True,
            require_terms=True,
        )

    # then
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.state, stored.accepted_terms_at is not None) == ("enabled", True)


def test_register_without_required_terms_skips_a_missing_answer(store):
    # when
    customer = customer_register(store=store, email="new@example.com", password="Correct-Horse-9")

    # then
    assert Customer.objects.get(pk=customer.pk).accepted_terms_at is None
