"""How the Django admin presents itself: the product's name, and its apps in the order staff work.

The default `admin.site` is kept (every app, simplejwt's included, registers on it) and only
dressed: its titles, and an index that puts customers first, their credentials after them,
staff accounts and background tasks last, instead of Django's alphabetical order, which put
the credential tables above the customers.
"""

from types import MethodType

from django.contrib.admin import AdminSite
from django.http import HttpRequest

PRODUCT_NAME = "Clientele"

# app label -> (heading on the index and in the sidebar, model names in the order shown)
SECTIONS = {
    "customers": ("Customers", ("Customer", "Store", "CustomerGroup")),
    "accounts": (
        "Customer credentials (read-only)",
        ("CustomerKey", "CustomerRefreshToken", "CustomerSession"),
    ),
    "auth": ("Staff", ("User", "Group")),
    "token_blacklist": (
        "Staff API tokens (read-only)",
        ("OutstandingToken", "BlacklistedToken"),
    ),
    "django_tasks_database": ("Background tasks", ("DBTaskResult",)),
}


def _app_list(site: AdminSite, request: HttpRequest, app_label: str | None = None) -> list:
    """`AdminSite.get_app_list` with the sections of `SECTIONS`, in its order."""
    app_dict = site._build_app_dict(request, app_label)
    order = list(SECTIONS)
    apps = sorted(
        app_dict.values(),
        key=lambda app: (
            order.index(app["app_label"]) if app["app_label"] in order else len(order),
            app["name"].lower(),
        ),
    )
    for app in apps:
        heading, models = SECTIONS.get(app["app_label"], (app["name"], ()))
        app["name"] = heading
        app["models"].sort(
            key=lambda model: (
                models.index(model["object_name"])
                if model["object_name"] in models
                else len(models),
                model["name"].lower(),
            )
        )
    return apps


def configure_admin_site(site: AdminSite) -> None:
    """Give `site` the product's name and the staff-first order of its apps."""
    site.site_header = PRODUCT_NAME
    site.site_title = f"{PRODUCT_NAME} admin"
    site.index_title = "Customers, credentials and staff"
    site.site_url = "/"
    site.get_app_list = MethodType(_app_list, site)
