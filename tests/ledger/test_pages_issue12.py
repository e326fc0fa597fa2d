"""Ledger pages of issue 12: recent transactions with pollutant and amount, 记账人 is the
approver, the statement's opening balance in 3 decimals, a 403 page with a way back, and
forms that keep the input on error with the message under the field."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from ledger import services
from ledger.models import AdjustmentProposal
from tests.factories import fund

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def approved_adjustment(pudong, municipal_clerk, municipal_approver):
    municipal_clerk.first_name, municipal_approver.first_name = "张经办", "李批准"
    municipal_clerk.save()
    municipal_approver.save()
    proposal = services.propose_adjustment(
        account=services.entity_account(pudong, "NOX"),
        amount="1.800",
        reason="补录",
        user=municipal_clerk,
    )
    return services.approve_adjustment(proposal=proposal, approver=municipal_approver)


def test_recent_transactions_show_pollutant_amount_and_who_approved(
    client_for, district_clerk, approved_adjustment
):
    response = client_for(district_clerk).get(reverse("ledger:entity", args=["310115"]))
    row = next(
        r
        for r in re.findall(r"<tr>.*?</tr>", response.content.decode(), re.S)
        if f">{approved_adjustment.pk}</a>" in r
    )
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", response.content.decode())
    by_header = dict(zip(headers[: len(cells)], cells, strict=True))
    assert by_header["污染物"].startswith("氮氧化物")
    assert by_header["数量（吨/年）"] == "1.800"
    assert by_header["记账人"] == "李批准"
    assert by_header["经办人"] == "张经办"


def test_transaction_page_names_the_approver_as_bookkeeper(
    client_for, municipal_approver, approved_adjustment
):
    page = text(
        client_for(municipal_approver).get(
            reverse("ledger:transaction", args=[approved_adjustment.pk])
        )
    )
    assert re.search(r"记账人 李批准 · \d{4}-\d\d-\d\d", page)
    assert "经办人 张经办" in page


def test_statement_opening_balance_in_three_decimals(client_for, pudong, district_clerk, bureau):
    fund(pudong, "COD", "1.8", user=district_clerk)
    fund(pudong, "COD", "2", user=district_clerk)
    account = services.entity_account(pudong, "COD")
    first = account.entries.order_by("id").first()
    client = client_for(district_clerk)
    page = text(client.get(reverse("ledger:account", args=[account.pk]) + f"?after={first.pk}"))
    assert "以上分录之前的余额: 1.800 t" in page
    page = text(client.get(reverse("ledger:account", args=[account.pk])))
    assert "以上分录之前的余额: 0.000 t" in page


def test_403_page_says_why_and_offers_a_way_back(client_for, district_clerk):
    client = client_for(district_clerk)
    came_from = "http://testserver" + reverse("reductions:list")
    response = client.get(reverse("ledger:entity_list"), HTTP_REFERER=came_from)
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权访问" in page
    assert "您没有执行此操作的权限。" in page
    assert f'href="{came_from}"' in page and "返回上一页" in page
    assert f'href="{reverse("home")}"' in page and "返回首页" in page
    # A referrer from elsewhere is no way back.
    response = client.get(reverse("ledger:entity_list"), HTTP_REFERER="https://evil.example/")
    assert "evil.example" not in response.content.decode()
    assert "返回上一页" not in response.content.decode()
    # In English for an English reader.
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("ledger:entity_list"))
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()
    assert "Back to the home page" in response.content.decode()


def test_export_form_keeps_the_dates_and_shows_the_error_under_the_field(
    client_for, district_clerk
):
    response = client_for(district_clerk).post(
        reverse("ledger:export_start", args=["310115"]),
        {"date_from": "2025-09-30", "date_to": "2025-01-01"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="2025-09-30"' in page and 'value="2025-01-01"' in page
    errors = re.search(r'id="id_date_to_error">(.*?)</div>', page, re.S)
    assert errors and "起始日期晚于截止日期" in errors.group(1)
    assert re.search(r'<input[^>]*aria-describedby="id_date_to_error"[^>]*>', page)


def test_adjustment_form_keeps_input_with_the_message_under_the_field(
    client_for, municipal_clerk, pudong
):
    client = client_for(municipal_clerk)
    response = client.post(
        reverse("ledger:adjustment_new"),
        {"entity": pudong.pk, "pollutant": "NOX", "amount": "0", "reason": "核对差错"},
    )
    page = response.content.decode()
    assert "核对差错" in page
    assert re.search(r'id="id_amount_error"><p class="error">数量不能为零。', page)
    assert not AdjustmentProposal.objects.exists()


def test_rejecting_an_adjustment_without_a_reason_keeps_the_row_and_says_why(
    client_for, municipal_clerk, municipal_approver, pudong
):
    proposal = services.propose_adjustment(
        account=services.entity_account(pudong, "COD"), amount="1", reason="x", user=municipal_clerk
    )
    client = client_for(municipal_approver)
    response = client.post(
        reverse("ledger:adjustment_decide", args=[proposal.pk]),
        {"decision": "reject", "comment": "   "},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(
        rf'id="comment-{proposal.pk}_error"><p class="error" role="alert">请说明退回调整的理由。',
        page,
    )
    assert re.search(rf'<input[^>]*aria-describedby="comment-{proposal.pk}_error"', page)
    proposal.refresh_from_db()
    assert proposal.status == "PROPOSED"


def test_correction_rejected_without_comment_keeps_the_form(
    client_for, municipal_clerk, municipal_approver, second_approver, approved_adjustment
):
    correction = services.propose_correction(
        action="reverse_transaction",
        record=approved_adjustment,
        reason="重复",
        user=municipal_clerk,
    )
    response = client_for(second_approver).post(
        reverse("ledger:correction", args=[correction.pk]), {"decision": "reject", "comment": ""}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'id="id_comment_error"><p class="error">[^<]*理由', page)
    correction.refresh_from_db()
    assert correction.status == "PROPOSED"


def test_recent_transactions_over_several_accounts(client_for, district_clerk, pudong):
    """Each account's latest legs, merged: on SQLite too (no LIMIT inside a UNION there)."""
    fund(pudong, "COD", "1.2", user=district_clerk)
    fund(pudong, "NOX", "3.4", user=district_clerk)
    fund(pudong, "VOCS", "5.6", user=district_clerk)
    response = client_for(district_clerk).get(reverse("ledger:entity", args=["310115"]))
    assert response.status_code == 200
    amounts = [e.amount for e in response.context["recent"]]
    assert sorted(amounts) == sorted([Decimal("1.200"), Decimal("3.400"), Decimal("5.600")])
