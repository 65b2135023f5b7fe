"""Integration API (TWC dialect) routes, mounted under /api/v2/.

`customers/search` and `customers/validate` come before `customers/<id>`, which would
otherwise take them for a customer id.
"""

from django.urls import path

from customers.api import integration as views

urlpatterns = [
    path("customers", views.CustomersView.as_view(), name="integration-customers"),
    path(
        "upload-customers", views.CustomerUploadView.as_view(), name="integration-customers-upload"
    ),
    path(
        "customers/search",
        views.CustomerSearchView.as_view(),
        name="integration-customers-search",
    ),
    path(
        "customers/validate",
        views.CustomerValidateView.as_view(),
        name="integration-customers-validate",
    ),
    path(
        "customers/<str:reference>/ref",
        views.CustomerByRefView.as_view(),
        name="integration-customer-by-ref",
    ),
    path(
        "customers/<str:customer_id>/address",
        views.CustomerAddressView.as_view(),
        name="integration-customer-address",
    ),
    path(
        "customers/<str:customer_id>",
        views.CustomerDetailView.as_view(),
        name="integration-customer",
    ),
]
