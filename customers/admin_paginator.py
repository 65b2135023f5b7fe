"""A paginator for the admin's big tables that does not count every row on every page view.

An exact `COUNT(*)` over a million customers reads the whole table (or a whole index) on each
request (SPEC 7). When the changelist is not filtered, PostgreSQL's own row estimate from
`pg_class.reltuples` (kept current by autovacuum and ANALYZE) is good enough to number the
pages. A filter or a search that the planner expects to match many rows (a state, a group,
marketing consent: 100,000s of customers) is numbered from the planner's estimate of that
query too: counting them would read most of the table, 150-500 ms at a million rows. Fewer
expected matches are counted exactly, as are small tables and other databases. An estimate
can be off: pages past the true end are then empty, and no row is ever left unreachable
(pages past the estimate are still served).

Deep pages take the page's primary keys first (an `OFFSET` over the keys alone, read from
the index the order walks) and then only the page's 50 rows, instead of reading every row
they skip.
"""

import json

from django.core.paginator import EmptyPage, Paginator
from django.db import connections
from django.utils.functional import cached_property


def _is_unfiltered(queryset) -> bool:
    query = queryset.query
    return (
        not query.where
        and not query.distinct
        and not query.combinator
        and query.low_mark == 0
        and query.high_mark is None
        # Joins from `select_related` follow non-null foreign keys and keep the row count;
        # any other join (a filter across a relation) leaves a condition in `where` anyway.
    )


def table_row_estimate(*, table: str, using: str = "default") -> int | None:
    """PostgreSQL's planner estimate of the rows in `table`, or None when it has none.

    `reltuples` is -1 for a table that was never vacuumed or analysed (PostgreSQL 14+).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


def query_row_estimate(queryset) -> int | None:
    """PostgreSQL's planner estimate of the rows `queryset` matches, or None elsewhere.

    An `EXPLAIN` (no execution): a millisecond or two whatever the table's size. A queryset
    may carry the estimate already, as `row_estimate` (`customers.admin.CustomerChangeList`).
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """Numbers the pages of large results from PostgreSQL's estimates; reads deep pages by key.

    Below `exact_below` estimated rows the table is counted exactly when unfiltered, and
    below `estimate_filtered_from` expected matches a filtered list is: the count is cheap,
    and exact numbers are what a small shop (and the test suite) expects to see.
    """

    exact_below = 100_000
    estimate_filtered_from = 10_000
    # From this row on a page takes its keys first (the first pages are cheap either way).
    keys_first_from = 500
    # Whether `count` is an estimate (set when it is computed).
    estimated = False
    # Whether page 1 is the page wanted (the admin says so); then `count` reads it first.
    first_page_wanted = False
    # The first page's rows, when `count` read them (set when it is computed).
    first_page_rows: list | None = None

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not hasattr(queryset, "query") or queryset.query.distinct:
            return super().count
        if _is_unfiltered(queryset):
            estimate = table_row_estimate(table=queryset.model._meta.db_table, using=queryset.db)
            threshold = self.exact_below
        else:
            # The change list may have asked the planner already (to choose its order).
            estimate = getattr(queryset, "row_estimate", None)
            if estimate is None:
                estimate = query_row_estimate(queryset)
            threshold = self.estimate_filtered_from
        if estimate is not None and estimate >= threshold:
            self.estimated = True
            return estimate
        if self.first_page_wanted:
            # The first page is read first: when it is the only one, it is the count (a rare
            # search term's matches are found once, not twice), and page 1 shows these rows.
            rows = list(queryset[: self.per_page + 1])
            self.first_page_rows = rows[: self.per_page]
            if len(rows) <= self.per_page:
                return len(rows)
        return super().count

    def page(self, number):
        number = self.validate_number(number)
        if number == 1 and self.first_page_rows is not None:
            return self._get_page(self.first_page_rows, number, self)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if not self.estimated and top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self._rows(bottom, top), number, self)

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            # Past an estimated end there may still be rows: serve the page (maybe empty).
            if self.count and self.estimated and int(number) > 0:
                return int(number)
            raise

    def _rows(self, bottom: int, top: int):
        queryset = self.object_list
        if bottom < self.keys_first_from or not hasattr(queryset, "query"):
            return queryset[bottom:top]
        # The ordered keys alone (an index-only scan when the order follows an index), then
        # the rows of those keys in the same order, with their joins.
        keys = list(queryset.values_list("pk", flat=True)[bottom:top])
        return queryset.filter(pk__in=keys)
