"""Integration API (TWC dialect) routes, mounted under /api/v2/."""

urlpatterns: list = []
