"""DRF permissions for staff callers: Django model permissions, `view` included (SPEC 3).

Store scoping is not a permission class: selectors take the stores a user may reach
(`customers.selectors.stores_visible_to`) so that no query can forget it.
"""

from rest_framework.permissions import BasePermission, DjangoModelPermissions
from rest_framework.request import Request

from accounts.authentication import CustomerPrincipal, is_staff_user


class StaffModelPermissions(DjangoModelPermissions):
    """Staff with the model permission for the method: GET needs `view_<model>`."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: object) -> bool:
        return is_staff_user(request.user) and super().has_permission(request, view)


class IsCustomer(BasePermission):
    """A logged-in shopper (Storefront token or EverShop session)."""

    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.user, CustomerPrincipal)
