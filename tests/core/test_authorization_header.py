"""One `Authorization` rule for every dialect: scheme case-insensitive, 1+ spaces (issue 14)."""

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from accounts.authentication import bearer_credentials
from accounts.tokens import StaffRefreshToken, customer_tokens_issue

SPELLINGS = [
    pytest.param("Bearer {}", id="canonical_case"),
    pytest.param("bearer {}", id="lowercase_scheme_case"),
    pytest.param("BEARER {}", id="uppercase_scheme_case"),
    pytest.param("Bearer  {}", id="two_spaces_case"),
    pytest.param("bearer   {}  ", id="lowercase_spaces_and_trailing_case"),
]
MALFORMED = [
    pytest.param("Bearer", id="no_token_case"),
    pytest.param("Bearer {} extra", id="two_tokens_case"),
    pytest.param("Bearer {}\x00", id="nul_case"),
    pytest.param("Bearer ,{}", id="not_token68_case"),
]


@pytest.fixture
def staff_token(db):
    staff = User.objects.create_user(username="staff", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["customers", "addresses"])
    )
    return str(StaffRefreshToken.for_user(staff).access_token)


@pytest.fixture
def customer_token(customer):
    return customer_tokens_issue(customer=customer).access


def routes(customer, staff_token, customer_token) -> list[tuple[str, str, str]]:
    """(dialect, path, token) of a protected read per dialect and kind of caller."""
    return [
        ("storefront", f"/customers/{customer.reference}", customer_token),
        ("admin", f"/api/customers/{customer.uuid}", staff_token),
        ("admin", f"/api/customers/{customer.uuid}", customer_token),
        ("integration", f"/api/v2/customers/{customer.uuid}", staff_token),
    ]


def get(path: str, header: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client.get(path)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_dialect_accepts_every_spelling_of_the_bearer_scheme(
    customer, staff_token, customer_token, spelling
):
    # given
    checks = routes(customer, staff_token, customer_token)

    # when
    statuses = [
        (dialect, get(path, spelling.format(token)).status_code) for dialect, path, token in checks
    ]

    # then
    assert statuses == [(dialect, 200) for dialect, _, _ in checks]


@pytest.mark.parametrize("header", MALFORMED)
def test_every_dialect_refuses_a_malformed_bearer_header_alike(
    customer, staff_token, customer_token, header
):
    # given
    checks = routes(customer, staff_token, customer_token)

    # when
    answers = [
        (dialect, (response := get(path, header.format(token))).status_code, response.json())
        for dialect, path, token in checks
    ]

    # then
    assert answers == [
        (
            "storefront",
            401,
            {"errors": [{"code": "001", "status": 401, "detail": "Invalid access token."}]},
        ),
        ("admin", 401, {"error": {"status": 401, "message": "Invalid Authorization header."}}),
        ("admin", 401, {"error": {"status": 401, "message": "Invalid Authorization header."}}),
        ("integration", 401, {"status": 401, "message": "Invalid Authorization header."}),
    ]


@pytest.mark.parametrize(
    ("header", "token"),
    [
        pytest.param(b"Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl", id="jwt_characters_case"),
        pytest.param(b"bEaReR    x==", "x==", id="mixed_case_spaces_case"),
        pytest.param(b"", None, id="absent_case"),
        pytest.param(b"Basic am9objpjaGFuZ2UxMjM=", None, id="other_scheme_case"),
        pytest.param(b"Bearer\tx", None, id="tab_is_not_a_separator_case"),
    ],
)
def test_bearer_credentials(header, token):
    # when / then
    assert bearer_credentials(header) == token
