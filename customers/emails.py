"""Email addresses as a mailbox provider sees them: one normal form for storing and comparing.

Two spellings that reach the same mailbox must be one address for uniqueness and for the
login lockout (SPEC 3, 12): the value is NFKC-normalised (fullwidth and other compatibility
forms fold to ASCII), the domain is lower-cased and IDNA-encoded, and the forms that let one
mailbox hide behind another spelling (quoted local parts, control and invisible characters)
are refused. The local part keeps its case; uniqueness compares it case-insensitively.
"""

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError

INVALID = "This value is not a valid email address."
QUOTED = "This value is not a valid email address: quoted local parts are not accepted."
INVISIBLE = "This value is not a valid email address: it contains control or invisible characters."

# Unicode categories refused anywhere in an address: controls (NUL, newlines...), format
# characters (zero-width space and joiners, BOM, bidi marks, soft hyphen), lone surrogates,
# private-use and unassigned code points.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


# The refused characters that ASCII has: the C0 controls and DEL.
_ASCII_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def _has_invisible(text: str) -> bool:
    if text.isascii():
        return _ASCII_CONTROLS.search(text) is not None
    return any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in text)


def normalise_email(value: Any, *, field: str = "email") -> str:
    """The normal form of an email address.

    Args:
        value: the address as given (surrounding whitespace is ignored).
        field: the key of the field error raised.

    Returns:
        The NFKC-normalised address, its domain lower-case ASCII (IDNA, punycode labels).
        A value that is not shaped like an address (no `@`, a domain IDNA refuses) is
        returned NFKC-normalised as it is: the email field's format validator rejects it
        with its usual message, as it rejects any other malformed address.

    Raises:
        ValidationError: keyed by `field`, code `invalid` for a blank or non-text value,
            `email_quoted_local_part` for a quoted local part (or a backslash escape), and
            `email_invisible_characters` for control, zero-width or other invisible
            characters.
    """
    if not isinstance(value, str):
        raise _error(field, INVALID, "invalid")
    text = value.strip()
    if not text:
        raise _error(field, INVALID, "invalid")
    if _has_invisible(text):
        raise _error(field, INVISIBLE, "email_invisible_characters")
    text = unicodedata.normalize("NFKC", text)
    if _has_invisible(text):
        raise _error(field, INVISIBLE, "email_invisible_characters")
    local, at, domain = text.rpartition("@")
    if '"' in local or "\\" in local:
        raise _error(field, QUOTED, "email_quoted_local_part")
    if not at or not local or not domain:
        return text  # not an address at all: the format check of the email field says so
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return text  # no valid domain: likewise left to the format check
    return f"{local}@{ascii_domain}"


def email_account_key(value: Any) -> str:
    """The normal form used to count login failures: never raises.

    An address that cannot be normalised is still an account identifier that someone typed;
    it is folded (NFKC, case, surrounding spaces) so that its variants still count as one.
    """
    if not isinstance(value, str):
        return ""
    try:
        return normalise_email(value).lower()
    except ValidationError:
        return unicodedata.normalize("NFKC", value.strip()).casefold()
