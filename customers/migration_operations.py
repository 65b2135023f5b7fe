"""Index operations for migrations that must not lock a big customer table.

On PostgreSQL an index is built and dropped CONCURRENTLY (the migration runs outside a
transaction, `atomic = False`), so the table keeps taking writes while a million-row index
is built. Other databases get the plain operation, and none for PostgreSQL-only kinds of
index (GIN), which they never had.
"""

from django.contrib.postgres.indexes import PostgresIndex
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations


def _postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddIndexWithoutLocking(AddIndexConcurrently):
    """Add an index concurrently, and only if it is missing, on PostgreSQL.

    With `keep_on_reverse`, reversing leaves the index on PostgreSQL: an earlier migration
    made it, under this name or one renamed to it.
    """

    def __init__(self, model_name, index, keep_on_reverse=False):
        super().__init__(model_name, index)
        self.keep_on_reverse = keep_on_reverse

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not _postgresql(schema_editor):
            if not isinstance(self.index, PostgresIndex):
                migrations.AddIndex.database_forwards(
                    self, app_label, schema_editor, from_state, to_state
                )
            return
        self._ensure_not_in_transaction(schema_editor)
        model = to_state.apps.get_model(app_label, self.model_name)
        statement = str(self.index.create_sql(model, schema_editor, concurrently=True))
        schema_editor.execute(
            statement.replace(
                "CREATE INDEX CONCURRENTLY", "CREATE INDEX CONCURRENTLY IF NOT EXISTS", 1
            ),
            params=None,
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _postgresql(schema_editor):
            if not self.keep_on_reverse:
                super().database_backwards(app_label, schema_editor, from_state, to_state)
        elif not isinstance(self.index, PostgresIndex):
            migrations.AddIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )


class RemoveIndexWithoutLocking(RemoveIndexConcurrently):
    """Drop an index concurrently on PostgreSQL; a plain DROP INDEX elsewhere."""

    def _elsewhere_exists(self, app_label, state) -> bool:
        model_state = state.models[app_label, self.model_name_lower]
        return not isinstance(model_state.get_index_by_name(self.name), PostgresIndex)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        elif self._elsewhere_exists(app_label, from_state):
            migrations.RemoveIndex.database_forwards(
                self, app_label, schema_editor, from_state, to_state
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        elif self._elsewhere_exists(app_label, to_state):
            migrations.RemoveIndex.database_backwards(
                self, app_label, schema_editor, from_state, to_state
            )
