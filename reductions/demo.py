"""Demo reduction projects for `make run`: some waiting in each queue, one certified."""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from ledger.models import User

from . import services
from .models import Industry, PlanPeriod, Project, ProjectType

DEMO_PREFIX = "演示："
CREDIT_CODE = "91310000132200821H"
# A minimal PDF standing in for the evidence a maker uploads before submitting.
DEMO_EVIDENCE = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _data(type_code: str, name: str, **extra) -> dict:
    data = {
        "name": DEMO_PREFIX + name,
        "enterprise_name": "演示企业有限公司",
        "credit_code": CREDIT_CODE,
        "industry": Industry.objects.get(code="26"),
        "project_type": ProjectType.objects.get(code=type_code),
        "measure": "演示数据",
        "plan_period": PlanPeriod.objects.get(code="14FYP"),
        "accounting_year": 2025,
        "completion_date": datetime.date(2025, 9, 30),
    }
    data.update(extra)
    return data


@transaction.atomic
def load_demo_projects(users: list[User]) -> None:
    if Project.objects.filter(name__startswith=DEMO_PREFIX).exists():
        return
    by_name = {u.username: u for u in users}
    clerk, approver = by_name["district_clerk"], by_name["district_approver"]
    enterprise_user = by_name["enterprise_user"]

    def project(user, type_code, name, amounts, **extra):
        return services.save_project(
            user=user,
            owner=user.entity,
            data=_data(type_code, name, **extra),
            amounts={p: Decimal(a) for p, a in amounts.items()},
        )

    def submit(p, user):
        services.add_attachment(
            project=p, upload=SimpleUploadedFile("演示证明材料.pdf", DEMO_EVIDENCE), user=user
        )
        return services.act(project=p, user=user, action="submit")

    def approve(p):
        return services.act(project=p, user=approver, action="approve")

    submit(
        project(
            clerk, "W_STRUCTURE", "印染废水深度处理（待区审核）", {"COD": "2.400", "NH3N": "0.180"}
        ),
        clerk,
    )
    approve(
        submit(
            project(clerk, "W_STRUCTURE", "化工园区污水提标（已核定微小）", {"COD": "0.080"}), clerk
        )
    )
    approve(
        submit(
            project(clerk, "A_NOX_TREATMENT", "燃气锅炉低氮改造（待市审核）", {"NOX": "12.500"}),
            clerk,
        )
    )
    approve(
        submit(
            project(
                clerk,
                "A_VOC_TREATMENT",
                "涂装线 VOCs 治理（绿岛，待打包）",
                {"VOCS": "3.200"},
                green_island=True,
                enterprise_name="浦东某绿岛共享喷涂中心",
            ),
            clerk,
        )
    )
    project(
        clerk, "A_CLEAN_ENERGY_SUB", "食堂燃油改燃气（草稿）", {"NOX": "0.600"}, fuel_type="GAS"
    )
    submit(
        project(enterprise_user, "A_NOX_TREATMENT", "电厂脱硝提效（待市审核）", {"NOX": "45.000"}),
        enterprise_user,
    )
