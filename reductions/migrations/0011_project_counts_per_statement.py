"""PostgreSQL: a bulk insert of projects (an import writes 500 at a time) adjusts each
(owner, status) count once per statement, not once per row: many updates of one count row in
one transaction each leave a row version the next must step over, so an import of 10,000
projects spent most of its database time in this trigger. Status changes and deletions keep
the row trigger of 0008.

SQLite: the table rebuild of 0009 (AddField) dropped 0008's triggers; they are installed again
and the counts recomputed from the projects."""

import importlib

from django.db import migrations

STATUS_COUNTS = importlib.import_module("reductions.migrations.0008_project_status_counts")

INSERT_PER_STATEMENT = [
    "DROP TRIGGER IF EXISTS reductions_project_counts ON reductions_project;",
    "CREATE TRIGGER reductions_project_counts AFTER DELETE OR UPDATE OF status, owner_id"
    " ON reductions_project FOR EACH ROW EXECUTE FUNCTION reductions_count_statuses();",
    """
CREATE OR REPLACE FUNCTION reductions_count_inserted_statuses() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO reductions_projectstatuscount AS c (owner_id, status, count)
  SELECT owner_id, status, count(*) FROM inserted
  GROUP BY owner_id, status
  ORDER BY owner_id, status
  ON CONFLICT (owner_id, status) DO UPDATE SET count = c.count + EXCLUDED.count;
  RETURN NULL;
END $$;
""",
    "CREATE TRIGGER reductions_project_counts_insert AFTER INSERT ON reductions_project"
    " REFERENCING NEW TABLE AS inserted"
    " FOR EACH STATEMENT EXECUTE FUNCTION reductions_count_inserted_statuses();",
]
INSERT_PER_ROW = [
    "DROP TRIGGER IF EXISTS reductions_project_counts_insert ON reductions_project;",
    "DROP FUNCTION IF EXISTS reductions_count_inserted_statuses();",
    "DROP TRIGGER IF EXISTS reductions_project_counts ON reductions_project;",
    "CREATE TRIGGER reductions_project_counts AFTER INSERT OR DELETE OR UPDATE OF status, owner_id"
    " ON reductions_project FOR EACH ROW EXECUTE FUNCTION reductions_count_statuses();",
]


SQLITE_AGAIN = [
    *STATUS_COUNTS.SQLITE_REVERSE,
    *STATUS_COUNTS.SQLITE,
    "DELETE FROM reductions_projectstatuscount;",
    STATUS_COUNTS.BACKFILL,
]


def _run(postgresql, sqlite):
    def run(apps, schema_editor):
        statements = {"postgresql": postgresql, "sqlite": sqlite}.get(
            schema_editor.connection.vendor, []
        )
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("reductions", "0010_industry_english_names")]

    operations = [
        migrations.RunPython(_run(INSERT_PER_STATEMENT, SQLITE_AGAIN), _run(INSERT_PER_ROW, []))
    ]
