"""`/api/webhooks` (SPEC 13): the Admin API's envelope, permissions and store scoping."""

import base64
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import override_settings

from accounts.tokens import StaffRefreshToken, customer_tokens_issue
from customers.webhooks.models import Delivery, DeliveryAttempt, Event, Subscription
from tests.admin_api.conftest import bearer_client

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.216.34/hooks/clientele"
SECRET = re.compile(r"whsec_[A-Za-z0-9+/]{32}")
DATETIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def staff(username="hooks", permissions=("view", "add", "change", "delete"), stores=()):
    user = User.objects.create_user(username=username, password="a-long-password", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="webhooks",
            codename__in=[f"{name}_subscription" for name in permissions],
        )
    )
    user.stores.set(stores)
    return user


def client_for(user):
    return bearer_client(str(StaffRefreshToken.for_user(user).access_token))


@pytest.fixture
def client(db):
    return client_for(staff())


def body_of(subscription: Subscription, **extra) -> dict:
    return {
        "id": str(subscription.id),
        "url": subscription.url,
        "events": subscription.events,
        "stores": subscription.stores,
        "active": subscription.active,
        "description": subscription.description,
        "disabled_reason": subscription.disabled_reason,
        "created_at": subscription.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "updated_at": subscription.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
        **extra,
    }


def test_create_answers_201_with_the_secret_once(client, store):
    # when
    response = client.post(
        "/api/webhooks",
        {
            "url": PUBLIC_URL,
            "events": ["customer.created", "customer.updated"],
            "stores": ["DE"],
            "description": "ERP",
        },
        format="json",
    )

    # then
    assert response.status_code == 201, response.content
    subscription = Subscription.objects.get()
    assert response.json() == {"data": body_of(subscription, secret=subscription.secret)}
    assert SECRET.fullmatch(subscription.secret)
    assert len(base64.b64decode(subscription.secret.removeprefix("whsec_"))) == 24
    assert (subscription.active, subscription.stores, subscription.created_by.username) == (
        True,
        ["DE"],
        "hooks",
    )


def test_list_and_get_never_show_the_secret(client, make_subscription):
    # given
    older = make_subscription(description="older")
    newer = make_subscription(description="newer", events=["address.created"])

    # when
    listed = client.get("/api/webhooks")
    one = client.get(f"/api/webhooks/{older.id}")

    # then
    assert listed.status_code == 200
    assert listed.json() == {
        "data": [body_of(newer), body_of(older)],
        "links": {
            "first": "/api/webhooks?page=1",
            "last": "/api/webhooks?page=1",
            "prev": None,
            "next": None,
        },
        "meta": {
            "current_page": 1,
            "from": 1,
            "last_page": 1,
            "path": "/api/webhooks",
            "per_page": 20,
            "to": 2,
            "total": 2,
        },
    }
    assert one.status_code == 200
    assert one.json() == {"data": body_of(older)}
    assert older.secret not in listed.content.decode() + one.content.decode()


def test_patch_changes_the_given_fields(client, subscription):
    response = client.patch(
        f"/api/webhooks/{subscription.id}",
        {"events": ["customer.deleted"], "active": False, "description": "paused"},
        format="json",
    )

    assert response.status_code == 200, response.content
    subscription.refresh_from_db()
    assert (subscription.events, subscription.active, subscription.description) == (
        ["customer.deleted"],
        False,
        "paused",
    )
    assert response.json() == {"data": body_of(subscription)}


def test_delete_answers_204(client, subscription):
    response = client.delete(f"/api/webhooks/{subscription.id}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Subscription.objects.exists()


def test_rotate_secret_answers_the_new_secret_and_keeps_the_old_for_a_day(client, subscription):
    # given
    old = subscription.secret

    # when
    response = client.post(f"/api/webhooks/{subscription.id}/rotate-secret")

    # then
    assert response.status_code == 200, response.content
    subscription.refresh_from_db()
    assert response.json() == {"data": body_of(subscription, secret=subscription.secret)}
    assert subscription.secret != old
    assert subscription.previous_secret == old
    lifetime = subscription.previous_secret_expires_at - subscription.updated_at
    assert 86399 <= lifetime.total_seconds() <= 86401


def _logged_attempt(subscription, store) -> DeliveryAttempt:
    event = Event.objects.create(type="customer.created", store=store, payload={"type": "x"})
    delivery = Delivery.objects.create(
        subscription=subscription, event=event, status=Delivery.Status.FAILED, attempts=1
    )
    return DeliveryAttempt.objects.create(
        delivery=delivery,
        subscription=subscription,
        status_code=500,
        duration_ms=12,
        error="HTTP 500",
    )


def test_deliveries_lists_attempts_and_redeliver_queues_the_same_event(client, subscription, store):
    # given
    attempt = _logged_attempt(subscription, store)

    # when
    listed = client.get(f"/api/webhooks/{subscription.id}/deliveries")

    # then
    assert listed.status_code == 200
    assert listed.json()["data"] == [
        {
            "id": str(attempt.id),
            "event_id": str(attempt.delivery.event.uuid),
            "event_type": "customer.created",
            "status_code": 500,
            "duration_ms": 12,
            "error": "HTTP 500",
            "created_at": attempt.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        }
    ]
    assert listed.json()["meta"]["total"] == 1

    # when
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    ):
        redelivered = client.post(
            f"/api/webhooks/{subscription.id}/deliveries/{attempt.id}/redeliver"
        )

    # then
    assert redelivered.status_code == 202, redelivered.content
    again = Delivery.objects.exclude(pk=attempt.delivery_id).get()
    assert again.event_id == attempt.delivery.event_id
    assert redelivered.json() == {
        "data": {"id": str(again.id), "event_id": str(again.event.uuid), "status": "pending"}
    }


def test_redeliver_of_an_unknown_delivery_is_404(client, subscription):
    response = client.post(
        f"/api/webhooks/{subscription.id}/deliveries/00000000-0000-0000-0000-000000000000/redeliver"
    )

    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "message": "Not found"}}
    assert Delivery.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1/hook", "url: The URL's host resolves to an internal address."),
        ("https://10.0.0.1/hook", "url: The URL's host resolves to an internal address."),
        ("https://169.254.169.254/latest", "url: The URL's host resolves to an internal address."),
        ("https://[::1]/hook", "url: The URL's host resolves to an internal address."),
        ("https://localhost/hook", "url: The URL's host resolves to an internal address."),
        ("http://93.184.216.34/hook", "url: The URL must use https."),
        ("ftp://93.184.216.34/hook", "url: The URL must use https."),
        ("not a url", "url: Enter a valid URL."),
    ],
)
def test_refused_targets_are_400_and_nothing_is_written(client, url, message):
    response = client.post("/api/webhooks", {"url": url, "events": ["*"]}, format="json")

    assert response.status_code == 400
    assert response.json() == {"error": {"status": 400, "message": message}}
    assert not Subscription.objects.exists()


def test_patch_to_a_refused_target_is_400_and_changes_nothing(client, subscription):
    response = client.patch(
        f"/api/webhooks/{subscription.id}", {"url": "https://10.1.2.3/x"}, format="json"
    )

    assert response.status_code == 400
    subscription.refresh_from_db()
    assert subscription.url == "https://hooks.example.com/clientele"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"url": PUBLIC_URL, "events": ["customer.exploded"]},
            "events: Unknown event types: customer.exploded.",
        ),
        ({"url": PUBLIC_URL, "events": []}, 'events: Give a list of event types, or ["*"].'),
        ({"url": PUBLIC_URL, "events": ["*"], "stores": ["XX"]}, "stores: Unknown stores: XX."),
        (
            {"url": PUBLIC_URL, "events": "*"},
            'events: Expected a list of items but got type "str".',
        ),
        ({"url": PUBLIC_URL, "events": ["*"], "active": "yes"}, "active: Must be a valid boolean."),
        ({"events": ["*"]}, "url: This field is required."),
    ],
)
def test_bad_bodies_are_400(client, store, body, message):
    response = client.post("/api/webhooks", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"error": {"status": 400, "message": message}}
    assert not Subscription.objects.exists()


def test_without_credentials_401(api_client, subscription):
    response = api_client.get("/api/webhooks")

    assert response.status_code == 401
    assert response.json() == {
        "error": {"status": 401, "message": "Authentication credentials were not provided."}
    }


def test_a_customer_token_is_403(customer, subscription):
    client = bearer_client(customer_tokens_issue(customer=customer).access)

    response = client.post("/api/webhooks", {"url": PUBLIC_URL, "events": ["*"]}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "error": {"status": 403, "message": "You do not have permission to perform this action."}
    }
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "path", "permissions"),
    [
        ("get", "", ("add", "change", "delete")),
        ("post", "", ("view", "change", "delete")),
        ("patch", "/{id}", ("view", "add", "delete")),
        ("delete", "/{id}", ("view", "add", "change")),
        ("post", "/{id}/rotate-secret", ("view", "add", "delete")),
    ],
)
def test_each_route_needs_its_model_permission(subscription, method, path, permissions):
    client = client_for(staff(permissions=permissions))
    secret = subscription.secret

    response = getattr(client, method)(
        "/api/webhooks" + path.format(id=subscription.id),
        {"url": PUBLIC_URL, "events": ["*"]},
        format="json",
    )

    assert response.status_code == 403
    subscription.refresh_from_db()
    assert (Subscription.objects.count(), subscription.secret, subscription.events) == (
        1,
        secret,
        ["*"],
    )


def test_a_store_limited_user_cannot_reach_another_stores_subscription(
    store, other_store, make_subscription
):
    # given: a subscription for DE, a staff user limited to AT
    german = make_subscription(stores=["DE"])
    austrian = make_subscription(stores=["AT"])
    client = client_for(staff(stores=[other_store]))

    # when / then: invisible everywhere
    listed = client.get("/api/webhooks")
    assert [row["id"] for row in listed.json()["data"]] == [str(austrian.id)]
    for method, path in [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "/rotate-secret"),
        ("get", "/deliveries"),
    ]:
        response = getattr(client, method)(
            f"/api/webhooks/{german.id}{path}", {"active": False}, format="json"
        )
        assert response.status_code == 404, (method, path)
        assert response.json() == {"error": {"status": 404, "message": "Not found"}}
    refreshed = Subscription.objects.get(pk=german.pk)
    assert (refreshed.active, refreshed.secret) == (True, german.secret)

    # and: it cannot subscribe to DE
    response = client.post(
        "/api/webhooks", {"url": PUBLIC_URL, "events": ["*"], "stores": ["DE"]}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {
        "error": {"status": 403, "message": "You may not access this store."}
    }
    assert Subscription.objects.count() == 2


def test_a_malformed_id_is_404(client):
    response = client.get("/api/webhooks/not-a-uuid")

    assert response.status_code == 404
    assert response.json() == {"error": {"status": 404, "message": "Not found"}}
