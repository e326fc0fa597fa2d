"""Commit numbers by a serial numbering step instead of a lock in every commit (issue 13).

Transactions posted before this migration were numbered at commit already; from now on each
new one waits in ``ledger_pendingcommit`` until ``ledger_number_commits()`` numbers it.
"""

import django.db.models.deletion
from django.db import migrations, models


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from ledger.integrity import sequencer_sql

    for statement in sequencer_sql():
        schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in (
        "DROP TRIGGER IF EXISTS ledger_transaction_pending_commit ON ledger_transaction;",
        "DROP FUNCTION IF EXISTS ledger_mark_pending();",
        "DROP FUNCTION IF EXISTS ledger_number_commits();",
    ):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_post_function")]

    operations = [
        migrations.CreateModel(
            name="PendingCommit",
            fields=[
                (
                    "transaction",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="ledger.transaction",
                    ),
                ),
            ],
            options={"verbose_name": "transaction awaiting its commit number"},
        ),
        migrations.RunPython(install, uninstall),
    ]
