"""VOCs management becomes a kind of project type, not a flag on the project (notice 三(四)).

Adds the type kind (and a seed generic "VOCs management measure" type), the accounting
method each project's tier implies, and the re-tiering record. Projects that carried the old
flag: uncertified ones are re-tiered by the tier function the service uses; certified ones
keep their tier and are listed for the bureau to review (``manage.py tier_review``). Then the
flag is removed.
"""

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion

MIGRATION = "0003_voc_management_type_kind"
GENERIC_VOC_TYPE = {
    "code": "VOC_MGMT_GENERIC",
    "name_zh": "挥发性有机物管理减排措施（按上海市指南核算）",
    "name_en": "VOCs management measure (Shanghai VOCs guide)",
    "kind": "VOC_MGMT",
    "category": "AIR",
    "pollutants": ["VOCS"],
    "sort_order": 0,
    "is_seed": True,
}


def forward(apps, schema_editor):
    from django.utils import translation
    from django.utils.translation import gettext as _

    from reductions import tiers, upgrade

    ProjectType = apps.get_model("reductions", "ProjectType")
    Project = apps.get_model("reductions", "Project")
    ProjectType.objects.get_or_create(code=GENERIC_VOC_TYPE["code"], defaults=GENERIC_VOC_TYPE)
    for tier, method in tiers.METHOD.items():
        Project.objects.filter(tier=tier).update(accounting_method=method)
    flagged = Project.objects.filter(voc_management=True)
    with translation.override(settings.LANGUAGE_CODE):
        for project in flagged.filter(status="CERTIFIED").order_by("pk"):
            upgrade.keep_for_review(
                apps,
                migration=MIGRATION,
                project=project,
                note=_(
                    "Certified as %(tier)s while declared a VOCs management measure under the "
                    "Shanghai guide; its type %(type)s is an Annex 1 type with a national "
                    "method. Kept as certified: the bureau reviews it."
                )
                % {"tier": project.tier, "type": project.project_type.code},
            )
    upgrade.retier(apps, migration=MIGRATION, projects=flagged)
    upgrade.settle_deferred_checks(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0002_entry_last_leg_index"),
        ("reductions", "0002_project_attachment_projectamount_review_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="projecttype",
            name="kind",
            field=models.CharField(
                choices=[
                    ("ANNEX_1", "Annex 1 key-project type (national accounting method)"),
                    ("VOC_MGMT", "VOCs management measure (Shanghai VOCs guide)"),
                ],
                default="ANNEX_1",
                max_length=10,
                verbose_name="kind",
            ),
        ),
        migrations.AddField(
            model_name="projecttype",
            name="is_seed",
            field=models.BooleanField(
                default=False,
                help_text="A placeholder row shipped with the system; replace it with the bureau's own.",
                verbose_name="seed data",
            ),
        ),
        migrations.AlterModelOptions(
            name="projecttype",
            options={
                "ordering": ["kind", "category", "sort_order", "code"],
                "verbose_name": "project type",
                "verbose_name_plural": "project types",
            },
        ),
        migrations.AddConstraint(
            model_name="projecttype",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind", "ANNEX_1"), ("category", "AIR"), _connector="OR"),
                name="voc_management_type_is_air",
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="accounting_method",
            field=models.CharField(
                choices=[
                    (
                        "NATIONAL_KEY",
                        "National key-project accounting method (MEE technical guide for emission reduction accounting)",
                    ),
                    (
                        "NATIONAL_PACKAGE",
                        "National small-package accounting, filed in the national reduction information system",
                    ),
                    (
                        "SHANGHAI_VOC_GUIDE",
                        "Shanghai technical guide for VOCs deep-treatment reductions in key industries (trial)",
                    ),
                ],
                default="NATIONAL_KEY",
                max_length=20,
                verbose_name="accounting method",
            ),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="RetierRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("migration", models.CharField(max_length=100, verbose_name="upgrade step")),
                (
                    "action",
                    models.CharField(
                        choices=[("RETIERED", "Re-tiered"), ("KEPT", "Kept as it was, for the bureau to review")],
                        max_length=10,
                        verbose_name="action",
                    ),
                ),
                (
                    "old_tier",
                    models.CharField(
                        choices=[("KEY", "Key project"), ("PACKAGE", "Small package"), ("MICRO", "Micro"), ("VOC_MGMT", "VOCs management")],
                        max_length=10,
                        verbose_name="tier before",
                    ),
                ),
                (
                    "new_tier",
                    models.CharField(
                        blank=True,
                        choices=[("KEY", "Key project"), ("PACKAGE", "Small package"), ("MICRO", "Micro"), ("VOC_MGMT", "VOCs management")],
                        max_length=10,
                        verbose_name="tier after",
                    ),
                ),
                ("note", models.TextField(verbose_name="note")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="at")),
                ("resolved_at", models.DateTimeField(blank=True, null=True, verbose_name="reviewed at")),
                ("resolution", models.TextField(blank=True, verbose_name="review outcome")),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="retier_records",
                        to="reductions.project",
                    ),
                ),
                (
                    "resolved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "upgrade re-tiering record",
                "verbose_name_plural": "upgrade re-tiering records",
                "ordering": ["id"],
            },
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.RemoveField(model_name="project", name="voc_management"),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("accounting_method", "NATIONAL_KEY"), ("tier__in", ["KEY", "MICRO"])),
                    models.Q(("accounting_method", "NATIONAL_PACKAGE"), ("tier", "PACKAGE")),
                    models.Q(("accounting_method", "SHANGHAI_VOC_GUIDE"), ("tier", "VOC_MGMT")),
                    _connector="OR",
                ),
                name="project_method_follows_tier",
            ),
        ),
    ]
