"""Log records never carry a live secret: keys and tokens in paths and query strings are redacted.

Django's request logger writes the path of every 4xx and 5xx, the development server and
gunicorn's access log write every request line; a refresh token in
`DELETE /refresh-tokens/<token>` or a restore key in `PATCH /customer-restore-password/<key>`
would otherwise sit in the log, still working (SPEC 2, 12). `RedactSecretsFilter` rewrites
the message of each record it sees; settings attach it to the handler every record goes
through, and `redacting_filter` attaches it to gunicorn's access and error loggers, whose
records do not reach that handler.
"""

import logging
import re

REDACTED = "[redacted]"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # The path segment after a route that takes a secret there (`mine` is no secret).
    (
        re.compile(
            r"(/(?:refresh-tokens|customer-restore-password|customer-confirmation|access-tokens)/)"
            r"(?!mine(?:[/?#\s\"']|$))[^/?#\s\"']+"
        ),
        r"\1" + REDACTED,
    ),
    # Query parameters that carry credentials, whatever the route.
    (
        re.compile(
            r"([?&;](?:token|key|sid|code|secret|password|signature|refreshToken|refresh_token|"
            r"accessToken|access_token|restorePasswordKey|registrationKey|api_key|apikey)=)"
            r"[^&;#\s\"']*",
            re.IGNORECASE,
        ),
        r"\1" + REDACTED,
    ),
    # JSON Web Tokens and 128-bit hex keys anywhere else.
    (re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*"), REDACTED),
    (re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Fa-f])"), REDACTED),
]


def redact(text: str) -> str:
    """`text` with every key and token this project issues replaced by `[redacted]`."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecretsFilter(logging.Filter):
    """Rewrites each record's message without secrets; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is logging's own business, not ours
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_GUNICORN_LOGGERS = ("gunicorn.access", "gunicorn.error")


def redacting_filter() -> RedactSecretsFilter:
    """The filter for `LOGGING`; also installed on gunicorn's loggers, once per process.

    Gunicorn configures its own handlers for those loggers; a filter on the logger itself
    sees their records whatever handler gunicorn chose (`--access-logfile`, syslog...).
    """
    shared = RedactSecretsFilter()
    for name in _GUNICORN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecretsFilter) for f in logger.filters):
            logger.addFilter(shared)
    return shared
