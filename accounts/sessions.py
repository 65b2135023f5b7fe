"""EverShop customer sessions (`sid`): starting and ending them, and authenticating by them.

A customer session is a Django session of its own (never the staff user's admin session),
tracked in `CustomerSession` so that a password change, a deactivation or a delete can end
every session of the customer (`accounts.credentials.customer_credentials_revoke`).
"""

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.middleware.csrf import CsrfViewMiddleware
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts.authentication import CustomerPrincipal
from accounts.models import CustomerSession
from accounts.tokens import customer_may_act
from customers.models import Customer

SESSION_COOKIE = "sid"
SESSION_HEADER = "X-Session-ID"
# The session data names its customer, so a session key of another kind (a staff admin
# session, say) is never taken for a customer's.
CUSTOMER_KEY = "_customer_id"
_MAX_KEY_LENGTH = 40


def _session_store() -> type[SessionBase]:
    return import_module(settings.SESSION_ENGINE).SessionStore


@transaction.atomic
def customer_session_start(*, customer: Customer, session: SessionBase | None = None) -> str:
    """Open a session for `customer` and return its key (the EverShop `sid`).

    A given `session` gets a new key first (no session fixation); otherwise a fresh one is
    created.
    """
    if session is None:
        session = _session_store()()
    else:
        session.cycle_key()
    session[CUSTOMER_KEY] = customer.pk
    session.save()
    CustomerSession.objects.create(customer=customer, session_key=session.session_key)
    return session.session_key


@transaction.atomic
def customer_session_end(*, session_key: str) -> None:
    """Delete the session server-side; reusing its key afterwards authenticates nobody."""
    _session_store()(session_key=session_key).delete()
    CustomerSession.objects.filter(session_key=session_key).delete()


def customer_session_customer(*, session_key: str) -> Customer | None:
    """The customer whose live session `session_key` is, if it may still act."""
    if not session_key or len(session_key) > _MAX_KEY_LENGTH:
        return None
    data = _session_store()(session_key=session_key).load()  # {} when missing or expired
    customer_id = data.get(CUSTOMER_KEY)
    if customer_id is None:
        return None
    record = (
        CustomerSession.objects.select_related("customer__store")
        .filter(session_key=session_key, customer_id=customer_id)
        .first()
    )
    if record is None or not customer_may_act(record.customer):
        return None
    return record.customer


class _CSRFCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


class CustomerSessionAuthentication(BaseAuthentication):
    """The EverShop session: `X-Session-ID: <sid>` header, or the `sid` cookie.

    A browser sends the cookie on cross-site requests by itself, so unsafe requests that
    rely on the cookie alone must carry Django's CSRF token (SPEC 3); the header cannot be
    set cross-site and needs none.
    """

    def authenticate(self, request: Request) -> tuple[CustomerPrincipal, None] | None:
        session_key = request.headers.get(SESSION_HEADER)
        from_cookie = session_key is None
        if from_cookie:
            session_key = request.COOKIES.get(SESSION_COOKIE)
        if session_key is None:
            return None
        customer = customer_session_customer(session_key=session_key)
        if customer is None:
            raise exceptions.AuthenticationFailed("Invalid or expired session.")
        if from_cookie:
            self._enforce_csrf(request)
        return CustomerPrincipal(customer=customer, session_key=session_key), None

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="customer"'

    @staticmethod
    def _enforce_csrf(request: Request) -> None:
        check = _CSRFCheck(lambda _request: None)
        check.process_request(request)
        reason = check.process_view(request, None, (), {})
        if reason:
            raise exceptions.PermissionDenied(f"CSRF Failed: {reason}")
