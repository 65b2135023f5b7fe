"""Keys, refresh tokens and sessions are visible read-only, never their secret (SPEC 7)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import CustomerKey, CustomerRefreshToken, CustomerSession
from tests.factories.customers import CustomerKeyFactory

RAW_KEY = "0123456789abcdef0123456789abcdef"
JTI = "5f0c2a9e7b3d4c1e8a6f9b2d0e4c7a13"
SESSION_KEY = "q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6"
STAFF_REFRESH_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl"


@pytest.fixture
def credentials(customer):
    key = CustomerKeyFactory(customer=customer, raw_key=RAW_KEY)
    token = CustomerRefreshToken.objects.create(
        customer=customer, jti=JTI, expires_at=timezone.now() + timedelta(days=1)
    )
    session = CustomerSession.objects.create(customer=customer, session_key=SESSION_KEY)
    return {"customerkey": key, "customerrefreshtoken": token, "customersession": session}


MODELS = [
    pytest.param("customerkey", id="key_case"),
    pytest.param("customerrefreshtoken", id="refresh_token_case"),
    pytest.param("customersession", id="session_case"),
]


@pytest.mark.parametrize("model", MODELS)
def test_list_and_detail_show_no_secret(admin_client, customer, credentials, model):
    # given
    obj = credentials[model]
    secrets = (CustomerKey.objects.get().key_hash, RAW_KEY, JTI, SESSION_KEY)

    # when
    listing = admin_client.get(f"/admin/accounts/{model}/")
    detail = admin_client.get(f"/admin/accounts/{model}/{obj.pk}/change/")

    # then
    assert (listing.status_code, detail.status_code) == (200, 200)
    for page in (listing.content.decode(), detail.content.decode()):
        assert customer.reference in page
        for secret in secrets:
            assert secret not in page
            assert secret[:8] not in page


@pytest.mark.parametrize("model", MODELS)
def test_credentials_cannot_be_added_changed_or_deleted(admin_client, credentials, model):
    # given
    obj = credentials[model]
    model_class = type(obj)

    # when
    add = admin_client.get(f"/admin/accounts/{model}/add/")
    change = admin_client.post(f"/admin/accounts/{model}/{obj.pk}/change/", {})
    delete = admin_client.post(f"/admin/accounts/{model}/{obj.pk}/delete/", {"post": "yes"})

    # then
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert model_class.objects.filter(pk=obj.pk).exists()


@pytest.fixture
def staff_token(admin_user):
    outstanding = OutstandingToken.objects.create(
        user=admin_user,
        jti=JTI,
        token=STAFF_REFRESH_TOKEN,
        created_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=1),
    )
    blacklisted = BlacklistedToken.objects.create(token=outstanding)
    return {"outstandingtoken": outstanding, "blacklistedtoken": blacklisted}


STAFF_MODELS = [
    pytest.param("outstandingtoken", id="outstanding_case"),
    pytest.param("blacklistedtoken", id="blacklisted_case"),
]


@pytest.mark.parametrize("model", STAFF_MODELS)
def test_staff_tokens_are_read_only_and_never_shown(admin_client, staff_token, model):
    # given
    obj = staff_token[model]

    # when
    listing = admin_client.get(f"/admin/token_blacklist/{model}/")
    detail = admin_client.get(f"/admin/token_blacklist/{model}/{obj.pk}/change/")
    add = admin_client.get(f"/admin/token_blacklist/{model}/add/")
    change = admin_client.post(f"/admin/token_blacklist/{model}/{obj.pk}/change/", {})
    delete = admin_client.post(f"/admin/token_blacklist/{model}/{obj.pk}/delete/", {"post": "yes"})

    # then
    assert (listing.status_code, detail.status_code) == (200, 200)
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    # The token itself never shows (its `jti` does, in simplejwt's title of the detail page:
    # an id that authenticates nothing).
    for page in (listing.content.decode(), detail.content.decode()):
        assert "admin" in page
        assert STAFF_REFRESH_TOKEN not in page
        assert STAFF_REFRESH_TOKEN.split(".")[2] not in page
    assert JTI not in listing.content.decode()
    assert f'href="/admin/token_blacklist/{model}/add/"' not in listing.content.decode()
    assert type(obj).objects.filter(pk=obj.pk).exists()
