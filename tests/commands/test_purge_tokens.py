from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import CustomerKey, CustomerRefreshToken
from tests.commands.conftest import run_command
from tests.factories.customers import CustomerKeyFactory


def refresh_token(customer, jti, *, expires_in, revoked=False):
    now = timezone.now()
    return CustomerRefreshToken.objects.create(
        customer=customer,
        jti=jti,
        expires_at=now + expires_in,
        revoked_at=now if revoked else None,
    )


def staff_token(user, jti, *, expires_in):
    return OutstandingToken.objects.create(
        user=user, jti=jti, token=f"token-{jti}", expires_at=timezone.now() + expires_in
    )


def test_purge_tokens_deletes_only_what_can_never_be_used_again(customer):
    # given
    hour = timedelta(hours=1)
    live_key = CustomerKeyFactory(customer=customer)
    CustomerKeyFactory(customer=customer, used_at=timezone.now())
    CustomerKeyFactory(customer=customer, expires_at=timezone.now() - hour)
    live_refresh = refresh_token(customer, "live", expires_in=hour)
    refresh_token(customer, "expired", expires_in=-hour)
    refresh_token(customer, "revoked", expires_in=hour, revoked=True)
    staff = User.objects.create_user(username="staff", is_staff=True)
    live_staff = staff_token(staff, "staff-live", expires_in=hour)
    blacklisted = staff_token(staff, "staff-blacklisted", expires_in=hour)
    BlacklistedToken.objects.create(token=blacklisted)
    expired_staff = staff_token(staff, "staff-expired", expires_in=-hour)
    BlacklistedToken.objects.create(token=expired_staff)

    # when
    result = run_command("purge_tokens")

    # then
    assert result.code == 0
    assert result.stdout == (
        "Purged 2 keys, 2 customer refresh tokens and 1 staff refresh tokens.\n"
        "Folded 1 pending changes into the live customer totals.\n"
    )
    assert list(CustomerKey.objects.all()) == [live_key]
    assert list(CustomerRefreshToken.objects.all()) == [live_refresh]
    assert set(OutstandingToken.objects.all()) == {live_staff, blacklisted}
    # A blacklisted token that has not expired keeps its blacklist entry.
    assert list(BlacklistedToken.objects.values_list("token__jti", flat=True)) == [
        "staff-blacklisted"
    ]


def test_purge_tokens_with_nothing_to_purge(db):
    # when
    result = run_command("purge_tokens")

    # then
    assert result.code == 0
    assert result.stdout == (
        "Purged 0 keys, 0 customer refresh tokens and 0 staff refresh tokens.\n"
        "Folded 0 pending changes into the live customer totals.\n"
    )
