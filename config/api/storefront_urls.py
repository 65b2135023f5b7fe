"""Storefront API (Spryker Glue dialect) routes, mounted at the root (SPEC 4).

No trailing slashes, as Glue's paths (APPEND_SLASH never applies to them). Addresses are
registered under their customer's path, as Glue nests them.
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

router = DialectRouter()
router.register("customers", CustomerViewSet)
router.register(r"customers/(?P<reference>[^/]+)/addresses", AddressViewSet)
router.register("customer-confirmation", CustomerConfirmationViewSet)
router.register("access-tokens", AccessTokenViewSet)
router.register("refresh-tokens", RefreshTokenViewSet)
router.register("customer-password", CustomerPasswordViewSet)
router.register("customer-forgotten-password", ForgottenPasswordViewSet)
router.register("customer-restore-password", RestorePasswordViewSet)

urlpatterns = router.urls
