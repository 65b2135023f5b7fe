"""Customer credentials in the admin: visible to staff, never editable, never the secret.

Keys, refresh tokens and sessions are created and revoked only by `accounts.services`.
The admin shows who owns what and when it expires; the key hash, the token `jti` and the
session key are left out altogether (a session key is a live credential; a hash or `jti`
adds nothing an operator needs).

Staff API refresh tokens (simplejwt's outstanding and blacklisted tokens) get the same
treatment: simplejwt's own admin offers "Add" on the blacklist and shows the whole refresh
token on its detail page, so it is replaced here.
"""

from django.contrib import admin
from django.http import HttpRequest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import CustomerKey, CustomerRefreshToken, CustomerSession
from customers.admin_paginator import EstimatedCountPaginator


class ReadOnlyAdmin(admin.ModelAdmin):
    """View permission only: no add, change or delete, whatever the user's permissions."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    ordering = ("-id",)
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyCredentialAdmin(ReadOnlyAdmin):
    """A customer's credential: listed with its customer's reference and store."""

    list_select_related = ("customer", "customer__store")
    search_fields = ("=customer__reference", "=customer__email")
    search_help_text = "The customer's exact reference or email."

    @admin.display(description="customer", ordering="customer_id")
    def customer_reference(self, obj) -> str:
        return obj.customer.reference

    @admin.display(description="store")
    def customer_store(self, obj) -> str:
        return obj.customer.store.code


@admin.register(CustomerKey)
class CustomerKeyAdmin(ReadOnlyCredentialAdmin):
    list_display = (
        "id",
        "customer_reference",
        "customer_store",
        "purpose",
        "created_at",
        "expires_at",
        "used_at",
    )
    list_filter = ("purpose",)
    fields = ("customer_reference", "purpose", "created_at", "expires_at", "used_at")
    readonly_fields = fields


@admin.register(CustomerRefreshToken)
class CustomerRefreshTokenAdmin(ReadOnlyCredentialAdmin):
    list_display = (
        "id",
        "customer_reference",
        "customer_store",
        "created_at",
        "expires_at",
        "revoked_at",
    )
    fields = ("customer_reference", "created_at", "expires_at", "revoked_at")
    readonly_fields = fields


@admin.register(CustomerSession)
class CustomerSessionAdmin(ReadOnlyCredentialAdmin):
    list_display = ("id", "customer_reference", "customer_store", "created_at")
    fields = ("customer_reference", "created_at")
    readonly_fields = fields


# --- Staff API tokens (simplejwt) -----------------------------------------------------------

for _model in (OutstandingToken, BlacklistedToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(OutstandingToken)
class StaffRefreshTokenAdmin(ReadOnlyAdmin):
    """Refresh tokens issued to staff by `POST /api/auth/token`; never the token itself."""

    list_display = ("id", "user", "created_at", "expires_at", "is_blacklisted")
    list_select_related = ("user", "blacklistedtoken")
    search_fields = ("=user__username",)
    search_help_text = "The staff user's exact username."
    fields = ("user", "created_at", "expires_at", "is_blacklisted")
    readonly_fields = fields

    @admin.display(description="blacklisted", boolean=True)
    def is_blacklisted(self, obj: OutstandingToken) -> bool:
        return hasattr(obj, "blacklistedtoken")


@admin.register(BlacklistedToken)
class StaffBlacklistedTokenAdmin(ReadOnlyAdmin):
    """Staff refresh tokens revoked before they expired."""

    list_display = ("id", "token_user", "blacklisted_at", "token_expires_at")
    list_select_related = ("token__user",)
    search_fields = ("=token__user__username",)
    search_help_text = "The staff user's exact username."
    fields = ("token_user", "blacklisted_at", "token_expires_at")
    readonly_fields = fields

    @admin.display(description="user")
    def token_user(self, obj: BlacklistedToken):
        return obj.token.user

    @admin.display(description="expires at")
    def token_expires_at(self, obj: BlacklistedToken):
        return obj.token.expires_at
