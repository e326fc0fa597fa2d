"""The data migrations of issue 8 on a database shaped like the one bureaus run today.

Migrates reductions back to 0002, writes old-shaped rows (the VOCs management flag on an
uncertified and a certified project, Annex 2 rows dated 2023-06-25, a later dated row…),
migrates forward and checks the re-tiering, the review list and the backfills.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("reductions", "0002_project_attachment_projectamount_review_and_more")]
SEEDED_ON = datetime.date(2023, 6, 25)
PLAN_START = datetime.date(2021, 1, 1)


def migrate(targets=None):
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


class OldDatabase:
    """Rows written through the historical models of reductions 0002."""

    def __init__(self, apps):
        self.apps = apps
        model = apps.get_model
        self.Project = model("reductions", "Project")
        self.Amount = model("reductions", "ProjectAmount")
        self.Review = model("reductions", "Review")
        self.Type = model("reductions", "ProjectType")
        self.Rule = model("reductions", "PackageRule")
        section, _ = model("reductions", "IndustrySection").objects.get_or_create(
            letter="C", defaults={"name_zh": "制造业"}
        )
        self.industry, _ = model("reductions", "Industry").objects.get_or_create(
            code="26", defaults={"name_zh": "化学原料和化学制品制造业", "section": section}
        )
        self.period, _ = model("reductions", "PlanPeriod").objects.get_or_create(
            code="14FYP", defaults={"name_zh": "“十四五”", "start_year": 2021, "end_year": 2025}
        )
        self.district, _ = model("ledger", "Entity").objects.get_or_create(
            code="310115", defaults={"kind": "DISTRICT", "name_zh": "浦东新区"}
        )
        self.clerk = self._user("old_clerk")
        self.approver = self._user("old_approver")
        # Types the upgrade adds did not exist before it.
        self.Type.objects.filter(code__in=["VOC_MGMT_GENERIC", "A_VEHICLE_FUEL_OTHER"]).delete()
        self.types = {
            code: self._type(code, category, pollutants, parent)
            for code, category, pollutants, parent in [
                ("W_STRUCTURE", "WATER", ["COD", "NH3N"], None),
                ("A_VOC_TREATMENT", "AIR", ["VOCS"], None),
                ("A_VEHICLE_FUEL", "AIR", ["NOX", "VOCS"], None),
                ("A_VAPOUR_RECOVERY", "AIR", ["NOX", "VOCS"], "A_VEHICLE_FUEL"),
            ]
        }
        self.Rule.objects.filter(project_type__in=self.types.values()).delete()

    def _user(self, username):
        """Users are written through today's model (the ledger tables are not migrated
        back: a historical model would leave today's columns, such as the language, empty)
        and read back through the historical one."""
        from ledger.models import User

        user = User.objects.create(username=username, entity_id=self.district.pk)
        return self.apps.get_model("ledger", "User").objects.get(pk=user.pk)

    def _type(self, code, category, pollutants, parent):
        row, _ = self.Type.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": code,
                "category": category,
                "pollutants": pollutants,
                "parent": self.Type.objects.get(code=parent) if parent else None,
            },
        )
        return row

    def rule(self, code, effective_from, floor, ceiling, bundle_key="INDUSTRY"):
        return self.Rule.objects.create(
            project_type=self.types[code],
            effective_from=effective_from,
            floor=floor,
            ceiling=ceiling,
            bundle_key=bundle_key,
            green_island_bundle=False,
        )

    def project(self, name, code, amounts, *, tier, status, flagged=False, done=None, **extra):
        done = done or datetime.date(2025, 6, 30)
        project = self.Project.objects.create(
            owner=self.district,
            name=name,
            enterprise_name="上海示例",
            credit_code="91310000132200821H",
            industry=self.industry,
            project_type=self.types[code],
            measure="旧数据",
            plan_period=self.period,
            accounting_year=done.year,
            completion_date=done,
            voc_management=flagged,
            tier=tier,
            tier_reason="旧的理由",
            status=status,
            created_by=self.clerk,
            last_edited_by=self.clerk,
            certified_at=timezone.now() if status == "CERTIFIED" else None,
            **extra,
        )
        for pollutant, claimed in amounts.items():
            self.Amount.objects.create(project=project, pollutant=pollutant, claimed=claimed)
        return project

    def district_review(self, project, amounts):
        self.Review.objects.create(
            project=project,
            actor=self.approver,
            role="DISTRICT_APPROVER",
            action="approve",
            from_status="SUBMITTED",
            to_status="DISTRICT_REVIEWED",
            amounts=amounts,
        )


def test_upgrade_retiers_uncertified_projects_and_lists_the_rest_for_review():
    try:
        old = OldDatabase(migrate(BEFORE))
        seeded_structure = old.rule("W_STRUCTURE", SEEDED_ON, "0.100", "5.000")
        seeded_voc = old.rule("A_VOC_TREATMENT", SEEDED_ON, None, "10.000")
        later_voc = old.rule("A_VOC_TREATMENT", datetime.date(2024, 1, 1), None, "8.000")
        redated = old.rule(
            "A_VAPOUR_RECOVERY", datetime.date(2023, 9, 1), "0.100", "1.000", "PROJECT_TYPE"
        )
        flagged_open = old.project(
            "VOCs 治理（声明管理措施，未核定）",
            "A_VOC_TREATMENT",
            {"VOCS": "30"},
            tier="VOC_MGMT",
            status="SUBMITTED",
            flagged=True,
        )
        flagged_certified = old.project(
            "水产业结构升级（声明管理措施，已核定）",
            "W_STRUCTURE",
            {"COD": "3", "NH3N": "0.2"},
            tier="VOC_MGMT",
            status="CERTIFIED",
            flagged=True,
        )
        key_2022 = old.project(
            "2022 年完成的结构升级",
            "W_STRUCTURE",
            {"COD": "3"},
            tier="KEY",
            status="DRAFT",
            done=datetime.date(2022, 5, 1),
        )
        certified_2022 = old.project(
            "2022 年完成、已核定",
            "W_STRUCTURE",
            {"COD": "3"},
            tier="KEY",
            status="CERTIFIED",
            done=datetime.date(2022, 5, 1),
        )
        mid_route = old.project(
            "2022 年完成、市级已审核",
            "W_STRUCTURE",
            {"COD": "3"},
            tier="KEY",
            status="MUNICIPAL_REVIEWED",
            done=datetime.date(2022, 5, 1),
        )
        heading = old.project(
            "车辆清洁化（上级类型）",
            "A_VEHICLE_FUEL",
            {"NOX": "3"},
            tier="KEY",
            status="DRAFT",
        )
        reviewed = old.project(
            "区级已审核的小额打包",
            "W_STRUCTURE",
            {"COD": "2"},
            tier="PACKAGE",
            status="DISTRICT_REVIEWED",
        )
        old.district_review(reviewed, {"COD": "1.500"})
    finally:
        migrate()

    from ledger.models import Entity, Role
    from reductions.models import (
        EvidencePolicy,
        PackageRule,
        Project,
        ProjectAmount,
        ProjectType,
        RetierRecord,
    )
    from tests.factories import UserFactory

    def state(project):
        row = Project.objects.get(pk=project.pk)
        return row.tier, row.accounting_method

    # Annex 2: only rows still carrying the seeded date move to the start of the plan.
    dates = dict(
        PackageRule.objects.filter(
            pk__in=[seeded_structure.pk, seeded_voc.pk, later_voc.pk, redated.pk]
        ).values_list("pk", "effective_from")
    )
    assert dates == {
        seeded_structure.pk: PLAN_START,
        seeded_voc.pk: PLAN_START,
        later_voc.pk: datetime.date(2024, 1, 1),
        redated.pk: datetime.date(2023, 9, 1),
    }

    # VOCs management flag: the uncertified project is re-tiered by its Annex 1 type…
    assert state(flagged_open) == ("KEY", "NATIONAL_KEY")
    assert "超过" in Project.objects.get(pk=flagged_open.pk).tier_reason
    # 0009: its reason is a code too, worded in the reader's language.
    assert Project.objects.get(pk=flagged_open.pk).tier_reason_code == "key_ceiling"
    # …a tier today's rule would not give keeps only its stored wording.
    assert Project.objects.get(pk=flagged_certified.pk).tier_reason_code == ""
    # …the certified one keeps what it was certified as, and waits for the bureau.
    assert state(flagged_certified) == ("VOC_MGMT", "SHANGHAI_VOC_GUIDE")
    assert Project.objects.get(pk=flagged_certified.pk).status == "CERTIFIED"

    # Annex 2 from 2021: re-tiered when safe, kept (and listed) when not.
    assert state(key_2022) == ("PACKAGE", "NATIONAL_PACKAGE")
    assert state(certified_2022) == ("KEY", "NATIONAL_KEY")
    assert state(mid_route) == ("KEY", "NATIONAL_KEY")
    assert state(heading) == ("KEY", "NATIONAL_KEY")

    records = {
        (r.project_id, r.migration[:4], r.action, r.old_tier, r.new_tier)
        for r in RetierRecord.objects.all()
    }
    assert records == {
        (flagged_open.pk, "0003", "RETIERED", "VOC_MGMT", "KEY"),
        (flagged_certified.pk, "0003", "KEPT", "VOC_MGMT", ""),
        (key_2022.pk, "0004", "RETIERED", "KEY", "PACKAGE"),
        (mid_route.pk, "0004", "KEPT", "KEY", ""),
        (heading.pk, "0004", "KEPT", "KEY", ""),
    }
    note = RetierRecord.objects.get(project=flagged_certified.pk).note
    assert "保持核定结果不变，由市局复核" in note

    # New reference rows, policy rows and the district-reviewed backfill.
    voc = ProjectType.objects.get(code="VOC_MGMT_GENERIC")
    assert (voc.kind, voc.pollutants, voc.is_seed) == ("VOC_MGMT", ["VOCS"], True)
    assert ProjectType.objects.get(code="A_VEHICLE_FUEL_OTHER").parent.code == "A_VEHICLE_FUEL"
    assert EvidencePolicy.objects.get(tier="KEY").evidence_required
    assert ProjectAmount.objects.get(project=reviewed.pk).district_reviewed == Decimal("1.5")

    # The review list for the bureau.
    out = io.StringIO()
    call_command("tier_review", stdout=out)
    listed = out.getvalue()
    for project in (flagged_certified, mid_route, heading):
        assert f"#{project.pk}\t" in listed
    for project in (flagged_open, key_2022):
        assert f"#{project.pk}\t" not in listed
    assert "3 record(s)." in listed
    everything = io.StringIO()
    call_command("tier_review", "--all", stdout=everything)
    assert f"#{key_2022.pk}\t" in everything.getvalue()

    bureau = Entity.objects.filter(kind="BUREAU").first() or Entity.objects.create(
        kind="BUREAU", code="SHSEE", name_zh="上海市生态环境局"
    )
    approver = UserFactory(entity=bureau, roles=[Role.MUNICIPAL_APPROVER], username="m_rev")
    record = RetierRecord.objects.get(project=flagged_certified.pk)
    call_command(
        "tier_review",
        "--resolve",
        str(record.pk),
        "--user",
        approver.username,
        "--note",
        "经复核，按附件1类型重新申报",
        stdout=io.StringIO(),
    )
    record.refresh_from_db()
    assert (record.resolved_by, record.resolution) == (approver, "经复核，按附件1类型重新申报")
    after = io.StringIO()
    call_command("tier_review", stdout=after)
    assert f"#{flagged_certified.pk}\t" not in after.getvalue()
