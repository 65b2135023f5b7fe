"""Password rules beyond Django's stock validators, and our Argon2id hasher (SPEC 4, 10, 12).

Passwords are 8 to 128 characters; the hash cost comes from `ARGON2_*` and is never below
OWASP's minimum.
"""

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.exceptions import ImproperlyConfigured, ValidationError

# OWASP's Password Storage Cheat Sheet: the Argon2id minimum is 19 MiB of memory,
# 2 iterations and 1 degree of parallelism. Nothing weaker is accepted.
ARGON2_MIN_MEMORY_KIB = 19 * 1024
ARGON2_MIN_TIME_COST = 2
ARGON2_MIN_PARALLELISM = 1


def argon2_parameters_check(*, memory_kib: int, time_cost: int, parallelism: int) -> None:
    """Refuse Argon2id parameters below OWASP's minimum (read once, when settings load).

    Raises:
        ImproperlyConfigured: a parameter is below its minimum; the message names it.
    """
    for name, value, minimum in (
        ("ARGON2_MEMORY_KIB", memory_kib, ARGON2_MIN_MEMORY_KIB),
        ("ARGON2_TIME_COST", time_cost, ARGON2_MIN_TIME_COST),
        ("ARGON2_PARALLELISM", parallelism, ARGON2_MIN_PARALLELISM),
    ):
        if value < minimum:
            raise ImproperlyConfigured(
                f"{name}={value} is weaker than OWASP's Argon2id minimum "
                f"({ARGON2_MIN_MEMORY_KIB} KiB of memory, {ARGON2_MIN_TIME_COST} iterations, "
                f"{ARGON2_MIN_PARALLELISM} lane): set {name} to {minimum} or more."
            )


class ConfiguredArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with the memory, iterations and lanes of `ARGON2_*` settings.

    Same `argon2` algorithm name as Django's hasher, so every stored Argon2 hash verifies
    with it; a hash made with other parameters (Django's defaults, an older setting, an
    import) `must_update`, and the login re-hashes it with these.
    """

    @property
    def memory_cost(self) -> int:
        return settings.ARGON2_MEMORY_KIB

    @property
    def time_cost(self) -> int:
        return settings.ARGON2_TIME_COST

    @property
    def parallelism(self) -> int:
        return settings.ARGON2_PARALLELISM


class MaximumLengthValidator:
    """Rejects passwords longer than `max_length` characters (hashing cost is bounded)."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long. It must contain at most {self.max_length} characters.",
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return f"Your password must contain at most {self.max_length} characters."
