import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from ledger import services
from ledger.models import (
    AdjustmentProposal,
    Correction,
    ExportStatus,
    StatementExport,
    Transaction,
)
from tests.factories import UserFactory, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(pudong, municipal_clerk):
    return fund(pudong, "COD", "10", user=municipal_clerk, key="funded")


# --- who sees what -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_fixture", "status"),
    [
        ("municipal_clerk", 200),
        ("municipal_approver", 200),
        ("auditor", 200),
        ("district_clerk", 403),
        ("enterprise_user", 403),
    ],
)
def test_entity_list_is_for_municipal_roles_and_auditors(request, client_for, user_fixture, status):
    user = request.getfixturevalue(user_fixture)
    assert client_for(user).get(reverse("ledger:entity_list")).status_code == status


def test_entity_list_query_count_is_bounded(
    client_for, municipal_clerk, pudong, xuhui, django_assert_max_num_queries
):
    for entity in (pudong, xuhui):
        for pollutant in ("COD", "NOX", "VOCS", "NH3N"):
            fund(entity, pollutant, "1", user=municipal_clerk, key=f"{entity.pk}{pollutant}")
    client = client_for(municipal_clerk)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("ledger:entity_list"))
    assert response.status_code == 200
    assert "浦东新区" in response.content.decode()


def test_district_user_sees_own_ledger_only(client_for, district_clerk, pudong, xuhui, funded):
    client = client_for(district_clerk)
    page = client.get(reverse("ledger:entity", args=[pudong.code]))
    assert page.status_code == 200
    assert "10.000" in page.content.decode()
    assert client.get(reverse("ledger:entity", args=[xuhui.code])).status_code == 403
    account = services.entity_account(pudong, "COD")
    assert client.get(reverse("ledger:account", args=[account.pk])).status_code == 200
    other = services.entity_account(xuhui, "COD")
    assert client.get(reverse("ledger:account", args=[other.pk])).status_code == 403
    assert client.get(reverse("ledger:transaction", args=[funded.pk])).status_code == 200


def test_other_district_cannot_see_transaction(client_for, other_district_clerk, funded):
    response = client_for(other_district_clerk).get(reverse("ledger:transaction", args=[funded.pk]))
    assert response.status_code == 403
    assert "没有" in response.content.decode()


def test_enterprise_user_sees_own_ledger(client_for, enterprise_user, enterprise, pudong):
    client = client_for(enterprise_user)
    assert client.get(reverse("ledger:entity", args=[enterprise.code])).status_code == 200
    assert client.get(reverse("ledger:entity", args=[pudong.code])).status_code == 403


def test_statement_pages_by_keyset_with_stored_balances_and_jumps_to_a_date(
    client_for, municipal_clerk, pudong, django_assert_max_num_queries
):
    account = services.entity_account(pudong, "COD")
    pool = services.system_account("ALLOCATION_POOL", "COD")
    for day in range(1, 61):
        services.post(
            kind="ALLOCATION",
            legs=[services.Leg(pool, Decimal("-1")), services.Leg(account, Decimal("1"))],
            idempotency_key=f"d{day}",
            user=municipal_clerk,
            effective_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=day - 1),
        )
    client = client_for(municipal_clerk)
    url = reverse("ledger:account", args=[account.pk])
    # The latest page first, in posting order, with the balance stored after each leg.
    with CaptureQueriesContext(connection) as latest_queries:
        response = client.get(url)
    page = response.context["page"]
    assert [e.balance_after for e in page.entries] == [Decimal(n) for n in range(11, 61)]
    assert page.opening == Decimal("10") and page.later is None
    assert '<td class="num">60.000</td>' in response.content.decode()
    # Earlier: the first ten legs, from a zero balance, with a way back.
    with CaptureQueriesContext(connection) as deep_queries:
        earlier = client.get(url, {"before": page.earlier}).context["page"]
    assert [e.balance_after for e in earlier.entries] == [Decimal(n) for n in range(1, 11)]
    assert earlier.opening == 0 and earlier.earlier is None and earlier.later is not None
    later = client.get(url, {"after": earlier.later}).context["page"]
    assert [e.pk for e in later.entries] == [e.pk for e in page.entries]
    # The cost does not grow with depth: the same queries, and never an OFFSET or a window.
    assert len(deep_queries) == len(latest_queries) <= 12
    for query in [*latest_queries, *deep_queries]:
        assert "OFFSET" not in query["sql"].upper() and "OVER (" not in query["sql"].upper()
    # Jump to a date: the page starts at that day's leg.
    response = client.get(url, {"date": "2026-02-01"})
    jumped = response.context["page"]
    assert jumped.entries[0].effective_date == datetime.date(2026, 2, 1)
    assert jumped.opening == Decimal("31")
    assert [e.balance_after for e in jumped.entries][:2] == [Decimal("32"), Decimal("33")]
    assert "31.000" in response.content.decode()
    bad = client.get(url, {"date": "not-a-date"})
    assert bad.status_code == 200 and "输入一个有效的日期" in bad.content.decode()
    assert client.get(url, {"before": "abc", "after": "-5"}).status_code == 200


# --- trades, reversals, adjustments -----------------------------------------------------


def test_the_old_municipal_trade_pages_are_gone(client_for, municipal_clerk):
    """Trades are recorded as trade records (allocations), confirmed by another person."""
    client = client_for(municipal_clerk)
    assert client.get("/ledger/trade/acquire/").status_code == 404
    assert client.get("/ledger/trade/transfer/").status_code == 404


def test_reversal_is_proposed_with_a_reason_and_approved_by_another_person(
    client_for, municipal_clerk, municipal_approver, second_approver, funded, pudong
):
    propose = reverse("ledger:correction_new", args=["reverse_transaction", funded.pk])
    district = client_for(UserFactory(entity=pudong, roles=["DISTRICT_APPROVER"]))
    assert district.get(propose).status_code == 403
    client = client_for(municipal_approver)
    page = client.get(reverse("ledger:transaction", args=[funded.pk])).content.decode()
    assert "冲正该交易" in page
    form = client.get(propose).content.decode()
    assert "-10.000 吨" in form  # what approving will post, before anyone confirms
    response = client.post(propose, {"reason": ""})
    assert "该字段是必填项" in response.content.decode()
    response = client.post(propose, {"reason": "录入错误"}, follow=True)
    assert "另一人批准" in response.content.decode()
    assert not Transaction.objects.filter(kind="REVERSAL").exists()
    correction = Correction.objects.get()
    url = reverse("ledger:correction", args=[correction.pk])
    # The proposer cannot decide it; a municipal clerk may not approve at all.
    assert client.post(url, {"decision": "approve"}).status_code == 403
    assert client_for(municipal_clerk).post(url, {"decision": "approve"}).status_code == 403
    approver = client_for(second_approver)
    assert correction in approver.get(reverse("ledger:corrections")).context["waiting"]
    response = approver.post(url, {"decision": "approve", "comment": "同意"}, follow=True)
    assert response.status_code == 200
    reversal = Transaction.objects.get(kind="REVERSAL")
    assert (reversal.posted_by, reversal.approved_by) == (municipal_approver, second_approver)
    assert reversal.memo == "录入错误"
    assert services.entity_account(pudong, "COD").balance == 0
    page = client.get(reverse("ledger:transaction", args=[funded.pk])).content.decode()
    assert "冲正该交易" not in page
    assert client.get(propose).status_code == 200
    assert "已被冲正" in client.get(propose).content.decode()


def test_an_over_long_reversal_reason_is_called_too_long_not_missing(
    client_for, municipal_approver, funded
):
    propose = reverse("ledger:correction_new", args=["reverse_transaction", funded.pk])
    response = client_for(municipal_approver).post(propose, {"reason": "长" * 1001})
    page = response.content.decode()
    assert response.status_code == 200
    assert "确保该变量包含不超过 1000 字符" in page and "该字段是必填项" not in page
    assert "长" * 1001 in page  # the typed reason is kept
    assert not Correction.objects.exists()


def test_adjustment_propose_then_another_approver_approves(
    client_for, municipal_clerk, municipal_approver, pudong
):
    client = client_for(municipal_clerk)
    response = client.post(
        reverse("ledger:adjustment_new"),
        {"entity": pudong.pk, "pollutant": "VOCS", "amount": "1.5", "reason": "期初余额"},
    )
    assert response.status_code == 302
    proposal = AdjustmentProposal.objects.get()
    decide = reverse("ledger:adjustment_decide", args=[proposal.pk])
    assert client.post(decide, {"decision": "approve"}).status_code == 403
    client = client_for(municipal_approver)
    response = client.post(decide, {"decision": "approve", "comment": "ok"}, follow=True)
    assert "已批准并入账" in response.content.decode()
    assert services.entity_account(pudong, "VOCS").balance == Decimal("1.5")
    again = client.post(decide, {"decision": "approve"}, follow=True)
    assert "已审批" in again.content.decode()


def test_proposer_cannot_approve_own_adjustment(client_for, municipal_approver, pudong):
    client = client_for(municipal_approver)
    client.post(
        reverse("ledger:adjustment_new"),
        {"entity": pudong.pk, "pollutant": "VOCS", "amount": "1", "reason": "r"},
    )
    proposal = AdjustmentProposal.objects.get()
    response = client.post(
        reverse("ledger:adjustment_decide", args=[proposal.pk]), {"decision": "approve"}
    )
    assert response.status_code == 403
    assert not Transaction.objects.exists()


def test_adjustment_with_zero_amount_is_refused(client_for, municipal_clerk, pudong):
    response = client_for(municipal_clerk).post(
        reverse("ledger:adjustment_new"),
        {"entity": pudong.pk, "pollutant": "VOCS", "amount": "0", "reason": "r"},
    )
    assert "数量不能为零" in response.content.decode()
    assert not AdjustmentProposal.objects.exists()


def test_adjustment_pages_are_not_for_districts(client_for, district_approver, auditor):
    assert client_for(district_approver).get(reverse("ledger:adjustment_list")).status_code == 403
    client = client_for(auditor)
    assert client.get(reverse("ledger:adjustment_list")).status_code == 200
    assert client.get(reverse("ledger:adjustment_new")).status_code == 403


# --- Excel export -------------------------------------------------------------------------


def test_statement_export_runs_as_task_and_opens_cell_by_cell(
    client_for, district_clerk, municipal_clerk, pudong
):
    account = services.entity_account(pudong, "COD")
    pool = services.system_account("ALLOCATION_POOL", "COD")
    sink = services.system_account("CONSUMPTION", "COD")
    services.post(
        kind="ALLOCATION",
        legs=[services.Leg(pool, Decimal("-5")), services.Leg(account, Decimal("5"))],
        idempotency_key="a",
        user=municipal_clerk,
        effective_date=datetime.date(2026, 1, 10),
        reference_text="2026年第1批分配",
    )
    services.post(
        kind="USE",
        legs=[services.Leg(account, Decimal("-1.250")), services.Leg(sink, Decimal("1.250"))],
        idempotency_key="b",
        user=municipal_clerk,
        effective_date=datetime.date(2026, 2, 1),
        reference_text="环评 2026-7",
    )
    hold = services.place_hold(account=account, amount="0.5", user=municipal_clerk, reason="EIA")
    type(hold).objects.filter(pk=hold.pk).update(
        created_at=datetime.datetime(2026, 1, 20, tzinfo=datetime.UTC)
    )
    client = client_for(district_clerk)
    response = client.post(
        reverse("ledger:export_start", args=[pudong.code]),
        {"date_from": "2026-01-01", "date_to": "2026-12-31"},
    )
    job = StatementExport.objects.get()
    assert response.url == reverse("ledger:export", args=[job.pk])
    assert job.status == ExportStatus.DONE
    status = client.get(
        reverse("ledger:export", args=[job.pk]), headers={"Accept": "application/json"}
    )
    assert status.json()["percent"] == 100
    assert status.json()["download"]
    download = client.get(reverse("ledger:export_download", args=[job.pk]))
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert workbook.sheetnames == ["NOx", "VOCs", "COD", "NH3-N"]
    rows = [tuple(r) for r in workbook["COD"].iter_rows(values_only=True)]
    assert rows[0][0] == "主要污染物总量指标台账 — 化学需氧量（COD）"
    assert rows[1][:3] == ("台账主体", "浦东新区", "310115")
    assert rows[2][:2] == ("期间", "2026-01-01 – 2026-12-31")
    assert rows[3] == (
        "日期",
        "交易编号",
        "类型",
        "关联事项",
        "增加（吨）",
        "减少（吨）",
        "余额（吨）",
        "预占（吨）",
    )
    # Opening and closing balances stand under the balance column.
    assert (rows[4][0], rows[4][6]) == ("期初余额（吨）", 0)
    assert rows[5][0].date() == datetime.date(2026, 1, 10)
    assert rows[5][2:] == ("指标分配", "2026年第1批分配", 5, None, 5, 0)
    assert rows[6][2:] == ("指标使用", "环评 2026-7", None, 1.25, 3.75, 0.5)
    assert (rows[7][0], rows[7][6]) == ("期末余额（吨）", 3.75)
    last = list(workbook["NOx"].iter_rows(values_only=True))[-1]
    assert (last[0], last[6]) == ("期末余额（吨）", 0)


def test_export_of_another_entity_is_refused(client_for, district_clerk, xuhui):
    response = client_for(district_clerk).post(
        reverse("ledger:export_start", args=[xuhui.code]), {}
    )
    assert response.status_code == 403
    assert not StatementExport.objects.exists()


def test_someone_elses_export_cannot_be_downloaded(
    client_for, district_clerk, district_approver, pudong
):
    client_for(district_clerk).post(reverse("ledger:export_start", args=[pudong.code]), {})
    job = StatementExport.objects.get()
    other = client_for(district_approver)
    assert other.get(reverse("ledger:export_download", args=[job.pk])).status_code == 404


def test_export_status_page_shows_a_progress_bar(client_for, district_clerk, pudong):
    client = client_for(district_clerk)
    client.post(reverse("ledger:export_start", args=[pudong.code]), {})
    job = StatementExport.objects.get()
    page = client.get(reverse("ledger:export", args=[job.pk])).content.decode()
    assert 'role="progressbar"' in page and "export-progress.js" in page


# --- REST API -------------------------------------------------------------------------------


def test_api_lists_are_scoped_and_bounded(
    client_for, municipal_clerk, district_clerk, pudong, xuhui, django_assert_max_num_queries
):
    for i in range(5):
        fund(pudong, "COD", "1", user=municipal_clerk, key=f"p{i}")
        fund(xuhui, "COD", "1", user=municipal_clerk, key=f"x{i}")
    client = client_for(district_clerk)
    with django_assert_max_num_queries(8):
        data = client.get("/api/v1/transactions/").json()
    assert len(data["results"]) == 5
    entry_accounts = {e["account"] for t in data["results"] for e in t["legs"]}
    assert services.entity_account(pudong, "COD").pk in entry_accounts
    accounts = client.get("/api/v1/accounts/").json()["results"]
    assert [a["entity_code"] for a in accounts] == ["310115"]
    assert accounts[0]["balance"] == "5.000"


def test_api_refuses_anonymous_and_roleless_users(client, make_user, pudong):
    assert client.get("/api/v1/accounts/").status_code == 401
    client.force_login(make_user(None, pudong), backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/api/v1/accounts/").status_code == 403


def test_api_token_for_reporting_client(client, make_user, bureau, pudong, municipal_clerk):
    from knox.models import AuthToken

    fund(pudong, "COD", "2", user=municipal_clerk, key="t")
    reporter = make_user("REPORTING_CLIENT", bureau)
    _token, secret = AuthToken.objects.create(user=reporter)
    response = client.get("/api/v1/accounts/", headers={"Authorization": f"Token {secret}"})
    assert response.status_code == 200
    assert len(response.json()["results"]) >= 2


def test_export_with_an_invalid_date_says_so(client_for, district_clerk, pudong):
    response = client_for(district_clerk).post(
        reverse("ledger:export_start", args=[pudong.code]), {"date_from": "abc"}
    )
    # The entity page again, the input kept and the message under the field.
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="abc"' in page
    assert re.search(r'id="id_date_from_error"><p class="error">输入一个有效的日期。', page)
    assert not StatementExport.objects.exists()
