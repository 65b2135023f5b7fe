"""Exact live-customer totals of stores, kept without a row that every writer updates.

Triggers record each change of a store's live customers as an insert-only
`LiveCustomerDelta` row (migration 0009). A total is the store's folded `live_customers`
plus its pending deltas, read in one statement, so it is exact whatever commits meanwhile.
Folding moves the pending deltas into the store rows; `purge_tokens` runs it, and so does a
list that finds more than `FOLD_AFTER` pending rows.
"""

from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from customers.models import LiveCustomerDelta, Store

# Pending rows a read tolerates before it folds them: summing them costs the read about
# 1 ms per 10,000 rows, folding them once costs about as much.
FOLD_AFTER = 1_000


def live_total(*, stores: QuerySet[Store]) -> int:
    """The exact number of live customers of `stores`; folds their deltas when many pend."""
    pending = LiveCustomerDelta.objects.filter(store=OuterRef("pk")).values("store")
    totals = stores.order_by().aggregate(
        folded=Coalesce(Sum("live_customers"), 0),
        pending=Coalesce(
            Sum(
                Coalesce(
                    Subquery(pending.annotate(sum=Sum("delta")).values("sum")),
                    Value(0),
                    output_field=IntegerField(),
                )
            ),
            0,
        ),
        rows=Coalesce(
            Sum(
                Coalesce(
                    Subquery(pending.annotate(rows=Count("pk")).values("rows")),
                    Value(0),
                    output_field=IntegerField(),
                )
            ),
            0,
        ),
    )
    if totals["rows"] > FOLD_AFTER:
        live_totals_fold(store_ids=stores.values_list("pk", flat=True))
    return totals["folded"] + totals["pending"]


def live_totals_fold(*, store_ids: Iterable[int] | None = None) -> int:
    """Move the pending deltas of `store_ids` (every store by default) into the store rows.

    Only the deltas this call deletes are added, so two folds at once never count one
    twice: the second waits for the first's deleted rows, then finds them gone. Deltas of
    transactions still open are invisible here and wait for the next fold.

    Returns:
        How many pending rows were folded.
    """
    sql = "DELETE FROM customers_livecustomerdelta"
    params: list[object] = []
    if store_ids is not None:
        ids = [int(pk) for pk in store_ids]
        if not ids:
            return 0
        sql += f" WHERE store_id IN ({', '.join(['%s'] * len(ids))})"
        params = ids
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING store_id, delta", params)
        moved = cursor.fetchall()
        by_store: Counter[int] = Counter()
        for store_id, delta in moved:
            by_store[store_id] += delta
        for store_id, delta in sorted(by_store.items()):
            if delta:
                Store.objects.filter(pk=store_id).update(live_customers=F("live_customers") + delta)
    return len(moved)
