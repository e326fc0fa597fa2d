"""Annex 2 rows are in force for the whole 14th plan (DESIGN §2 rule 5).

The seeded small-package rows move from the notice's date (2023-06-25) to 2021-01-01; rows a
bureau added or re-dated since stay as they are (later changes are new dated rows). The
parent types 清洁能源替代 and 车和油品清洁化 become headings: 车和油品清洁化 gets a sub-type
for vehicle and fuel projects other than vapour recovery (Annex 1 lists the parent as a key
project type in its own right). Uncertified projects are re-tiered; uncertified projects of a
heading type are listed for the bureau (their maker picks a sub-type on the next edit).
"""

import datetime

from django.conf import settings
from django.db import migrations

MIGRATION = "0004_annex2_whole_plan"
SEEDED_ON = datetime.date(2023, 6, 25)
PLAN_START = datetime.date(2021, 1, 1)
SEEDED_TYPES = (
    "W_STRUCTURE",
    "W_LIVESTOCK",
    "W_RURAL_SEWAGE",
    "A_STRUCTURE",
    "A_VOC_SUBSTITUTION",
    "A_VOC_TREATMENT",
    "A_COAL_BOILER",
    "A_CLEAN_ENERGY_SUB",
    "A_VAPOUR_RECOVERY",
)
OTHER_VEHICLE_FUEL = {
    "code": "A_VEHICLE_FUEL_OTHER",
    "name_zh": "其他车和油品清洁化",
    "name_en": "Other cleaner vehicles and fuel",
    "kind": "ANNEX_1",
    "category": "AIR",
    "pollutants": ["NOX", "VOCS"],
    "sort_order": 17,
}


def forward(apps, schema_editor):
    from django.utils import translation
    from django.utils.translation import gettext as _

    from reductions import upgrade

    ProjectType = apps.get_model("reductions", "ProjectType")
    PackageRule = apps.get_model("reductions", "PackageRule")
    Project = apps.get_model("reductions", "Project")
    for rule in PackageRule.objects.filter(
        effective_from=SEEDED_ON, project_type__code__in=SEEDED_TYPES
    ):
        if not PackageRule.objects.filter(
            project_type_id=rule.project_type_id, effective_from=PLAN_START
        ).exists():
            rule.effective_from = PLAN_START
            rule.save(update_fields=["effective_from"])
    parent = ProjectType.objects.filter(code="A_VEHICLE_FUEL").first()
    if parent is not None:
        ProjectType.objects.get_or_create(
            code=OTHER_VEHICLE_FUEL["code"], defaults={**OTHER_VEHICLE_FUEL, "parent": parent}
        )
    uncertified = Project.objects.exclude(status="CERTIFIED")
    upgrade.retier(apps, migration=MIGRATION, projects=uncertified)
    with translation.override(settings.LANGUAGE_CODE):
        for project in (
            uncertified.filter(project_type__subtypes__isnull=False)
            .distinct()
            .select_related("project_type")
            .order_by("pk")
        ):
            upgrade.keep_for_review(
                apps,
                migration=MIGRATION,
                project=project,
                note=_(
                    "Its type %(type)s is now a heading; the maker picks one of its sub-types "
                    "when the project is next edited."
                )
                % {"type": project.project_type.name_zh},
            )
    upgrade.settle_deferred_checks(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("reductions", "0003_voc_management_type_kind"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
