# Existing rows under the new rules (bureaus upgrade in place):
# - every line of an existing round is an allocation; what was due then = allocated before +
#   the proposal (the formula proposed give = due − allocated);
# - who requested an existing use is who placed its holds;
# - open requests get a deadline: the default hold lifetime from the upgrade, on the project
#   and its holds, so the scheduled job treats them like new ones;
# - the default hold lifetime (90 days) is seeded, marked as a default for the bureau to replace.

import datetime

from django.db import migrations
from django.db.models import F
from django.utils import timezone

DEFAULT_DAYS = 90


def forwards(apps, schema_editor):
    AllocationLine = apps.get_model("allocations", "AllocationLine")
    ConstructionProject = apps.get_model("allocations", "ConstructionProject")
    UseLine = apps.get_model("allocations", "UseLine")
    HoldPolicy = apps.get_model("allocations", "HoldPolicy")
    Hold = apps.get_model("ledger", "Hold")

    AllocationLine.objects.update(due=F("already_allocated") + F("proposed"))
    if not HoldPolicy.objects.exists():
        HoldPolicy.objects.create(
            effective_from=datetime.date(2021, 1, 1),
            lifetime_days=DEFAULT_DAYS,
            is_default=True,
            note="默认：建设项目指标预占有效期 90 天（请按本局规定修改）。",
        )
    deadline = timezone.now() + datetime.timedelta(days=DEFAULT_DAYS)
    for project in ConstructionProject.objects.exclude(status="DRAFT"):
        lines = list(UseLine.objects.filter(project=project).select_related("hold"))
        if not lines:
            continue
        first = min(lines, key=lambda line: line.hold.created_at)
        project.requested_by_id = first.hold.created_by_id
        project.requested_at = first.hold.created_at
        project.attempt = 1
        fields = ["requested_by", "requested_at", "attempt"]
        if project.status == "REQUESTED":
            project.expires_at = deadline
            fields.append("expires_at")
            Hold.objects.filter(
                pk__in=[line.hold_id for line in lines], status="ACTIVE", expires_at=None
            ).update(expires_at=deadline)
        project.save(update_fields=fields)


class Migration(migrations.Migration):

    dependencies = [
        ('allocations', '0004_recovery_trades_reserve_expiry'),
        ('ledger', '0003_holds_expire_corrections_recovery_reserve'),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
