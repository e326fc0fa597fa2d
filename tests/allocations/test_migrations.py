"""The allocations migrations on a database with data (bureaus upgrade in place): rows made
by the old schema keep their meaning under the new one."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

D = Decimal
BEFORE = [("allocations", "0002_constructionproject_replacementratio_newemission_and_more")]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _old_data(apps) -> dict:
    """Rows as the old schema made them: a district's requested construction project with an
    active hold on funded quota, and an approved round with one line."""
    Entity = apps.get_model("ledger", "Entity")
    User = apps.get_model("ledger", "User")
    Account = apps.get_model("ledger", "Account")
    Transaction = apps.get_model("ledger", "Transaction")
    Entry = apps.get_model("ledger", "Entry")
    Hold = apps.get_model("ledger", "Hold")
    Industry = apps.get_model("reductions", "Industry")
    IndustrySection = apps.get_model("reductions", "IndustrySection")
    PlanPeriod = apps.get_model("reductions", "PlanPeriod")
    Policy = apps.get_model("allocations", "AllocationPolicy")
    Round = apps.get_model("allocations", "AllocationRound")
    Line = apps.get_model("allocations", "AllocationLine")
    Project = apps.get_model("allocations", "ConstructionProject")
    Emission = apps.get_model("allocations", "NewEmission")
    UseLine = apps.get_model("allocations", "UseLine")

    with transaction.atomic():
        district, _ = Entity.objects.get_or_create(
            code="M-310115", defaults={"kind": "DISTRICT", "name_zh": "迁移区"}
        )
        bureau = Entity.objects.filter(kind="BUREAU").first() or Entity.objects.create(
            code="M-SHSEE", kind="BUREAU", name_zh="市局"
        )
        clerk = User.objects.create(username="m-clerk", entity=district)
        approver = User.objects.create(username="m-approver", entity=bureau)
        section, _ = IndustrySection.objects.get_or_create(
            letter="C", defaults={"name_zh": "制造业"}
        )
        industry, _ = Industry.objects.get_or_create(
            code="36", defaults={"name_zh": "汽车制造业", "section": section}
        )
        period, _ = PlanPeriod.objects.get_or_create(
            code="14FYP", defaults={"name_zh": "十四五", "start_year": 2021, "end_year": 2025}
        )
        policy, _ = Policy.objects.get_or_create(effective_from=datetime.date(2021, 1, 1))
        pool = Account.objects.create(
            system_kind="ALLOCATION_POOL", pollutant="NOX", may_go_negative=True, balance=D("-5")
        )
        account = Account.objects.create(
            entity=district, pollutant="NOX", balance=D("5"), held=D("2")
        )
        txn = Transaction.objects.create(
            kind="ALLOCATION",
            effective_date=datetime.date(2026, 1, 5),
            idempotency_key="migration-test:1",
            posted_by=clerk,
        )
        Entry.objects.create(
            transaction=txn,
            account=pool,
            pollutant="NOX",
            amount=D("-5"),
            balance_after=D("-5"),
            effective_date=txn.effective_date,
        )
        Entry.objects.create(
            transaction=txn,
            account=account,
            pollutant="NOX",
            amount=D("5"),
            balance_after=D("5"),
            effective_date=txn.effective_date,
        )
        round_ = Round.objects.create(
            plan_period=period,
            as_of=datetime.date(2026, 1, 1),
            policy=policy,
            created_by=clerk,
            status="APPROVED",
            decided_by=approver,
        )
        line = Line.objects.create(
            round=round_,
            entity=district,
            pollutant="NOX",
            key_certified=D("12"),
            package_certified=D("1"),
            target=D("10"),
            already_allocated=D("1"),
            proposed=D("2"),
        )
        project = Project.objects.create(
            name="旧建设项目",
            builder="某公司",
            eia_number="M-EIA-1",
            district=district,
            industry=industry,
            area_status="ATTAINMENT",
            status="REQUESTED",
            created_by=clerk,
        )
        Emission.objects.create(project=project, pollutant="NOX", amount=D("2"))
        requester = User.objects.create(username="m-requester", entity=district)
        hold = Hold.objects.create(
            account=account,
            amount=D("2"),
            reason="旧预占",
            created_by=requester,
            idempotency_key="use:old:0",
        )
        UseLine.objects.create(
            project=project,
            account=account,
            pollutant="NOX",
            emission=D("2"),
            ratio=D("1"),
            amount=D("2"),
            hold=hold,
        )
    return {
        "project": project.pk,
        "line": line.pk,
        "hold": hold.pk,
        "district": district.pk,
        "requester": requester.pk,
    }


def test_existing_rows_keep_their_meaning():
    from django.db.migrations.loader import MigrationLoader

    latest = [
        key for key in MigrationLoader(connection).graph.leaf_nodes() if key[0] == "allocations"
    ]
    # The ledger as it is now (its users have today's columns), the allocations as they were.
    ledger = [key for key in MigrationLoader(connection).graph.leaf_nodes() if key[0] == "ledger"]
    old = _old_data(_migrate(BEFORE + ledger))
    try:
        _migrate(latest)
    finally:
        _migrate(MigrationLoader(connection).graph.leaf_nodes())

    from allocations import services
    from allocations.models import AllocationLine, ConstructionProject, HoldPolicy, LineKind
    from ledger.models import Hold

    project = ConstructionProject.objects.get(pk=old["project"])
    assert project.owner_id == old["district"]  # the district is now the owner
    assert project.requested_by_id == old["requester"] and project.attempt == 1
    deadline = timezone.now() + datetime.timedelta(days=90)
    assert abs(project.expires_at - deadline) < datetime.timedelta(minutes=10)
    hold = Hold.objects.get(pk=old["hold"])
    assert hold.expires_at == project.expires_at and hold.status == "ACTIVE"
    line = AllocationLine.objects.get(pk=old["line"])
    assert (line.kind, line.due, line.owed_after) == (LineKind.ALLOCATION, D("3"), 0)
    policy = HoldPolicy.objects.get()
    assert (policy.lifetime_days, policy.is_default) == (90, True)
    # The upgraded request expires like a new one.
    ConstructionProject.objects.filter(pk=project.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert services.expire_requests() == [project.pk]
    project.refresh_from_db()
    hold.refresh_from_db()
    assert (project.status, hold.status) == ("EXPIRED", "EXPIRED")
    assert hold.account.held == 0
