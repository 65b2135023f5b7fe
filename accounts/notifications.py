"""Emails to customers, rendered from templates/accounts/email/ and sent after commit."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from customers.models import Customer


def _send_on_commit(*, customer: Customer, template: str, context: dict) -> None:
    context = {"customer": customer, "storefront_url": settings.STOREFRONT_URL, **context}
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    text = render_to_string(f"accounts/email/{template}.txt", context)
    html = render_to_string(f"accounts/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, to=[customer.email])
    message.attach_alternative(html, "text/html")
    transaction.on_commit(message.send)


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
