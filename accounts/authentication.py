"""DRF authentication for the two kinds of caller: customers and staff users (SPEC 3).

A customer is represented on `request.user` by a `CustomerPrincipal`, never by a Django user,
so that staff permission checks cannot mistake one for the other.
"""

import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connections, router
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings

from accounts.staff import staff_user_get
from accounts.tokens import (
    CUSTOMER,
    CUSTOMER_CLAIM,
    PRINCIPAL_CLAIM,
    STAFF,
    CustomerAccessToken,
    customer_access_token_current,
    customer_may_act,
)
from config.db_router import primary_reads
from config.rows import RowReader
from customers.models import Customer, Store
from customers.validation import lookup_uuid


@dataclass(frozen=True)
class CustomerPrincipal:
    """An authenticated shopper. `session_key`/`refresh_jti` name the credential in use."""

    customer: Customer
    session_key: str | None = None

    is_authenticated = True
    is_staff = False
    is_superuser = False
    is_active = True

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False

    def has_perms(self, perm_list: object, obj: object = None) -> bool:
        return False


# RFC 6750's token68 form of a bearer token (a JWT is three base64url parts and dots).
_TOKEN68 = re.compile(rb"[A-Za-z0-9\-._~+/]+=*")


def bearer_credentials(header: bytes) -> str | None:
    """The token of an `Authorization` header value that uses the Bearer scheme.

    One rule for every dialect (RFC 9110/7235, RFC 6750): the scheme is case-insensitive
    (`Bearer`, `bearer`, `BEARER`) and is separated from the token by one or more spaces;
    whitespace around the whole value is ignored.

    Returns:
        The token, or None when the header is absent or names another scheme (then the
        caller is simply not authenticated this way).

    Raises:
        AuthenticationFailed: a Bearer header without exactly one token68 credential.
    """
    scheme, _, credentials = header.strip().partition(b" ")
    if scheme.lower() != b"bearer":
        return None
    token = credentials.lstrip(b" ")
    if not _TOKEN68.fullmatch(token):
        raise exceptions.AuthenticationFailed("Invalid Authorization header.")
    return token.decode("ascii")


def _bearer(request: Request) -> str | None:
    return bearer_credentials(get_authorization_header(request))


def customer_from_access_token(raw: str) -> Customer:
    """The live customer an access token names.

    Raises:
        AuthenticationFailed: malformed, expired or staff token, or a customer who may no
            longer act (disabled, anonymized or deleted: tokens die at once, SPEC 12).
    """
    try:
        token = CustomerAccessToken(raw)
    except TokenError:
        raise exceptions.AuthenticationFailed("Invalid or expired access token.") from None
    if token.get(PRINCIPAL_CLAIM) != CUSTOMER:
        raise exceptions.AuthenticationFailed("Invalid or expired access token.")
    # On the primary: a replica that lags would let a disabled customer, or a token revoked
    # a moment ago, act for as long as the lag lasts.
    with primary_reads():
        customer = _token_customer(token.get(CUSTOMER_CLAIM))
        current = customer is not None and customer_access_token_current(
            customer=customer, token=token
        )
    if customer is None or not customer_may_act(customer) or not current:
        raise exceptions.AuthenticationFailed("Invalid or expired access token.")
    return customer


# Every Storefront request reads its customer: one statement written once, with the store
# (config/rows.py says why not the ORM here).
_CUSTOMER_ROWS = RowReader(Customer)
_STORE_ROWS = RowReader(Store)
_TOKEN_CUSTOMER_SQL = (
    f"SELECT {_CUSTOMER_ROWS.columns('c')}, {_STORE_ROWS.columns('s')}"
    f' FROM "{Customer._meta.db_table}" c JOIN "{Store._meta.db_table}" s ON s.id = c.store_id'
    " WHERE c.uuid = %s"
)


def _token_customer(claim: object) -> Customer | None:
    """The customer (with its store) whose uuid a token names, if any."""
    uuid = lookup_uuid(claim)
    if uuid is None:
        return None
    db = router.db_for_read(Customer)
    connection = connections[db]
    with connection.cursor() as cursor:
        cursor.execute(
            _TOKEN_CUSTOMER_SQL,
            [Customer._meta.get_field("uuid").get_db_prep_value(uuid, connection)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    customer = _CUSTOMER_ROWS.instance(row, db)
    customer.store = _STORE_ROWS.instance(row, db, start=len(_CUSTOMER_ROWS.fields))
    return customer


class CustomerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <customer access token>` from the Storefront's /access-tokens."""

    def authenticate(self, request: Request) -> tuple[CustomerPrincipal, str] | None:
        raw = _bearer(request)
        if raw is None:
            return None
        return CustomerPrincipal(customer=customer_from_access_token(raw)), raw

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="storefront"'


class StaffTokenAuthentication(JWTAuthentication):
    """`Authorization: Bearer <staff access token>` from /api/auth/token; staff users only."""

    def get_raw_token(self, header: bytes) -> bytes | None:
        # The same header rule as the customers' tokens (`bearer_credentials`).
        token = bearer_credentials(header)
        return token.encode("ascii") if token is not None else None

    def get_validated_token(self, raw_token: bytes):
        token = super().get_validated_token(raw_token)
        if token.get(PRINCIPAL_CLAIM) != STAFF:
            raise exceptions.AuthenticationFailed("Not a staff token.")
        return token

    def get_user(self, validated_token) -> AbstractBaseUser:
        """The token's active staff user, with its permissions and stores (accounts/staff.py)."""
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken("Token contained no recognizable user identification") from None
        user = staff_user_get(user_id)
        if user is None:
            raise exceptions.AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User is inactive", code="user_inactive")
        if not user.is_staff:
            raise exceptions.AuthenticationFailed("Not a staff user.")
        return user


def is_staff_user(user: object) -> bool:
    return isinstance(user, AbstractBaseUser) and user.is_active and user.is_staff


def customer_of(user: object) -> Customer | None:
    return user.customer if isinstance(user, CustomerPrincipal) else None
