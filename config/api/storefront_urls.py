"""Storefront API (Spryker Glue dialect) routes, mounted at the root."""

urlpatterns: list = []
