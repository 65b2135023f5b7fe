"""Django's 404 and 500 handlers, answering in the envelope of the dialect a path belongs to.

DRF's handlers cover what happens inside a view; these cover the rest: a path that no route
matches under a dialect's prefix, and an exception raised outside any view (a middleware,
a database that went away before the view ran). Paths of no dialect get Django's pages.
"""

import sys

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from config.api import admin, integration, storefront
from config.api.errors import Problem, problem_from

# The prefixes config/urls.py mounts each dialect under (first match wins).
_DIALECT_PREFIXES = (
    ("/api/schema/", None),
    ("/api/docs/", None),
    ("/api/v2/", "integration"),
    ("/api/", "admin"),
    ("/customer/", "admin"),
    ("/customers", "storefront"),
    ("/customer-", "storefront"),
    ("/access-tokens", "storefront"),
    ("/refresh-tokens", "storefront"),
)


def dialect_of(path: str) -> str | None:
    """The dialect whose prefix `path` starts with, if any."""
    return next((name for prefix, name in _DIALECT_PREFIXES if path.startswith(prefix)), None)


def problem_response(dialect: str, problem: Problem) -> HttpResponse:
    """`problem` in `dialect`'s envelope, as a plain Django response."""
    content_type = "application/json"
    if dialect == "storefront":
        errors = storefront.render_problem(problem, {})
        status, body = errors[0]["status"], {"errors": errors}
        content_type = storefront.MEDIA_TYPE
    elif dialect == "admin":
        status, message = admin.render_problem(problem)
        body = admin.error_body(status, message)
    else:
        status, message, field_errors = integration.render_problem(problem)
        body = integration.error_body(status, message, field_errors)
    response = JsonResponse(body, status=status, content_type=content_type)
    for name, value in problem.headers.items():
        response[name] = value
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    dialect = dialect_of(request.path_info)
    if dialect is None:
        return defaults.page_not_found(request, exception)
    return problem_response(dialect, problem_from(Http404()))


def unknown_path(request: HttpRequest, **kwargs: str) -> HttpResponse:
    """The last route under each dialect's prefixes: the dialect's 404 even with DEBUG on.

    `handler404` only runs with DEBUG off; with it on Django would show its HTML page for a
    path that is under a dialect's prefix but matches none of its routes.
    """
    return not_found(request, Http404())


def server_error(request: HttpRequest) -> HttpResponse:
    dialect = dialect_of(request.path_info)
    if dialect is None:
        return defaults.server_error(request)
    # Called while Django handles the exception, which it has logged already.
    exc = sys.exc_info()[1] or RuntimeError("server error")
    return problem_response(dialect, problem_from(exc, log=False))
