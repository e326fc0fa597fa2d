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
