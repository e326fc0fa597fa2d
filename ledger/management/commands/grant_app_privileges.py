"""Give the application's database role exactly the rights it needs (PostgreSQL).

Migrations run as the tables' owner; the application connects as another role that may read
everything and write what its work needs, but cannot UPDATE, DELETE or TRUNCATE posted
transactions, legs, commit numbers or digests, write the commit counter, or touch triggers
(only an owner can ``ALTER TABLE … DISABLE TRIGGER``; only a superuser can set
``session_replication_role``). Run it as the owner after every ``migrate``.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

# Posted history: read and append, never change.
APPEND_ONLY = ("ledger_transaction", "ledger_entry", "ledger_ledgerdigest")
# Written only by the database's own SECURITY DEFINER functions (commit numbering).
READ_ONLY = (
    "ledger_transactioncommit",
    "ledger_sequencecounter",
    "ledger_pendingcommit",
    "django_migrations",
)
# Rows that are updated but never deleted.
NO_DELETE = ("ledger_account", "ledger_hold", "ledger_correction")


class Command(BaseCommand):
    help = "Grant the application's database role its least privileges (run as the owner)."

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, help="the application's login role")

    def handle(self, *args, role: str, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles exist on PostgreSQL only.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise CommandError(f"The role {role!r} does not exist; create it first.")
            cursor.execute("SELECT current_schema()")
            [schema] = cursor.fetchone()
        quote = connection.ops.quote_name
        who, where = quote(role), quote(schema)
        tables = set(connection.introspection.table_names())
        statements = [
            f"GRANT USAGE ON SCHEMA {where} TO {who}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {who}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
        ]
        for table in APPEND_ONLY:
            if table in tables:
                statements.append(f"REVOKE UPDATE, DELETE ON {quote(table)} FROM {who}")
        for table in READ_ONLY:
            if table in tables:
                statements.append(f"REVOKE INSERT, UPDATE, DELETE ON {quote(table)} FROM {who}")
        for table in NO_DELETE:
            if table in tables:
                statements.append(f"REVOKE DELETE ON {quote(table)} FROM {who}")
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(self.style.SUCCESS(f"Granted {role} its application privileges."))
