"""Demo ledger activity for `make run`, made the way the bureau makes it: through the services.

Pudong's key projects are certified nationally against its targets and a round allocates the
surplus; a municipal enterprise records a trade the municipal approver confirms; quota enters
the municipal reserve; a construction project holds quota while its request is decided.
"""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from ledger.models import User
from reductions import services as reductions
from reductions.demo import DEMO_EVIDENCE, _data
from reductions.models import Industry, PlanPeriod

from . import services, trades
from .models import AllocationRound, AreaStatus, ReserveSource, TradeDirection

NATIONAL_DATE = datetime.date(2025, 12, 15)


def _evidence(name: str = "演示证明材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, DEMO_EVIDENCE, content_type="application/pdf")


@transaction.atomic
def load_demo_allocations(users: list[User]) -> None:
    if AllocationRound.objects.exists():
        return
    by_name = {u.username: u for u in users}
    clerk, district_approver = by_name["district_clerk"], by_name["district_approver"]
    municipal_clerk = by_name["municipal_clerk"]
    municipal_approver = by_name["municipal_approver"]
    enterprise_user = by_name["enterprise_user"]
    pudong = clerk.entity
    period = PlanPeriod.objects.get(code="14FYP")

    # Key projects: district review, municipal review, the Ministry's result recorded.
    for type_code, name, pollutant, amount in (
        ("W_INDUSTRIAL", "化工企业废水深度治理（已国家核定）", "COD", "12.000"),
        ("A_NOX_TREATMENT", "钢铁烧结烟气脱硝（已国家核定）", "NOX", "15.000"),
    ):
        project = reductions.save_project(
            user=clerk,
            owner=pudong,
            data=_data(type_code, name),
            amounts={pollutant: Decimal(amount)},
        )
        reductions.add_attachment(project=project, upload=_evidence(), user=clerk)
        project = reductions.act(project=project, user=clerk, action="submit")
        project = reductions.act(project=project, user=district_approver, action="approve")
        project = reductions.act(project=project, user=municipal_approver, action="approve")
        reductions.act(
            project=project,
            user=municipal_clerk,
            action="approve",
            document_number=f"环办核〔2025〕{project.pk}号",
            document_date=NATIONAL_DATE,
        )
        services.set_target(
            entity=pudong,
            plan_period=period,
            pollutant=pollutant,
            amount=Decimal("10.000"),
            reason="",
            user=municipal_clerk,
        )

    round_ = services.draft_round(
        plan_period=period, as_of=timezone.localdate(), user=municipal_clerk
    )
    services.submit_round(round_=round_, user=municipal_clerk)
    services.approve_round(round_=round_, approver=municipal_approver, comment="演示批次")

    enterprise = enterprise_user.entity
    trade = trades.record_trade(
        user=enterprise_user,
        entity=enterprise,
        direction=TradeDirection.ACQUIRED,
        certificate_number="DEMO-SHEX-2026-001",
        counterparty="上海环境能源交易所（演示）",
        trade_date=datetime.date(2026, 6, 15),
        pollutant="VOCS",
        amount=Decimal("3.000"),
        evidence=_evidence("交易凭证.pdf"),
    )
    trades.confirm_trade(record=trade, user=municipal_approver)

    intake = trades.record_reserve_intake(
        user=municipal_clerk,
        pollutant="NOX",
        amount=Decimal("8.000"),
        source=ReserveSource.SHUTDOWN,
        intake_date=datetime.date(2026, 3, 31),
        evidence=_evidence("关停企业指标收回文件.pdf"),
        memo="演示：关停企业指标收回",
    )
    trades.confirm_reserve_intake(record=intake, user=municipal_approver)

    construction = services.save_construction_project(
        user=clerk,
        data={
            "name": "演示：新建汽车零部件涂装线",
            "builder": "上海示例汽车零部件有限公司",
            "eia_number": "沪浦环评〔2026〕18号",
            "owner": pudong,
            "industry": Industry.objects.get(code="36"),
            "area_status": AreaStatus.ATTAINMENT,
        },
        emissions={"NOX": Decimal("1.800")},
    )
    services.request_use(
        project=construction, user=clerk, lines=[(pudong, "NOX", Decimal("1.800"))]
    )
