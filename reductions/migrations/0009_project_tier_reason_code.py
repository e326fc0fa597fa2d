"""The tier reason as a code with language-neutral parameters (issue 12: pages word it in the
reader's language; a stored Chinese sentence leaked into the English pages).

Existing projects get the code of the tier rule that decides their stored tier today; a
project whose stored tier that rule no longer gives keeps only its stored wording (pages show
it as before). Backwards the new columns are dropped; the stored wording was never changed.
"""

from django.db import migrations, models

BATCH = 500


def forward(apps, schema_editor):
    from reductions import upgrade

    Project = apps.get_model("reductions", "Project")
    rules = apps.get_model("reductions", "PackageRule").objects
    changed = []
    for project in (
        Project.objects.select_related("project_type__parent", "owner")
        .prefetch_related("amounts")
        .order_by("pk")
        .iterator(chunk_size=BATCH)
    ):
        result = upgrade.tier_of(project, rules)
        if result.tier != project.tier:
            continue
        project.tier_reason_code = result.code
        project.tier_reason_params = result.params
        changed.append(project)
        if len(changed) >= BATCH:
            Project.objects.bulk_update(changed, ["tier_reason_code", "tier_reason_params"])
            changed = []
    Project.objects.bulk_update(changed, ["tier_reason_code", "tier_reason_params"])


class Migration(migrations.Migration):
    dependencies = [
        ("reductions", "0008_project_status_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="tier_reason_code",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="project",
            name="tier_reason_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
