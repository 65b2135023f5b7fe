"""Routes: the admin, health probes, the OpenAPI schema and the three API dialects.

Order matters where prefixes meet: the EverShop session routes (`/customer/login`,
`/customers/logout`) come before the Storefront's `/customers/{reference}`.
"""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView

from config import health
from config.api import admin_urls, fallback, integration_urls, storefront_urls
from config.api.schema import RedocView, SchemaView
from config.views import landing

urlpatterns = [
    path("", landing, name="landing"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # Swagger UI and ReDoc from our own static files (drf-spectacular-sidecar).
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v2/", include(integration_urls.urlpatterns)),
    path("api/", include(admin_urls.api_urlpatterns)),
    path("", include(admin_urls.session_urlpatterns)),
    path("", include(storefront_urls.urlpatterns)),
    # Anything else under a dialect's prefix: that dialect's 404, whatever DEBUG says.
    re_path(
        r"^(?:api/|customers(?:/|$)|customer/|customer-|access-tokens|refresh-tokens)",
        fallback.unknown_path,
        name="unknown-api-path",
    ),
]

# Unknown paths and errors outside any view still answer in their dialect's envelope.
handler404 = "config.api.fallback.not_found"
handler500 = "config.api.fallback.server_error"
