"""Credentials: one-time keys, password resets and changes, registration and login (SPEC 1.4).

Revocation lives in `accounts.credentials`, which the customer services call too.

Keys are 128-bit random values shown once in an email; only their SHA-256 is stored.
"""

import secrets
from datetime import timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings

from accounts import notifications
from accounts.credentials import customer_keys_invalidate, hash_key
from accounts.errors import (
    CurrentPasswordWrong,
    EmailConfirmationKeyInvalid,
    InvalidCredentials,
    PasswordMismatch,
    PasswordResetKeyInvalid,
    RefreshTokenInvalid,
)
from accounts.models import CustomerKey
from accounts.throttling import login_check_allowed, login_record_failure, login_record_success
from accounts.tokens import PRINCIPAL_CLAIM, STAFF, StaffRefreshToken, customer_may_act
from customers.errors import CustomerNotFound, EmailAlreadyUsed, TermsNotAccepted
from customers.lock_objects import customer_lock
from customers.models import Customer, Store
from customers.selectors import customer_get_by_email
from customers.services import (
    customer_check_password,
    customer_create,
    customer_record_login,
    customer_update,
)
from customers.validation import lookup_text_ok
from customers.webhooks import services as events

EMAIL_CONFIRMATION_TIMEOUT = timedelta(days=7)
_KEY_ERRORS = {
    CustomerKey.Purpose.PASSWORD_RESET: PasswordResetKeyInvalid,
    CustomerKey.Purpose.CONFIRM_EMAIL: EmailConfirmationKeyInvalid,
}


def key_issue(*, customer: Customer, purpose: str, lifetime: timedelta) -> str:
    """Create a key for `purpose`, invalidating older ones; return the raw key (never stored)."""
    customer_keys_invalidate(customer=customer, purpose=purpose)
    raw_key = secrets.token_hex(16)
    CustomerKey.objects.create(
        customer=customer,
        purpose=purpose,
        key_hash=hash_key(raw_key),
        expires_at=timezone.now() + lifetime,
    )
    return raw_key


def key_redeem(*, raw_key: str, purpose: str) -> Customer:
    """Use up a live key and return its customer.

    Raises:
        PasswordResetKeyInvalid, EmailConfirmationKeyInvalid: unknown, used or expired key.
    """
    error_class = _KEY_ERRORS[purpose]
    if not isinstance(raw_key, str) or not raw_key:
        raise error_class()
    key = (
        CustomerKey.objects.select_for_update()
        .select_related("customer")
        .filter(key_hash=hash_key(raw_key), purpose=purpose)
        .first()
    )
    customer = key.customer if key else None
    if (
        key is None
        or not key.is_live
        or customer.deleted_at is not None
        or customer.anonymized_at is not None
    ):
        raise error_class()
    key.used_at = timezone.now()
    key.save(update_fields=["used_at"])
    return customer


# --- Email confirmation ------------------------------------------------------------------------


def email_confirmation_send(*, customer: Customer) -> None:
    """Queue the confirmation email; its task issues the key when it sends.

    No raw key waits in the task queue (or in its results, which the admin shows): only the
    task that renders the email ever holds one.
    """
    notifications.send_email_confirmation(customer=customer)


@transaction.atomic
def email_confirm(*, raw_key: str) -> Customer:
    """Redeem a confirmation key: the customer's email is verified from now on.

    Raises:
        EmailConfirmationKeyInvalid: unknown, used or expired key.
    """
    customer = key_redeem(raw_key=raw_key, purpose=CustomerKey.Purpose.CONFIRM_EMAIL)
    if customer.email_verified_at is None:
        customer.email_verified_at = timezone.now()
        customer.save(update_fields=["email_verified_at", "updated_at"])
        events.event_record(type="customer.email_confirmed", customer=customer)
    return customer


# --- Password reset and change ----------------------------------------------------------------


@transaction.atomic
def password_reset_send(*, customer: Customer) -> None:
    """Queue a reset email; its task issues the key (older ones die then) when it sends.

    No raw key waits in the task queue: only the task that renders the email holds one.

    Raises:
        CustomerNotFound: the customer is soft-deleted or anonymized (no one to write to).
    """
    if customer.deleted_at is not None or customer.anonymized_at is not None:
        raise CustomerNotFound()
    notifications.send_password_reset(customer=customer)
    events.event_record(type="customer.password_reset_requested", customer=customer)


def password_reset_request(*, store: Store, email: str) -> None:
    """Send a reset email if `email` names a live customer of `store`; silent otherwise.

    Callers answer the same way either way, so the response never tells whether the email
    exists (SPEC 12).
    """
    customer = customer_get_by_email(store=store, email=email)
    if customer is None or customer.anonymized_at is not None:
        return
    password_reset_send(customer=customer)


def _check_confirmation(password: str, confirmation: str | None) -> None:
    if confirmation is not None and password != confirmation:
        raise PasswordMismatch(field="confirm_password")


@transaction.atomic
def password_reset_complete(
    *, raw_key: str, password: str, confirmation: str | None = None
) -> Customer:
    """Set a new password with a reset key; every other credential of the customer dies.

    Raises:
        PasswordMismatch: `password` and `confirmation` differ.
        PasswordResetKeyInvalid: unknown, used or expired key.
        ValidationError: the password breaks the password rules.
    """
    _check_confirmation(password, confirmation)
    customer = key_redeem(raw_key=raw_key, purpose=CustomerKey.Purpose.PASSWORD_RESET)
    customer = customer_update(customer=customer, password=password)
    notifications.send_password_changed(customer=customer)
    return customer


@transaction.atomic
def customer_change_password(
    *,
    customer: Customer,
    current_password: str,
    new_password: str,
    confirmation: str | None = None,
    keep_refresh_jti: str | None = None,
    keep_session_key: str | None = None,
) -> Customer:
    """Change the password after checking the current one; other sessions are signed out.

    Raises:
        CurrentPasswordWrong: `current_password` does not match.
        PasswordMismatch: `new_password` and `confirmation` differ.
        ValidationError: the new password breaks the password rules.
    """
    customer = customer_lock(customer=customer)
    if not customer_check_password(customer=customer, password=current_password or ""):
        raise CurrentPasswordWrong(field="password")
    _check_confirmation(new_password, confirmation)
    customer = customer_update(
        customer=customer,
        password=new_password,
        keep_refresh_jti=keep_refresh_jti,
        keep_session_key=keep_session_key,
    )
    notifications.send_password_changed(customer=customer)
    return customer


# --- Registration and login -------------------------------------------------------------------


def customer_register(
    *,
    store: Store,
    password: str,
    accepted_terms: bool | None = None,
    require_terms: bool = False,
    confirmation: str | None = None,
    **fields: Any,
) -> Customer:
    """Self-registration: an enabled customer, sent a confirmation email after commit.

    An email that already has an account gets the registration refused and its owner a
    password-reset link (SPEC 4: the Storefront's answer promises it, without saying
    whether the account exists). The link is queued outside the registration's transaction,
    which rolls back; the worker looks the email up, as for a forgotten password.

    With `REQUIRE_EMAIL_CONFIRMATION` the customer cannot log in before confirming.

    With `require_terms` (a dialect that asks for the terms: Storefront) `accepted_terms`
    must be exactly `True`, a missing answer included; without it, an answer given is still
    checked and a missing one skips the check.

    Raises:
        TermsNotAccepted: the terms are required, or answered, and not exactly `True`.
        PasswordMismatch: `password` and `confirmation` differ.
        ValidationError, EmailAlreadyUsed, PhoneAlreadyUsed: as `customer_create`.
    """
    try:
        return _customer_register(
            store=store,
            password=password,
            accepted_terms=accepted_terms,
            require_terms=require_terms,
            confirmation=confirmation,
            **fields,
        )
    except EmailAlreadyUsed:
        notifications.password_reset_request_enqueue(store=store, email=fields["email"])
        raise


@transaction.atomic
def _customer_register(
    *,
    store: Store,
    password: str,
    accepted_terms: bool | None,
    require_terms: bool,
    confirmation: str | None,
    **fields: Any,
) -> Customer:
    if (require_terms or accepted_terms is not None) and accepted_terms is not True:
        raise TermsNotAccepted(field="accepted_terms")
    if password is not None:
        _check_confirmation(password, confirmation)
    now = timezone.now()
    customer = customer_create(
        store=store,
        password=password,
        state=Customer.State.ENABLED,
        accepted_terms_at=now if accepted_terms else None,
        **fields,
    )
    Customer.objects.filter(pk=customer.pk).update(self_registered=True)
    customer.self_registered = True
    email_confirmation_send(customer=customer)
    return customer


@cache
def _dummy_hash() -> str:
    return make_password("not-a-real-password-only-for-timing")


def customer_may_log_in(customer: Customer) -> bool:
    """Enabled, live, and confirmed when confirmation is required of this customer."""
    if not customer_may_act(customer):
        return False
    unconfirmed = customer.self_registered and customer.email_verified_at is None
    return not (settings.REQUIRE_EMAIL_CONFIRMATION and unconfirmed)


def customer_login(*, store: Store, email: str, password: str) -> Customer:
    """Check a customer's email and password; every failure looks and takes the same.

    Raises:
        LoginThrottled: the account is locked after too many failures (SPEC 3).
        InvalidCredentials: unknown email, wrong password, or a customer who may not log in.
    """
    account = f"{store.code}:{email if isinstance(email, str) else ''}"
    login_check_allowed(account=account)
    if not lookup_text_ok(password):
        # NUL or a lone surrogate: no stored password has it, and no hasher can encode it.
        password = ""
    customer = customer_get_by_email(store=store, email=email)
    if customer is None or not customer.has_usable_password():
        # Spend the time a real check takes, so timing does not reveal the email.
        check_password(password or "", _dummy_hash())
        ok = False
    else:
        ok = customer_check_password(customer=customer, password=password or "")
    if not ok or not customer_may_log_in(customer):
        login_record_failure(account=account)
        raise InvalidCredentials()
    login_record_success(account=account)
    customer_record_login(customer=customer)
    return customer


def staff_login(*, username: str, password: str):
    """Check a staff user's credentials (Admin API tokens), with the same lockout as customers.

    Raises:
        LoginThrottled: the account is locked after too many failures (SPEC 3).
        InvalidCredentials: unknown user, wrong password, inactive or non-staff user.
    """
    account = f"staff:{username if isinstance(username, str) else ''}"
    login_check_allowed(account=account)
    # Django's ModelBackend hashes the password for unknown users too (timing).
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active or not user.is_staff:
        login_record_failure(account=account)
        raise InvalidCredentials()
    login_record_success(account=account)
    return user


@transaction.atomic
def staff_tokens_refresh(*, raw_refresh: str) -> tuple[str, str]:
    """Trade a live staff refresh token for a new (access, refresh) pair; the old one dies.

    Raises:
        RefreshTokenInvalid: malformed, expired, blacklisted or customer token, or a user who
            is no longer an active staff member.
    """
    try:
        refresh = StaffRefreshToken(raw_refresh)
    except (TokenError, TypeError):
        raise RefreshTokenInvalid() from None
    # Customer refresh tokens are signed with the same key: only staff ones are accepted here.
    if refresh.get(PRINCIPAL_CLAIM) != STAFF:
        raise RefreshTokenInvalid()
    user_id = refresh.get(api_settings.USER_ID_CLAIM)
    user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
    if user is None or not user.is_active or not user.is_staff:
        raise RefreshTokenInvalid()
    _, created = refresh.blacklist()
    if not created:  # a concurrent refresh with the same token won
        raise RefreshTokenInvalid()
    new_refresh = StaffRefreshToken.for_user(user)
    return str(new_refresh.access_token), str(new_refresh)
