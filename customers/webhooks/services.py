"""Writes of the events app: events into the outbox, subscriptions, deliveries queued.

`event_record` is called by the domain services inside their transaction. It writes the
event only when an active subscription wants it (one query on a small table otherwise), with
one `Delivery` and one queued task per matching subscription, all in the caller's
transaction: a rolled-back change leaves nothing, a committed one loses nothing.
"""

import contextlib
import contextvars
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from customers.formats.twc import address_to_twc, customer_to_twc, twc_datetime, twc_field
from customers.models import Customer, Store
from customers.webhooks.models import Delivery, Event, Subscription
from customers.webhooks.signing import secret_generate
from customers.webhooks.targets import target_validate

EVENT_TYPES = (
    "customer.created",
    "customer.updated",
    "customer.enabled",
    "customer.disabled",
    "customer.deleted",
    "customer.restored",
    "customer.anonymized",
    "customer.purged",
    "customer.email_confirmed",
    "customer.password_changed",
    "customer.password_reset_requested",
    "address.created",
    "address.updated",
    "address.deleted",
    "customers.imported",
)
ALL_EVENTS = "*"
ROTATION_OVERLAP = timedelta(hours=24)

# Domain fields that are never named in `changed`: secrets, bookkeeping, and the state
# (its changes are `customer.enabled` / `customer.disabled`, or `customer_state` below).
_NOT_CHANGES = frozenset(
    {
        "id",
        "password",
        "credentials_version",
        "updated_at",
        "created_at",
        "last_login_at",
        "self_registered",
        "marketing_preferences_updated_at",
        "deleted_at",
        "anonymized_at",
        "store_id",
    }
)

_suppressed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "events_suppressed", default=False
)


@contextlib.contextmanager
def events_suppressed() -> Iterator[None]:
    """Per-customer events are not written inside (imports emit one `customers.imported`)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


# --- Events -----------------------------------------------------------------------------------


def _assigned_store_ids(user: Any) -> frozenset[int] | None:
    if user is None or user.is_superuser:
        return None
    return frozenset(user.stores.values_list("pk", flat=True)) or None


def subscriptions_matching(*, type: str, store: Store | None) -> list[Subscription]:
    """Active subscriptions that want events of `type` in `store`."""
    matching = []
    for subscription in Subscription.objects.filter(active=True).select_related("created_by"):
        if ALL_EVENTS not in subscription.events and type not in subscription.events:
            continue
        if subscription.stores:
            if store is None or store.code not in subscription.stores:
                continue
        elif store is not None:
            visible = _assigned_store_ids(subscription.created_by)
            if visible is not None and store.pk not in visible:
                continue
        matching.append(subscription)
    return matching


def _event_data(
    *,
    customer: Customer | None,
    store: Store | None,
    changed: Iterable[str] | None,
    address: Any,
    data: Mapping[str, Any] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if customer is not None:
        body = {"id": str(customer.uuid), "reference": customer.reference, "store": store.code}
        if changed is not None:
            body["changed"] = list(changed)
        body["customer"] = customer_to_twc(customer)
    if address is not None:
        body["address"] = address_to_twc(address, customer)
    if data is not None:
        body.update(data)
    return body


def event_record(
    *,
    type: str,
    customer: Customer | None = None,
    store: Store | None = None,
    changed: Iterable[str] | None = None,
    address: Any = None,
    data: Mapping[str, Any] | None = None,
) -> Event | None:
    """Write the event `type` and queue its deliveries, in the caller's transaction.

    Nothing is written when no active subscription wants it, or inside `events_suppressed`.
    Returns the event, or None.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}")
    if _suppressed.get():
        return None
    if store is None and customer is not None:
        store = customer.store
    subscriptions = subscriptions_matching(type=type, store=store)
    if not subscriptions:
        return None
    if type == "address.deleted":
        # Deleted next: the event shows the row as it is, not a caller's older copy.
        address.refresh_from_db()
        customer = address.customer
    now = timezone.now()
    payload = {
        "type": type,
        "timestamp": twc_datetime(now),
        "data": _event_data(
            customer=customer, store=store, changed=changed, address=address, data=data
        ),
    }
    with transaction.atomic():
        event = Event.objects.create(
            type=type,
            store=store,
            customer_uuid=customer.uuid if customer is not None else None,
            reference=customer.reference if customer is not None else "",
            payload=payload,
            created_at=now,
        )
        deliveries_queue(event=event, subscriptions=subscriptions)
    return event


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    """The customer's field values, to name what an update changed."""
    return {field.attname: getattr(customer, field.attname) for field in Customer._meta.fields}


def customer_changes_record(
    *, customer: Customer, before: Mapping[str, Any], password_changed: bool = False
) -> None:
    """The events of one update: state changes, changed fields, a new password."""
    after = customer_snapshot(customer)
    state_before, state = before["state"], after["state"]
    if state != state_before and state == Customer.State.ENABLED:
        event_record(type="customer.enabled", customer=customer)
    elif state != state_before and state_before == Customer.State.ENABLED:
        event_record(type="customer.disabled", customer=customer)
    changed = [
        twc_field(name.removesuffix("_id") if name == "group_id" else name)
        for name in after
        if name not in _NOT_CHANGES
        and after[name] != before[name]
        and not (name == "state" and Customer.State.ENABLED in (state, state_before))
    ]
    if changed:
        event_record(type="customer.updated", customer=customer, changed=changed)
    if password_changed:
        event_record(type="customer.password_changed", customer=customer)


def customers_imported_record(
    *, store: Store, created: int, updated: int, failed: int, source: str
) -> Event | None:
    """One `customers.imported` per import run or upload, with its counts."""
    return event_record(
        type="customers.imported",
        store=store,
        data={
            "store": store.code,
            "created": created,
            "updated": updated,
            "failed": failed,
            "source": source,
        },
    )


# --- Deliveries -------------------------------------------------------------------------------


def deliveries_queue(*, event: Event, subscriptions: Iterable[Subscription]) -> list[Delivery]:
    """A delivery per subscription and its task, queued in the current transaction."""
    from customers.webhooks.tasks import delivery_enqueue  # noqa: PLC0415 (tasks import us)

    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(subscription=subscription, event=event, customer_uuid=event.customer_uuid)
            for subscription in subscriptions
        ]
    )
    for delivery in deliveries:
        delivery_enqueue(delivery)
    return deliveries


@transaction.atomic
def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Send the delivery's event again to its subscription (same `webhook-id`)."""
    return deliveries_queue(event=delivery.event, subscriptions=[delivery.subscription])[0]


@transaction.atomic
def events_replay(*, subscription: Subscription, since: datetime, until: datetime) -> int:
    """Queue the events of [since, until) that the subscription wants; how many."""
    events = Event.objects.filter(created_at__gte=since, created_at__lt=until).select_related(
        "store"
    )
    count = 0
    for event in events.iterator():
        if subscription in subscriptions_matching(type=event.type, store=event.store):
            deliveries_queue(event=event, subscriptions=[subscription])
            count += 1
    return count


# --- Subscriptions ----------------------------------------------------------------------------


def _clean_events(events: Any) -> list[str]:
    if not isinstance(events, list) or not events:
        raise ValidationError(
            {"events": ValidationError('Give a list of event types, or ["*"].', code="invalid")}
        )
    unknown = [name for name in events if name != ALL_EVENTS and name not in EVENT_TYPES]
    if unknown:
        raise ValidationError(
            {
                "events": ValidationError(
                    f"Unknown event types: {', '.join(map(str, unknown))}.", code="invalid"
                )
            }
        )
    return list(dict.fromkeys(events))


def _clean_stores(stores: Any, *, user: Any) -> list[str]:
    if not isinstance(stores, list):
        raise ValidationError(
            {"stores": ValidationError("Give a list of store codes.", code="invalid")}
        )
    known = dict(Store.objects.filter(code__in=stores).values_list("code", "pk"))
    unknown = [code for code in stores if code not in known]
    if unknown:
        raise ValidationError(
            {
                "stores": ValidationError(
                    f"Unknown stores: {', '.join(map(str, unknown))}.", code="invalid"
                )
            }
        )
    visible = _assigned_store_ids(user)
    if visible is not None and any(known[code] not in visible for code in stores):
        from customers.errors import StoreForbidden  # noqa: PLC0415

        raise StoreForbidden(field="stores")
    return list(dict.fromkeys(stores))


_EDITABLE = ("url", "events", "stores", "active", "description")


def subscription_values_clean(*, url: str, events: Any, stores: Any, user: Any) -> dict[str, Any]:
    """The checks of `subscription_create`, for a form that reports them by field.

    Raises: ValidationError (by field), StoreForbidden.
    """
    values = {"events": _clean_events(events), "stores": _clean_stores(stores or [], user=user)}
    target_validate(url)
    return values


@transaction.atomic
def subscription_create(
    *,
    url: str,
    events: list[str],
    user: Any = None,
    stores: list[str] | None = None,
    active: bool = True,
    description: str = "",
) -> Subscription:
    """A new subscription with a fresh secret; it receives events from now on.

    Raises:
        ValidationError: a bad or refused URL (`url`), unknown events or stores.
        StoreForbidden: a store the user may not see.
    """
    subscription = Subscription(
        url=url,
        events=_clean_events(events),
        stores=_clean_stores(stores or [], user=user),
        active=active,
        description=description,
        secret=secret_generate(),
        created_by=user if user is not None and user.pk else None,
    )
    subscription.full_clean()
    target_validate(url)
    subscription.save(force_insert=True)
    return subscription


@transaction.atomic
def subscription_update(
    *, subscription: Subscription, user: Any = None, **changes: Any
) -> Subscription:
    """Change the given fields; turning it active again clears the failure record.

    Raises: as `subscription_create`.
    """
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    for name, value in changes.items():
        if name not in _EDITABLE:
            raise ValueError(f"{name} cannot be changed")
        if name == "events":
            value = _clean_events(value)
        elif name == "stores":
            value = _clean_stores(value, user=user)
        setattr(subscription, name, value)
    if changes.get("active") is True:
        subscription.disabled_reason = ""
        subscription.consecutive_failures = 0
        subscription.failing_since = None
    subscription.full_clean()
    if "url" in changes:
        target_validate(subscription.url)
    subscription.save()
    return subscription


@transaction.atomic
def subscription_rotate_secret(*, subscription: Subscription) -> Subscription:
    """A new secret; the current one keeps signing beside it for 24 hours."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
    subscription.secret = secret_generate()
    subscription.save()
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: Subscription) -> None:
    subscription.delete()


def subscription_secrets(subscription: Subscription) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during its overlap."""
    secrets_ = [subscription.secret]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and expires > timezone.now():
        secrets_.append(subscription.previous_secret)
    return secrets_


def subscription_failure_record(*, subscription: Subscription, error: str) -> None:
    """Count a failed attempt; a long enough run of them disables the subscription."""
    now = timezone.now()
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    subscription.consecutive_failures += 1
    subscription.failing_since = subscription.failing_since or now
    if (
        subscription.active
        and subscription.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES
        and now - subscription.failing_since
        >= timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER_SECONDS)
    ):
        subscription.active = False
        subscription.disabled_reason = (
            f"Disabled at {twc_datetime(now)} after {subscription.consecutive_failures} "
            f"failed attempts since {twc_datetime(subscription.failing_since)}; last error: "
            f"{error}"
        )[:500]
    subscription.save(
        update_fields=["consecutive_failures", "failing_since", "active", "disabled_reason"]
    )


def subscription_success_record(*, subscription: Subscription) -> None:
    Subscription.objects.filter(pk=subscription.pk).exclude(consecutive_failures=0).update(
        consecutive_failures=0, failing_since=None
    )
