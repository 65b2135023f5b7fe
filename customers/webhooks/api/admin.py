"""Admin API (EverShop dialect): webhook subscriptions at /api/webhooks (SPEC 13).

Staff only, with the model permissions of `webhooks.Subscription` (rotating a secret and
redelivering need `change`); a staff user limited to some stores reaches only the
subscriptions of those stores and its own. The secret is in the answer of the create and the
rotate, never anywhere else.
"""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import StaffModelPermissions
from config.api.admin import DATETIME_FORMAT, AdminViewSet, admin_page
from customers.api.admin import ERROR_EXAMPLE
from customers.formats.twc import StrictBooleanField, StrictCharField
from customers.webhooks.models import Subscription
from customers.webhooks.selectors import (
    delivery_attempts,
    delivery_get,
    subscription_get,
    subscription_list,
)
from customers.webhooks.services import (
    delivery_redeliver,
    subscription_create,
    subscription_delete,
    subscription_rotate_secret,
    subscription_update,
)


class StaffMayChangeSubscription(StaffModelPermissions):
    """The operations on a subscription that POST without creating one need `change`."""

    perms_map = {**StaffModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class SubscriptionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    stores = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    description = serializers.CharField()
    disabled_reason = serializers.CharField()
    created_at = serializers.DateTimeField(format=DATETIME_FORMAT)
    updated_at = serializers.DateTimeField(format=DATETIME_FORMAT)


class SubscriptionWithSecretOutputSerializer(SubscriptionOutputSerializer):
    secret = serializers.CharField()


class DeliveryAttemptOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    event_id = serializers.UUIDField(source="delivery.event.uuid")
    event_type = serializers.CharField(source="delivery.event.type")
    status_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField(format=DATETIME_FORMAT)


def _data(serializer_class: type, name: str) -> Any:
    return inline_serializer(name=name, fields={"data": serializer_class()})


class SubscriptionViewSet(AdminViewSet):
    collection_url_name = "admin-webhooks"
    item_url_name = "admin-webhook"
    lookup_field = "id"
    queryset = Subscription.objects.none()

    def get_permissions(self) -> list:
        if self.action in ("rotate_secret", "redeliver"):
            return [StaffMayChangeSubscription()]
        return [StaffModelPermissions()]

    class SubscriptionCreateInputSerializer(serializers.Serializer):
        url = StrictCharField(max_length=2000)
        events = serializers.ListField(child=StrictCharField(max_length=64), max_length=50)
        stores = serializers.ListField(
            child=StrictCharField(max_length=16), max_length=100, required=False
        )
        active = StrictBooleanField(required=False)
        description = StrictCharField(max_length=500, required=False, allow_blank=True)

    class SubscriptionUpdateInputSerializer(SubscriptionCreateInputSerializer):
        url = StrictCharField(max_length=2000, required=False)
        events = serializers.ListField(
            child=StrictCharField(max_length=64), max_length=50, required=False
        )

    def _subscription(self, request: Request, id: str) -> Subscription:
        return subscription_get(subscription_id=id, user=request.user)

    @extend_schema(
        operation_id="admin_webhooks_list",
        summary="List webhook subscriptions",
        responses={
            401: ERROR_EXAMPLE,
            403: ERROR_EXAMPLE,
            200: admin_page(SubscriptionOutputSerializer(many=True), "AdminWebhookList"),
        },
    )
    def list(self, request: Request) -> Response:
        page = self.paginator.paginate_queryset(subscription_list(user=request.user), request)
        return self.paginator.get_paginated_response(
            SubscriptionOutputSerializer(page, many=True).data
        )

    @extend_schema(
        operation_id="admin_webhooks_create",
        summary="Subscribe an endpoint (the secret is shown this once)",
        request=SubscriptionCreateInputSerializer,
        responses={
            400: ERROR_EXAMPLE,
            401: ERROR_EXAMPLE,
            403: ERROR_EXAMPLE,
            201: _data(SubscriptionWithSecretOutputSerializer, "AdminWebhookCreated"),
        },
    )
    def create(self, request: Request) -> Response:
        serializer = self.SubscriptionCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = subscription_create(user=request.user, **serializer.validated_data)
        return Response(
            {"data": SubscriptionWithSecretOutputSerializer(subscription).data},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        operation_id="admin_webhooks_retrieve",
        summary="One webhook subscription (without its secret)",
        responses={
            401: ERROR_EXAMPLE,
            403: ERROR_EXAMPLE,
            404: ERROR_EXAMPLE,
            200: _data(SubscriptionOutputSerializer, "AdminWebhook"),
        },
    )
    def retrieve(self, request: Request, id: str) -> Response:
        subscription = self._subscription(request, id)
        return Response({"data": SubscriptionOutputSerializer(subscription).data})

    @extend_schema(
        operation_id="admin_webhooks_update",
        summary="Change a webhook subscription",
        request=SubscriptionUpdateInputSerializer,
        responses={
            400: ERROR_EXAMPLE,
            401: ERROR_EXAMPLE,
            403: ERROR_EXAMPLE,
            404: ERROR_EXAMPLE,
            200: _data(SubscriptionOutputSerializer, "AdminWebhookUpdated"),
        },
    )
    def partial_update(self, request: Request, id: str) -> Response:
        subscription = self._subscription(request, id)
        serializer = self.SubscriptionUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = subscription_update(
            subscription=subscription, user=request.user, **serializer.validated_data
        )
        return Response({"data": SubscriptionOutputSerializer(subscription).data})

    @extend_schema(
        operation_id="admin_webhooks_destroy",
        summary="Delete a webhook subscription",
        responses={
            401: ERROR_EXAMPLE,
            403: ERROR_EXAMPLE,
            404: ERROR_EXAMPLE,
            204: OpenApiResponse(description="Deleted"),
        },
    )
    def destroy(self, request: Request, id: str) -> Response:
        subscription_delete(subscription=self._subscription(request, id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="admin_webhooks_rotate_secret",
        summary="A new secret; the old one keeps signing beside it for 24 hours",
        request=None,
        responses={
            401: ERROR_EXAMPLE,
            403: ERROR_EXAMPLE,
            404: ERROR_EXAMPLE,
            200: _data(SubscriptionWithSecretOutputSerializer, "AdminWebhookRotated"),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="rotate-secret",
        url_name="admin-webhook-rotate-secret",
    )
    def rotate_secret(self, request: Request, id: str) -> Response:
        subscription = subscription_rotate_secret(subscription=self._subscription(request, id))
        return Response({"data": SubscriptionWithSecretOutputSerializer(subscription).data})

    @extend_schema(
        operation_id="admin_webhooks_deliveries",
        summary="The delivery attempts of a subscription, newest first",
        responses={
            400: ERROR_EXAMPLE,
            401: ERROR_EXAMPLE,
            403: ERROR_EXAMPLE,
            404: ERROR_EXAMPLE,
            200: admin_page(DeliveryAttemptOutputSerializer(many=True), "AdminWebhookDeliveryList"),
        },
    )
    @action(
        detail=True, methods=["get"], url_path="deliveries", url_name="admin-webhook-deliveries"
    )
    def deliveries(self, request: Request, id: str) -> Response:
        subscription = self._subscription(request, id)
        page = self.paginator.paginate_queryset(
            delivery_attempts(subscription=subscription), request
        )
        return self.paginator.get_paginated_response(
            DeliveryAttemptOutputSerializer(page, many=True).data
        )

    @extend_schema(
        operation_id="admin_webhooks_redeliver",
        summary="Send a delivery's event again (same webhook-id)",
        request=None,
        responses={
            401: ERROR_EXAMPLE,
            403: ERROR_EXAMPLE,
            404: ERROR_EXAMPLE,
            202: inline_serializer(
                name="AdminWebhookRedelivery",
                fields={
                    "data": inline_serializer(
                        name="AdminWebhookRedeliveryData",
                        fields={
                            "id": serializers.UUIDField(),
                            "event_id": serializers.UUIDField(),
                            "status": serializers.CharField(),
                        },
                    )
                },
            ),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[^/]+)/redeliver",
        url_name="admin-webhook-redeliver",
    )
    def redeliver(self, request: Request, id: str, delivery_id: str) -> Response:
        subscription = self._subscription(request, id)
        delivery = delivery_redeliver(
            delivery=delivery_get(subscription=subscription, delivery_id=delivery_id)
        )
        return Response(
            {
                "data": {
                    "id": str(delivery.pk),
                    "event_id": str(delivery.event.uuid),
                    "status": delivery.status,
                }
            },
            status=status.HTTP_202_ACCEPTED,
        )
