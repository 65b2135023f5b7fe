"""One normaliser for the three dialects: any exception becomes a `Problem` (STYLE 3).

`problem_from(exc)` does the walk that every dialect needs (domain errors, Django and DRF
validation errors, DRF's HTTP exceptions, Django's 404 and 403, database refusals and
outages, anything unexpected) and returns plain data: a status, a stable code, a message,
the field errors with their codes, and the headers the answer must carry. Each dialect
(config/api/storefront.py, admin.py, integration.py) owns only its error map and the renderer
of a `Problem` into its envelope.
"""

import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, models
from django.db.models.expressions import F
from django.http import Http404
from rest_framework import exceptions

from config.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
)

logger = logging.getLogger("config.api")

# Seconds a client should wait before retrying while the database is unreachable.
UNAVAILABLE_RETRY_AFTER = 30
# The keys under which DRF and Django put errors that concern no single field.
NON_FIELD_KEYS = frozenset({"non_field_errors", NON_FIELD_ERRORS})
# PostgreSQL's SQLSTATE for a unique violation (psycopg's `UniqueViolation`).
_UNIQUE_VIOLATION = "23505"
_SQLITE_UNIQUE = "UNIQUE constraint failed: "
_SQLITE_INDEX = re.compile(r"index '([^']+)'")


class Kind(StrEnum):
    """What family an exception belongs to; each dialect renders one family alike."""

    DOMAIN = "domain"  # a DomainError: the dialect's ERROR_MAP decides
    VALIDATION = "validation"  # field errors (Django's or a serializer's)
    PARSE_ERROR = "parse_error"  # a body that is not JSON (or too deep)
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    THROTTLED = "throttled"
    HTTP = "http"  # any other DRF APIException (403, 404, 405, 406, 413, 415, ...)
    NOT_FOUND = "not_found"  # Django's Http404
    FORBIDDEN = "forbidden"  # Django's PermissionDenied
    TOO_LARGE = "too_large"  # Django's RequestDataTooBig
    DUPLICATE = "duplicate"  # a unique constraint that no domain error names
    INTEGRITY = "integrity"  # any other constraint the database enforced
    UNAVAILABLE = "unavailable"  # the database cannot be reached
    SERVER_ERROR = "server_error"  # anything else: a bug, logged with its traceback


@dataclass(frozen=True)
class FieldProblem:
    """One violation. `path` is empty for the request as a whole.

    `domain` says which names `path` holds: domain field names (a service's Django
    ValidationError) or the names the client sent (a serializer's errors).
    """

    path: tuple[str, ...]
    message: str
    code: str | None = None
    domain: bool = False


@dataclass(frozen=True)
class Problem:
    """Everything a dialect needs to answer an exception, in no envelope yet."""

    kind: Kind
    status: int
    code: str
    message: str
    field_errors: tuple[FieldProblem, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    # The domain field a domain error names, if any.
    field: str | None = None
    # The exception itself, for a dialect's own exception classes (its catalogue errors).
    cause: BaseException | None = None


# A domain error's status by its kind, for codes that a dialect's map does not name.
_KIND_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Conflict, 409),
    (PermissionDenied, 403),
    (RateLimited, 429),
    (InvalidInput, 400),
)


def problem_from(exc: BaseException, *, log: bool = True) -> Problem:
    """The `Problem` of any exception; never raises.

    Unknown exceptions are a `SERVER_ERROR` (500) and are logged with their traceback here
    (unless `log` is false: the caller logged it already), so that the dialects can answer
    them in their envelope and still leave a trace.
    """
    if isinstance(exc, DomainError):
        return _domain_problem(exc)
    if isinstance(exc, DjangoValidationError):
        return Problem(
            Kind.VALIDATION,
            400,
            "invalid",
            "Invalid input.",
            field_errors=tuple(django_field_problems(exc)),
            cause=exc,
        )
    if isinstance(exc, RequestDataTooBig):
        return Problem(Kind.TOO_LARGE, 413, "payload_too_large", "Request body is too large.")
    if isinstance(exc, exceptions.APIException):
        return _api_problem(exc)
    if isinstance(exc, Http404):
        return Problem(Kind.NOT_FOUND, 404, "not_found", "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return Problem(
            Kind.FORBIDDEN,
            403,
            "permission_denied",
            "You do not have permission to perform this action.",
        )
    if isinstance(exc, IntegrityError):
        return _integrity_problem(exc)
    if isinstance(exc, OperationalError | InterfaceError):
        # The server is down, restarting or out of connections: worth a retry, not a bug.
        if log:
            logger.error("Database unavailable: %s", exc)
        return Problem(
            Kind.UNAVAILABLE,
            503,
            "database_unavailable",
            "The service is temporarily unavailable. Try again later.",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    if log:
        logger.error("Internal Server Error: %s", exc, exc_info=exc)
    return Problem(Kind.SERVER_ERROR, 500, "server_error", "Internal server error.", cause=exc)


def _domain_problem(exc: DomainError) -> Problem:
    status = next((status for kind, status in _KIND_STATUS if isinstance(exc, kind)), 400)
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(max(int(exc.retry_after), 1))
    field_errors = ()
    if exc.field:
        field_errors = (FieldProblem((exc.field,), exc.message, exc.code, domain=True),)
    return Problem(
        Kind.DOMAIN,
        status,
        exc.code,
        exc.message,
        field_errors=field_errors,
        headers=headers,
        field=exc.field,
        cause=exc,
    )


def _api_problem(exc: exceptions.APIException) -> Problem:
    detail = exc.detail
    if isinstance(detail, dict) and "detail" in detail:  # simplejwt's token errors
        detail = detail["detail"]
    field_errors = tuple(drf_field_problems(detail))
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.ValidationError):
        kind = Kind.VALIDATION
    elif isinstance(exc, exceptions.ParseError):
        kind = Kind.PARSE_ERROR
    elif isinstance(exc, exceptions.NotAuthenticated):
        kind = Kind.NOT_AUTHENTICATED
    elif isinstance(exc, exceptions.AuthenticationFailed):
        kind = Kind.AUTHENTICATION_FAILED
    elif isinstance(exc, exceptions.Throttled):
        kind = Kind.THROTTLED
        headers["Retry-After"] = str(max(math.ceil(exc.wait or 1), 1))
    else:
        kind = Kind.HTTP
    codes = exc.get_codes()
    return Problem(
        kind,
        exc.status_code,
        codes if isinstance(codes, str) else exc.default_code,
        "; ".join(problem.message for problem in field_errors),
        field_errors=field_errors,
        headers=headers,
        cause=exc,
    )


def django_field_problems(error: DjangoValidationError) -> Iterator[FieldProblem]:
    """The violations of a service's ValidationError, keyed by domain field names."""
    groups = (
        error.error_dict.items() if hasattr(error, "error_dict") else [(None, error.error_list)]
    )
    for name, errors in groups:
        path = () if name in (None, NON_FIELD_ERRORS) else (name,)
        for each in errors:
            for message in each.messages:
                yield FieldProblem(path, message, each.code, domain=True)


def drf_field_problems(detail: Any, path: tuple[str, ...] = ()) -> Iterator[FieldProblem]:
    """The violations of a serializer's errors (keyed by the names the client sent), in order.

    Keys are kept as they are (`non_field_errors` included) so that each dialect can name
    them its own way.
    """
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from drf_field_problems(value, (*path, str(key)))
    elif isinstance(detail, list | tuple):
        for item in detail:
            yield from drf_field_problems(item, path)
    else:
        yield FieldProblem(path, str(detail), getattr(detail, "code", None))


def field_path(problem: FieldProblem) -> tuple[str, ...]:
    """`problem.path` without the keys that stand for "no field"."""
    return tuple(part for part in problem.path if part and part not in NON_FIELD_KEYS)


# --- Database refusals ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Unique:
    table: str
    columns: frozenset[str]
    code: str | None
    field: str | None


@cache
def _unique_constraints() -> dict[str, _Unique]:
    """Every unique constraint of the project's models, by name (built once, on first use)."""
    found: dict[str, _Unique] = {}
    for model in apps.get_models():
        table = model._meta.db_table
        for constraint in model._meta.constraints:
            if not isinstance(constraint, models.UniqueConstraint):
                continue
            # `UniqueConstraint("store", "phone")` holds F() expressions, not `fields`.
            names = list(constraint.fields) + [
                node.name for node in constraint.expressions if isinstance(node, F)
            ]
            columns = frozenset(model._meta.get_field(name).column for name in names)
            found[constraint.name] = _Unique(
                table, columns, constraint.violation_error_code, _constraint_field(constraint)
            )
    return found


def _constraint_field(constraint: models.UniqueConstraint) -> str | None:
    """The field a client would fix: the last plain one, or the one an expression reads."""
    if constraint.fields:
        return constraint.fields[-1]
    # `UniqueConstraint("store", Lower("email"))`: the last expression names the field.
    pending = list(constraint.expressions[-1:])
    while pending:
        node = pending.pop()
        if isinstance(node, F):
            return node.name
        pending.extend(node.get_source_expressions())
    return None


def _unique_violation(exc: IntegrityError) -> tuple[bool, _Unique | None]:
    """Whether `exc` is a unique violation, and which of our constraints, when known.

    PostgreSQL names the constraint; SQLite names an expression index, or else the columns.
    """
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) == _UNIQUE_VIOLATION:
        name = getattr(getattr(cause, "diag", None), "constraint_name", None)
        return True, _unique_constraints().get(name or "")
    text = str(exc)
    if not text.startswith(_SQLITE_UNIQUE):
        return False, None
    index = _SQLITE_INDEX.search(text)
    if index:
        return True, _unique_constraints().get(index.group(1))
    named = [part.strip() for part in text[len(_SQLITE_UNIQUE) :].split(",")]
    tables = {part.rpartition(".")[0] for part in named}
    columns = frozenset(part.rpartition(".")[2] for part in named)
    for unique in _unique_constraints().values():
        if {unique.table} == tables and unique.columns == columns:
            return True, unique
    return True, None


def _integrity_problem(exc: IntegrityError) -> Problem:
    """A unique violation is the domain's duplicate error where one names the constraint.

    The services check uniqueness before they write, so only a concurrent writer gets here;
    the database decided, and the loser gets the same answer as if the check had caught it.
    """
    unique, constraint = _unique_violation(exc)
    if unique:
        error_class = DomainError.all_codes().get(constraint.code or "") if constraint else None
        if error_class is not None:
            return _domain_problem(error_class(field=constraint.field))
        return Problem(
            Kind.DUPLICATE,
            409,
            "duplicate",
            "A record with these values already exists.",
            field=constraint.field if constraint else None,
            cause=exc,
        )
    # A check or foreign key the services should have caught first: a client error all the
    # same (SPEC 2: never a 500 for input), logged so that the missing check gets written.
    logger.warning("Integrity error reached a dialect: %s", exc)
    return Problem(
        Kind.INTEGRITY, 409, "integrity_error", "The change conflicts with stored data.", cause=exc
    )
