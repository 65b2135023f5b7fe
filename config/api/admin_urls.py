"""Admin API (EverShop dialect) routes: /api/... and the customer session routes at the root.

No trailing slashes, as EverShop's paths.
"""

from accounts.api.admin import CustomerLoginViewSet, CustomerLogoutViewSet, StaffTokenViewSet
from config.api.routers import DialectRouter
from customers.api.admin import CustomerViewSet
from customers.webhooks.api.admin import SubscriptionViewSet

# Mounted under /api/ (config/urls.py).
api_router = DialectRouter()
api_router.register("customers", CustomerViewSet)
api_router.register("auth/token", StaffTokenViewSet)
api_router.register("webhooks", SubscriptionViewSet)
api_urlpatterns = api_router.urls

# Mounted at the root, before the Storefront's routes (`customers/logout` is not a reference).
session_router = DialectRouter()
session_router.register("customer/login", CustomerLoginViewSet)
session_router.register("customers/logout", CustomerLogoutViewSet)
session_urlpatterns = session_router.urls
