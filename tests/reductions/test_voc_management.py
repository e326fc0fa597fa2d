"""VOCs management is a kind of project type (notice 三(四)), never a flag on the project."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from ledger import services as ledger_services
from reductions import services
from reductions.models import PackageRule, Project, ProjectType, Tier, TypeKind
from tests.factories import UserFactory, make_project
from tests.reductions.test_views import form_data

pytestmark = pytest.mark.django_db


def voc_type():
    return ProjectType.objects.get(code="VOC_MGMT_GENERIC")


def test_a_voc_management_type_is_voc_mgmt_under_the_shanghai_guide(
    district_clerk, district_approver, pudong
):
    project = make_project(district_clerk, code="VOC_MGMT_GENERIC", amounts={"VOCS": "30"})
    assert (project.tier, project.accounting_method) == (Tier.VOC_MGMT, "SHANGHAI_VOC_GUIDE")
    services.act(project=project, user=district_approver, action="approve")
    assert ledger_services.entity_account(pudong, "VOCS").balance == Decimal("30")


@pytest.mark.parametrize(
    ("code", "amounts"),
    [
        ("W_STRUCTURE", {"COD": "3"}),
        ("A_NOX_TREATMENT", {"NOX": "30"}),
        ("A_VOC_TREATMENT", {"VOCS": "30"}),
        ("A_VOC_SUBSTITUTION", {"VOCS": "0.05"}),
    ],
)
def test_an_annex_1_type_is_never_voc_mgmt_whatever_is_posted(
    client_for, district_clerk, code, amounts
):
    """The issue's cases: ticking the old declaration no longer makes a project VOC_MGMT."""
    post = form_data(project_type=ProjectType.objects.get(code=code).pk, voc_management="on")
    post.update({"amount_COD": "", **{f"amount_{p}": a for p, a in amounts.items()}})
    response = client_for(district_clerk).post(reverse("reductions:new"), post)
    assert response.status_code == 302
    project = Project.objects.get()
    assert project.tier != Tier.VOC_MGMT
    assert project.accounting_method != "SHANGHAI_VOC_GUIDE"


def test_a_voc_management_measure_may_claim_vocs_only(client_for, district_clerk):
    response = client_for(district_clerk).post(
        reverse("reductions:new"),
        form_data(project_type=voc_type().pk, amount_COD="", amount_VOCS="2", amount_NOX="1"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "“挥发性有机物管理减排措施（按上海市指南核算）”属按上海市指南核算的挥发性有机物管理"
        "减排措施，只能申报挥发性有机物（VOCs），不能申报 NOx。" in page
    )
    assert not Project.objects.exists()


NATIONAL_KEY = "国家重点工程减排量核算方法（《主要污染物总量减排核算技术指南》）"


@pytest.mark.parametrize(
    ("code", "amounts", "method"),
    [
        ("W_STRUCTURE", {"COD": "0.05"}, NATIONAL_KEY),
        ("W_STRUCTURE", {"COD": "6"}, NATIONAL_KEY),
        ("W_STRUCTURE", {"COD": "2"}, "国家小额打包核算方法（在国家减排信息系统填报核算）"),
        (
            "VOC_MGMT_GENERIC",
            {"VOCS": "2"},
            "《上海市重点行业企业挥发性有机物深化治理项目减排量核算技术指南（试行）》",
        ),
    ],
)
def test_the_project_records_and_shows_the_accounting_method_its_tier_implies(
    client_for, district_clerk, code, amounts, method
):
    project = make_project(district_clerk, code=code, amounts=amounts, submit=False)
    page = client_for(district_clerk).get(reverse("reductions:detail", args=[project.pk]))
    assert "核算方法" in page.content.decode() and method in page.content.decode()


def test_the_bureau_maintains_voc_management_types_in_admin(client, bureau, district_clerk):
    admin = UserFactory(is_staff=True, is_superuser=True, entity=bureau)
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    url = "/admin/reductions/projecttype/add/"
    row = {
        "code": "VOC_LDAR",
        "name_zh": "泄漏检测与修复（LDAR）",
        "name_en": "Leak detection and repair",
        "kind": TypeKind.VOC_MANAGEMENT,
        "category": "AIR",
        "pollutants": '["VOCS", "NOX"]',
        "sort_order": "1",
    }
    refused = client.post(url, row)
    assert refused.status_code == 200
    assert "挥发性有机物管理减排措施只能申报挥发性有机物（VOCs）。" in refused.content.decode()
    assert client.post(url, {**row, "pollutants": '["VOCS"]'}).status_code == 302
    project = make_project(district_clerk, code="VOC_LDAR", amounts={"VOCS": "1"}, submit=False)
    assert project.tier == Tier.VOC_MGMT
    rule = client.post(
        "/admin/reductions/packagerule/add/",
        {
            "project_type": ProjectType.objects.get(code="VOC_LDAR").pk,
            "effective_from": "2021-01-01",
            "ceiling": "10",
            "bundle_key": "INDUSTRY",
        },
    )
    assert "附件2核算范围只适用于附件1类型" in rule.content.decode()
    assert not PackageRule.objects.filter(project_type__code="VOC_LDAR").exists()


def test_the_database_keeps_voc_management_types_to_air():
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectType.objects.create(
            code="X", name_zh="X", kind=TypeKind.VOC_MANAGEMENT, category="WATER"
        )


def test_the_database_ties_the_method_to_the_tier(district_clerk):
    project = make_project(district_clerk, amounts={"COD": "6"}, submit=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(accounting_method="SHANGHAI_VOC_GUIDE")
