"""Domain errors: the core raises these; each HTTP dialect maps `code` to its own envelope.

Codes are stable snake_case strings and never change once shipped; messages are for humans
and a dialect may replace them. Field rules are raised as Django `ValidationError`s instead.
"""

from typing import Any, ClassVar


class DomainError(Exception):
    """A broken business rule, identified by a stable `code`."""

    code: ClassVar[str] = "domain_error"
    message: ClassVar[str] = "The request breaks a business rule."

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.field = field
        self.params = params or {}
        super().__init__(self.message)

    @classmethod
    def all_codes(cls) -> dict[str, type["DomainError"]]:
        """Every concrete error class below `cls`, by code (used by the error-map test)."""
        found: dict[str, type[DomainError]] = {}
        for sub in cls.__subclasses__():
            if sub.code not in KIND_CODES:
                found[sub.code] = sub
            found.update(sub.all_codes())
        return found


class NotFound(DomainError):
    code = "not_found"
    message = "Not found."


class Conflict(DomainError):
    code = "conflict"
    message = "The request conflicts with the current state."


class InvalidInput(DomainError):
    code = "invalid_input"
    message = "The request is not valid."


class PermissionDenied(DomainError):
    code = "permission_denied"
    message = "You may not do this."


class RateLimited(DomainError):
    code = "rate_limited"
    message = "Too many attempts. Try again later."

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


# The abstract kinds above are never raised themselves.
KIND_CODES = frozenset(
    {"not_found", "conflict", "invalid_input", "permission_denied", "rate_limited"}
)
