"""Model instances from the rows of SQL written once, without the ORM's set-up on every run.

`Model.objects.raw()` works out on every run which column feeds which field, and each
field's conversions from the database (a phone number's object, SQLite's dates and uuids);
for a statement that runs on every request that set-up costs more than reading the row
(bench/README.md). A `RowReader` works it out once per model and database and applies the
same conversions Django's compiler would.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import Model


class RowReader:
    """Reads rows that start with every concrete column of `model`, in field order."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.fields = model._meta.concrete_fields
        self._attnames = [field.attname for field in self.fields]
        # Database alias -> (position, column, converters) of each field that has converters.
        self._converters: dict[str, list[tuple[int, Any, list[Callable]]]] = {}

    def columns(self, alias: str) -> str:
        """The select list of those columns of the table aliased `alias`.

        Named rather than `*`, so that a prepared statement keeps its shape while a migration
        adds a column.
        """
        return ", ".join(f'{alias}."{field.column}"' for field in self.fields)

    def instance(self, row: Sequence[Any], db: str, start: int = 0) -> Model:
        """The instance that `len(self.fields)` values of `row` from `start` hold (from `db`)."""
        values = list(row[start : start + len(self.fields)])
        connection = connections[db]
        for position, column, converters in self._converters_of(db):
            value = values[position]
            for converter in converters:
                value = converter(value, column, connection)
            values[position] = value
        return self.model.from_db(db, self._attnames, values)

    def _converters_of(self, db: str) -> list[tuple[int, Any, list[Callable]]]:
        known = self._converters.get(db)
        if known is None:
            connection = connections[db]
            table = self.model._meta.db_table
            known = []
            for position, field in enumerate(self.fields):
                column = field.get_col(table)
                converters = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if converters:
                    known.append((position, column, converters))
            self._converters[db] = known
        return known
