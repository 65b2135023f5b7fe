"""Emails to customers, rendered from templates/accounts/email/ and sent after commit.

Delivery happens off the request thread (`EMAIL_SEND_IN_BACKGROUND`, on by default): a
request that sends an email must not take an SMTP round trip longer than one that does not,
or the forgotten-password answer would tell known emails from unknown ones by its time.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from customers.models import Customer

logger = logging.getLogger(__name__)

# A few threads per process are plenty for transactional emails; the queue is in memory, so
# a process that is killed (not stopped) loses the emails it had not sent yet.
outbox = ThreadPoolExecutor(max_workers=2, thread_name_prefix="email")


def _deliver(message: EmailMultiAlternatives, reference: str) -> None:
    try:
        message.send()
    except Exception:
        # Never PII in logs: the customer's reference, not the address.
        logger.exception("Could not send the %r email to customer %s", message.subject, reference)


def _send(message: EmailMultiAlternatives, reference: str) -> None:
    if settings.EMAIL_SEND_IN_BACKGROUND:
        outbox.submit(_deliver, message, reference)
    else:
        _deliver(message, reference)


def _send_on_commit(*, customer: Customer, template: str, context: dict) -> None:
    context = {"customer": customer, "storefront_url": settings.STOREFRONT_URL, **context}
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    text = render_to_string(f"accounts/email/{template}.txt", context)
    html = render_to_string(f"accounts/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, to=[customer.email])
    message.attach_alternative(html, "text/html")
    transaction.on_commit(partial(_send, message, str(customer)))


def send_email_confirmation(*, customer: Customer, key: str) -> None:
    link = f"{settings.STOREFRONT_URL}/register/confirm?token={key}"
    _send_on_commit(customer=customer, template="confirm_email", context={"link": link})


def send_password_reset(*, customer: Customer, key: str) -> None:
    link = f"{settings.STOREFRONT_URL}/password/restore?token={key}"
    context = {"link": link, "expires_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
    _send_on_commit(customer=customer, template="password_reset", context=context)


def send_password_changed(*, customer: Customer) -> None:
    link = f"{settings.STOREFRONT_URL}/password/forgotten"
    _send_on_commit(customer=customer, template="password_changed", context={"link": link})
