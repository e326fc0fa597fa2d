"""Read endpoints of /api/v1/: who may read which list, that a district never sees another
district's rows (through lists, details, filters or sync), validated filters, cursor
pagination, amounts as strings, and query counts that do not grow with the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger.models import Role
from tests.factories import fund

pytestmark = pytest.mark.django_db

LISTS = [
    "entities",
    "accounts",
    "transactions",
    "holds",
    "projects",
    "filings",
    "bundles",
    "plan-periods",
    "targets",
    "progress",
    "rounds",
    "construction-projects",
    "trade-records",
    "corrections",
]
MUNICIPAL_ONLY = {"rounds"}
# Corrections are the people's business (``ledger.see_corrections``): not a reporting client's.
PEOPLE_ONLY = {"corrections"}
ROLES = [None, *Role]


def entity_for(role, pudong, bureau, enterprise):
    if role in (Role.DISTRICT_CLERK, Role.DISTRICT_APPROVER):
        return pudong
    if role == Role.ENTERPRISE_USER:
        return enterprise
    return bureau


@pytest.mark.parametrize("role", ROLES, ids=[str(r) for r in ROLES])
def test_every_list_answers_each_role_as_the_permission_module_says(
    role, world, make_user, token_for, pudong, bureau, enterprise
):
    user = make_user(role, entity_for(role, pudong, bureau, enterprise))
    client = token_for(user)
    sees_all = role in (
        Role.MUNICIPAL_CLERK,
        Role.MUNICIPAL_APPROVER,
        Role.AUDITOR,
        Role.REPORTING_CLIENT,
    )
    for name in LISTS:
        response = client.get(f"/api/v1/{name}/")
        refused = (
            role is None
            or (name in MUNICIPAL_ONLY and not sees_all)
            or (name in PEOPLE_ONLY and role == Role.REPORTING_CLIENT)
        )
        expected = 403 if refused else 200
        assert response.status_code == expected, (name, response.content[:200])
        if expected == 403:
            assert response.json()["code"] == "permission_denied"


def _rows(client, url):
    body = client.get(url).json()
    return body["results"] if isinstance(body, dict) else body


def test_a_district_token_never_sees_another_districts_rows(world, token_for, district_clerk):
    client = token_for(district_clerk)
    assert {a["entity_code"] for a in _rows(client, "/api/v1/accounts/")} == {"310115"}
    assert {e["code"] for e in _rows(client, "/api/v1/entities/")} == {"310115"}
    assert {h["entity_code"] for h in _rows(client, "/api/v1/holds/")} == {"310115"}
    assert {p["owner_code"] for p in _rows(client, "/api/v1/projects/")} == {"310115"}
    assert {c["owner_code"] for c in _rows(client, "/api/v1/construction-projects/")} == {"310115"}
    assert {t["entity_code"] for t in _rows(client, "/api/v1/trade-records/")} == {"310115"}
    assert {p["entity_code"] for p in _rows(client, "/api/v1/progress/")} == {"310115"}
    for txn in _rows(client, "/api/v1/transactions/?after_seq=0&page_size=500"):
        assert "310115" in {leg["entity_code"] for leg in txn["legs"]}
        assert "310104" not in {leg["entity_code"] for leg in txn["legs"]}
    # Asking for Xuhui by filter gives nothing, never Xuhui's rows.
    for url in (
        "/api/v1/accounts/?entity=310104",
        "/api/v1/transactions/?entity=310104",
        "/api/v1/transactions/?entity=310104&after_seq=0",
        "/api/v1/holds/?entity=310104",
        "/api/v1/projects/?owner=310104",
        "/api/v1/construction-projects/?owner=310104",
        "/api/v1/trade-records/?entity=310104",
    ):
        assert _rows(client, url) == [], url
    # And their details are not found.
    for url in (
        f"/api/v1/projects/{world['X_project'].pk}/",
        f"/api/v1/construction-projects/{world['X_construction'].pk}/",
        f"/api/v1/trade-records/{world['X_trade'].pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found", url


def test_municipal_and_reporting_tokens_see_every_district(world, token_for, reporter):
    client = token_for(reporter)
    codes = {a["entity_code"] for a in _rows(client, "/api/v1/accounts/?entity=310115,310104")}
    assert codes == {"310115", "310104"}
    assert len(_rows(client, "/api/v1/projects/")) == 2
    assert len(_rows(client, "/api/v1/trade-records/")) == 2


def test_accounts_show_balance_held_available_as_strings_and_as_of(world, token_for, reporter):
    client = token_for(reporter)
    (account,) = _rows(client, "/api/v1/accounts/?entity=310115&pollutant=COD")
    assert (account["balance"], account["held"], account["available"]) == (
        "5.000",
        "1.000",
        "4.000",
    )
    (before,) = _rows(client, "/api/v1/accounts/?entity=310115&as_of=2000-01-01")
    assert (before["balance"], before["held"], before["as_of"]) == ("0.000", "0.000", "2000-01-01")


def test_transactions_carry_legs_and_commit_sequence(world, token_for, reporter):
    rows = _rows(token_for(reporter), "/api/v1/transactions/?after_seq=0")
    assert [t["seq"] for t in rows] == sorted(t["seq"] for t in rows)
    assert rows[0]["kind"] == "ALLOCATION"
    assert sorted(leg["amount"] for leg in rows[0]["legs"]) == ["-5.000", "5.000"]
    later = _rows(token_for(reporter), f"/api/v1/transactions/?after_seq={rows[0]['seq']}")
    assert [t["id"] for t in later] == [t["id"] for t in rows[1:]]


def test_projects_show_tier_method_amounts_and_timeline(world, token_for, district_clerk):
    (project,) = _rows(token_for(district_clerk), "/api/v1/projects/")
    assert project["tier"] and project["tier_reason"] and project["accounting_method"]
    assert project["amounts"] == [
        {"pollutant": "COD", "claimed": "2.000", "district_reviewed": None, "certified": None}
    ]
    assert [r["action"] for r in project["reviews"]] == ["create", "submit"]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/accounts/?pollutant=SO2", "pollutant"),
        ("/api/v1/accounts/?as_of=2020-13-45", "as_of"),
        ("/api/v1/transactions/?after_seq=-1", "after_seq"),
        ("/api/v1/transactions/?after_seq=abc", "after_seq"),
        ("/api/v1/transactions/?date_from=yesterday", "date_from"),
        ("/api/v1/transactions/?kind=GIFT", "kind"),
        ("/api/v1/projects/?status=NOPE", "status"),
        ("/api/v1/projects/?year=1e9", "year"),
        ("/api/v1/projects/?project_type=abc", "project_type"),
        ("/api/v1/holds/?updated_since=soon", "updated_since"),
        ("/api/v1/projects/?ordering=password", "ordering"),
        ("/api/v1/transactions/?cursor=bm9wZQ", "cursor"),
        ("/api/v1/progress/?as_of=never", "as_of"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(world, token_for, reporter, url, parameter):
    response = token_for(reporter).get(url)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == [parameter]


def test_cursor_pages_link_to_the_next_and_cap_the_page_size(world, token_for, reporter, settings):
    client = token_for(reporter)
    first = client.get("/api/v1/transactions/?page_size=1")
    assert len(first.json()["results"]) == 1
    assert 'rel="next"' in first["Link"]
    second = client.get(first.json()["next"])
    assert second.json()["results"][0]["id"] < first.json()["results"][0]["id"]
    assert "count" not in first.json()
    settings.API_MAX_PAGE_SIZE = 2
    assert len(client.get("/api/v1/transactions/?page_size=999").json()["results"]) == 2


def test_updated_since_lists_changes_oldest_first(world, token_for, reporter):
    rows = _rows(token_for(reporter), "/api/v1/projects/?updated_since=2000-01-01T00:00:00Z")
    stamps = [r["changed_at"] for r in rows]
    assert len(rows) == 2 and stamps == sorted(stamps)
    assert _rows(token_for(reporter), "/api/v1/holds/?updated_since=2999-01-01T00:00:00Z") == []


PAGED = [
    "entities",
    "accounts",
    "transactions",
    "holds",
    "projects",
    "filings",
    "plan-periods",
    "targets",
    "rounds",
    "construction-projects",
    "trade-records",
]


@pytest.mark.parametrize("name", PAGED)
def test_list_queries_do_not_grow_with_the_page_size(
    name, world, token_for, reporter, django_assert_max_num_queries
):
    client = token_for(reporter)
    counts = []
    for size in (1, 500):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/{name}/?page_size={size}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(12):
        client.get(f"/api/v1/{name}/?page_size=500")
    for query in queries:
        assert "COUNT(" not in query["sql"].upper(), query["sql"]


@pytest.mark.parametrize("role", ROLES, ids=[str(r) for r in ROLES])
def test_every_detail_answers_each_role_as_the_permission_module_says(
    role, world, make_user, token_for, pudong, bureau, enterprise
):
    from ledger.models import Account, Hold, Transaction

    user = make_user(role, entity_for(role, pudong, bureau, enterprise))
    client = token_for(user)
    account = Account.objects.get(entity=pudong, pollutant="COD")
    details = {
        "entities": pudong.pk,
        "accounts": account.pk,
        "transactions": Transaction.objects.filter(entries__account=account).first().pk,
        "holds": Hold.objects.get(account=account).pk,
        "projects": world["P_project"].pk,
        "construction-projects": world["P_construction"].pk,
        "trade-records": world["P_trade"].pk,
    }
    sees_pudong = role in (
        Role.MUNICIPAL_CLERK,
        Role.MUNICIPAL_APPROVER,
        Role.AUDITOR,
        Role.REPORTING_CLIENT,
        Role.DISTRICT_CLERK,
        Role.DISTRICT_APPROVER,
    )
    for name, pk in details.items():
        response = client.get(f"/api/v1/{name}/{pk}/")
        expected = 403 if role is None else 200 if sees_pudong else 404
        assert response.status_code == expected, (name, response.content[:200])


def test_legs_hide_the_balances_of_accounts_the_reader_may_not_see(
    client_for, pudong, xuhui, district_clerk, municipal_clerk
):
    """A district sees the system account's leg of its own transaction, not that account's
    running balance, which would tell of other entities' quota."""
    fund(xuhui, "COD", "3", user=municipal_clerk)
    fund(pudong, "COD", "1", user=municipal_clerk)
    rows = client_for(district_clerk).get("/api/v1/transactions/").json()["results"]
    legs = [leg for row in rows for leg in row["legs"]]
    own = [leg for leg in legs if leg["entity_code"] == pudong.code]
    system = [leg for leg in legs if leg["entity_code"] is None]
    assert own and all(leg["balance_after"] == "1.000" for leg in own)
    assert system and all(leg["balance_after"] is None for leg in system)
    everyone = client_for(municipal_clerk).get("/api/v1/transactions/").json()["results"]
    assert {leg["balance_after"] for row in everyone for leg in row["legs"]} >= {"-4.000"}
    page = client_for(district_clerk).get(reverse("ledger:transaction", args=[rows[0]["id"]]))
    assert "-4.000" not in page.content.decode() and "—" in page.content.decode()


@pytest.mark.parametrize("name", LISTS)
def test_updated_since_filters_where_offered_and_is_ignored_elsewhere(
    name, world, token_for, make_user, bureau
):
    """A list without updated_since answered it with a 500 (it ordered by a change time
    the list does not have)."""
    client = token_for(make_user(Role.AUDITOR, bureau))
    plain = client.get(f"/api/v1/{name}/")
    response = client.get(f"/api/v1/{name}/?updated_since=2000-01-01T00:00:00Z")
    assert response.status_code == plain.status_code == 200, response.content[:300]

    def rows(body):
        return body["results"] if isinstance(body, dict) else body

    # The world's rows are all newer than 2000: the same rows (in change order where the
    # list offers updated_since).
    ids = sorted(str(row.get("id", row)) for row in rows(response.json()))
    assert ids == sorted(str(row.get("id", row)) for row in rows(plain.json()))
