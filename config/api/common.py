"""What every API dialect's views share, whatever their envelope."""

import contextlib
from typing import Any

from django.http import RawPostDataException
from rest_framework.request import Request


class BodySizeLimitMixin:
    """Apply `DATA_UPLOAD_MAX_MEMORY_SIZE` to every request body (SPEC 2: 413).

    DRF parses from the raw stream, which skips Django's size check; reading `body` first
    applies it, and the `RequestDataTooBig` it raises is rendered by each dialect's handler.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(RawPostDataException):  # the stream was read already
            request._request.body  # noqa: B018
        super().initial(request, *args, **kwargs)
