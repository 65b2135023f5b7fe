"""Customer credentials in the admin: visible to staff, never editable, never the secret.

Keys, refresh tokens and sessions are created and revoked only by `accounts.services`.
The admin shows who owns what and when it expires; the key hash, the token `jti` and the
session key are left out altogether (a session key is a live credential; a hash or `jti`
adds nothing an operator needs).
"""

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import CustomerKey, CustomerRefreshToken, CustomerSession
from customers.admin_paginator import EstimatedCountPaginator


class ReadOnlyCredentialAdmin(admin.ModelAdmin):
    """View permission only: no add, change or delete, whatever the user's permissions."""

    list_select_related = ("customer", "customer__store")
    search_fields = ("=customer__reference", "=customer__email")
    search_help_text = "The customer's exact reference or email."
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
