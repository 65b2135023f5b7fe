"""Admin API (EverShop dialect) routes: /api/... and the customer session routes at the root."""

api_urlpatterns: list = []
session_urlpatterns: list = []
