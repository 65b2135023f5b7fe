"""Webhooks in the Django admin: subscriptions (secret shown once) and the delivery log.

Every write goes through `customers.webhooks.services`.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from config.errors import DomainError
from customers.webhooks.models import Delivery, DeliveryAttempt, Subscription
from customers.webhooks.services import (
    delivery_redeliver,
    subscription_create,
    subscription_delete,
    subscription_rotate_secret,
    subscription_update,
    subscription_values_clean,
)

_EDITABLE = ("url", "events", "stores", "active", "description")


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")

    class Meta:
        model = Subscription
        fields = _EDITABLE
        help_texts = {
            "events": 'A JSON list of event types, or ["*"] for all.',
            "stores": "A JSON list of store codes; empty: every store you may see.",
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned.update(
                subscription_values_clean(
                    url=cleaned["url"],
                    events=cleaned.get("events"),
                    stores=cleaned.get("stores") or [],
                    user=self.request_user,
                )
            )
        except ValidationError as error:
            self.add_error(None, error)
        except DomainError as error:
            self.add_error("stores", error.message)
        return cleaned


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fk_name = "delivery"
    fields = ("created_at", "status_code", "duration_ms", "error", "response_excerpt")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("id", "url", "active", "disabled_reason", "created_at")
    list_filter = ("active",)
    readonly_fields = (
        "id",
        "created_at",
        "updated_at",
        "disabled_reason",
        "consecutive_failures",
        "failing_since",
        "previous_secret_expires_at",
    )
    actions = ("rotate_secret",)

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user
        return form

    def save_model(self, request: HttpRequest, obj: Subscription, form, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in _EDITABLE if name in form.cleaned_data}
        if change:
            changed = {name: values[name] for name in form.changed_data if name in values}
            saved = subscription_update(subscription=obj, user=request.user, **changed)
        else:
            saved = subscription_create(user=request.user, **values)
            self.message_user(
                request,
                f"The signing secret, shown this once: {saved.secret}",
                messages.WARNING,
            )
        obj.__dict__.update(
            {f.attname: getattr(saved, f.attname) for f in Subscription._meta.concrete_fields}
        )

    def delete_model(self, request: HttpRequest, obj: Subscription) -> None:
        subscription_delete(subscription=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for subscription in queryset:
            subscription_delete(subscription=subscription)

    @admin.action(description="Rotate the signing secret", permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet) -> None:
        for subscription in queryset:
            rotated = subscription_rotate_secret(subscription=subscription)
            self.message_user(
                request,
                f"New secret of {rotated.url}, shown this once (the old one signs for 24 "
                f"hours more): {rotated.secret}",
                messages.WARNING,
            )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "subscription", "status", "attempts", "created_at")
    list_filter = ("status",)
    list_select_related = ("event", "subscription")
    readonly_fields = (
        "id",
        "subscription",
        "event",
        "customer_uuid",
        "status",
        "attempts",
        "created_at",
        "updated_at",
    )
    exclude = ("locked_until",)
    inlines = (DeliveryAttemptInline,)
    actions = ("redeliver",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Redeliver (same webhook-id)", permissions=["change"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet) -> None:
        for delivery in queryset.select_related("event", "subscription"):
            delivery_redeliver(delivery=delivery)
        self.message_user(request, f"{queryset.count()} delivery(ies) queued again.")
