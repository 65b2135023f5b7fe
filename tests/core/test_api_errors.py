"""The one error normaliser (config/api/errors.py) and its three renderers."""

import logging
import uuid

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.http import Http404
from rest_framework import exceptions

from accounts.errors import LoginThrottled
from config.api.admin import admin_exception_handler
from config.api.errors import FieldProblem, Kind, problem_from
from config.api.integration import integration_exception_handler
from config.api.storefront import storefront_exception_handler
from customers.errors import CustomerNotFound, EmailAlreadyUsed
from customers.models import Customer


def summary(problem):
    return (
        problem.kind,
        problem.status,
        problem.code,
        problem.message,
        problem.field_errors,
        problem.headers,
        problem.field,
    )


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        pytest.param(
            CustomerNotFound(),
            (Kind.DOMAIN, 404, "customer_not_found", "Customer not found.", (), {}, None),
            id="domain_case",
        ),
        pytest.param(
            EmailAlreadyUsed(field="email"),
            (
                Kind.DOMAIN,
                409,
                "customer_email_taken",
                EmailAlreadyUsed.message,
                (FieldProblem(("email",), EmailAlreadyUsed.message, "customer_email_taken", True),),
                {},
                "email",
            ),
            id="domain_with_field_case",
        ),
        pytest.param(
            LoginThrottled(retry_after=90),
            (
                Kind.DOMAIN,
                429,
                "login_throttled",
                "Too many attempts. Try again later.",
                (),
                {"Retry-After": "90"},
                None,
            ),
            id="rate_limited_case",
        ),
        pytest.param(
            DjangoValidationError(
                {
                    "email": [DjangoValidationError("Enter a valid email.", code="invalid")],
                    "__all__": [DjangoValidationError("Cannot be saved.", code="save")],
                }
            ),
            (
                Kind.VALIDATION,
                400,
                "invalid",
                "Invalid input.",
                (
                    FieldProblem(("email",), "Enter a valid email.", "invalid", True),
                    FieldProblem((), "Cannot be saved.", "save", True),
                ),
                {},
                None,
            ),
            id="django_validation_case",
        ),
        pytest.param(
            exceptions.ValidationError({"data": {"email": ["This field is required."]}}),
            (
                Kind.VALIDATION,
                400,
                "invalid",
                "This field is required.",
                (FieldProblem(("data", "email"), "This field is required.", "invalid"),),
                {},
                None,
            ),
            id="drf_validation_case",
        ),
        pytest.param(
            exceptions.Throttled(wait=2.5),
            (
                Kind.THROTTLED,
                429,
                "throttled",
                "Request was throttled. Expected available in 3 seconds.",
                (
                    FieldProblem(
                        (), "Request was throttled. Expected available in 3 seconds.", "throttled"
                    ),
                ),
                {"Retry-After": "3"},
                None,
            ),
            id="throttled_case",
        ),
        pytest.param(
            exceptions.MethodNotAllowed("PUT"),
            (
                Kind.HTTP,
                405,
                "method_not_allowed",
                'Method "PUT" not allowed.',
                (FieldProblem((), 'Method "PUT" not allowed.', "method_not_allowed"),),
                {},
                None,
            ),
            id="method_not_allowed_case",
        ),
        pytest.param(
            RequestDataTooBig("too big"),
            (Kind.TOO_LARGE, 413, "payload_too_large", "Request body is too large.", (), {}, None),
            id="too_large_case",
        ),
        pytest.param(
            Http404("gone"),
            (Kind.NOT_FOUND, 404, "not_found", "Not found.", (), {}, None),
            id="http404_case",
        ),
        pytest.param(
            DjangoPermissionDenied(),
            (
                Kind.FORBIDDEN,
                403,
                "permission_denied",
                "You do not have permission to perform this action.",
                (),
                {},
                None,
            ),
            id="permission_denied_case",
        ),
        pytest.param(
            OperationalError("connection refused"),
            (
                Kind.UNAVAILABLE,
                503,
                "database_unavailable",
                "The service is temporarily unavailable. Try again later.",
                (),
                {"Retry-After": "30"},
                None,
            ),
            id="database_unavailable_case",
        ),
        pytest.param(
            IntegrityError("CHECK constraint failed: something"),
            (
                Kind.INTEGRITY,
                409,
                "integrity_error",
                "The change conflicts with stored data.",
                (),
                {},
                None,
            ),
            id="other_integrity_case",
        ),
    ],
)
def test_every_exception_becomes_one_problem(exc, expected):
    # when
    problem = problem_from(exc)

    # then
    assert summary(problem) == expected


def test_an_unexpected_exception_is_a_logged_server_error(caplog):
    # given
    error = ZeroDivisionError("boom")

    # when
    with caplog.at_level(logging.ERROR, logger="config.api"):
        problem = problem_from(error)

    # then
    assert summary(problem) == (
        Kind.SERVER_ERROR,
        500,
        "server_error",
        "Internal server error.",
        (),
        {},
        None,
    )
    assert [record.exc_info[1] for record in caplog.records] == [error]


def refused(store, **fields) -> IntegrityError:
    """The IntegrityError the database raises for a row that skipped the services' checks."""
    values = {"store": store, "reference": "R-2", "email": "b@example.com", **fields}
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Customer.objects.bulk_create([Customer(**values)])
    return caught.value


@pytest.fixture
def first_row(store):
    Customer.objects.bulk_create(
        [
            Customer(
                store=store,
                reference="R-1",
                email="a@example.com",
                phone="+49301234567",
                mobile="+491711234567",
            )
        ]
    )
    return Customer.objects.get()


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        pytest.param({"email": "A@example.com"}, "customer_email_taken", "email", id="email_case"),
        pytest.param({"phone": "+49301234567"}, "customer_phone_taken", "phone", id="phone_case"),
        pytest.param(
            {"mobile": "+491711234567"}, "customer_phone_taken", "mobile", id="mobile_case"
        ),
        pytest.param(
            {"reference": "R-1"}, "customer_reference_taken", "reference", id="reference_case"
        ),
    ],
)
def test_a_unique_violation_is_the_domain_duplicate_error(first_row, store, fields, code, field):
    # given
    error = refused(store, **fields)

    # when
    problem = problem_from(error)

    # then
    assert (problem.kind, problem.status, problem.code, problem.field) == (
        Kind.DOMAIN,
        409,
        code,
        field,
    )
    assert Customer.objects.count() == 1


def test_a_unique_violation_no_domain_error_names_is_a_duplicate(first_row, store):
    # given: the uuid's plain `unique=True`, which no domain error stands for
    error = refused(store, uuid=first_row.uuid)

    # when
    problem = problem_from(error)

    # then
    assert (problem.kind, problem.status, problem.code) == (Kind.DUPLICATE, 409, "duplicate")


def test_a_check_violation_is_an_integrity_problem(store):
    # given
    error = refused(store, state="unknown")

    # when
    problem = problem_from(error)

    # then
    assert (problem.kind, problem.status, problem.code) == (Kind.INTEGRITY, 409, "integrity_error")


def test_the_three_dialects_answer_a_racing_duplicate_email_as_their_duplicate_error(
    first_row, store
):
    # given: a concurrent writer took the email between the service's check and its insert
    error = refused(store, email="A@example.com")

    # when
    storefront = storefront_exception_handler(error, {})
    admin = admin_exception_handler(error, {})
    integration = integration_exception_handler(error, {})

    # then
    assert (storefront.status_code, storefront.data) == (
        422,
        {
            "errors": [
                {
                    "code": "400",
                    "status": 422,
                    "detail": "If this email address is already in use, you will receive a "
                    "password reset link. Otherwise you must first validate your e-mail "
                    "address to finish registration. Please check your e-mail.",
                }
            ]
        },
    )
    assert (admin.status_code, admin.data) == (
        409,
        {"error": {"status": 409, "message": "Email already in use"}},
    )
    assert (integration.status_code, integration.data) == (
        400,
        {
            "status": 400,
            "message": "Email already in use",
            "errors": [{"field": "email", "message": EmailAlreadyUsed.message}],
        },
    )


def test_the_three_dialects_answer_an_unexpected_exception_with_a_500_in_their_envelope():
    # given
    error = KeyError("missing")

    # when
    storefront = storefront_exception_handler(error, {})
    admin = admin_exception_handler(error, {})
    integration = integration_exception_handler(error, {})

    # then
    assert (storefront.status_code, storefront.data) == (
        500,
        {"errors": [{"status": 500, "detail": "Internal server error."}]},
    )
    assert (admin.status_code, admin.data) == (
        500,
        {"error": {"status": 500, "message": "Internal server error."}},
    )
    assert (integration.status_code, integration.data) == (
        500,
        {"status": 500, "message": "Internal server error."},
    )


def test_an_unknown_uuid_is_not_a_unique_violation():
    # given: text that merely mentions a unique constraint is not the database's refusal
    error = IntegrityError(f"NOT NULL constraint failed: {uuid.uuid4()}")

    # when
    problem = problem_from(error)

    # then
    assert problem.kind is Kind.INTEGRITY
