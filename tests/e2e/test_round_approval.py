"""A round from draft to posting in the browser: the clerk's lowering with a wrong amount keeps
what was typed, and the municipal approver approves through the confirmation dialog, which
says what will post, then sees the round approved and the allocation posted."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from allocations import services
from allocations.models import AllocationRound, RoundStatus
from ledger import services as ledger_services
from reductions import services as reduction_services
from reductions.models import PlanPeriod
from tests.factories import make_project

from .axe import axe_violations, describe
from .helpers import assert_chinese, assert_healthy, click_and_confirm, visit

pytestmark = pytest.mark.e2e


@pytest.fixture
def drafted_round(pudong, district_clerk, district_approver, municipal_clerk, municipal_approver):
    """Pudong met its COD target (12 t key for 10 t): a round of 2.000 t, drafted."""
    period = PlanPeriod.objects.get(code="14FYP")
    project = make_project(district_clerk, amounts={"COD": "12"})
    act = reduction_services.act
    project = act(project=project, user=district_approver, action="approve")
    project = act(project=project, user=municipal_approver, action="approve")
    act(
        project=project,
        user=municipal_clerk,
        action="approve",
        document_number="环办减排〔2026〕12号",
        document_date=timezone.localdate(),
    )
    services.set_target(
        entity=pudong,
        plan_period=period,
        pollutant="COD",
        amount="10",
        reason="",
        user=municipal_clerk,
    )
    return services.draft_round(
        plan_period=period, as_of=timezone.localdate(), user=municipal_clerk
    )


def test_municipal_approver_approves_a_round_through_the_confirmation(
    drafted_round, pudong, municipal_clerk, municipal_approver, page_as, artifacts
):
    url = reverse("allocations:round", args=[drafted_round.pk])
    line = drafted_round.lines.get()

    # The clerk sees the proposal, its total and the form to lower it in its own column…
    clerk = page_as(municipal_clerk)
    visit(clerk, url)
    assert_chinese(clerk)
    expect(clerk.locator("#total-allocated")).to_contain_text("分配合计")
    expect(clerk.locator("#total-allocated")).to_contain_text("2.000")
    expect(clerk.locator(f"#line-{line.pk} td.adjust button")).to_have_text("调低")
    clerk.screenshot(path=artifacts / "clerk-draft.png", full_page=True)
    violations = axe_violations(clerk)
    assert violations == [], describe(url, violations)

    # …and submits it (the dialog says what goes for approval).
    click_and_confirm(
        clerk,
        clerk.get_by_role("button", name="提交审批"),
        expect_text=f"提交分配批次 #{drafted_round.pk} 审批：1 条分配，合计 COD 2.000 吨",
    )
    expect(clerk.locator(".messages")).to_contain_text("已办理，批次当前状态：已提交。")
    assert_healthy(clerk)
    drafted_round.refresh_from_db()
    assert drafted_round.status == RoundStatus.SUBMITTED

    # The approver: cancelling the dialog posts nothing; confirming posts.
    approver = page_as(municipal_approver)
    visit(approver, url)
    assert_chinese(approver)
    approve = approver.get_by_role("button", name="批准并入账")
    approve.click()
    dialog = approver.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".confirm-text")).to_contain_text("将向 1 个账户入账，合计 COD 2.000 吨")
    approver.screenshot(path=artifacts / "approver-confirmation.png")
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    assert AllocationRound.objects.get().status == RoundStatus.SUBMITTED

    # Returning without a comment is refused at the comment field, on the same page.
    click_and_confirm(
        approver,
        approver.get_by_role("button", name="退回"),
        expect_text=f"将分配批次 #{drafted_round.pk} 退回经办人？不入账。",
    )
    expect(approver.locator("#id_decide_comment_error")).to_contain_text("请说明退回的理由")
    assert_healthy(approver)
    violations = axe_violations(approver)
    assert violations == [], describe(approver.url, violations)
    approver.screenshot(path=artifacts / "approver-return-refused.png", full_page=True)
    assert AllocationRound.objects.get().status == RoundStatus.SUBMITTED

    approver.locator("#id_decide_comment").fill("同意分配")
    text = click_and_confirm(approver, approve, expect_text=f"{pudong.name}：+COD 2.000 吨")
    assert text.startswith(f"批准分配批次 #{drafted_round.pk}。")
    approver.wait_for_url(f"**{url}")
    expect(approver.locator(".messages")).to_contain_text("已办理，批次当前状态：已批准。")
    assert_healthy(approver)
    expect(approver.locator("h1 .badge")).to_have_text("已批准")
    expect(approver.locator("#round-lines tbody a")).to_have_count(1)  # the posting's link

    round_ = AllocationRound.objects.get()
    assert (round_.status, round_.decided_by, round_.comment) == (
        RoundStatus.APPROVED,
        municipal_approver,
        "同意分配",
    )
    assert ledger_services.entity_account(pudong, "COD").balance == Decimal("2")

    # The district's progress: one figure per column, met as text, a figure opens its projects.
    period = drafted_round.plan_period
    visit(
        approver, f"{reverse('allocations:progress', args=[pudong.code])}?plan_period={period.pk}"
    )
    row = approver.locator('#progress tr[data-pollutant="COD"]')
    expect(row.locator(".met-status")).to_have_text("✓ 已完成")
    expect(row.locator("td.allocated")).to_have_text("2.000")
    approver.screenshot(path=artifacts / "progress.png", full_page=True)
    violations = axe_violations(approver)
    assert violations == [], describe(approver.url, violations)
    row.locator("td.key a").click()
    approver.wait_for_url("**/projects/?*")
    assert_healthy(approver)
    expect(approver.locator("main table tbody tr")).to_have_count(1)
