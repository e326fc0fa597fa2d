import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from allocations import services
from ledger import services as ledger_services
from ledger.models import Role
from reductions import services as reduction_services
from reductions.models import Industry, PlanPeriod
from tests.factories import UserFactory, make_project

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "凭证.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def period():
    return PlanPeriod.objects.get(code="14FYP")


@pytest.fixture
def certify_key(district_clerk, district_approver, municipal_approver, municipal_clerk):
    """Certify a district KEY project (urban sewage has no Annex 2 row: above 0.1 t it is
    KEY) of ``amount`` t COD, with the Ministry's result dated 30 days ago."""

    def run(amount: str, *, pollutant: str = "COD"):
        project = make_project(district_clerk, code="W_URBAN_SEWAGE", amounts={pollutant: amount})
        assert project.tier == "KEY", project.tier_reason
        act = reduction_services.act
        project = act(project=project, user=district_approver, action="approve")
        project = act(project=project, user=municipal_approver, action="approve")
        return act(
            project=project,
            user=municipal_clerk,
            action="approve",
            document_number="环办减排〔2026〕1号",
            document_date=timezone.localdate() - datetime.timedelta(days=30),
        )

    return run


def set_target(entity, period, amount, user, pollutant="COD"):
    return services.set_target(
        entity=entity,
        plan_period=period,
        pollutant=pollutant,
        amount=amount,
        reason="规划",
        user=user,
    )


def run_round(period, clerk, approver, as_of=None):
    round_ = services.draft_round(
        plan_period=period, as_of=as_of or timezone.localdate(), user=clerk
    )
    services.submit_round(round_=round_, user=clerk)
    return services.approve_round(round_=round_, approver=approver)


def balance(entity, pollutant="COD") -> Decimal:
    return ledger_services.entity_account(entity, pollutant).balance


def available(entity, pollutant="COD") -> Decimal:
    return ledger_services.entity_account(entity, pollutant).available


def construction(
    user, owner, *, eia="沪环评〔2026〕1号", area="ATTAINMENT", name="新建涂装线", **emissions
):
    return services.save_construction_project(
        user=user,
        data={
            "name": name,
            "builder": "上海某制造有限公司",
            "eia_number": eia,
            "owner": owner,
            "industry": Industry.objects.get(code="36"),
            "area_status": area,
        },
        emissions={p: Decimal(a) for p, a in (emissions or {"NOX": "2"}).items()},
    )


@pytest.fixture
def dual_municipal(bureau):
    """One person holding both municipal roles."""
    return UserFactory(
        entity=bureau, roles=[Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER], username="m_both"
    )


@pytest.fixture
def superuser(bureau):
    """A superuser without business roles: administers reference data only."""
    return UserFactory(entity=bureau, is_superuser=True, is_staff=True, username="root")
