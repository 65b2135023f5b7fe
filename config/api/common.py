"""What every API dialect's views share, whatever their envelope: body limits and parsing."""

import contextlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import RawPostDataException
from rest_framework.exceptions import ParseError
from rest_framework.metadata import SimpleMetadata
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.utils.json import strict_constant

from customers.formats import twc as twc_format


class BodySizeLimitMixin:
    """Apply `DATA_UPLOAD_MAX_MEMORY_SIZE` to every request body (SPEC 2: 413).

    DRF parses from the raw stream, which skips Django's size check; reading `body` first
    applies it, and the `RequestDataTooBig` it raises is rendered by each dialect's handler.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(RawPostDataException):  # the stream was read already
            request._request.body  # noqa: B018
        super().initial(request, *args, **kwargs)


class DialectMetadata(SimpleMetadata):
    """`OPTIONS`: the route's name, description, media types and methods (`Allow`).

    No `actions`: DRF would build them from a `serializer_class`, which the viewsets do not
    have (each action names its own input serializer), and fail.
    """

    def determine_actions(self, request: Request, view: Any) -> dict:
        return {}


def json_max_depth() -> int:
    return settings.API_JSON_MAX_DEPTH


def json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether `data` nests objects and arrays more than `limit` deep (no recursion)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


class LimitedJSONParser(JSONParser):
    """The JSON parser of the three dialects: a size limit and a nesting limit.

    Raises:
        RequestDataTooBig: more than `DATA_UPLOAD_MAX_MEMORY_SIZE` bytes (413).
        ParseError: not JSON, or nested deeper than `API_JSON_MAX_DEPTH` (400), including
            documents so deep that the decoder itself would run out of stack.
    """

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestDataTooBig("Request body exceeded DATA_UPLOAD_MAX_MEMORY_SIZE.")
        too_deep = f"JSON parse error - more than {json_max_depth()} levels of nesting"
        try:
            data = json.loads(
                raw.decode(encoding), parse_constant=strict_constant if self.strict else None
            )
        except RecursionError:
            raise ParseError(too_deep) from None
        except ValueError as exc:  # UnicodeDecodeError included
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth_exceeds(data, json_max_depth()):
            raise ParseError(too_deep)
        return data


# Strict scalars for every dialect's input: a number where text is expected (or "yes" where
# a boolean is) is refused, as the schema says, instead of being coerced.
StrictCharField = twc_format.StrictCharField
StrictBooleanField = twc_format.StrictBooleanField
