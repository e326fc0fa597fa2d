import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from reductions import tiers
from reductions.models import PackageRule, ProjectType
from reductions.services import tier_for
from reductions.tiers import RuleRow, Tier, classify

D = Decimal
DONE = datetime.date(2025, 6, 30)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def tier(code, amounts, when=DONE, **data):
    result, _rule = tier_for(
        project_type=ProjectType.objects.get(code=code),
        amounts={p: D(a) for p, a in amounts.items()},
        data=data,
        completion_date=when,
    )
    return result


# (type, pollutant, floor, ceiling) for rows with amount bounds.
BOUNDED = [
    ("W_STRUCTURE", "COD", "0.1", "5"),
    ("A_STRUCTURE", "NOX", "0.1", "5"),
    ("A_CLEAN_ENERGY_SUB", "VOCS", "0.1", "10"),
    ("A_VAPOUR_RECOVERY", "VOCS", "0.1", "1"),
]
EPS = D("0.001")


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "pollutant", "floor", "ceiling"), BOUNDED)
def test_bounded_rows_at_below_and_above_each_bound(code, pollutant, floor, ceiling):
    floor, ceiling = D(floor), D(ceiling)
    assert tier(code, {pollutant: floor - EPS}).tier == Tier.MICRO
    assert tier(code, {pollutant: floor}).tier == Tier.MICRO  # floor exclusive
    assert tier(code, {pollutant: floor + EPS}).tier == Tier.PACKAGE
    assert tier(code, {pollutant: ceiling - EPS}).tier == Tier.PACKAGE
    assert tier(code, {pollutant: ceiling}).tier == Tier.PACKAGE  # ceiling inclusive
    assert tier(code, {pollutant: ceiling + EPS}).tier == Tier.KEY


@pytest.mark.django_db
def test_reason_is_a_sentence_a_clerk_understands():
    result = tier("W_STRUCTURE", {"COD": "6"})
    assert result.tier == Tier.KEY
    assert result.reason == (
        "COD 6.000 t exceeds the 5 t small-package ceiling for Structure upgrade (water)"
        " → key project"
    )
    with translation.override("zh-hans"):
        zh = tier("W_STRUCTURE", {"COD": "6"}).reason
    assert zh == "COD 6.000 t 超过“产业结构升级”小额打包上限 5 吨 → 重点工程"


@pytest.mark.django_db
def test_every_pollutant_must_be_at_the_floor_for_micro_and_any_over_ceiling_is_key():
    assert tier("W_STRUCTURE", {"COD": "0.05", "NH3N": "0.2"}).tier == Tier.PACKAGE
    assert tier("W_STRUCTURE", {"COD": "0.05", "NH3N": "0.1"}).tier == Tier.MICRO
    assert tier("W_STRUCTURE", {"COD": "5.001", "NH3N": "0.05"}).tier == Tier.KEY


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["A_VOC_SUBSTITUTION", "A_VOC_TREATMENT"])
def test_voc_rows_without_floor_have_no_micro(code):
    assert tier(code, {"VOCS": "0.001"}).tier == Tier.PACKAGE
    assert tier(code, {"VOCS": "10"}).tier == Tier.PACKAGE
    assert tier(code, {"VOCS": "10.001"}).tier == Tier.KEY


@pytest.mark.django_db
def test_coal_boiler_size_and_floor():
    assert tier("A_COAL_BOILER", {"NOX": "0.1"}, boiler_capacity=D("10")).tier == Tier.MICRO
    assert tier("A_COAL_BOILER", {"NOX": "0.101"}, boiler_capacity=D("20")).tier == Tier.PACKAGE
    assert tier("A_COAL_BOILER", {"NOX": "80"}, boiler_capacity=D("20")).tier == Tier.PACKAGE
    result = tier("A_COAL_BOILER", {"NOX": "0.5"}, boiler_capacity=D("20.01"))
    assert result.tier == Tier.KEY
    assert "20.01 t/h steam exceeds the 20 t/h steam" in result.reason


@pytest.mark.django_db
def test_rural_sewage_by_capacity():
    assert tier("W_RURAL_SEWAGE", {"COD": "3"}, sewage_capacity=D("299.99")).tier == Tier.PACKAGE
    assert tier("W_RURAL_SEWAGE", {"COD": "3"}, sewage_capacity=D("300")).tier == Tier.PACKAGE
    assert tier("W_RURAL_SEWAGE", {"COD": "3"}, sewage_capacity=D("300.01")).tier == Tier.KEY


@pytest.mark.django_db
def test_livestock_rules():
    below_scale = {tiers.FLAG_BELOW_SCALE_CENTRAL: True}
    assert tier("W_LIVESTOCK", {"COD": "50"}, **below_scale).tier == Tier.PACKAGE
    assert tier("W_LIVESTOCK", {"COD": "0.1"}).tier == Tier.MICRO
    scale = tier("W_LIVESTOCK", {"COD": "0.101"})
    assert scale.tier == Tier.KEY and "condition" in scale.reason
    excluded = tier("W_LIVESTOCK", {"COD": "5"}, **{tiers.FLAG_NEW_LARGE_SCALE_FARM: True})
    assert excluded.excluded
    assert "excluded" in excluded.reason


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "pollutant"),
    [("W_URBAN_SEWAGE", "COD"), ("A_NOX_TREATMENT", "NOX"), ("A_RAIL", "NOX")],
)
def test_types_without_an_annex_2_row(code, pollutant):
    assert tier(code, {pollutant: "0.1"}).tier == Tier.MICRO
    assert tier(code, {pollutant: "0.101"}).tier == Tier.KEY
    assert "has no small-package row" in tier(code, {pollutant: "50"}).reason


@pytest.mark.django_db
def test_voc_management_follows_the_type_kind_never_a_flag():
    result = tier("VOC_MGMT_GENERIC", {"VOCS": "50"})
    assert result.tier == Tier.VOC_MGMT
    assert "Shanghai VOCs guide" in result.reason
    assert result.method == "SHANGHAI_VOC_GUIDE"
    # The old declaration is no longer read: an Annex 1 type has a national method.
    annex_1 = tier("A_VOC_TREATMENT", {"VOCS": "50"}, voc_management=True)
    assert (annex_1.tier, annex_1.method) == (Tier.KEY, "NATIONAL_KEY")


def test_pure_engine_gives_voc_mgmt_only_for_the_voc_management_kind():
    cases = ((tiers.KIND_VOC_MANAGEMENT, Tier.VOC_MGMT), (tiers.KIND_ANNEX_1, Tier.KEY))
    for kind, expected in cases:
        result = classify(
            type_code="X", type_name="X", type_kind=kind, amounts={"VOCS": D("30")}, rule=None
        )
        assert result.tier == expected


def test_each_tier_implies_its_accounting_method():
    assert tiers.METHOD == {
        Tier.KEY: "NATIONAL_KEY",
        Tier.MICRO: "NATIONAL_KEY",
        Tier.PACKAGE: "NATIONAL_PACKAGE",
        Tier.VOC_MGMT: "SHANGHAI_VOC_GUIDE",
    }


@pytest.mark.django_db
def test_rule_rows_follow_their_effective_dates():
    structure = ProjectType.objects.get(code="W_STRUCTURE")
    PackageRule.objects.create(
        project_type=structure,
        effective_from=datetime.date(2027, 1, 1),
        floor=D("0.1"),
        ceiling=D("3"),
        bundle_key="INDUSTRY",
        green_island_bundle=False,
    )
    assert tier("W_STRUCTURE", {"COD": "4"}, when=datetime.date(2026, 12, 31)).tier == Tier.PACKAGE
    assert tier("W_STRUCTURE", {"COD": "4"}, when=datetime.date(2027, 1, 1)).tier == Tier.KEY
    # The Annex 2 rows are in force for the whole 14th plan, from 2021-01-01.
    assert tier("W_STRUCTURE", {"COD": "3"}, when=datetime.date(2022, 5, 1)).tier == Tier.PACKAGE
    assert tier("W_STRUCTURE", {"COD": "3"}, when=datetime.date(2021, 1, 1)).tier == Tier.PACKAGE
    # Before the plan period there is no small-package row at all.
    assert tier("W_STRUCTURE", {"COD": "4"}, when=datetime.date(2020, 12, 31)).tier == Tier.KEY


def test_pure_engine_needs_no_database():
    row = RuleRow(floor=D("0.1"), ceiling=D("5"))
    assert (
        classify(type_code="X", type_name="X", amounts={"COD": D("0.2")}, rule=row).tier
        == Tier.PACKAGE
    )
    assert classify(type_code="X", type_name="X", amounts={}, rule=row).tier == Tier.KEY
    assert (
        classify(
            type_code="X",
            type_name="X",
            amounts={"NOX": D("0.3")},
            rule=None,
            micro_threshold=D("0.5"),
        ).tier
        == Tier.MICRO
    )
