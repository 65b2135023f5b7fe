"""Emails to customers: tasks on a durable queue, rendered from templates/accounts/email/.

Each public function enqueues one task (django-tasks, the `TASKS` setting) and returns at
once: no response waits for the mail server. With the database backend (the default) the
task row is written by the caller's own transaction, so a rolled-back change sends nothing
and a committed one is never lost, even when a worker dies mid-run: `manage.py worker` puts
back what a dead worker left running (accounts/management/commands/worker.py). Any other
backend (the immediate one of the test settings) is handed the task after commit.

A failed delivery is tried again later, `EMAIL_RETRY_DELAYS` seconds apart (exponential
backoff), then logged with the customer's reference, never the address. Keys are issued by
the task itself when it is not given one, so that no live key waits in the queue.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

from accounts.throttling import attempt_record
from customers.models import Customer, Store

logger = logging.getLogger(__name__)

CONFIRM_EMAIL = "confirm_email"
PASSWORD_RESET = "password_reset"
PASSWORD_CHANGED = "password_changed"
CONFIRM_NEW_EMAIL = "confirm_new_email"
EMAIL_CHANGED = "email_changed"

# Templates whose email carries a one-time key, with the key's purpose.
_KEY_PURPOSES = {
    CONFIRM_EMAIL: "confirm_email",
    CONFIRM_NEW_EMAIL: "confirm_email",
    PASSWORD_RESET: "password_reset",
}


def _joins_transaction(backend: Any) -> bool:
    # Imported on use: the backend's module loads its models, and this module is imported
    # while the apps load (services import it).
    from django_tasks_db import DatabaseBackend  # noqa: PLC0415

    return isinstance(backend, DatabaseBackend)


def enqueue(task_function: Any, **kwargs: Any) -> None:
    """Put a task on the queue as part of the current transaction (see the module docstring)."""
    if _joins_transaction(task_function.get_backend()):
        task_function.enqueue(**kwargs)
    else:
        transaction.on_commit(lambda: task_function.enqueue(**kwargs))


def _link(template: str, key: str) -> str:
    if template == PASSWORD_RESET:
        return f"{settings.STOREFRONT_URL}/password/restore?token={key}"
    if template in (CONFIRM_EMAIL, CONFIRM_NEW_EMAIL):
        return f"{settings.STOREFRONT_URL}/register/confirm?token={key}"
    return f"{settings.STOREFRONT_URL}/password/forgotten"


def _issue_key(customer: Customer, template: str) -> str:
    # Imported here: the services import this module.
    from accounts.services import EMAIL_CONFIRMATION_TIMEOUT, key_issue  # noqa: PLC0415

    purpose = _KEY_PURPOSES[template]
    lifetime = (
        timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
        if purpose == "password_reset"
        else EMAIL_CONFIRMATION_TIMEOUT
    )
    return key_issue(customer=customer, purpose=purpose, lifetime=lifetime)


def render_message(
    *, customer: Customer, template: str, to: str, key: str = ""
) -> EmailMultiAlternatives:
    context = {
        "customer": customer,
        "storefront_url": settings.STOREFRONT_URL,
        "link": _link(template, key),
        "expires_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    text = render_to_string(f"accounts/email/{template}.txt", context)
    html = render_to_string(f"accounts/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to])
    message.attach_alternative(html, "text/html")
    return message


def _retry_delay(attempt: int) -> int | None:
    """Seconds before the next try after `attempt` failed, or None when it was the last."""
    delays = settings.EMAIL_RETRY_DELAYS
    return delays[attempt - 1] if attempt <= len(delays) else None


@task()
def deliver_customer_email(
    *, customer_id: int, template: str, to: str = "", key: str = "", attempt: int = 1
) -> str:
    """Render and send one email; on failure, enqueue the next try with backoff.

    Returns what happened (`sent`, `retry`, `failed`, `skipped`), kept in the task result.
    """
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None or customer.anonymized_at is not None:
        return "skipped"  # nobody left to write to
    if template in _KEY_PURPOSES and not key:
        key = _issue_key(customer, template)
    message = render_message(customer=customer, template=template, to=to or customer.email, key=key)
    try:
        message.send()
    except Exception:
        delay = _retry_delay(attempt)
        backend = deliver_customer_email.get_backend()
        if delay is not None and backend.supports_defer:
            # A key issued by this try is not carried over: the next try issues its own.
            carried_key = key if template not in _KEY_PURPOSES else ""
            deliver_customer_email.using(
                run_after=timezone.now() + timedelta(seconds=delay)
            ).enqueue(
                customer_id=customer_id,
                template=template,
                to=to,
                key=carried_key,
                attempt=attempt + 1,
            )
            logger.warning(
                "Could not send the %r email to customer %s (try %d); trying again in %ds",
                message.subject,
                customer.reference,
                attempt,
                delay,
            )
            return "retry"
        # Never PII in logs: the customer's reference, not the address.
        logger.exception(
            "Could not send the %r email to customer %s", message.subject, customer.reference
        )
        return "failed"
    return "sent"


def _send(*, customer: Customer, template: str, to: str = "", key: str | None = None) -> None:
    enqueue(
        deliver_customer_email,
        customer_id=customer.pk,
        template=template,
        to=to,
        key=key or "",
    )


def send_email_confirmation(*, customer: Customer, key: str | None = None) -> None:
    """The confirmation link; without `key`, the task issues the key when it sends."""
    _send(customer=customer, template=CONFIRM_EMAIL, key=key)


def send_password_reset(*, customer: Customer, key: str | None = None) -> None:
    """The reset link; without `key`, the task issues the key when it sends."""
    _send(customer=customer, template=PASSWORD_RESET, key=key)


def send_password_changed(*, customer: Customer) -> None:
    _send(customer=customer, template=PASSWORD_CHANGED)


def send_email_change_confirmation(*, customer: Customer) -> None:
    """A fresh confirmation key to the customer's (new) email, issued when it is sent."""
    _send(customer=customer, template=CONFIRM_NEW_EMAIL)


def send_email_changed_notice(*, customer: Customer, old_email: str) -> None:
    """Tell the previous address that the account's email changed (it no longer signs in)."""
    _send(customer=customer, template=EMAIL_CHANGED, to=old_email)


def email_change_notify(*, customer: Customer, old_email: str) -> None:
    """Both emails of an email change (SPEC 12), queued by the transaction of the change.

    The caller saves the new email with `email_verified_at` cleared in the same transaction;
    the confirmation goes to `customer.email` as it is when the worker sends it.
    """
    send_email_change_confirmation(customer=customer)
    send_email_changed_notice(customer=customer, old_email=old_email)


@task()
def request_password_reset(*, store_id: int, email: str) -> str:
    """The forgotten-password work, off the request: look the email up, issue, send.

    At most `AUTH_LOCKOUT_FAILURES` requests per account (the normalised email) in
    `AUTH_LOCKOUT_WINDOW` lead to an email (SPEC 3); counting here, not in the request,
    keeps the answer and its time the same for every email.
    """
    # Imported here: the services import this module to enqueue.
    from accounts.services import password_reset_request  # noqa: PLC0415

    store = Store.objects.filter(pk=store_id).first()
    if store is None:
        return "done"
    if attempt_record(account=f"reset-{store.code}:{email}") > settings.AUTH_LOCKOUT_FAILURES:
        logger.warning("Password reset requests over the limit for one account; not sent")
        return "throttled"
    password_reset_request(store=store, email=email)
    return "done"


def password_reset_request_enqueue(*, store: Store, email: str) -> None:
    """Queue a forgotten-password request: the same work for known and unknown emails.

    The request only writes the task; whether the email exists is found out by the worker,
    so the answer and its time say nothing about it (SPEC 12).
    """
    enqueue(request_password_reset, store_id=store.pk, email=email)
