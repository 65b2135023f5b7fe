"""Per-request database routing for read replicas (config/db_router.py, SPEC 10)."""

from django.conf import settings

from config import db_router

# Set on a response whose request wrote: the caller's next requests read the primary until
# it expires, so that it sees its own write whatever the replicas' lag.
PRIMARY_PIN_COOKIE = "clientele_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class ReplicaRoutingMiddleware:
    """Opens the router's scope for each request; pins writers to the primary for a while.

    A request is pinned to the primary from its start when its method is unsafe (its reads
    are a write's validations or a login) or when its caller wrote a moment ago (the cookie),
    and from its first write on otherwise. Without replicas it does nothing.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        pinned = request.method not in SAFE_METHODS or PRIMARY_PIN_COOKIE in request.COOKIES
        with db_router.request_scope(pinned=pinned) as scope:
            response = self.get_response(request)
        if scope is not None and scope.wrote:
            response.set_cookie(
                PRIMARY_PIN_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        return response
