"""SQLite: a project's deletion lowers its existing (owner, status) count and never adds a
row. The upsert of 0008 added a row of -1 when the count row was gone — which is what a
test-database flush does (it empties the count table before the projects): the new row then
pointed at an entity already deleted, and the flush failed on its foreign key. Counts are
kept for every project inserted, so a live database always has the row. PostgreSQL keeps
its trigger (0008, 0011)."""

from django.db import migrations

UPDATE_ONLY = [
    "DROP TRIGGER IF EXISTS reductions_project_counts_delete;",
    "CREATE TRIGGER reductions_project_counts_delete AFTER DELETE ON reductions_project BEGIN"
    " UPDATE reductions_projectstatuscount SET count = count - 1"
    " WHERE owner_id = OLD.owner_id AND status = OLD.status; END",
]
UPSERT = [
    "DROP TRIGGER IF EXISTS reductions_project_counts_delete;",
    "CREATE TRIGGER reductions_project_counts_delete AFTER DELETE ON reductions_project BEGIN"
    " INSERT INTO reductions_projectstatuscount (owner_id, status, count)"
    " VALUES (OLD.owner_id, OLD.status, -1)"
    " ON CONFLICT (owner_id, status) DO UPDATE SET count = count + -1; END",
]


def _sqlite(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("reductions", "0011_project_counts_per_statement")]

    operations = [migrations.RunPython(_sqlite(UPDATE_ONLY), _sqlite(UPSERT))]
