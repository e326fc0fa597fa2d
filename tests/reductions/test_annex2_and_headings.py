"""Annex 2 in force for the whole 14th plan; parent types with sub-types are headings."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from reductions import services
from reductions.forms import ProjectForm
from reductions.models import Project, ProjectType, Tier
from tests.factories import make_project, project_data
from tests.reductions.test_views import form_data

pytestmark = pytest.mark.django_db


def test_a_water_structure_upgrade_of_2022_is_a_small_package(district_clerk):
    """Seen: COD 3 t completed in 2022 was KEY because the rows started on 2023-06-25."""
    project = make_project(
        district_clerk,
        amounts={"COD": "3"},
        completion_date=datetime.date(2022, 5, 1),
        accounting_year=2022,
        submit=False,
    )
    assert project.tier == Tier.PACKAGE
    assert "小额打包" in project.tier_reason


@pytest.mark.parametrize(
    ("code", "subtypes"),
    [
        ("A_CLEAN_ENERGY", "燃煤锅炉淘汰、清洁能源替代"),
        ("A_VEHICLE_FUEL", "加油站和储油库油气回收治理、其他车和油品清洁化"),
    ],
)
def test_the_service_refuses_a_heading_type(client_for, district_clerk, pudong, code, subtypes):
    with pytest.raises(services.ProjectError) as refused:
        services.save_project(
            user=district_clerk,
            owner=pudong,
            data=project_data(code, fuel_type="GAS", boiler_capacity=Decimal("5")),
            amounts={"NOX": Decimal("1")},
        )
    assert subtypes in refused.value.errors["project_type"]
    assert not Project.objects.exists()


def test_the_form_offers_sub_types_only(client_for, district_clerk):
    offered = set(ProjectForm().fields["project_type"].queryset.values_list("code", flat=True))
    assert {"A_CLEAN_ENERGY", "A_VEHICLE_FUEL"}.isdisjoint(offered)
    assert {
        "A_COAL_BOILER",
        "A_CLEAN_ENERGY_SUB",
        "A_VAPOUR_RECOVERY",
        "A_VEHICLE_FUEL_OTHER",
        "VOC_MGMT_GENERIC",
        "W_STRUCTURE",
    } <= offered
    heading = ProjectType.objects.get(code="A_VEHICLE_FUEL")
    response = client_for(district_clerk).post(
        reverse("reductions:new"),
        form_data(project_type=heading.pk, amount_COD="", amount_NOX="1"),
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Project.objects.exists()


def test_other_vehicle_and_fuel_projects_follow_the_no_annex_2_rule(district_clerk):
    """Annex 1 lists 车和油品清洁化 as a key-project type; its projects other than vapour
    recovery have no Annex 2 row, so DESIGN §2 rule 4 applies."""
    micro = make_project(
        district_clerk, code="A_VEHICLE_FUEL_OTHER", amounts={"NOX": "0.08"}, submit=False
    )
    key = make_project(
        district_clerk, code="A_VEHICLE_FUEL_OTHER", amounts={"NOX": "3"}, submit=False
    )
    assert (micro.tier, key.tier) == (Tier.MICRO, Tier.KEY)
    assert "车和油品清洁化 — 其他车和油品清洁化”没有小额打包适用范围" in key.tier_reason
