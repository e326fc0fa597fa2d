from decimal import Decimal

import pytest

from ledger.models import Entity, EntityKind, Pollutant, PollutantCategory
from reductions.models import Industry, IndustrySection, PackageRule, PlanPeriod, ProjectType

pytestmark = pytest.mark.django_db


def test_all_97_industry_major_categories_with_sections():
    assert Industry.objects.count() == 97
    assert IndustrySection.objects.count() == 20
    codes = list(Industry.objects.values_list("code", flat=True))
    assert codes == [f"{n:02d}" for n in range(1, 98)]
    chemicals = Industry.objects.get(code="26")
    assert chemicals.name_zh == "化学原料和化学制品制造业"
    assert chemicals.section_id == "C"
    assert Industry.objects.get(code="44").name_zh == "电力、热力生产和供应业"
    assert Industry.objects.get(code="44").section_id == "D"
    assert Industry.objects.get(code="97").section_id == "T"
    assert Industry.objects.filter(section="C").count() == 31


def test_pollutants_have_labels_and_categories():
    assert [p.value for p in Pollutant] == ["NOX", "VOCS", "COD", "NH3N"]
    assert Pollutant.COD.category == PollutantCategory.WATER
    assert Pollutant.NOX.category == PollutantCategory.AIR
    assert Pollutant.NH3N.symbol == "NH3-N"
    from django.utils import translation

    with translation.override("zh-hans"):
        assert str(Pollutant.NOX.label) == "氮氧化物（NOx）"
    with translation.override("en"):
        assert str(Pollutant.NOX.label) == "Nitrogen oxides (NOx)"


def test_annex_1_project_types_and_annex_2_rows():
    annex_1 = ProjectType.objects.filter(kind="ANNEX_1", parent=None)
    assert annex_1.filter(category="WATER").count() == 7
    assert annex_1.filter(category="AIR").count() == 7
    assert ProjectType.objects.get(code="A_COAL_BOILER").parent.code == "A_CLEAN_ENERGY"
    assert ProjectType.objects.get(code="A_VAPOUR_RECOVERY").parent.code == "A_VEHICLE_FUEL"
    # 车和油品清洁化 is a heading; vehicle and fuel projects other than vapour recovery have
    # their own sub-type (no Annex 2 row: DESIGN §2 rule 4).
    other = ProjectType.objects.get(code="A_VEHICLE_FUEL_OTHER")
    assert other.parent.code == "A_VEHICLE_FUEL" and not other.package_rules.exists()
    assert set(
        ProjectType.objects.filter(subtypes__isnull=False).distinct().values_list("code", flat=True)
    ) == {"A_CLEAN_ENERGY", "A_VEHICLE_FUEL"}
    voc = ProjectType.objects.get(kind="VOC_MGMT")
    assert (voc.code, voc.pollutants, voc.is_seed) == ("VOC_MGMT_GENERIC", ["VOCS"], True)
    assert PackageRule.objects.count() == 9
    boiler = PackageRule.objects.get(project_type__code="A_COAL_BOILER")
    assert (boiler.floor, boiler.ceiling, boiler.size_limit) == (Decimal("0.1"), None, 20)
    assert boiler.bundle_key == "FUEL"
    vapour = PackageRule.objects.get(project_type__code="A_VAPOUR_RECOVERY")
    assert (vapour.floor, vapour.ceiling) == (Decimal("0.1"), Decimal("1"))
    voc = PackageRule.objects.get(project_type__code="A_VOC_TREATMENT")
    assert voc.floor is None and voc.ceiling == 10 and voc.green_island_bundle
    rural = PackageRule.objects.get(project_type__code="W_RURAL_SEWAGE")
    assert rural.size_limit == 300 and rural.size_unit == "T_D"
    assert {str(d) for d in PackageRule.objects.values_list("effective_from", flat=True)} == {
        "2021-01-01"
    }


def test_plan_periods():
    assert list(PlanPeriod.objects.values_list("code", "start_year", "end_year")) == [
        ("14FYP", 2021, 2025),
        ("15FYP", 2026, 2030),
    ]


def test_entities_districts_committees_and_bureau():
    districts = Entity.objects.filter(kind=EntityKind.DISTRICT)
    assert districts.count() == 16
    assert all(
        len(code) == 6 and code.startswith("31")
        for code in districts.values_list("code", flat=True)
    )
    assert Entity.objects.get(code="310115").name_zh == "浦东新区"
    assert Entity.objects.get(code="310101").name_zh == "黄浦区"
    assert Entity.objects.get(code="310151").name_zh == "崇明区"
    assert Entity.objects.filter(kind=EntityKind.COMMITTEE).count() == 2
    assert Entity.objects.get(code="SCIP").name_zh == "上海化学工业区管理委员会"
    assert Entity.objects.get(kind=EntityKind.BUREAU).name_zh == "上海市生态环境局"


def test_only_one_municipal_bureau_can_exist():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Entity.objects.create(kind=EntityKind.BUREAU, code="X", name_zh="第二个市局")


def test_reference_data_is_editable_in_admin(client):
    from tests.factories import UserFactory

    admin = UserFactory(is_staff=True, is_superuser=True, entity=Entity.objects.get(code="SHSEE"))
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    for url in [
        "/admin/reductions/industry/",
        f"/admin/reductions/packagerule/{PackageRule.objects.first().pk}/change/",
        "/admin/reductions/evidencepolicy/",
        "/admin/reductions/bundlefiling/",
        "/admin/reductions/retierrecord/",
        "/admin/reductions/projecttype/",
        "/admin/reductions/planperiod/",
        "/admin/ledger/entity/",
    ]:
        assert client.get(url).status_code == 200, url
    response = client.get("/admin/")
    assert "站点管理" in response.content.decode() or "管理" in response.content.decode()
