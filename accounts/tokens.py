"""JSON Web Tokens for the two kinds of principal: customers and staff users.

Both are simplejwt tokens signed with the same key; the `principal` claim says which kind a
token carries, and each authentication class refuses the other kind (SPEC 3). Customer
refresh tokens are also tracked by `jti` in `CustomerRefreshToken`, so that they rotate
(single use) and can be revoked (SPEC 1.4).

Access tokens die with the credentials they came with (SPEC 12). A customer access token
carries the customer's `credentials_version`, which every revocation bumps. The check is
free while the versions match (the request loads the customer anyway); a token older than a
bump stays good only while the refresh token it was issued with is live, which costs one
lookup and keeps the session that made a password change working while every other one
dies.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken, Token

from accounts.credentials import credentials_version_bump
from accounts.errors import RefreshTokenInvalid
from accounts.models import CustomerRefreshToken
from customers.models import Customer

PRINCIPAL_CLAIM = "principal"
CUSTOMER = "customer"
STAFF = "staff"
CUSTOMER_CLAIM = "customer_uuid"
# The access token names the refresh token issued with it, so that a password change made
# with it can keep that one refresh token alive (SPEC 12).
REFRESH_JTI_CLAIM = "refresh_jti"
CREDENTIALS_VERSION_CLAIM = "cv"


class CustomerAccessToken(Token):
    token_type = "access"
    lifetime = settings.CUSTOMER_ACCESS_TOKEN_LIFETIME


class CustomerRefreshJWT(Token):
    token_type = "refresh"
    lifetime = settings.CUSTOMER_REFRESH_TOKEN_LIFETIME


class StaffRefreshToken(RefreshToken):
    """simplejwt's refresh token (blacklisted after rotation) marked as staff."""

    @classmethod
    def for_user(cls, user):
        token = super().for_user(user)
        token[PRINCIPAL_CLAIM] = STAFF
        return token


@dataclass(frozen=True)
class CustomerTokenPair:
    access: str
    refresh: str
    expires_in: int  # seconds the access token lives
    refresh_expires_in: int


def _issue(customer: Customer) -> CustomerTokenPair:
    refresh = CustomerRefreshJWT()
    refresh[PRINCIPAL_CLAIM] = CUSTOMER
    refresh[CUSTOMER_CLAIM] = str(customer.uuid)
    access = CustomerAccessToken()
    access[PRINCIPAL_CLAIM] = CUSTOMER
    access[CUSTOMER_CLAIM] = str(customer.uuid)
    access[REFRESH_JTI_CLAIM] = refresh["jti"]
    access[CREDENTIALS_VERSION_CLAIM] = customer.credentials_version
    CustomerRefreshToken.objects.create(
        customer=customer,
        jti=refresh["jti"],
        expires_at=datetime.fromtimestamp(refresh["exp"], tz=UTC),
    )
    return CustomerTokenPair(
        access=str(access),
        refresh=str(refresh),
        expires_in=int(CustomerAccessToken.lifetime.total_seconds()),
        refresh_expires_in=int(CustomerRefreshJWT.lifetime.total_seconds()),
    )


def customer_tokens_issue(*, customer: Customer) -> CustomerTokenPair:
    """A new access/refresh pair for a customer who just logged in."""
    return _issue(customer)


def _decode_refresh(raw: str) -> CustomerRefreshJWT:
    try:
        token = CustomerRefreshJWT(raw)
    except (TokenError, TypeError, UnicodeError):  # a lone surrogate cannot be encoded
        raise RefreshTokenInvalid() from None
    if token.get(PRINCIPAL_CLAIM) != CUSTOMER:
        raise RefreshTokenInvalid()
    return token


@transaction.atomic
def customer_tokens_refresh(*, raw_refresh: str) -> CustomerTokenPair:
    """Trade a live refresh token for a new pair; the old refresh token dies (rotation).

    Raises:
        RefreshTokenInvalid: malformed, expired, revoked or already used token, or a customer
            who may no longer log in.
    """
    token = _decode_refresh(raw_refresh)
    record = (
        CustomerRefreshToken.objects.select_for_update()
        .select_related("customer")
        .filter(jti=token["jti"], revoked_at__isnull=True)
        .first()
    )
    if record is None or not customer_may_act(record.customer):
        raise RefreshTokenInvalid()
    record.revoked_at = timezone.now()
    record.save(update_fields=["revoked_at"])
    return _issue(record.customer)


def customer_refresh_revoke(*, customer: Customer, raw_refresh: str | None) -> int:
    """Revoke one of the customer's refresh tokens, or all of them when `raw_refresh` is None.

    A token that is not the customer's (or not a token at all) is left alone.
    """
    tokens = CustomerRefreshToken.objects.filter(customer=customer, revoked_at__isnull=True)
    if raw_refresh is not None:
        try:
            jti = CustomerRefreshJWT(raw_refresh, verify=False).get("jti")
        except (TokenError, TypeError, UnicodeError):  # a lone surrogate cannot be encoded
            return 0
        tokens = tokens.filter(jti=jti)
    revoked = tokens.update(revoked_at=timezone.now())
    if revoked:
        credentials_version_bump(customer=customer)
    return revoked


def customer_access_token_current(*, customer: Customer, token: Token) -> bool:
    """Whether a customer access token has outlived no revocation of its credentials."""
    if token.get(CREDENTIALS_VERSION_CLAIM, 0) == customer.credentials_version:
        return True
    jti = token.get(REFRESH_JTI_CLAIM)
    return (
        isinstance(jti, str)
        and CustomerRefreshToken.objects.filter(
            customer=customer, jti=jti, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).exists()
    )


def customer_may_act(customer: Customer) -> bool:
    """Only live, enabled, not anonymized customers hold working credentials (SPEC 12)."""
    return customer.is_enabled and customer.deleted_at is None and customer.anonymized_at is None
