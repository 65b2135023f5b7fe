"""Storefront credentials: tokens, email confirmation and the password flows (SPEC 4, 1.4, 12).

`access-tokens` and `refresh-tokens` hand out the customer token pair of accounts/tokens.py;
every failure is the same 401 (`003` to log in, `004` to refresh), so nothing tells which
part was wrong. The forgotten-password answer is the same for known and unknown emails.
"""

from typing import Any

from django.core.validators import EmailValidator
from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import TokenError

from accounts import notifications
from accounts.services import (
    customer_change_password,
    customer_login,
    email_confirm,
    password_reset_complete,
)
from accounts.tokens import (
    REFRESH_JTI_CLAIM,
    CustomerAccessToken,
    CustomerTokenPair,
    customer_refresh_revoke,
    customer_tokens_issue,
    customer_tokens_refresh,
)
from config.api.common import StrictCharField
from config.api.storefront import (
    CATALOGUE,
    ERROR_RESPONSES,
    EnvelopeError,
    ErrorSpec,
    StorefrontViewSet,
    jsonapi_request,
    jsonapi_response,
    request_attributes,
    resource,
)
from customers.selectors import store_get_default

NO_REFERRER = "no-referrer"
RESOURCE_ID_MISSING = "Resource id is not specified."


class TokenOutputSerializer(serializers.Serializer):
    tokenType = serializers.CharField()
    expiresIn = serializers.IntegerField()
    accessToken = serializers.CharField()
    refreshToken = serializers.CharField()


def token_document(view: StorefrontViewSet, resource_type: str, pair: CustomerTokenPair) -> dict:
    attributes = {
        "tokenType": "Bearer",
        "expiresIn": pair.expires_in,
        "accessToken": pair.access,
        "refreshToken": pair.refresh,
    }
    return {
        "data": resource(
            resource_type=resource_type,
            resource_id=None,
            attributes=attributes,
            self_url=view.absolute_url(reverse(f"storefront-{resource_type}")),
        )
    }


class AccessTokenInputSerializer(serializers.Serializer):
    username = StrictCharField()
    password = StrictCharField(trim_whitespace=False)


class AccessTokenViewSet(StorefrontViewSet):
    """`POST /access-tokens`: email and password -> a token pair (401 `003` on any failure)."""

    collection_url_name = "storefront-access-tokens"

    public_methods = frozenset({"POST"})
    throttled_methods = frozenset({"POST"})

    @extend_schema(
        operation_id="storefront_access_tokens",
        summary="Log a customer in",
        request=jsonapi_request(
            "StorefrontAccessToken", "access-tokens", AccessTokenInputSerializer
        ),
        responses={
            201: jsonapi_response("StorefrontAccessToken", "access-tokens", TokenOutputSerializer),
            **ERROR_RESPONSES,
            429: ERROR_RESPONSES[400],
        },
        examples=[
            OpenApiExample(
                "Credentials",
                request_only=True,
                value={
                    "data": {
                        "type": "access-tokens",
                        "attributes": {"username": "jdoe@example.com", "password": "change123"},
                    }
                },
            )
        ],
    )
    def create(self, request: Request) -> Response:
        attributes = request_attributes(request, "access-tokens")
        # Blank or missing credentials are a validation error (422 `901`, SPEC 4); filled-in
        # ones, right or wrong, go through the same check so that they answer the same.
        serializer = AccessTokenInputSerializer(data=attributes)
        serializer.is_valid(raise_exception=True)
        customer = customer_login(
            store=store_get_default(),
            email=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        pair = customer_tokens_issue(customer=customer)
        return Response(token_document(self, "access-tokens", pair), status=201)


class RefreshTokenInputSerializer(serializers.Serializer):
    refreshToken = StrictCharField()


class RefreshTokenViewSet(StorefrontViewSet):
    """`POST /refresh-tokens`: a live refresh token -> a new pair; the one sent dies.

    `DELETE /refresh-tokens/{token}`: log out one token, or all of them with `mine`. Always
    204: a token that is not the caller's is left alone.
    """

    collection_url_name = "storefront-refresh-tokens"
    item_url_name = "storefront-refresh-token"
    lookup_field = "token"
    public_methods = frozenset({"POST"})

    @extend_schema(
        operation_id="storefront_refresh_tokens",
        summary="Refresh a customer's tokens",
        request=jsonapi_request(
            "StorefrontRefreshToken", "refresh-tokens", RefreshTokenInputSerializer
        ),
        responses={
            201: jsonapi_response(
                "StorefrontRefreshToken", "refresh-tokens", TokenOutputSerializer
            ),
            **ERROR_RESPONSES,
        },
    )
    def create(self, request: Request) -> Response:
        """A live refresh token -> a new pair; the one sent dies."""
        attributes = request_attributes(request, "refresh-tokens")
        serializer = RefreshTokenInputSerializer(data=attributes)
        serializer.is_valid(raise_exception=True)
        pair = customer_tokens_refresh(raw_refresh=serializer.validated_data["refreshToken"])
        return Response(token_document(self, "refresh-tokens", pair), status=201)

    @extend_schema(
        operation_id="storefront_refresh_tokens_revoke_refused",
        summary='Refused: the token is missing (400 "Resource id is not specified.")',
        request=None,
        responses=ERROR_RESPONSES,
    )
    def collection_destroy(self, request: Request) -> Response:
        """`DELETE /refresh-tokens/`: Glue's answer to a missing resource id (SPEC 4)."""
        self.current_customer()
        raise EnvelopeError(RESOURCE_ID_MISSING)

    @extend_schema(
        operation_id="storefront_refresh_tokens_revoke",
        summary="Log out: revoke one or all of the caller's refresh tokens",
        responses={204: None, **ERROR_RESPONSES},
    )
    def destroy(self, request: Request, token: str) -> Response:
        """Log out one refresh token, or all of the caller's with `mine` (always 204)."""
        customer = self.current_customer()
        customer_refresh_revoke(customer=customer, raw_refresh=None if token == "mine" else token)
        return Response(status=204)


class ConfirmationInputSerializer(serializers.Serializer):
    registrationKey = StrictCharField()


class CustomerConfirmationViewSet(StorefrontViewSet):
    """`POST /customer-confirmation`: redeem the key of the registration email."""

    collection_url_name = "storefront-customer-confirmation"

    public_methods = frozenset({"POST"})

    @extend_schema(
        operation_id="storefront_customer_confirmation",
        summary="Confirm a customer's email",
        request=jsonapi_request(
            "StorefrontCustomerConfirmation", "customer-confirmation", ConfirmationInputSerializer
        ),
        responses={204: None, **ERROR_RESPONSES},
    )
    def create(self, request: Request) -> Response:
        attributes = request_attributes(request, "customer-confirmation")
        serializer = ConfirmationInputSerializer(data=attributes)
        serializer.is_valid(raise_exception=True)
        email_confirm(raw_key=serializer.validated_data["registrationKey"])
        return Response(status=204)


class PasswordChangeInputSerializer(serializers.Serializer):
    password = StrictCharField(trim_whitespace=False)
    newPassword = StrictCharField(trim_whitespace=False)
    confirmPassword = StrictCharField(trim_whitespace=False)


PASSWORD_CHANGE_EXAMPLE = OpenApiExample(
    "Change",
    request_only=True,
    value={
        "data": {
            "type": "customer-password",
            "attributes": {
                "password": "change123",
                "newPassword": "321egnahc",
                "confirmPassword": "321egnahc",
            },
        }
    },
)
PASSWORD_CHANGE_REQUEST = jsonapi_request(
    "StorefrontCustomerPassword", "customer-password", PasswordChangeInputSerializer
)


class CustomerPasswordViewSet(StorefrontViewSet):
    """`PATCH /customer-password[/{reference}]`: change the caller's password.

    The refresh token issued with the caller's access token survives; every other refresh
    token, session and key of the customer is revoked (SPEC 12).
    """

    collection_url_name = "storefront-customer-password"
    item_url_name = "storefront-customer-password-of"
    lookup_field = "reference"
    referrer_policy = NO_REFERRER
    save_error = CATALOGUE["407"]
    # Spryker names the attribute that differs from its confirmation (SPEC 4).
    error_map = {
        "password_mismatch": ErrorSpec(
            422,
            "406",
            "Value in field newPassword should be identical to value in the confirmPassword field.",
        )
    }
    # The password rules are checked on the new password.
    wire_fields = {"password": "newPassword"}

    @extend_schema(
        operation_id="storefront_customer_password",
        summary="Change the caller's password",
        request=PASSWORD_CHANGE_REQUEST,
        responses={204: None, **ERROR_RESPONSES},
        examples=[PASSWORD_CHANGE_EXAMPLE],
    )
    def collection_partial_update(self, request: Request) -> Response:
        return self._change(request, self.current_customer())

    @extend_schema(
        operation_id="storefront_customer_password_of",
        summary="Change the caller's password",
        request=PASSWORD_CHANGE_REQUEST,
        responses={204: None, **ERROR_RESPONSES},
        examples=[PASSWORD_CHANGE_EXAMPLE],
    )
    def partial_update(self, request: Request, reference: str) -> Response:
        """The same change, naming the caller's reference."""
        return self._change(request, self.own_customer(reference))

    def _change(self, request: Request, customer) -> Response:
        attributes = request_attributes(request, "customer-password")
        serializer = PasswordChangeInputSerializer(data=attributes)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        customer_change_password(
            customer=customer,
            current_password=data["password"],
            new_password=data["newPassword"],
            confirmation=data["confirmPassword"],
            keep_refresh_jti=self._refresh_jti(request),
        )
        return Response(status=204)

    @staticmethod
    def _refresh_jti(request: Request) -> str | None:
        try:
            return CustomerAccessToken(request.auth).get(REFRESH_JTI_CLAIM)
        except (TokenError, TypeError):  # pragma: no cover - authentication decoded it already
            return None


class ForgottenPasswordInputSerializer(serializers.Serializer):
    # The format only (SPEC 4): every well-formed email answers 204, known or not.
    email = StrictCharField(validators=[EmailValidator()])


class ForgottenPasswordViewSet(StorefrontViewSet):
    """`POST /customer-forgotten-password`: 204 whether or not the email is known (SPEC 12)."""

    collection_url_name = "storefront-customer-forgotten-password"

    public_methods = frozenset({"POST"})
    throttled_methods = frozenset({"POST"})
    referrer_policy = NO_REFERRER

    @extend_schema(
        operation_id="storefront_customer_forgotten_password",
        summary="Send a password reset email",
        request=jsonapi_request(
            "StorefrontForgottenPassword",
            "customer-forgotten-password",
            ForgottenPasswordInputSerializer,
        ),
        responses={204: None, **ERROR_RESPONSES, 429: ERROR_RESPONSES[400]},
    )
    def create(self, request: Request) -> Response:
        attributes = request_attributes(request, "customer-forgotten-password")
        serializer = ForgottenPasswordInputSerializer(data=attributes)
        serializer.is_valid(raise_exception=True)
        notifications.password_reset_request_enqueue(
            store=store_get_default(), email=serializer.validated_data["email"]
        )
        return Response(status=204)


class RestorePasswordInputSerializer(serializers.Serializer):
    restorePasswordKey = StrictCharField()
    password = StrictCharField(trim_whitespace=False)
    confirmPassword = StrictCharField(trim_whitespace=False, required=False)
    # The seeds name the confirmation both ways; either is accepted.
    passwordConfirmation = StrictCharField(trim_whitespace=False, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "confirmPassword" not in attrs and "passwordConfirmation" not in attrs:
            raise serializers.ValidationError(
                {"confirmPassword": [self.fields["confirmPassword"].error_messages["required"]]},
                code="required",
            )
        return attrs


RESTORE_PASSWORD_REQUEST = jsonapi_request(
    "StorefrontRestorePassword", "customer-restore-password", RestorePasswordInputSerializer
)


class RestorePasswordViewSet(StorefrontViewSet):
    """`PATCH /customer-restore-password[/{any}]`: set a new password with a reset key.

    The key travels in the body; a path part after the route is accepted and ignored.
    """

    collection_url_name = "storefront-customer-restore-password"
    item_url_name = "storefront-customer-restore-password-key"
    lookup_field = "key"

    public_methods = frozenset({"PATCH"})
    referrer_policy = NO_REFERRER
    save_error = CATALOGUE["407"]

    @extend_schema(
        operation_id="storefront_customer_restore_password",
        summary="Set a new password with the key from the reset email",
        request=RESTORE_PASSWORD_REQUEST,
        responses={204: None, **ERROR_RESPONSES},
    )
    def collection_partial_update(self, request: Request) -> Response:
        return self._restore(request)

    @extend_schema(
        operation_id="storefront_customer_restore_password_key",
        summary="Set a new password with the key from the reset email",
        request=RESTORE_PASSWORD_REQUEST,
        responses={204: None, **ERROR_RESPONSES},
    )
    def partial_update(self, request: Request, key: str) -> Response:
        return self._restore(request)

    def _restore(self, request: Request) -> Response:
        attributes = request_attributes(request, "customer-restore-password")
        serializer = RestorePasswordInputSerializer(data=attributes)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        password_reset_complete(
            raw_key=data["restorePasswordKey"],
            password=data["password"],
            confirmation=data.get("confirmPassword", data.get("passwordConfirmation")),
        )
        return Response(status=204)
