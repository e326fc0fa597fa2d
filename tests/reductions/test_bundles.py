import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reductions import bundles
from reductions.models import Industry, Status
from tests.factories import file_bundle, make_project

pytestmark = pytest.mark.django_db


def sheet_of(response):
    """The bundle sheet's first sheet: the download is streamed, never held in memory."""
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def reviewed(clerk, approver, **kwargs):
    from reductions import services

    project = make_project(clerk, **kwargs)
    return services.act(project=project, user=approver, action="approve")


@pytest.fixture
def three_bundles(district_clerk, district_approver):
    chem = Industry.objects.get(code="26")
    textile = Industry.objects.get(code="17")
    a = reviewed(district_clerk, district_approver, amounts={"COD": "2"}, industry=chem)
    b = reviewed(
        district_clerk, district_approver, amounts={"COD": "3.5", "NH3N": "0.4"}, industry=chem
    )
    c = reviewed(district_clerk, district_approver, amounts={"COD": "1"}, industry=textile)
    d = reviewed(
        district_clerk,
        district_approver,
        code="A_VOC_TREATMENT",
        amounts={"VOCS": "4"},
        green_island=True,
        enterprise_name="金山二工区绿岛",
    )
    make_project(district_clerk, amounts={"COD": "2"})  # not yet district-reviewed
    return a, b, c, d


def test_projects_group_by_bundle_key(three_bundles, district_approver):
    a, b, c, d = three_bundles
    found = {
        tuple(sorted(p.pk for p in bundle.projects))
        for bundle in bundles.bundles(district_approver)
    }
    assert found == {(a.pk, b.pk), (c.pk,), (d.pk,)}
    chem = next(x for x in bundles.bundles(district_approver) if a in x.projects)
    assert chem.totals == {"COD": Decimal("5.500"), "NH3N": Decimal("0.400")}
    assert "化学原料和化学制品制造业" in chem.label
    island = next(x for x in bundles.bundles(district_approver) if d in x.projects)
    assert island.dimension == bundles.GREEN_ISLAND and "金山二工区绿岛" in island.label


def test_fuel_bundles(district_clerk, district_approver):
    gas = reviewed(
        district_clerk,
        district_approver,
        code="A_CLEAN_ENERGY_SUB",
        amounts={"NOX": "2"},
        fuel_type="GAS",
    )
    oil = reviewed(
        district_clerk,
        district_approver,
        code="A_CLEAN_ENERGY_SUB",
        amounts={"NOX": "3"},
        fuel_type="OIL",
    )
    keys = {b.key for b in bundles.bundles(district_approver)}
    assert len(keys) == 2
    assert {b.value for b in bundles.bundles(district_approver)} == {"GAS", "OIL"}
    assert gas.pk != oil.pk


def test_other_district_sees_no_bundle(three_bundles, other_district_clerk, municipal_approver):
    assert bundles.bundles(other_district_clerk) == []
    assert len(bundles.bundles(municipal_approver)) == 3


def test_bundle_sheet_export(three_bundles, client_for, district_approver):
    a, _b, _c, _d = three_bundles
    key = next(x.key for x in bundles.bundles(district_approver) if a in x.projects)
    response = client_for(district_approver).get(reverse("reductions:bundle_export"), {"key": key})
    sheet = sheet_of(response)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("区", "浦东新区", "310115")
    assert rows[4] == (
        "序号",
        "项目",
        "实施企业",
        "统一社会信用代码",
        "行业代码",
        "行业",
        "燃料类型",
        "完成日期",
        "COD（吨/年）",
        "NH3-N（吨/年）",
    )
    assert rows[5][0] == 1 and rows[5][4] == "26" and rows[5][8] == 2
    assert rows[6][8:] == (3.5, 0.4)
    assert rows[7][0] == "合计" and rows[7][8:] == (5.5, 0.4)
    assert rows[5][7] == datetime.datetime(2025, 6, 30)


def test_municipal_approver_certifies_a_whole_filed_bundle(
    three_bundles, client_for, municipal_approver, district_approver, district_clerk
):
    a, b, _c, _d = three_bundles
    filing = file_bundle([a, b], clerk=district_clerk, approver=district_approver)
    url = reverse("reductions:filing", args=[filing.pk])
    certify = reverse("reductions:filing_certify", args=[filing.pk])
    assert not client_for(district_approver).get(url).context["can_certify"]
    client_for(district_approver).post(certify)
    a.refresh_from_db()
    assert a.status == Status.DISTRICT_REVIEWED
    client = client_for(municipal_approver)
    assert client.get(url).context["can_certify"]
    client.post(certify)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == (Status.CERTIFIED, Status.CERTIFIED)


def test_unknown_bundle_is_not_found(client_for, municipal_approver):
    assert (
        client_for(municipal_approver)
        .get(reverse("reductions:bundle"), {"key": "nope"})
        .status_code
        == 404
    )


def test_bundle_sheet_writes_formula_like_text_as_text(
    client_for, district_clerk, district_approver
):
    project = reviewed(
        district_clerk,
        district_approver,
        name='=HYPERLINK("http://evil.example/x","点击")',
        enterprise_name="@SUM(1+1)",
        amounts={"COD": "2"},
    )
    key = next(x.key for x in bundles.bundles(district_approver) if project in x.projects)
    response = client_for(district_approver).get(reverse("reductions:bundle_export"), {"key": key})
    sheet = sheet_of(response)
    number, name, enterprise, *_rest, completed, cod, _nh3n = sheet[6]
    assert (name.value, name.data_type) == ('=HYPERLINK("http://evil.example/x","点击")', "s")
    assert (enterprise.value, enterprise.data_type) == ("@SUM(1+1)", "s")
    assert name.quotePrefix and enterprise.quotePrefix
    assert (number.value, number.data_type) == (1, "n")
    assert (cod.value, cod.data_type) == (2, "n")
    assert completed.data_type == "d"


def test_bundle_sheet_is_only_for_those_who_see_the_bundle(
    three_bundles, client_for, district_approver, other_district_clerk
):
    from urllib.parse import quote

    from django.test import Client

    a, _b, _c, _d = three_bundles
    key = next(x.key for x in bundles.bundles(district_approver) if a in x.projects)
    url = reverse("reductions:bundle_export")
    anonymous = Client().get(url, {"key": key})
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    assert client_for(other_district_clerk).get(url, {"key": key}).status_code == 404
    response = client_for(district_approver).get(url, {"key": key})
    assert response.status_code == 200
    name = "小额打包 浦东新区 2025 产业结构升级.xlsx"
    assert f"filename*=UTF-8''{quote(name, safe='')}" in response["Content-Disposition"]
    assert 'filename="download.xlsx"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
