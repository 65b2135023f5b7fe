"""Storefront API (Spryker Glue dialect) routes, mounted at the root (SPEC 4)."""

from django.urls import path

from accounts.api.storefront import (
    AccessTokenView,
    CustomerConfirmationView,
    CustomerPasswordOfView,
    CustomerPasswordView,
    ForgottenPasswordView,
    RefreshTokenRevokeView,
    RefreshTokenView,
    RestorePasswordKeyView,
    RestorePasswordView,
)
from addresses.api.storefront import AddressCollectionView, AddressDetailView
from customers.api.storefront import CustomerCollectionView, CustomerDetailView

# No trailing slashes, as Glue's paths (APPEND_SLASH never applies to them).
urlpatterns = [
    path("customers", CustomerCollectionView.as_view(), name="storefront-customers"),
    path("customers/<str:reference>", CustomerDetailView.as_view(), name="storefront-customer"),
    path(
        "customers/<str:reference>/addresses",
        AddressCollectionView.as_view(),
        name="storefront-addresses",
    ),
    path(
        "customers/<str:reference>/addresses/<str:uuid>",
        AddressDetailView.as_view(),
        name="storefront-address",
    ),
    path(
        "customer-confirmation",
        CustomerConfirmationView.as_view(),
        name="storefront-customer-confirmation",
    ),
    path("access-tokens", AccessTokenView.as_view(), name="storefront-access-tokens"),
    path("refresh-tokens", RefreshTokenView.as_view(), name="storefront-refresh-tokens"),
    path(
        "refresh-tokens/<str:token>",
        RefreshTokenRevokeView.as_view(),
        name="storefront-refresh-token",
    ),
    path("customer-password", CustomerPasswordView.as_view(), name="storefront-customer-password"),
    path(
        "customer-password/<str:reference>",
        CustomerPasswordOfView.as_view(),
        name="storefront-customer-password-of",
    ),
    path(
        "customer-forgotten-password",
        ForgottenPasswordView.as_view(),
        name="storefront-customer-forgotten-password",
    ),
    path(
        "customer-restore-password",
        RestorePasswordView.as_view(),
        name="storefront-customer-restore-password",
    ),
    path(
        "customer-restore-password/<str:key>",
        RestorePasswordKeyView.as_view(),
        name="storefront-customer-restore-password-key",
    ),
]
