"""Keyset pages (issue 13): the same queries at any depth, never OFFSET, never a COUNT."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger.models import Transaction
from ledger.paging import keyset_page
from tests.factories import fund, make_project

pytestmark = pytest.mark.django_db


def page_at(queryset, **params):
    request = RequestFactory().get("/list/", params)
    with CaptureQueriesContext(connection) as queries:
        page = keyset_page(request, queryset, size=2)
    return page, [q["sql"].upper() for q in queries]


def test_keyset_pages_walk_newest_first_both_ways_at_constant_cost(pudong, municipal_clerk):
    for n in range(7):
        fund(pudong, "COD", "1", user=municipal_clerk, key=f"p{n}")
    ids = list(Transaction.objects.order_by("-id").values_list("id", flat=True))
    seen, query, costs = [], {}, []
    while True:
        page, sql = page_at(Transaction.objects.all(), **query)
        seen += [t.pk for t in page]
        costs.append(len(sql))
        assert not any("OFFSET" in s or "COUNT(" in s for s in sql)
        if page.older_query is None:
            break
        query = dict(pair.split("=") for pair in page.older_query.split("&"))
    assert seen == ids
    assert len(set(costs[1:])) == 1  # every page after the first costs the same
    # And back: newer from the oldest page gives the page before it.
    back, _sql = page_at(Transaction.objects.all(), after=ids[-1])
    assert [t.pk for t in back] == ids[-3:-1]


@pytest.mark.parametrize("value", ["abc", "-1", "9" * 40, "１２"])
def test_an_odd_position_shows_the_first_page(pudong, municipal_clerk, value):
    fund(pudong, "COD", "1", user=municipal_clerk, key="only")
    page, _sql = page_at(Transaction.objects.all(), before=value)
    assert len(page) == 1 and page.newer_query is None


def test_project_list_costs_the_same_on_a_deep_page(client_for, district_clerk, municipal_clerk):
    for n in range(105):
        make_project(district_clerk, amounts={"COD": "2"}, name=f"项目{n}", submit=False)
    client = client_for(municipal_clerk)
    url = reverse("reductions:list")
    first = client.get(url).context["page"]
    assert len(first) == 50 and first.older_query
    with CaptureQueriesContext(connection) as second_queries:
        second = client.get(f"{url}?{first.older_query}").context["page"]
    with CaptureQueriesContext(connection) as third_queries:
        third = client.get(f"{url}?{second.older_query}").context["page"]
    assert len(third) == 5 and third.newer_query and third.older_query is None
    assert len(third_queries) == len(second_queries)
    for query in [*second_queries, *third_queries]:
        assert "OFFSET" not in query["sql"].upper()


def test_a_position_with_nothing_beyond_it_shows_the_first_page(pudong, municipal_clerk):
    for n in range(3):
        fund(pudong, "COD", "1", user=municipal_clerk, key=f"e{n}")
    ids = list(Transaction.objects.order_by("-id").values_list("id", flat=True))
    newest_first = [t.pk for t in page_at(Transaction.objects.all())[0]]
    for position in ({"after": ids[0]}, {"before": ids[-1]}):
        page, _sql = page_at(Transaction.objects.all(), **position)
        assert [t.pk for t in page] == newest_first, position
        assert page.newer_query is None and page.older_query


def test_an_ordered_list_never_ends_in_an_empty_page(client_for, municipal_clerk):
    from allocations.views import OVERVIEW_ENTITIES
    from ledger.models import Entity

    client = client_for(municipal_clerk)
    url = reverse("allocations:overview")
    first = client.get(url).context["table"]
    codes = [entity.code for entity, _rows in first]
    assert 0 < len(codes) <= OVERVIEW_ENTITIES
    first_id = Entity.objects.get(code=codes[0]).pk
    last_id = Entity.objects.get(code=codes[-1]).pk
    for position in (f"after={first_id}", f"before={last_id}"):
        table = client.get(f"{url}?{position}").context["table"]
        assert [entity.code for entity, _rows in table] == codes, position
