"""Generated hostile bodies on every write route of the three dialects (SPEC 12, issue 14).

Whatever the body (deep or wide nesting, huge strings, NUL, lone surrogates, numbers, flags,
nulls, lists or objects where text is expected, huge integers, `1e400`), a route answers
without a 5xx, an error comes in its dialect's envelope, and a 4xx wrote nothing.

Each example makes every place of a route's valid body hostile in turn (values, keys and
text inside them, nested ones included), then sends two wholly generated bodies; every
request runs in a savepoint rolled back after it. Bounded: four examples per route, so the
file runs in about twenty seconds. `HYPOTHESIS_PROFILE=ci` makes the run derandomized (the
same examples every time), as CI should use.
"""

import json
import os
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accounts.tokens import StaffRefreshToken, customer_tokens_issue
from tests.factories.customers import AddressFactory, CustomerFactory

PASSWORD = "correct-horse-9"
JSON_API = "application/vnd.api+json"
JSON = "application/json"

settings.register_profile(
    "hostile",
    max_examples=4,
    deadline=None,
    database=None,  # no example database written into the working tree
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # isolated per example by a savepoint, below
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
settings.register_profile("ci", settings.get_profile("hostile"), derandomize=True)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "hostile"))

# --- Hostile values ---------------------------------------------------------------------------
# Raw JSON tokens that `json.dumps` cannot write: placeholders are swapped for them after.
RAW_TOKENS = {
    "@@1e400@@": "1e400",
    "@@-1e400@@": "-1e400",
    "@@tiny@@": "1e-400",
    "@@huge_int@@": "1" + "0" * 5000,  # beyond Python's int digit limit
    "@@nan@@": "NaN",
    "@@infinity@@": "Infinity",
}
HOSTILE_TEXT = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "\ufeff",
    "\u200b@example.com",
    "john.smith@example.com\x00",
    "",
    " ",
    "x" * 300,
    "x" * 70_000,
]

texts = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=20),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0xFFFF), max_size=8),
)
leaves = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    texts,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([0, -1, 2**63, 10**300]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(list(RAW_TOKENS)),
)
values = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(texts, children, max_size=4)
    ),
    max_leaves=12,
)


def nested(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


# The values most likely to break something, drawn more often than a random one.
HOSTILE_LEAVES = [*HOSTILE_TEXT, *RAW_TOKENS, None, True, False, 0, 10**300, [], {}]

# A hostile leaf, any value, or one buried deeper than the parsers accept (32 levels).
field_values = st.one_of(
    *[st.sampled_from(HOSTILE_LEAVES)] * 3,
    values,
    st.tuples(values, st.integers(min_value=25, max_value=60)).map(lambda pair: nested(*pair)),
)


def dumped(body: Any) -> str:
    text = json.dumps(body)
    for placeholder, token in RAW_TOKENS.items():
        text = text.replace(json.dumps(placeholder), token)
    return text


# --- Routes ---------------------------------------------------------------------------------


def storefront(resource_type: str, attributes: dict) -> dict:
    return {"data": {"type": resource_type, "attributes": attributes}}


def registration() -> dict:
    return {
        "email": "new.shopper@example.com",
        "password": PASSWORD,
        "confirmPassword": PASSWORD,
        "acceptedTerms": True,
        "salutation": "Mr",
        "firstName": "New",
        "lastName": "Shopper",
        "gender": "Male",
    }


def address() -> dict:
    return {
        "salutation": "Mr",
        "firstName": "John",
        "lastName": "Smith",
        "address1": "Julie-Wolfthorn-Strasse",
        "address2": "1",
        "zipCode": "10115",
        "city": "Berlin",
        "iso2Code": "DE",
        "phone": "+4930123456",
    }


def twc_customer() -> dict:
    return {
        "email": "anne.kraus@example.com",
        "firstName": "Anne",
        "lastName": "Kraus",
        "customerRef": "ERP-1",
        "taxExemptions": ["GST"],
        "attributeGroups": {
            "loyalty": {"attributes": {"points": {"attribute_value": "1", "value_type": "INTEGER"}}}
        },
        "addresses": [{"address1": "Main St 1", "city": "Berlin", "countryCode": "DE"}],
    }


# (id, client, method, path, dialect, base body, wrap): `wrap` turns the generated fields
# into the body (a Storefront document, a TWC list...).
def routes(customer, address_uuid) -> dict[str, tuple]:
    ref, uuid = customer.reference, customer.uuid
    return {
        "storefront_register": (
            "anonymous", "post", "/customers", "storefront", registration(),
            lambda fields: storefront("customers", fields),
        ),
        "storefront_access_tokens": (
            "anonymous", "post", "/access-tokens", "storefront",
            {"username": customer.email, "password": PASSWORD},
            lambda fields: storefront("access-tokens", fields),
        ),
        "storefront_refresh_tokens": (
            "anonymous", "post", "/refresh-tokens", "storefront", {"refreshToken": "x"},
            lambda fields: storefront("refresh-tokens", fields),
        ),
        "storefront_customer_patch": (
            "customer", "patch", f"/customers/{ref}", "storefront",
            {"firstName": "Jon", "lastName": "Smith", "email": customer.email},
            lambda fields: storefront("customers", fields),
        ),
        "storefront_address_post": (
            "customer", "post", f"/customers/{ref}/addresses", "storefront", address(),
            lambda fields: storefront("addresses", fields),
        ),
        "storefront_address_patch": (
            "customer", "patch", f"/customers/{ref}/addresses/{address_uuid}", "storefront",
            address(), lambda fields: storefront("addresses", fields),
        ),
        "storefront_password_change": (
            "customer", "patch", f"/customer-password/{ref}", "storefront",
            {"password": PASSWORD, "newPassword": "new-horse-99",
             "confirmPassword": "new-horse-99"},
            lambda fields: storefront("customer-password", fields),
        ),
        "storefront_password_forgotten": (
            "anonymous", "post", "/customer-forgotten-password", "storefront",
            {"email": customer.email},
            lambda fields: storefront("customer-forgotten-password", fields),
        ),
        "storefront_password_restore": (
            "anonymous", "patch", "/customer-restore-password/key", "storefront",
            {"restorePasswordKey": "0" * 32, "password": "new-horse-99",
             "confirmPassword": "new-horse-99"},
            lambda fields: storefront("customer-restore-password", fields),
        ),
        "storefront_confirmation": (
            "anonymous", "post", "/customer-confirmation", "storefront",
            {"registrationKey": "0" * 32},
            lambda fields: storefront("customer-confirmation", fields),
        ),
        "admin_create": (
            "staff", "post", "/api/customers", "admin",
            {"email": "new.shopper@example.com", "password": PASSWORD, "full_name": "New Shopper",
             "status": 1},
            lambda fields: fields,
        ),
        "admin_patch": (
            "staff", "patch", f"/api/customers/{uuid}", "admin",
            {"full_name": "Jon Smith", "email": customer.email}, lambda fields: fields,
        ),
        "admin_customer_login": (
            "anonymous", "post", "/customer/login", "admin",
            {"email": customer.email, "password": PASSWORD}, lambda fields: fields,
        ),
        "admin_token": (
            "anonymous", "post", "/api/auth/token", "admin",
            {"username": "staff", "password": PASSWORD}, lambda fields: fields,
        ),
        "admin_token_refresh": (
            "anonymous", "post", "/api/auth/token/refresh", "admin", {"refresh": "x"},
            lambda fields: fields,
        ),
        "integration_create": (
            "staff", "post", "/api/v2/customers", "integration", twc_customer(),
            lambda fields: fields,
        ),
        "integration_put": (
            "staff", "put", "/api/v2/customers", "integration",
            {"id": str(uuid), "firstName": "Jon"}, lambda fields: fields,
        ),
        "integration_address": (
            "staff", "post", f"/api/v2/customers/{uuid}/address", "integration",
            {"address1": "Main St 2", "city": "Berlin", "countryCode": "DE"},
            lambda fields: fields,
        ),
        "integration_validate": (
            "staff", "post", "/api/v2/customers/validate", "integration", twc_customer(),
            lambda fields: fields,
        ),
        "integration_upload": (
            "staff", "post", "/api/v2/upload-customers", "integration", twc_customer(),
            lambda fields: [fields],
        ),
    }  # fmt: skip


ROUTE_IDS = [
    "storefront_register",
    "storefront_access_tokens",
    "storefront_refresh_tokens",
    "storefront_customer_patch",
    "storefront_address_post",
    "storefront_address_patch",
    "storefront_password_change",
    "storefront_password_forgotten",
    "storefront_password_restore",
    "storefront_confirmation",
    "admin_create",
    "admin_patch",
    "admin_customer_login",
    "admin_token",
    "admin_token_refresh",
    "integration_create",
    "integration_put",
    "integration_address",
    "integration_validate",
    "integration_upload",
]


# --- Checks ---------------------------------------------------------------------------------

WATCHED_APPS = (
    "customers",
    "addresses",
    "accounts",
    "token_blacklist",
    "django_tasks_database",
    "auth",
)


# A failed login counts towards the lockout (SPEC 3): that write is the point of a 401.
UNWATCHED_MODELS = frozenset({"accounts.AuthCounter"})


def database_state() -> dict[str, list]:
    """Every row of every table a write route could touch (the test data is a few rows)."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for app_label in WATCHED_APPS
        for model in apps.get_app_config(app_label).get_models()
        if model._meta.label not in UNWATCHED_MODELS
    }


def is_envelope(dialect: str, status: int, body: Any) -> bool:
    """Whether `body` is an error in `dialect`'s envelope carrying `status`."""
    if dialect == "storefront":
        errors = body.get("errors") if isinstance(body, dict) else None
        return (
            isinstance(errors, list)
            and len(errors) > 0
            and all(
                isinstance(error, dict)
                and error.get("status") == status
                and isinstance(error.get("detail"), str)
                and isinstance(error.get("code", ""), str)
                for error in errors
            )
        )
    if dialect == "admin":
        error = body.get("error") if isinstance(body, dict) else None
        return (
            isinstance(error, dict)
            and error.get("status") == status
            and isinstance(error.get("message"), str)
        )
    return (
        isinstance(body, dict)
        and body.get("status") == status
        and isinstance(body.get("message"), str)
        and isinstance(body.get("errors", []), list)
    )


class _Undo(Exception):
    """Raised to roll one example's writes back to the savepoint before it."""


@pytest.fixture
def world(customer):
    customer.set_password(PASSWORD)
    customer.save()
    address_uuid = AddressFactory(customer=customer).uuid
    CustomerFactory(store=customer.store, email="someone.else@example.com")
    staff = User.objects.create_user(username="staff", password=PASSWORD, is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["customers", "addresses"])
    )
    customer_client, staff_client = APIClient(), APIClient()
    customer_client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {customer_tokens_issue(customer=customer).access}"
    )
    staff_client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {StaffRefreshToken.for_user(staff).access_token}"
    )
    clients = {"anonymous": APIClient(), "customer": customer_client, "staff": staff_client}
    return clients, routes(customer, address_uuid)


def places(value: Any, path: tuple = ()) -> list[tuple]:
    """The path of every value inside `value` (itself included), to plant a hostile one."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(places(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(places(child, (*path, index)))
    return found


TAINTS = ["\x00", "\ud800", "\udfff", "\u200b"]


def planted(base: Any, path: tuple, kind: str, value: Any) -> Any:
    """A copy of `base` changed at `path`.

    `replace` puts `value` there; `key` renames its key to `value` (text) or a huge number's
    placeholder; `taint` puts `value` (one character) inside the text there, or inside the
    first key of the object there.
    """
    if not path:
        return value
    copy = json.loads(json.dumps(base))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    current = parent[last]
    if kind == "key" and isinstance(parent, dict):
        parent[value if isinstance(value, str) else "@@1e400@@"] = parent.pop(last)
    elif kind == "taint" and isinstance(current, str):
        parent[last] = current[:1] + value + current[1:]
    elif kind == "taint" and isinstance(current, dict) and current:
        key = next(iter(current))
        current[key[:1] + value + key[1:]] = current.pop(key)
    else:
        parent[last] = value
    return copy


def hostile_bodies(data: st.DataObject, base: dict) -> list[Any]:
    """One hostile change at every place of the route's valid body, then two whole bodies.

    Every field (and every key, nested ones included) is hit in every example, so a few
    examples cover the route; what is planted there is drawn anew each time.
    """
    bodies = []
    for path in places(base)[1:]:
        kind = data.draw(st.sampled_from(["replace", "key", "taint"]), label=f"{path} how")
        value = data.draw(
            st.sampled_from(TAINTS) if kind == "taint" else field_values, label=f"{path} what"
        )
        bodies.append(planted(base, path, kind, value))
    extra = data.draw(st.dictionaries(texts, field_values, min_size=1, max_size=3), label="extra")
    bodies.append({**base, **extra})
    bodies.append(data.draw(field_values, label="whole body"))
    return bodies


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_hostile_bodies_never_reach_a_5xx_nor_write_on_a_4xx(world, route_id):
    clients, table = world
    who, method, path, dialect, base, wrap = table[route_id]
    content_type = JSON_API if dialect == "storefront" else JSON
    send = getattr(clients[who], method)

    @PROFILE
    @given(data=st.data())
    def run(data):
        for fields in hostile_bodies(data, base):
            body = dumped(wrap(fields) if isinstance(fields, dict) else fields)
            try:
                with transaction.atomic():
                    cache.clear()  # throttles and lockouts start afresh for every body
                    before = database_state()
                    response = send(path, body, content_type=content_type)
                    status = response.status_code
                    assert status < 500, (body[:300], status, response.content[:300])
                    if status >= 400:
                        assert is_envelope(dialect, status, response.json()), response.content
                        assert database_state() == before, body[:300]
                    raise _Undo
            except _Undo:
                pass

    run()
