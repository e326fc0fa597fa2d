"""Cursor pages in any ordering the API offers: every row once, forward and back, however
many rows share the sort value and wherever NULLs sort (issue 13: keyset pagination)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger import services as ledger_services
from reductions.models import Project
from tests.factories import fund, make_project

pytestmark = pytest.mark.django_db


def walk(client, url: str) -> tuple[list[int], list[list[int]]]:
    """Follow ``next`` to the end, then ``previous`` back to the start: the ids in order,
    and the pages met on the way back (last page first)."""
    pages, body = [], client.get(url).json()
    while True:
        pages.append([row["id"] for row in body["results"]])
        if not body["next"]:
            break
        body = client.get(body["next"]).json()
    back = [pages[-1]]
    while body["previous"]:
        body = client.get(body["previous"]).json()
        back.append([row["id"] for row in body["results"]])
    return [i for page in pages for i in page], back


@pytest.mark.parametrize("ordering", ["accounting_year", "-accounting_year", "completion_date"])
def test_rows_sharing_the_sort_value_page_through_once_each_way(
    ordering, district_clerk, token_for, municipal_clerk
):
    for _ in range(12):
        make_project(district_clerk, submit=False)
    Project.objects.filter(pk__in=Project.objects.order_by("pk").values("pk")[:3]).update(
        accounting_year=2024, completion_date=datetime.date(2024, 12, 1)
    )
    client = token_for(municipal_clerk)
    ids, back = walk(client, f"/api/v1/projects/?ordering={ordering}&page_size=5")
    field = ordering.lstrip("-")
    expected = list(
        Project.objects.order_by(ordering, "-id" if ordering.startswith("-") else "id").values_list(
            "id", flat=True
        )
    )
    assert ids == expected, field
    assert [len(page) for page in back] == [2, 5, 5]
    assert back[-1] == expected[:5]  # "previous" leads back to the first page
    assert back[1] == expected[5:10]


def test_nulls_sort_above_every_value_in_both_directions(
    pudong, municipal_clerk, token_for, reporter
):
    fund(pudong, "COD", "10", user=municipal_clerk, key="fund")
    account = ledger_services.entity_account(pudong, "COD")
    soon = timezone.now() + datetime.timedelta(days=30)
    for i in range(7):
        ledger_services.place_hold(
            account=account,
            amount=Decimal("0.1"),
            user=municipal_clerk,
            reason="test",
            expires_at=None if i % 2 else soon + datetime.timedelta(days=i % 3),
        )
    client = token_for(reporter)
    for ordering, nulls_first in (("expires_at", False), ("-expires_at", True)):
        ids, back = walk(client, f"/api/v1/holds/?ordering={ordering}&page_size=3")
        listed = client.get("/api/v1/holds/?page_size=50").json()["results"]
        rows = {row["id"]: row["expires_at"] for row in listed}
        assert sorted(ids) == sorted(rows) and len(ids) == len(set(ids)) == 7
        nulls = [rows[i] is None for i in ids]
        assert nulls == sorted(nulls, reverse=nulls_first), ordering
        assert back[-1] == ids[:3]


@pytest.mark.parametrize(
    "cursor", ["bm9wZQ", "eyJyIjowLCJwIjpbImFiYyJdfQ", "eyJyIjowLCJwIjpbMSwyLDNdfQ", "%%%"]
)
def test_a_cursor_the_api_did_not_give_is_refused_clearly(cursor, token_for, reporter):
    # "nope"; {"r":0,"p":["abc"]} (not an id); {"r":0,"p":[1,2,3]} (too many values)
    response = token_for(reporter).get(f"/api/v1/projects/?cursor={cursor}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


def test_a_cursor_in_the_earlier_form_still_continues(district_clerk, token_for, reporter):
    # DRF's cursors (``p=<id>``) that clients may hold from before keep working.
    from base64 import b64encode

    projects = [make_project(district_clerk, submit=False) for _ in range(3)]
    cursor = b64encode(f"p={projects[-1].pk}".encode()).decode()
    body = token_for(reporter).get(f"/api/v1/projects/?cursor={cursor}").json()
    assert [row["id"] for row in body["results"]] == [projects[1].pk, projects[0].pk]
