"""The project list: the amounts a reader should rely on (certified once certified, labelled
which), sortable headers with aria-sort, keyset pages that follow the chosen order
(issue 12, item 6)."""

import re
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse

from ledger.paging import ordered_keyset_page
from reductions import selectors, services
from reductions.models import Project
from tests.factories import make_project

pytestmark = pytest.mark.django_db

LIST = reverse("reductions:list")


def rows(response) -> list[str]:
    return [p.name for p in response.context["page"]]


def amounts_cell(page: str, project: Project) -> str:
    href = reverse("reductions:detail", args=[project.pk])
    row = re.search(rf'<tr><td>{project.pk}</td><td><a href="{href}">.*?</tr>', page, re.S)
    assert row, project.name
    return re.sub(r"<[^>]+>", " ", re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)[-1])


def test_certified_amounts_once_certified_otherwise_labelled(
    client_for, district_clerk, district_approver
):
    certified = make_project(district_clerk, name="微小项目", amounts={"COD": "0.08"})
    services.act(
        project=certified, user=district_approver, action="approve", amounts={"COD": "0.075"}
    )
    claimed = make_project(district_clerk, name="申报中项目", amounts={"COD": "2"})
    reviewed = make_project(district_clerk, name="区审项目", amounts={"COD": "6"})
    services.act(project=reviewed, user=district_approver, action="approve", amounts={"COD": "5.5"})
    reviewed.refresh_from_db()
    assert reviewed.status == "DISTRICT_REVIEWED"

    page = client_for(district_clerk).get(LIST).content.decode()
    assert "减排量（吨/年）" in page
    assert " ".join(amounts_cell(page, certified).split()) == "核定 COD 0.075"
    assert " ".join(amounts_cell(page, claimed).split()) == "申报 COD 2.000"
    assert " ".join(amounts_cell(page, reviewed).split()) == "区审 COD 5.500"


@pytest.fixture
def three(district_clerk):
    make_project(district_clerk, name="项目B", amounts={"COD": "6"})  # KEY
    make_project(district_clerk, name="项目A", amounts={"COD": "0.05"})  # MICRO
    make_project(district_clerk, name="项目C", amounts={"COD": "2"})  # PACKAGE
    return ["项目A", "项目B", "项目C"]


def test_headers_sort_with_aria_sort_and_keep_the_filters(client_for, district_clerk, three):
    client = client_for(district_clerk)
    response = client.get(LIST, {"order": "name", "year": "2025"})
    assert rows(response) == three
    page = response.content.decode()
    header = re.search(
        r'<th scope="col" aria-sort="ascending"><a class="sort" href="\?([^"]+)"', page
    )
    assert header, "the sorted header carries aria-sort"
    # Its link sorts the other way round and keeps the filter.
    assert "order=-name" in header.group(1) and "year=2025" in header.group(1)
    assert page.count("aria-sort=") == 1

    assert rows(client.get(LIST, {"order": "-name"})) == three[::-1]
    assert rows(client.get(LIST, {"order": "id"})) == ["项目B", "项目A", "项目C"]
    assert rows(client.get(LIST, {"order": "-year"}))[0] in three
    assert 'aria-sort="descending"' in client.get(LIST, {"order": "-name"}).content.decode()


def test_tier_and_status_sort_in_their_workflow_order(client_for, district_clerk, three):
    client = client_for(district_clerk)
    tiers = [p.tier for p in client.get(LIST, {"order": "tier"}).context["page"]]
    assert tiers == ["KEY", "PACKAGE", "MICRO"]
    tiers = [p.tier for p in client.get(LIST, {"order": "-tier"}).context["page"]]
    assert tiers == ["MICRO", "PACKAGE", "KEY"]
    Project.objects.filter(name="项目A").update(status="DRAFT")
    statuses = [p.status for p in client.get(LIST, {"order": "status"}).context["page"]]
    assert statuses == ["DRAFT", "SUBMITTED", "SUBMITTED"]


@pytest.mark.parametrize(
    "order", ["bogus", "-", "--name", "name;drop table", "owner__code", "pk", "tier_rank", "é"]
)
def test_a_bad_order_is_ignored(client_for, district_clerk, three, order):
    response = client_for(district_clerk).get(LIST, {"order": order})
    assert response.status_code == 200
    # The default: newest first, the # header marked.
    assert rows(response) == ["项目C", "项目A", "项目B"]
    assert re.search(
        r'aria-sort="descending"><a class="sort" href="\?order=id"', response.content.decode()
    )


def test_the_default_order_pages_as_before(client_for, district_clerk, three):
    page = client_for(district_clerk).get(LIST).content.decode()
    assert 'aria-sort="descending"' in page
    assert "order=" not in page.split("<tbody>")[1]


def test_ordered_pages_walk_forward_and_back_over_ties(district_clerk):
    names = ["乙", "甲", "乙", "丙", "甲", "乙", "丁"]
    for name in names:
        make_project(district_clerk, name=name, amounts={"COD": "2"})
    projects = Project.objects.all()
    expected = list(projects.order_by("name", "pk").values_list("pk", flat=True))

    def page(query=""):
        request = RequestFactory().get("/?" + query)
        return ordered_keyset_page(request, projects, key="name", descending=False, size=3)

    seen, current, pages = [], page(), []
    while True:
        pages.append(current)
        seen += [p.pk for p in current]
        if current.older_query is None:
            break
        current = page(current.older_query)
    assert seen == expected
    assert pages[0].newer_query is None
    # And back from the last page to the first, page by page.
    back = pages[-1]
    for earlier in reversed(pages[:-1]):
        back = page(back.newer_query)
        assert [p.pk for p in back] == [p.pk for p in earlier]
    assert back.newer_query is None


def test_ordered_pages_in_descending_order_with_an_annotation(district_clerk):
    for amount in ("6", "0.05", "2", "7", "0.01"):
        make_project(district_clerk, amounts={"COD": amount})
    projects, key = selectors.ordered_projects(Project.objects.all(), "tier")
    request = RequestFactory().get("/")
    first = ordered_keyset_page(request, projects, key=key, descending=True, size=2)
    second = ordered_keyset_page(
        RequestFactory().get("/?" + first.older_query), projects, key=key, descending=True, size=2
    )
    third = ordered_keyset_page(
        RequestFactory().get("/?" + second.older_query), projects, key=key, descending=True, size=2
    )
    tiers = [p.tier for page in (first, second, third) for p in page]
    assert tiers == ["MICRO", "MICRO", "PACKAGE", "KEY", "KEY"]
    assert third.older_query is None


@pytest.mark.parametrize("position", ["before=abc", "after=-1", "before=99999999", "after=1e9"])
def test_a_bad_or_vanished_position_starts_again(client_for, district_clerk, three, position):
    response = client_for(district_clerk).get(f"{LIST}?order=name&{position}")
    assert response.status_code == 200
    assert rows(response) == three


def test_project_order_parses_the_whitelist():
    assert selectors.project_order("-year") == ("year", True)
    assert selectors.project_order("owner") == ("owner", False)
    assert selectors.project_order(None) == selectors.DEFAULT_PROJECT_ORDER
    assert selectors.project_order("-created_by__password") == selectors.DEFAULT_PROJECT_ORDER


def test_sorted_list_query_count_stays_bounded(
    client_for, district_clerk, three, django_assert_max_num_queries
):
    client = client_for(district_clerk)
    with django_assert_max_num_queries(14):
        response = client.get(LIST, {"order": "owner"})
    assert len(rows(response)) == 3
    assert Decimal("2") in [a.claimed for p in response.context["page"] for a in p.amounts.all()]
