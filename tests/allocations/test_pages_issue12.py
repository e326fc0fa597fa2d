"""The allocation pages of issue 12: a refused step shows the page again with what the user
typed and the reason under its field; every decision that posts says first, from the real
figures, what it will post (data-confirm); the round table's total row; the progress page's
figures, met / not met and drill-down links; no stored Chinese system text in English."""

import datetime
import html
import importlib
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from allocations import services, trades
from allocations.models import AllocationRound, RoundStatus, TargetChange, UseLine
from reductions import services as reduction_services
from reductions.models import PlanPeriod
from tests.factories import fund, make_project

from .conftest import construction, pdf

pytestmark = pytest.mark.django_db
D = Decimal
HAN = re.compile(r"[\u4e00-\u9fff]")
TODAY = timezone.localdate()


def certify(project, district_approver, municipal_approver, municipal_clerk):
    act = reduction_services.act
    project = act(project=project, user=district_approver, action="approve")
    project = act(project=project, user=municipal_approver, action="approve")
    return act(
        project=project,
        user=municipal_clerk,
        action="approve",
        document_number="N-12",
        document_date=TODAY,
    )


@pytest.fixture
def period():
    return PlanPeriod.objects.get(code="14FYP")


@pytest.fixture
def two_due(pudong, period, district_clerk, district_approver, municipal_approver, municipal_clerk):
    """Pudong met its COD target (12 t key for 10 t) and its NH3-N target (3.5 t for 1.25 t):
    2.000 t COD and 2.250 t NH3-N are due."""
    project = make_project(district_clerk, amounts={"COD": "12", "NH3N": "3.5"})
    certify(project, district_approver, municipal_approver, municipal_clerk)
    for pollutant, amount in (("COD", "10"), ("NH3N", "1.25")):
        services.set_target(
            entity=pudong,
            plan_period=period,
            pollutant=pollutant,
            amount=amount,
            reason="",
            user=municipal_clerk,
        )
    return project


@pytest.fixture
def drafted(two_due, period, municipal_clerk):
    return services.draft_round(plan_period=period, as_of=TODAY, user=municipal_clerk)


def confirm_texts(page: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r'data-confirm="([^"]*)"', page)]


def cell(page: str, element_id: str) -> str:
    """The inside of the element with this id (up to its own closing tag)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert match, element_id
    return match.group(2)


def english(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- Item 2: input kept, the error under its field ------------------------------------------


def test_lowering_a_line_above_its_proposal_keeps_the_input_and_says_why_at_the_field(
    client_for, drafted, municipal_clerk
):
    line = drafted.lines.get(pollutant="COD")
    client = client_for(municipal_clerk)
    response = client.post(
        reverse("allocations:line_adjust", args=[line.pk]),
        {"amount": "3.5", "reason": "为重点项目预留"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    errors = cell(page, f"id_line{line.pk}_amount_error")
    assert "只能调低" in errors and "2.000" in errors
    assert f'id="id_line{line.pk}_amount"' in page and 'value="3.5"' in page
    assert 'value="为重点项目预留"' in page
    line.refresh_from_db()
    assert line.adjusted is None

    response = client.post(
        reverse("allocations:line_adjust", args=[line.pk]), {"amount": "1.5", "reason": "  "}
    )
    page = response.content.decode()
    assert "该字段是必填项" in cell(page, f"id_line{line.pk}_reason_error")
    assert 'value="1.5"' in page

    response = client.post(
        reverse("allocations:line_adjust", args=[line.pk]), {"amount": "1.5", "reason": "预留"}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.adjusted == D("1.5")


def test_returning_a_round_without_a_comment_is_refused_at_the_comment(
    client_for, drafted, municipal_clerk, municipal_approver
):
    services.submit_round(round_=drafted, user=municipal_clerk)
    client = client_for(municipal_approver)
    response = client.post(reverse("allocations:round_act", args=[drafted.pk, "return"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "请说明退回的理由" in cell(page, "id_decide_comment_error")
    field = re.search(r'<textarea[^>]*id="id_decide_comment"[^>]*>', page).group(0)
    assert 'aria-describedby="id_decide_comment_error"' in field and 'aria-invalid="true"' in field
    drafted.refresh_from_db()
    assert drafted.status == RoundStatus.SUBMITTED

    long_comment = "核对" + "意" * 1000
    response = client.post(
        reverse("allocations:round_act", args=[drafted.pk, "approve"]), {"comment": long_comment}
    )
    page = response.content.decode()
    assert "确保该变量包含不超过 1000 字符" in cell(page, "id_decide_comment_error")
    assert long_comment in page  # the typed comment is still in the field
    drafted.refresh_from_db()
    assert drafted.status == RoundStatus.SUBMITTED


def test_rejecting_a_use_request_without_a_comment_keeps_the_page(
    client_for, pudong, district_clerk, district_approver, municipal_clerk
):
    fund(pudong, "NOX", "10", user=municipal_clerk)
    project = construction(district_clerk, pudong)
    services.request_use(project=project, user=district_clerk, lines=[(pudong, "NOX", D("2"))])
    client = client_for(district_approver)
    response = client.post(reverse("allocations:construction_act", args=[project.pk, "reject"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "请说明不予批准的理由" in cell(page, "id_decide_comment_error")
    long_comment = "不符合总量要求" + "。" * 1000
    response = client.post(
        reverse("allocations:construction_act", args=[project.pk, "reject"]),
        {"comment": long_comment},
    )
    assert long_comment in response.content.decode()
    project.refresh_from_db()
    assert project.status == "REQUESTED"


def test_rejecting_a_trade_without_a_comment_is_refused_at_the_comment(
    client_for, pudong, district_clerk, municipal_approver
):
    record = trades.record_trade(
        user=district_clerk,
        entity=pudong,
        direction="ACQUIRED",
        certificate_number="SHEX-12",
        counterparty="上海某化工有限公司",
        trade_date=TODAY - datetime.timedelta(days=1),
        pollutant="NOX",
        amount="2.125",
        evidence=pdf(),
    )
    client = client_for(municipal_approver)
    response = client.post(reverse("allocations:trade_act", args=[record.pk, "reject"]))
    assert response.status_code == 200
    assert "请说明驳回该记录的理由" in cell(response.content.decode(), "id_decide_comment_error")
    record.refresh_from_db()
    assert record.status == "PROPOSED"


def test_decision_forms_mark_their_required_fields(client_for, drafted, municipal_clerk):
    page = client_for(municipal_clerk).get(reverse("allocations:round", args=[drafted.pk]))
    text = page.content.decode()
    line = drafted.lines.first()
    label = re.search(rf'<label for="id_line{line.pk}_reason">(.*?)</label>', text, re.S)
    assert label and 'class="required"' in label.group(1)
    field = re.search(rf'<input[^>]*id="id_line{line.pk}_reason"[^>]*>', text).group(0)
    assert " required" in field


# --- Item 4: what will post, said before it posts -------------------------------------------


def test_round_approval_says_how_many_accounts_and_how_much(
    client_for, drafted, municipal_clerk, municipal_approver
):
    line = drafted.lines.get(pollutant="COD")
    services.adjust_line(line=line, amount="1.5", reason="预留", user=municipal_clerk)
    services.submit_round(round_=drafted, user=municipal_clerk)
    page = client_for(municipal_approver).get(reverse("allocations:round", args=[drafted.pk]))
    texts = confirm_texts(page.content.decode())
    approve = next(t for t in texts if t.startswith("批准分配批次"))
    assert f"批准分配批次 #{drafted.pk}。" in approve
    assert "将向 2 个账户入账，合计 COD 1.500 吨、NH3-N 2.250 吨。" in approve
    assert "浦东新区：+COD 1.500 吨" in approve and "浦东新区：+NH3-N 2.250 吨" in approve
    assert any(t == f"将分配批次 #{drafted.pk} 退回经办人？不入账。" for t in texts)


def test_use_approval_names_each_account_and_amount(
    client_for, pudong, district_clerk, district_approver, municipal_clerk
):
    fund(pudong, "NOX", "10", user=municipal_clerk)
    project = construction(district_clerk, pudong, name="新建涂装线")
    services.request_use(project=project, user=district_clerk, lines=[(pudong, "NOX", D("2"))])
    drawn = UseLine.objects.get(project=project).amount
    page = client_for(district_approver).get(reverse("allocations:construction", args=[project.pk]))
    texts = confirm_texts(page.content.decode())
    assert len(texts) == 2  # approve and reject
    approve, reject = texts
    assert approve.startswith("批准新建涂装线使用指标")
    assert f"浦东新区 NOx 账户：{drawn:.3f} 吨" in approve
    assert reject.startswith("不予批准新建涂装线的申请") and f"{drawn:.3f} 吨" in reject


def test_withdrawal_says_what_is_released(client_for, pudong, district_clerk, municipal_clerk):
    fund(pudong, "NOX", "10", user=municipal_clerk)
    project = construction(district_clerk, pudong, name="新建涂装线")
    services.request_use(project=project, user=district_clerk, lines=[(pudong, "NOX", D("2"))])
    drawn = UseLine.objects.get(project=project).amount
    page = client_for(district_clerk).get(reverse("allocations:construction", args=[project.pk]))
    (withdraw,) = confirm_texts(page.content.decode())
    assert (
        withdraw.startswith("撤回新建涂装线的申请")
        and f"浦东新区 NOx 账户：{drawn:.3f} 吨" in withdraw
    )


def test_trade_and_reserve_confirmations_say_what_posts(
    client_for, pudong, district_clerk, municipal_clerk, municipal_approver, bureau
):
    fund(pudong, "NOX", "1", user=municipal_clerk)
    record = trades.record_trade(
        user=district_clerk,
        entity=pudong,
        direction="SOLD",
        certificate_number="SHEX-13",
        counterparty="上海某化工有限公司",
        trade_date=TODAY - datetime.timedelta(days=1),
        pollutant="NOX",
        amount="0.5",
        evidence=pdf(),
    )
    client = client_for(municipal_approver)
    texts = confirm_texts(
        client.get(reverse("allocations:trade", args=[record.pk])).content.decode()
    )
    assert f"确认交易记录 #{record.pk}：浦东新区 出账 NOx 0.500 吨（交易卖出）。" in texts
    assert f"退回交易记录 #{record.pk}？不入账。" in texts

    intake = trades.record_reserve_intake(
        user=municipal_clerk,
        pollutant="VOCS",
        amount="5",
        source="SHUTDOWN",
        intake_date=TODAY - datetime.timedelta(days=1),
        evidence=pdf(),
    )
    page = client.get(reverse("allocations:reserve_intake", args=[intake.pk])).content.decode()
    assert f"确认储备入库 #{intake.pk}：市级储备库（{bureau.name}）入账 VOCs 5.000 吨。" in (
        confirm_texts(page)
    )


def test_confirmation_texts_are_in_the_readers_language(
    client, drafted, municipal_clerk, municipal_approver
):
    services.submit_round(round_=drafted, user=municipal_clerk)
    page = english(client, municipal_approver).get(reverse("allocations:round", args=[drafted.pk]))
    approve = next(t for t in confirm_texts(page.content.decode()) if t.startswith("Approve"))
    assert "This credits 2 accounts, in total COD 2.000 t, NH3-N 2.250 t." in approve
    assert not HAN.search(approve.replace(drafted.lines.first().entity.name, ""))


# --- Item 6: the round table and the progress page ------------------------------------------


def test_round_table_has_a_total_row_under_the_proposals(client_for, drafted, municipal_clerk):
    services.adjust_line(
        line=drafted.lines.get(pollutant="COD"), amount="1.5", reason="预留", user=municipal_clerk
    )
    page = client_for(municipal_clerk).get(reverse("allocations:round", args=[drafted.pk]))
    text = page.content.decode()
    body = re.search(r"<tbody>(.*?)</tbody>", text, re.S).group(1)
    proposals = [D(x) for x in re.findall(r'<td class="num proposal">([\d.]+)', body)]
    total = cell(text, "total-allocated")
    figures = re.findall(r'<td class="num[^"]*">([\d.]+)</td>', total)
    assert proposals == [D("2.000"), D("2.250")]
    assert D(figures[0]) == sum(proposals) == D("4.250")
    assert D(figures[1]) == D("3.750")  # what posts after the line was lowered
    assert "分配合计" in total
    # The form to lower a line sits in its own column, with a styled button.
    assert text.count('<td class="adjust">') == 2
    assert '<button type="submit" class="secondary">调低</button>' in text


def test_progress_page_one_figure_per_column_met_as_text_and_links(
    client_for, two_due, pudong, period, municipal_clerk
):
    client = client_for(municipal_clerk)
    page = client.get(
        reverse("allocations:progress", args=[pudong.code]), {"plan_period": period.pk}
    ).content.decode()
    row = re.search(r'<tr data-pollutant="COD">(.*?)</tr>', page, re.S).group(1)
    assert "已完成" in row and "✓" in row
    key = re.search(r'<td class="num key"><a href="([^"]+)">([\d.]+)</a>', row)
    assert key and key.group(2) == "12.000"
    query = parse_qs(urlsplit(html.unescape(key.group(1))).query)
    assert query == {
        "period": ["14FYP"],
        "owner": [pudong.code],
        "pollutant": ["COD"],
        "status": ["CERTIFIED"],
        "tier": ["KEY"],
    }
    listing = client.get(html.unescape(key.group(1)))
    assert [p.pk for p in listing.context["page"]] == [two_due.pk]
    nox = re.search(r'<tr data-pollutant="NOX">(.*?)</tr>', page, re.S).group(1)
    assert "未设目标" in nox and "<a " not in nox.split("met-cell")[0]  # nothing to drill into

    services.set_target(
        entity=pudong,
        plan_period=period,
        pollutant="NOX",
        amount="1",
        reason="",
        user=municipal_clerk,
    )
    overview = client.get(reverse("allocations:overview"), {"plan_period": period.pk})
    text = overview.content.decode()
    unmet = re.search(
        rf'<tr data-entity="{pudong.code}" data-pollutant="NOX">(.*?)</tr>', text, re.S
    ).group(1)
    assert "未完成" in unmet and "✗" in unmet
    assert re.search(r'<th scope="col"[^>]*>[^<]*<br><small>吨</small></th>', text)


# --- Item 5: no stored Chinese system text ---------------------------------------------------


def test_target_history_is_in_the_readers_language(
    client, client_for, pudong, period, municipal_clerk
):
    services.set_target(
        entity=pudong,
        plan_period=period,
        pollutant="COD",
        amount="10",
        reason="",
        user=municipal_clerk,
    )
    services.set_target(
        entity=pudong,
        plan_period=period,
        pollutant="COD",
        amount="12",
        reason="plan revised",
        user=municipal_clerk,
    )
    first = TargetChange.objects.get(old_amount=None)
    assert first.reason == ""  # a code (no reason, no earlier value), not a stored label
    page = client_for(municipal_clerk).get(reverse("allocations:targets")).content.decode()
    assert "首次录入" in page
    page = english(client, municipal_clerk).get(reverse("allocations:targets")).content.decode()
    history = re.findall(r'<td class="history">(.*?)</td>', page, re.S)
    assert history and "first entry" in history[0] and "plan revised" in history[0]
    assert not HAN.search("".join(history))
    assert "10.000 → 12.000" in history[0]


def test_stored_first_entry_labels_are_converted(pudong, period, municipal_clerk):
    target = services.set_target(
        entity=pudong,
        plan_period=period,
        pollutant="COD",
        amount="10",
        reason="",
        user=municipal_clerk,
    )
    TargetChange.objects.filter(target=target).update(reason="首次录入")
    kept = TargetChange.objects.create(
        target=target,
        old_amount=D("10"),
        new_amount=D("11"),
        reason="首次录入",
        changed_by=municipal_clerk,
    )
    migration = importlib.import_module("allocations.migrations.0008_target_change_first_entry")
    migration.forwards(apps, None)
    assert TargetChange.objects.get(old_amount=None).reason == ""
    kept.refresh_from_db()
    assert kept.reason == "首次录入"  # a reason someone typed for a real change stays


def test_english_round_page_shows_no_chinese_system_text(
    client, drafted, municipal_clerk, municipal_approver
):
    services.adjust_line(
        line=drafted.lines.get(pollutant="COD"),
        amount="1.5",
        reason="kept back",
        user=municipal_clerk,
    )
    services.submit_round(round_=drafted, user=municipal_clerk)
    services.approve_round(round_=drafted, approver=municipal_approver, comment="ok")
    page = english(client, municipal_approver).get(reverse("allocations:round", args=[drafted.pk]))
    text = page.content.decode()
    names = {line.entity.name for line in drafted.lines.select_related("entity")}
    table = re.search(r'<table id="round-lines".*?</table>', text, re.S).group(0)
    steps = text[text.index("<h2>Steps</h2>") :]
    for name in names:
        table = table.replace(name, "")
    assert not HAN.search(re.sub(r"<[^>]+>", "", table)), table
    assert not HAN.search(
        re.sub(r"<[^>]+>", "", steps).replace(str(drafted.lines.first().entity), "")
    )
    assert "Approved" in text and "Total allocated" in table
    policy = re.search(r'<p class="muted">Policy: (.*?)</p>', text, re.S).group(1)
    assert "Default interpretation" in policy and not HAN.search(policy)
    assert AllocationRound.objects.get().status == RoundStatus.APPROVED


def test_stored_references_are_said_in_the_readers_language(
    drafted, municipal_clerk, municipal_approver
):
    """A posting keeps its reference as posted ("分配批次 #1", hash-chained, never rewritten);
    the pages say it again in the reader's language from its msgid and parameters."""
    from django.template import Context, Template
    from django.utils import translation

    from ledger import references
    from ledger.models import Transaction

    services.submit_round(round_=drafted, user=municipal_clerk)
    with translation.override("zh-hans"):  # a Chinese approver's request posted it
        services.approve_round(round_=drafted, approver=municipal_approver)
    stored = Transaction.objects.filter(kind="ALLOCATION").first().reference_text
    assert stored == f"分配批次 #{drafted.pk}"
    template = Template("{% load references %}{{ text|in_reader_language }}")
    with translation.override("en"):
        assert template.render(Context({"text": stored})) == f"Allocation round #{drafted.pk}"
        assert references.render("储备入库 #3 · 关停、搬迁收回") == (
            "Reserve intake #3 · Recovered from shutdown or relocation"
        )
        assert references.render("储备入库 #3 · 企业自愿注销") == "Reserve intake #3 · 企业自愿注销"
        assert references.render("建设项目 新建涂装线（沪环评〔2026〕1号）") == (
            "Construction project 新建涂装线 (沪环评〔2026〕1号)"
        )
        assert references.render("核对无误") == "核对无误"  # what a user typed stays
    with translation.override("zh-hans"):
        assert references.render(f"Allocation round #{drafted.pk}") == stored


def test_revoking_a_round_says_what_will_be_taken_back(
    client_for, drafted, municipal_clerk, municipal_approver, dual_municipal
):
    from ledger import services as ledger_services

    services.submit_round(round_=drafted, user=municipal_clerk)
    services.approve_round(round_=drafted, approver=municipal_approver)
    correction = ledger_services.propose_correction(
        action="revoke_round", record=drafted, reason="核定被撤销", user=municipal_approver
    )
    page = client_for(dual_municipal).get(reverse("ledger:correction", args=[correction.pk]))
    (text,) = confirm_texts(page.content.decode())
    lines = text.split("\n")
    assert lines[0] == "撤销分配批次"
    assert any("2.000 吨" in line and "化学需氧量" in line and "浦东新区" in line for line in lines)
    assert any("2.250 吨" in line and "氨氮" in line for line in lines)


def test_progress_form_shows_the_period_and_date_it_answers_for(
    client_for, pudong, period, municipal_clerk
):
    client = client_for(municipal_clerk)
    url = reverse("allocations:progress", args=[pudong.code])
    form = client.get(url, {"plan_period": period.pk}).context["form"]
    assert form["as_of"].value() == TODAY.isoformat()
    page = client.get(url, {"plan_period": period.pk, "as_of": "2025-13-40"}).content.decode()
    assert 'value="2025-13-40"' in page  # the bad input is kept, its error under the field
    assert "输入一个有效的日期" in cell(page, "id_as_of_error")
    unbound = client.get(url).context["form"]
    assert unbound["as_of"].value() == TODAY and unbound["plan_period"].value() is not None


def test_a_refused_trade_form_keeps_what_was_typed(client_for, pudong, district_clerk):
    client = client_for(district_clerk)
    response = client.post(
        reverse("allocations:trade_new"),
        {
            "entity": pudong.pk,
            "direction": "ACQUIRED",
            "certificate_number": "SHEX-2026-0099",
            "counterparty": "上海某化工有限公司",
            "trade_date": (TODAY + datetime.timedelta(days=2)).isoformat(),
            "pollutant": "NOX",
            "amount": "1.250",
            "evidence": pdf(),
            "memo": "年度交易",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "晚于今天" in cell(page, "id_trade_date_error")
    for typed in ("SHEX-2026-0099", "上海某化工有限公司", "1.250", "年度交易"):
        assert typed in page
    assert "请重新选择证明材料" in page


def test_drafting_a_round_in_the_future_is_refused_at_the_date(client_for, period, municipal_clerk):
    future = (TODAY + datetime.timedelta(days=3)).isoformat()
    response = client_for(municipal_clerk).post(
        reverse("allocations:rounds"), {"plan_period": period.pk, "as_of": future}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "截至日期不能晚于今天" in cell(page, "id_as_of_error")
    assert f'value="{future}"' in page
    assert not AllocationRound.objects.exists()


def test_each_approver_is_told_only_its_own_lines_and_when_the_use_posts(
    client_for,
    pudong,
    bureau,
    district_clerk,
    district_approver,
    municipal_approver,
    municipal_clerk,
):
    fund(pudong, "NOX", "10", user=municipal_clerk)
    fund(bureau, "NOX", "10", user=municipal_clerk)
    project = construction(district_clerk, pudong, NOX="3")
    services.request_use(
        project=project,
        user=district_clerk,
        lines=[(pudong, "NOX", D("1")), (bureau, "NOX", D("2"))],
    )
    drawn = {
        line.account.entity_id: line.amount for line in UseLine.objects.filter(project=project)
    }
    url = reverse("allocations:construction", args=[project.pk])
    approve = confirm_texts(client_for(district_approver).get(url).content.decode())[0]
    assert f"浦东新区 NOx 账户：{drawn[pudong.pk]:.3f} 吨" in approve
    assert bureau.name not in approve
    assert "其余各行也获批准后才入账。" in approve
    services.approve_use(project=project, user=district_approver)
    approve = confirm_texts(client_for(municipal_approver).get(url).content.decode())[0]
    assert f"{bureau.name} NOx 账户：{drawn[bureau.pk]:.3f} 吨" in approve
    assert "其余各行" not in approve  # the last approval posts


def test_english_progress_page_shows_labels_not_codes(
    client, two_due, pudong, period, municipal_clerk
):
    page = english(client, municipal_clerk).get(
        reverse("allocations:progress", args=[pudong.code]), {"plan_period": period.pk}
    )
    text = page.content.decode()
    table = re.search(r'<table id="progress".*?</table>', text, re.S).group(0)
    visible = re.sub(r"<[^>]+>", " ", table)
    assert not HAN.search(visible)
    assert "met" in visible and "no target" in visible and "NH3-N" in visible
    assert "NH3N" not in visible  # the symbol, never the code
