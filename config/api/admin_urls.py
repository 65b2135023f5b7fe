"""Admin API (EverShop dialect) routes: /api/... and the customer session routes at the root."""

from django.urls import path

from accounts.api.admin import (
    CustomerLoginView,
    CustomerLogoutView,
    StaffTokenObtainView,
    StaffTokenRefreshView,
)
from customers.api.admin import CustomerDetailView, CustomerListView

# Mounted under /api/ (config/urls.py); no trailing slashes, as EverShop's paths.
api_urlpatterns = [
    path("customers", CustomerListView.as_view(), name="admin-customers"),
    path("customers/<str:uuid>", CustomerDetailView.as_view(), name="admin-customer"),
    path("auth/token", StaffTokenObtainView.as_view(), name="admin-token"),
    path("auth/token/refresh", StaffTokenRefreshView.as_view(), name="admin-token-refresh"),
]

# Mounted at the root, before the Storefront's routes.
session_urlpatterns = [
    path("customer/login", CustomerLoginView.as_view(), name="admin-customer-login"),
    path("customers/logout", CustomerLogoutView.as_view(), name="admin-customer-logout"),
]
