"""Reads on read replicas, everything that must be current on the primary (SPEC 10).

`DATABASE_REPLICA_URLS` adds the aliases `replica_0`, `replica_1`, ... (settings
`DATABASE_REPLICAS`). With none configured this router answers None to everything, which
leaves Django's default (one database) untouched.

Inside a request (`config.middleware.ReplicaRoutingMiddleware` opens a `request_scope`), reads
go to one replica, chosen per request, except:

- every write, and every read inside a `transaction.atomic` block (services own their
  transactions, so a service's validation reads and its `select_for_update` locks are on the
  primary; a `select_for_update` is routed as a write by Django anyway);
- credentials and tenancy (`PRIMARY_ONLY_APPS`, `PRIMARY_ONLY_MODELS`): staff users,
  permissions, sessions, customer tokens and keys, blacklisted tokens, stores and their staff.
  A deactivated user, a revoked token or a store taken from a staff user is refused on the
  next request, whatever the replication lag (one exception: the Integration API's lookups
  read the tenant store's own row with the customer, on the replica: docs/decisions.md);
- the rest of a request that has written, a request with an unsafe method (a write's
  validations and a login read what is current), and a caller's requests shortly after a
  write (read-your-writes: the middleware's cookie);
- code that asks for it with `primary_reads()`.

Outside a request scope (management commands, the task worker, tests that do not open one)
every read goes to the primary: they write and read back without the middleware's pin.
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# Whole apps whose rows decide who may do what: read where they are written.
PRIMARY_ONLY_APPS = frozenset({"auth", "sessions", "accounts", "token_blacklist", "admin"})
# Models of other apps with the same role: the tenant store and its staff.
PRIMARY_ONLY_MODELS = frozenset({("customers", "store"), ("customers", "store_staff")})


@dataclass
class RoutingScope:
    """What the router knows of the current request."""

    replica: str
    pinned: bool = False
    wrote: bool = False


_scope: ContextVar[RoutingScope | None] = ContextVar("database_routing_scope", default=None)
_primary_reads: ContextVar[bool] = ContextVar("database_primary_reads", default=False)


def replica_aliases() -> list[str]:
    return list(getattr(settings, "DATABASE_REPLICAS", ()))


@contextmanager
def request_scope(*, pinned: bool = False) -> Iterator[RoutingScope | None]:
    """Route the reads of one request: a replica, or the primary once `pinned` (or written).

    Yields the scope (its `wrote` tells whether the request wrote), or None when no replica
    is configured.
    """
    replicas = replica_aliases()
    if not replicas:
        yield None
        return
    scope = RoutingScope(replica=random.choice(replicas), pinned=pinned)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Read from the primary inside this block (a check that must see the latest write)."""
    token = _primary_reads.set(True)
    try:
        yield
    finally:
        _primary_reads.reset(token)


def _primary_only(model) -> bool:
    meta = model._meta
    return meta.app_label in PRIMARY_ONLY_APPS or (meta.app_label, meta.model_name) in (
        PRIMARY_ONLY_MODELS
    )


class PrimaryReplicaRouter:
    """Writes to the primary; reads to a replica when nothing asks for the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        scope = _scope.get()
        if scope is None:
            return None
        if (
            scope.pinned
            or _primary_reads.get()
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
            or _primary_only(model)
        ):
            return DEFAULT_DB_ALIAS
        return scope.replica

    def db_for_write(self, model, **hints) -> str | None:
        scope = _scope.get()
        if scope is not None:
            # Read-your-writes: the rest of this request reads what it wrote.
            scope.pinned = scope.wrote = True
        return DEFAULT_DB_ALIAS if replica_aliases() else None

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # Replicas hold the primary's rows: objects read from either may be related.
        return True if replica_aliases() else None

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool | None:
        # Replicas follow the primary's schema by replication; never migrate them directly.
        return False if db in replica_aliases() else None
