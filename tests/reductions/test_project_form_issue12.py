"""The project form in sections, with grouped types, type parameters only for the types
that need them, and a searchable industry list (issue 12, item 6)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from reductions.models import Industry, PlanPeriod, Project, ProjectType
from reductions.type_parameters import TYPE_PARAMETER_FIELDS, type_parameter_fields
from tests.factories import VALID_CREDIT_CODE, make_project
from tests.html_forms import form_values

pytestmark = pytest.mark.django_db


def form_data(code="W_STRUCTURE", **overrides):
    data = {
        "name": "锅炉低氮改造",
        "enterprise_name": "上海示例有限公司",
        "credit_code": VALID_CREDIT_CODE,
        "industry": Industry.objects.get(code="26").pk,
        "project_type": ProjectType.objects.get(code=code).pk,
        "measure": "改造",
        "plan_period": PlanPeriod.objects.get(code="14FYP").pk,
        "accounting_year": "2025",
        "completion_date": "2025-06-30",
        "amount_COD": "2.5",
    }
    data.update(overrides)
    return data


def type_id(code: str) -> int:
    return ProjectType.objects.get(code=code).pk


def new_form_page(client) -> str:
    response = client.get(reverse("reductions:new"))
    assert response.status_code == 200
    return response.content.decode()


def fieldset(page: str, legend: str) -> str:
    match = re.search(rf"<fieldset[^>]*>\s*<legend>{legend}</legend>(.*?)</fieldset>", page, re.S)
    assert match, f"no fieldset {legend}"
    return match.group(1)


def option(page: str, code: str) -> str:
    select = re.search(r'<select name="project_type".*?</select>', page, re.S).group(0)
    match = re.search(rf'<option value="{type_id(code)}"[^>]*>', select)
    assert match, code
    return match.group(0)


def field_wrapper(page: str, name: str) -> str:
    match = re.search(rf'<div class="field[^"]*"[^>]*>\s*<label for="id_{name}"', page)
    assert match, name
    return match.group(0)


def test_the_form_is_in_three_sections_with_legends(client_for, district_clerk):
    page = new_form_page(client_for(district_clerk))
    basic = fieldset(page, "基本信息")
    assert 'name="name"' in basic and 'name="completion_date"' in basic
    assert 'name="industry"' in basic and 'name="project_type"' not in basic
    types = fieldset(page, "类型参数")
    assert 'name="project_type"' in types
    assert all(f'name="{f}"' in types for f in TYPE_PARAMETER_FIELDS)
    amounts = fieldset(page, "减排量")
    assert 'name="amount_COD"' in amounts and 'name="amount_NOX"' in amounts
    # The live tier sits with the amounts and claims nothing before any is entered.
    assert 'id="tier-box"' in amounts
    assert re.search(r'<span id="tier-label">—</span>', amounts)
    assert "待填写减排量" in amounts
    assert "重点工程" not in amounts


def test_types_are_grouped_air_and_water(client_for, district_clerk):
    page = new_form_page(client_for(district_clerk))
    select = re.search(r'<select name="project_type".*?</select>', page, re.S).group(0)
    assert re.match(r'<select name="project_type"[^>]* required', select)
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    assert [label for label, _ in groups] == ["大气", "水"]
    air, water = (body for _, body in groups)
    assert f'value="{type_id("A_COAL_BOILER")}"' in air
    assert f'value="{type_id("VOC_MGMT_GENERIC")}"' in air
    assert f'value="{type_id("W_STRUCTURE")}"' in water
    assert f'value="{type_id("A_NOX_TREATMENT")}"' not in water
    # Headings (types with sub-types) are still not offered.
    assert f'value="{type_id("A_CLEAN_ENERGY")}"' not in select
    # Every offered type is in exactly one group, plus the empty choice.
    offered = ProjectType.objects.filter(subtypes__isnull=True).count()
    assert len(re.findall(r'<option value="\d+"', select)) == offered


def test_each_type_names_the_parameters_and_pollutants_it_needs(client_for, district_clerk):
    page = new_form_page(client_for(district_clerk))
    assert 'data-fields="boiler_capacity fuel_type"' in option(page, "A_COAL_BOILER")
    assert 'data-pollutants="NOX VOCS"' in option(page, "A_COAL_BOILER")
    assert 'data-fields="sewage_capacity"' in option(page, "W_RURAL_SEWAGE")
    assert 'data-fields="below_scale_central_treatment new_large_scale_farm"' in option(
        page, "W_LIVESTOCK"
    )
    assert 'data-fields="green_island"' in option(page, "A_VOC_TREATMENT")
    assert 'data-fields=""' in option(page, "W_STRUCTURE")
    assert 'data-pollutants="COD NH3N"' in option(page, "W_STRUCTURE")
    # The wrappers the page's script shows and hides.
    assert 'data-type-parameter="boiler_capacity"' in field_wrapper(page, "boiler_capacity")
    assert 'data-pollutant="VOCS"' in field_wrapper(page, "amount_VOCS")


def test_type_parameter_rules():
    fields = type_parameter_fields()
    assert fields[type_id("A_COAL_BOILER")] == ("boiler_capacity", "fuel_type")
    assert fields[type_id("A_CLEAN_ENERGY_SUB")] == ("fuel_type",)
    assert fields[type_id("W_RURAL_SEWAGE")] == ("sewage_capacity",)
    assert type_id("W_STRUCTURE") not in fields or fields[type_id("W_STRUCTURE")] == ()
    assert type_id("A_RAIL") not in fields


def test_a_form_shown_again_hides_what_its_type_does_not_use(client_for, district_clerk):
    """After an error the page comes back with the chosen type's fields only (an error on
    a field keeps it in view)."""
    response = client_for(district_clerk).post(
        reverse("reductions:new"),
        form_data("A_COAL_BOILER", amount_COD="", amount_NOX="0.5", fuel_type="GAS"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert not Project.objects.exists()
    # The size decides the tier: asked for, in view, with its message.
    assert " hidden" not in field_wrapper(page, "boiler_capacity")
    assert "需要" in page
    assert " hidden" not in field_wrapper(page, "fuel_type")
    for name in ("sewage_capacity", "green_island", "new_large_scale_farm"):
        assert " hidden" in field_wrapper(page, name), name
    assert " hidden" not in field_wrapper(page, "amount_NOX")
    assert " hidden" in field_wrapper(page, "amount_COD")


def test_the_server_ignores_parameters_the_type_does_not_use(client_for, district_clerk):
    """A boiler size typed before the type changed to a water type decides nothing and is not
    stored."""
    client = client_for(district_clerk)
    response = client.post(
        reverse("reductions:new"),
        form_data(boiler_capacity="35", fuel_type="COAL", green_island="on"),
    )
    assert response.status_code == 302, response.content.decode()
    project = Project.objects.get()
    assert project.boiler_capacity is None
    assert project.fuel_type == ""
    assert project.green_island is False
    assert project.tier == "PACKAGE"


@pytest.mark.parametrize(
    ("value", "message"), [("x", "输入一个数字"), ("-1", "处理规模须大于 0 吨/日。")]
)
def test_nonsense_in_a_parameter_the_type_does_not_use_is_refused_in_view(
    client_for, district_clerk, value, message
):
    """Nonsense is refused whatever the type, and the field comes into view with its message
    (the page's script never posts a hidden field)."""
    response = client_for(district_clerk).post(
        reverse("reductions:new"), form_data(sewage_capacity=value)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert " hidden" not in field_wrapper(page, "sewage_capacity")
    assert " hidden" in field_wrapper(page, "boiler_capacity")
    assert not Project.objects.exists()


def test_the_server_keeps_and_checks_parameters_the_type_uses(client_for, district_clerk):
    client = client_for(district_clerk)
    response = client.post(
        reverse("reductions:new"),
        form_data("A_COAL_BOILER", amount_COD="", amount_NOX="0.5", boiler_capacity="-3"),
    )
    assert response.status_code == 200
    assert "大于0" in response.content.decode() or "大于 0" in response.content.decode()
    response = client.post(
        reverse("reductions:new"),
        form_data(
            "A_COAL_BOILER", amount_COD="", amount_NOX="0.5", boiler_capacity="10", fuel_type="GAS"
        ),
    )
    assert response.status_code == 302, response.content.decode()
    project = Project.objects.get()
    assert (project.boiler_capacity, project.fuel_type) == (Decimal("10"), "GAS")


def test_a_pollutant_outside_the_type_is_still_refused(client_for, district_clerk):
    response = client_for(district_clerk).post(reverse("reductions:new"), form_data(amount_NOX="1"))
    assert response.status_code == 200
    assert "不属于" in response.content.decode()
    assert not Project.objects.exists()


def test_the_industry_list_is_grouped_and_searchable(client_for, district_clerk):
    page = new_form_page(client_for(district_clerk))
    select = re.search(r'<select name="industry".*?</select>', page, re.S).group(0)
    labels = re.findall(r'<optgroup label="([^"]+)">', select)
    assert labels[0].startswith("A ") and "农" in labels[0]
    assert len(re.findall(r'<option value="\d\d"', select)) == Industry.objects.count()
    # The filter box: labelled, bound to the select, not posted (no name), shown by the script.
    filter_box = re.search(r'<input type="search"[^>]*>', page).group(0)
    assert 'data-filter-for="id_industry"' in filter_box
    assert 'aria-controls="id_industry"' in filter_box
    assert "name=" not in filter_box
    assert '<label for="id_industry_filter"' in page
    assert "搜索行业" in page


def test_an_edited_project_posts_back_unchanged(client_for, district_clerk):
    project = make_project(
        district_clerk,
        code="A_COAL_BOILER",
        submit=False,
        amounts={"NOX": "0.5"},
        boiler_capacity=Decimal("10"),
        fuel_type="GAS",
    )
    client = client_for(district_clerk)
    url = reverse("reductions:edit", args=[project.pk])
    page = client.get(url).content.decode()
    assert " hidden" not in field_wrapper(page, "boiler_capacity")
    assert " hidden" in field_wrapper(page, "sewage_capacity")
    assert re.search(r'<span id="tier-label">小额打包项目</span>', page)
    response = client.post(url, form_values(page, "project-form"))
    assert response.status_code == 302, response.content.decode()
    project.refresh_from_db()
    assert (project.boiler_capacity, project.fuel_type, project.tier) == (
        Decimal("10"),
        "GAS",
        "PACKAGE",
    )
