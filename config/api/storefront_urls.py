"""Storefront API (Spryker Glue dialect) routes, mounted at the root (SPEC 4).

As Glue, a trailing slash is accepted (`/customers/` is the collection) and an empty path
segment reaches its view (`/customers//addresses` answers 411, `/customers/DE--1/addresses/`
is the collection of addresses). Addresses are registered under their customer's path, as
Glue nests them.
"""

from accounts.api.storefront import (
    AccessTokenViewSet,
    CustomerConfirmationViewSet,
    CustomerPasswordViewSet,
    ForgottenPasswordViewSet,
    RefreshTokenViewSet,
    RestorePasswordViewSet,
)
from addresses.api.storefront import AddressViewSet
from config.api.routers import DialectRouter
from customers.api.storefront import CustomerViewSet

router = DialectRouter(optional_trailing_slash=True)
router.register("customers", CustomerViewSet)
router.register(r"customers/(?P<reference>[^/]*)/addresses", AddressViewSet)
router.register("customer-confirmation", CustomerConfirmationViewSet)
router.register("access-tokens", AccessTokenViewSet)
router.register("refresh-tokens", RefreshTokenViewSet)
router.register("customer-password", CustomerPasswordViewSet)
router.register("customer-forgotten-password", ForgottenPasswordViewSet)
router.register("customer-restore-password", RestorePasswordViewSet)

urlpatterns = router.urls
