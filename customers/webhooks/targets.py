"""Where a webhook may be sent: https in production, never to internal addresses.

Checked when a subscription is saved and again before every delivery (DNS may have changed
since); the delivery then connects to the address that was checked, so a second lookup cannot
swap it for another.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class TargetRefused(Exception):
    """The URL may not receive webhooks; the message says why (shown to staff)."""


def _refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address in _METADATA
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def target_resolve(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) of `url`, or TargetRefused.

    Raises:
        TargetRefused: not http(s), plain http in production, no host, a host that does not
            resolve, or one that resolves to a loopback, private, link-local or metadata
            address (unless WEBHOOK_ALLOW_PRIVATE_TARGETS).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefused("The URL must use https.")
    https_only = settings.WEBHOOK_HTTPS_ONLY
    if https_only is None:
        https_only = not settings.DEBUG
    if scheme != "https" and https_only:
        raise TargetRefused("The URL must use https.")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise TargetRefused("The URL has an invalid port.") from None
    if not host:
        raise TargetRefused("The URL has no host.")
    port = port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise TargetRefused("The URL's host does not resolve.") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise TargetRefused("The URL's host does not resolve.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS and any(map(_refused_address, addresses)):
        raise TargetRefused("The URL's host resolves to an internal address.")
    return scheme, host, port, str(addresses[0])


def target_validate(url: str) -> None:
    """Raises: ValidationError (field `url`, code `target_refused`) for a refused URL."""
    try:
        target_resolve(url)
    except TargetRefused as error:
        raise ValidationError({"url": ValidationError(str(error), code="target_refused")}) from None
