"""Contract of the Storefront `customer-forgotten-password` resource (SPEC 4, 12)."""

import pytest
from django.core import mail

from accounts.models import CustomerKey
from tests.storefront.conftest import errors


def forgotten(client, attributes):
    return client.send(
        "post", "/customer-forgotten-password", "customer-forgotten-password", attributes
    )


def comparable(response):
    return response.status_code, dict(response.items()), response.content


def test_known_and_unknown_emails_get_the_same_answer(
    api_client, customer, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        known = forgotten(api_client, {"email": "john.smith@example.com"})
    with django_capture_on_commit_callbacks(execute=True):
        unknown = forgotten(api_client, {"email": "nobody@example.com"})

    # then: status, every header and the (empty) body are identical
    assert comparable(known) == comparable(unknown)
    assert known.status_code == 204
    assert known.content == b""
    assert known["Referrer-Policy"] == "no-referrer"
    # only the known email gets a message, with a key that works
    assert [message.to for message in mail.outbox] == [["john.smith@example.com"]]
    assert "https://shop.example.com/password/restore?token=" in mail.outbox[0].body
    assert (
        CustomerKey.objects.filter(
            customer=customer, purpose=CustomerKey.Purpose.PASSWORD_RESET, used_at__isnull=True
        ).count()
        == 1
    )


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("nobody@example.com", id="unknown_case"),
        pytest.param("JOHN.SMITH@example.com", id="other_case_case"),
    ],
)
def test_any_email_text_answers_204(
    api_client, customer, email, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = forgotten(api_client, {"email": email})

    # then
    assert response.status_code == 204
    assert len(mail.outbox) == (1 if email.lower() == customer.email else 0)


@pytest.mark.parametrize(
    ("attributes", "detail"),
    [
        pytest.param({}, "email => This field is missing.", id="missing_case"),
        pytest.param({"email": None}, "email => This value should not be blank.", id="null_case"),
        pytest.param({"email": ""}, "email => This value should not be blank.", id="blank_case"),
    ],
)
def test_a_missing_email_answers_901(api_client, customer, attributes, detail):
    # when
    response = forgotten(api_client, attributes)

    # then: the shape is wrong whoever asks, so this tells nothing about any account
    assert response.status_code == 422
    assert response.json() == errors("901", 422, detail)
    assert response["Referrer-Policy"] == "no-referrer"
    assert CustomerKey.objects.count() == 0


def test_forgotten_password_is_throttled_per_client_ip(api_client, customer):
    # given
    for number in range(10):
        forgotten(api_client, {"email": f"someone{number}@example.com"})

    # when
    response = forgotten(api_client, {"email": customer.email})

    # then
    assert response.status_code == 429
    assert response.json() == errors("429", 429, "Too many attempts. Try again later.")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert CustomerKey.objects.count() == 0


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("not-an-email", id="no_at_case"),
        pytest.param("john.smith@", id="no_domain_case"),
        pytest.param("john smith@example.com", id="space_case"),
    ],
)
def test_a_malformed_email_answers_901_and_sends_nothing(
    api_client, customer, email, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = forgotten(api_client, {"email": email})

    # then
    assert response.status_code == 422
    assert response.json() == errors(
        "901", 422, "email => This value is not a valid email address."
    )
    assert mail.outbox == []
    assert CustomerKey.objects.count() == 0
