"""The home page's workflow charts (issue 13): read from kept counts and a cache, yet never
behind the workflow — a submission or a certification shows on the next page."""

import pytest
from django.urls import reverse

from allocations import dashboards
from tests.factories import make_project

pytestmark = pytest.mark.django_db


def _chart(client, name: str) -> dict:
    data = client.get(reverse("reports:chart", args=[name])).json()
    return {
        category: [series["data"][i] for series in data["series"]]
        for i, category in enumerate(data["categories"])
    }


def test_waiting_and_certified_charts_follow_the_workflow_at_once(
    client_for, municipal_approver, district_clerk, certify_key
):
    client = client_for(municipal_approver)
    assert _chart(client, "certified-by-tier") == {}
    assert _chart(client, "waiting")["已提交"] == [0]

    make_project(district_clerk, code="W_URBAN_SEWAGE", amounts={"COD": "3"})
    assert _chart(client, "waiting")["已提交"] == [1]

    project = certify_key("2.5")
    year = str(project.accounting_year)
    certified = _chart(client, "certified-by-tier")
    assert certified == {year: ["2.500", "0.000", "0.000", "0.000"]}
    assert _chart(client, "waiting")["已提交"] == [1]  # the first one still waits


def test_certified_totals_are_read_once_per_change(
    municipal_approver, certify_key, django_assert_num_queries
):
    certify_key("1")
    first = dashboards.certified_by_tier(municipal_approver)
    with django_assert_num_queries(0):
        assert dashboards.certified_by_tier(municipal_approver) == first


def test_a_district_sees_only_its_own_waiting_projects(
    client_for, district_clerk, other_district_clerk, municipal_clerk
):
    make_project(district_clerk, code="W_URBAN_SEWAGE", amounts={"COD": "3"})
    make_project(other_district_clerk, code="W_URBAN_SEWAGE", amounts={"COD": "1"})
    assert _chart(client_for(district_clerk), "waiting")["已提交"] == [1]
    assert _chart(client_for(municipal_clerk), "waiting")["已提交"] == [2]


def test_each_chart_table_shows_the_figures_the_chart_draws(
    client_for, municipal_approver, district_clerk, certify_key
):
    """The home page's table of a chart is the chart's JSON row by row: category (linked
    where the chart links it), one figure per series, and its note."""
    import re
    from html import unescape

    make_project(district_clerk, code="W_URBAN_SEWAGE", amounts={"COD": "3"})
    certify_key("2.5")
    client = client_for(municipal_approver)
    html = client.get(reverse("home")).content.decode()
    checked = 0
    for name in re.findall(r'id="chart-([a-z-]+)-table"', html):
        data = client.get(reverse("reports:chart", args=[name])).json()
        table = html.split(f'id="chart-{name}-table"', 1)[1].split("</table>", 1)[0]
        rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", table, re.S)
        assert len(rows) == len(data["categories"]), name
        for i, (head, cells) in enumerate(rows):
            link = data["links"][i] if i < len(data["links"]) else None
            expected = f'<a href="{link}">' if link else ""
            assert unescape(head).startswith(unescape(expected)), (name, head)
            assert data["categories"][i] in unescape(head)
            figures = re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
            notes = data.get("notes") or []
            assert figures == [str(s["data"][i]) for s in data["series"]] + (
                [notes[i]] if notes else []
            ), name
            checked += 1
    assert checked >= 2
