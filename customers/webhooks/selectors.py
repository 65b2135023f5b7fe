"""Reads of the events app, scoped to what a staff user may see."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from customers.validation import lookup_uuid
from customers.webhooks.models import Delivery, DeliveryAttempt, Subscription


def _assigned_codes(user: Any) -> frozenset[str] | None:
    """The store codes `user` is limited to, or None when it may see every store."""
    if user.is_superuser:
        return None
    return frozenset(user.stores.values_list("code", flat=True)) or None


def subscription_visible(subscription: Subscription, *, user: Any) -> bool:
    """Whether `user` may reach `subscription`.

    Unlimited staff see every subscription; staff limited to some stores see the ones they
    created and those limited to stores they all may see.
    """
    codes = _assigned_codes(user)
    if codes is None or subscription.created_by_id == user.pk:
        return True
    return bool(subscription.stores) and set(subscription.stores) <= codes


def subscription_list(*, user: Any) -> QuerySet[Subscription]:
    subscriptions = Subscription.objects.order_by("-created_at", "-id")
    if _assigned_codes(user) is None:
        return subscriptions
    visible = [s.pk for s in subscriptions if subscription_visible(s, user=user)]
    return subscriptions.filter(pk__in=visible)


class SubscriptionNotFound(Http404):
    pass


def subscription_get(*, subscription_id: Any, user: Any) -> Subscription:
    """Raises: SubscriptionNotFound (also for one the user may not see, and a malformed id)."""
    subscription = Subscription.objects.filter(pk=lookup_uuid(subscription_id)).first()
    if subscription is None or not subscription_visible(subscription, user=user):
        raise SubscriptionNotFound("Subscription not found")
    return subscription


def delivery_attempts(*, subscription: Subscription) -> QuerySet[DeliveryAttempt]:
    return (
        DeliveryAttempt.objects.filter(subscription=subscription)
        .select_related("delivery__event")
        .order_by("-created_at", "-id")
    )


def delivery_get(*, subscription: Subscription, delivery_id: Any) -> Delivery:
    """A delivery of `subscription`, by its id or the id of one of its attempts.

    Raises: Http404.
    """
    key = lookup_uuid(delivery_id)
    attempt = (
        DeliveryAttempt.objects.select_related("delivery__event", "delivery__subscription")
        .filter(pk=key, subscription=subscription)
        .first()
    )
    if attempt is not None:
        return attempt.delivery
    delivery = (
        Delivery.objects.select_related("event", "subscription")
        .filter(pk=key, subscription=subscription)
        .first()
    )
    if delivery is None:
        raise Http404("Delivery not found")
    return delivery
