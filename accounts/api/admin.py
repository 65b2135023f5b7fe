"""Admin API credentials: staff tokens (simplejwt) and EverShop customer sessions (SPEC 3, 5).

`POST /api/auth/token` and `/api/auth/token/refresh` answer simplejwt's usual
`{"access", "refresh"}`; `POST /customer/login` and `/customers/logout` answer EverShop's
`{"data": ...}`. Errors use the Admin envelope.
"""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.errors import InvalidCredentials
from accounts.services import customer_login, staff_login, staff_tokens_refresh
from accounts.sessions import SESSION_COOKIE, customer_session_end, customer_session_start
from accounts.tokens import StaffRefreshToken
from config.api.admin import AdminPublicViewSet, CustomerSessionViewSet
from config.api.common import StrictCharField
from customers.api.admin import ERROR_EXAMPLE
from customers.selectors import store_get_default

TOKEN_PAIR = inline_serializer(
    name="StaffTokenPair",
    fields={"access": serializers.CharField(), "refresh": serializers.CharField()},
)
TOKEN_EXAMPLE = OpenApiExample(
    "Tokens",
    response_only=True,
    value={"access": "eyJhbGciOiJIUzI1NiIs...", "refresh": "eyJhbGciOiJIUzI1NiIs..."},
)


class StaffTokenViewSet(AdminPublicViewSet):
    """Staff tokens: `POST /api/auth/token` and `POST /api/auth/token/refresh`.

    A staff user's username and password give an access and a refresh token; a live refresh
    token gives a new pair.
    """

    collection_url_name = "admin-token"

    class StaffTokenInputSerializer(serializers.Serializer):
        username = StrictCharField()
        password = StrictCharField(trim_whitespace=False)

    @extend_schema(
        operation_id="admin_auth_token",
        summary="Obtain a staff token pair",
        request=StaffTokenInputSerializer,
        responses={200: TOKEN_PAIR, 400: ERROR_EXAMPLE, 401: ERROR_EXAMPLE, 429: ERROR_EXAMPLE},
        examples=[
            OpenApiExample(
                "Credentials",
                request_only=True,
                value={"username": "admin", "password": "a-long-staff-password"},
            ),
            TOKEN_EXAMPLE,
        ],
    )
    def create(self, request: Request) -> Response:
        serializer = self.StaffTokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = staff_login(**serializer.validated_data)
        except InvalidCredentials:
            # Staff log in with a username, so the customers' wording does not fit.
            raise exceptions.AuthenticationFailed("Invalid username or password") from None
        refresh = StaffRefreshToken.for_user(user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})

    class StaffTokenRefreshInputSerializer(serializers.Serializer):
        refresh = StrictCharField()

    @extend_schema(
        operation_id="admin_auth_token_refresh",
        summary="Refresh a staff token pair",
        request=StaffTokenRefreshInputSerializer,
        responses={200: TOKEN_PAIR, 400: ERROR_EXAMPLE, 401: ERROR_EXAMPLE},
        examples=[TOKEN_EXAMPLE],
    )
    @action(detail=False, methods=["post"], url_path="refresh", url_name="admin-token-refresh")
    def refresh(self, request: Request) -> Response:
        """The refresh token sent is blacklisted (rotation)."""
        serializer = self.StaffTokenRefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        access, refresh = staff_tokens_refresh(raw_refresh=serializer.validated_data["refresh"])
        return Response({"access": access, "refresh": refresh})


class CustomerLoginViewSet(AdminPublicViewSet):
    """`POST /customer/login`: a session in the default store, its id in body and cookie."""

    collection_url_name = "admin-customer-login"
    www_authenticate = 'Session realm="customer"'

    class CustomerLoginInputSerializer(serializers.Serializer):
        email = StrictCharField()
        password = StrictCharField(trim_whitespace=False)

    @extend_schema(
        operation_id="admin_customer_login",
        summary="Log a customer in (session)",
        request=CustomerLoginInputSerializer,
        responses={
            200: inline_serializer(
                name="CustomerSession",
                fields={
                    "data": inline_serializer(
                        name="CustomerSessionId", fields={"sid": StrictCharField()}
                    )
                },
            ),
            401: ERROR_EXAMPLE,
            429: ERROR_EXAMPLE,
        },
        examples=[
            OpenApiExample(
                "Credentials",
                request_only=True,
                value={"email": "john.smith@example.com", "password": "change123"},
            ),
            OpenApiExample(
                "Session",
                response_only=True,
                value={"data": {"sid": "0v8l3n0r5a1vo0m3yq7k2u3g6hx2j8rc"}},
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        serializer = self.CustomerLoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = customer_login(store=store_get_default(), **serializer.validated_data)
        session_key = customer_session_start(customer=customer)
        response = Response({"data": {"sid": session_key}})
        response.set_cookie(
            SESSION_COOKIE,
            session_key,
            max_age=settings.SESSION_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response


class CustomerLogoutViewSet(CustomerSessionViewSet):
    """`POST /customers/logout`: ends the caller's session server-side.

    Its `sid` authenticates nobody afterwards.
    """

    collection_url_name = "admin-customer-logout"

    @extend_schema(
        operation_id="admin_customer_logout",
        summary="Log the customer out (session)",
        request=None,
        responses={
            200: inline_serializer(
                name="CustomerLoggedOut",
                fields={"data": inline_serializer(name="Empty", fields={})},
            ),
            401: ERROR_EXAMPLE,
        },
        examples=[OpenApiExample("Logged out", response_only=True, value={"data": {}})],
    )
    def create(self, request: Request) -> Response:
        customer_session_end(session_key=request.user.session_key)
        response = Response({"data": {}})
        response.delete_cookie(SESSION_COOKIE, samesite="Lax")
        return response
