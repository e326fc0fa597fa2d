"""Trade records (排污权交易, 四(三)): recorded by a district or enterprise in its own ledger,
confirmed by a different municipal approver, posted TRADE_IN / TRADE_OUT; a certificate is
recorded once; corrected only by reversing the record."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from allocations import trades
from allocations.models import RecordStatus, TradeRecord
from ledger import services as ledger_services
from ledger.models import Transaction
from tests.factories import UserFactory, correct, fund

from .conftest import PDF, balance, pdf

D = Decimal
pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def record(
    user,
    entity,
    *,
    number="SHEX-2026-0042",
    direction="ACQUIRED",
    amount="2.125",
    pollutant="NOX",
    trade_date=None,
    **extra,
):
    return trades.record_trade(
        user=user,
        entity=entity,
        direction=direction,
        certificate_number=number,
        counterparty="上海某化工有限公司",
        trade_date=trade_date or TODAY - datetime.timedelta(days=3),
        pollutant=pollutant,
        amount=amount,
        evidence=pdf(),
        **extra,
    )


def form_data(entity, **overrides):
    data = {
        "entity": entity.pk,
        "direction": "ACQUIRED",
        "certificate_number": "SHEX-2026-0042",
        "counterparty": "上海某化工有限公司",
        "trade_date": (TODAY - datetime.timedelta(days=3)).isoformat(),
        "pollutant": "NOX",
        "amount": "2.125",
        "evidence": pdf(),
        "memo": "",
    }
    data.update(overrides)
    return data


def test_district_trade_recorded_then_confirmed_by_the_municipal_approver(
    client_for, pudong, district_clerk, municipal_approver
):
    clerk = client_for(district_clerk)
    form = clerk.get(reverse("allocations:trade_new"))
    assert form.context["form"]["entity"].value() == pudong.pk  # defaults to the own ledger
    response = clerk.post(reverse("allocations:trade_new"), form_data(pudong))
    trade = TradeRecord.objects.get()
    assert response.url == reverse("allocations:trade", args=[trade.pk])
    assert (trade.status, trade.proposed_by, trade.certificate_number) == (
        RecordStatus.PROPOSED,
        district_clerk,
        "SHEX-2026-0042",
    )
    assert balance(pudong, "NOX") == 0  # nothing posts before confirmation
    assert trade.evidence.name.startswith("allocations/evidence/")
    assert "凭证" not in trade.evidence.name and trade.evidence_name == "凭证.pdf"

    approver = client_for(municipal_approver)
    waiting = approver.get(reverse("allocations:trades"), {"waiting": "1"})
    assert [r.pk for r in waiting.context["page"]] == [trade.pk]
    page = approver.get(reverse("allocations:trade", args=[trade.pk])).content.decode()
    assert "确认并入账" in page
    approver.post(
        reverse("allocations:trade_act", args=[trade.pk, "confirm"]), {"comment": "核对无误"}
    )
    trade.refresh_from_db()
    assert trade.status == RecordStatus.CONFIRMED and trade.decided_by == municipal_approver
    txn = trade.transaction
    assert (txn.kind, txn.posted_by, txn.approved_by) == (
        "TRADE_IN",
        district_clerk,
        municipal_approver,
    )
    assert txn.effective_date == TODAY - datetime.timedelta(days=3)
    assert balance(pudong, "NOX") == D("2.125")
    # Confirming again posts nothing more.
    trades.confirm_trade(record=trade, user=municipal_approver)
    assert Transaction.objects.filter(kind="TRADE_IN").count() == 1


def test_a_used_certificate_number_is_refused_naming_the_earlier_record(
    client_for, pudong, xuhui, district_clerk, other_district_clerk
):
    first = record(district_clerk, pudong)
    with pytest.raises(trades.DuplicateCertificate, match=f"交易记录 #{first.pk}"):
        record(district_clerk, pudong, amount="9")
    # Written another way on paper (full-width, spaces, lower case) it is the same number.
    with pytest.raises(trades.DuplicateCertificate):
        record(district_clerk, pudong, number=" ｓｈｅｘ-2026-0042 ")
    response = client_for(district_clerk).post(
        reverse("allocations:trade_new"), form_data(pudong, amount="9")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert (
        f"凭证编号 SHEX-2026-0042 已登记（获得（买入））于交易记录 #{first.pk}：浦东新区，"
        "NOx 2.125 吨" in page
    )
    assert "同一凭证只能登记一次" in page
    # Another district learns the number is taken, not Pudong's trade.
    with pytest.raises(trades.DuplicateCertificate) as refused:
        record(other_district_clerk, xuhui, amount="9")
    message = str(refused.value)
    assert "已由其他主体登记" in message
    assert "浦东新区" not in message and "2.125" not in message and f"#{first.pk}" not in message
    assert TradeRecord.objects.count() == 1
    # The other side of the same trade (a sale) may be recorded once.
    fund(pudong, "NOX", "5", user=district_clerk)
    record(district_clerk, pudong, direction="SOLD", amount="1")


def test_a_rejected_record_frees_its_number(pudong, district_clerk, municipal_approver):
    first = record(district_clerk, pudong)
    with pytest.raises(trades.AllocationError, match="请说明驳回该记录的理由"):
        trades.reject_trade(record=first, user=municipal_approver, comment=" ")
    trades.reject_trade(record=first, user=municipal_approver, comment="数量有误")
    again = record(district_clerk, pudong, amount="2.5")
    assert again.status == RecordStatus.PROPOSED


def test_selling_beyond_available_is_refused_with_the_figures(
    pudong, district_clerk, municipal_clerk, municipal_approver
):
    fund(pudong, "NOX", "3", user=municipal_clerk)
    with pytest.raises(trades.AllocationError, match=r"可用 3\.000 吨"):
        record(district_clerk, pudong, direction="SOLD", amount="4")
    sale = record(district_clerk, pudong, direction="SOLD", amount="2")
    hold = ledger_services.place_hold(
        account=ledger_services.entity_account(pudong, "NOX"),
        amount="1.5",
        user=municipal_clerk,
        reason="建设项目",
    )
    with pytest.raises(trades.AllocationError) as refused:
        trades.confirm_trade(record=sale, user=municipal_approver)
    assert str(refused.value) == (
        "浦东新区 不能出让 NOx 2.000 吨：可用 1.500 吨（余额 3.000 吨，预占 1.500 吨）。"
    )
    ledger_services.release_hold(hold=hold, user=municipal_clerk)
    trades.confirm_trade(record=sale, user=municipal_approver)
    sale.refresh_from_db()
    assert sale.transaction.kind == "TRADE_OUT" and balance(pudong, "NOX") == D("1")


def test_the_smallest_legal_amount_is_accepted(client_for, pudong, district_clerk):
    response = client_for(district_clerk).post(
        reverse("allocations:trade_new"), form_data(pudong, amount="0.001")
    )
    assert response.status_code == 302
    assert TradeRecord.objects.get().amount == D("0.001")


def zip_of(parts: dict[str, bytes]) -> bytes:
    """A ZIP archive (a .docx, say) that is not a workbook."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "0", "确保该值大于或等于0.001"),
        ("amount", "0.0001", "小数不超过 3 位"),
        ("trade_date", "2020-12-31", "交易日期 2020-12-31 早于第一个规划期（自 2021-01-01 起）。"),
        ("trade_date", "9999-12-31", "交易日期 9999-12-31 晚于今天。"),
        ("memo", "长" * 1001, "确保该变量包含不超过 1000 字符"),
        ("certificate_number", "x" * 101, "确保该变量包含不超过 100 字符"),
        (
            "evidence",
            SimpleUploadedFile("a.pdf", b"MZ\x90\x00 not a pdf"),
            "文件内容不是 PDF 文件。",
        ),
        (
            "evidence",
            SimpleUploadedFile("a.xlsx", zip_of({"word/document.xml": b"<w/>"})),
            "文件内容不是 XLSX 文件。",
        ),
        (
            "evidence",
            SimpleUploadedFile("a.exe", PDF),
            "证明材料须为 PDF、PNG、JPEG 或 XLSX 文件。",
        ),
        ("counterparty", "a\x00b", "不允许是用空字符串"),
    ],
)
def test_bad_trade_input_is_explained_and_nothing_saved(
    client_for, pudong, district_clerk, field, value, message
):
    response = client_for(district_clerk).post(
        reverse("allocations:trade_new"), form_data(pudong, **{field: value})
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TradeRecord.objects.exists()


def test_service_refuses_dates_outside_the_plan_and_the_future(pudong, district_clerk):
    with pytest.raises(trades.InvalidInput) as refused:
        record(district_clerk, pudong, trade_date=datetime.date(1, 1, 1))
    assert refused.value.code == "date_before_plan"
    with pytest.raises(trades.InvalidInput) as refused:
        record(district_clerk, pudong, trade_date=TODAY + datetime.timedelta(days=1))
    assert refused.value.code == "date_in_future"


def test_recorder_holding_both_roles_cannot_confirm(dual_municipal, pudong, client_for):
    trade = record(dual_municipal, pudong)
    with pytest.raises(
        trades.MakerCannotDecide, match="您登记了该交易，须由另一位市级审核人员确认"
    ):
        trades.confirm_trade(record=trade, user=dual_municipal)
    client = client_for(dual_municipal)
    page = client.get(reverse("allocations:trade", args=[trade.pk]))
    assert not page.context["may_decide"]
    response = client.post(
        reverse("allocations:trade_act", args=[trade.pk, "confirm"]), follow=True
    )
    assert "您登记了该交易，须由另一位市级审核人员确认" in response.content.decode()
    trade.refresh_from_db()
    assert trade.status == RecordStatus.PROPOSED and trade.transaction is None


def test_superuser_without_roles_is_refused_clearly(superuser, pudong, district_clerk, client_for):
    trade = record(district_clerk, pudong)
    with pytest.raises(trades.AllocationForbidden, match="您没有执行此操作的权限"):
        trades.confirm_trade(record=trade, user=superuser)
    with pytest.raises(trades.AllocationForbidden):
        record(superuser, pudong, number="X-1")
    client = client_for(superuser)
    assert client.get(reverse("allocations:trade_new")).status_code == 403
    assert (
        client.post(reverse("allocations:trade_act", args=[trade.pk, "confirm"])).status_code == 404
    )
    assert len(client.get(reverse("allocations:trades")).context["page"]) == 0


def test_enterprise_records_its_own_trades_only(enterprise_user, enterprise, pudong):
    trade = record(enterprise_user, enterprise)
    assert trade.entity == enterprise
    with pytest.raises(trades.AllocationForbidden, match="您不能为浦东新区登记交易"):
        record(enterprise_user, pudong, number="X-2")


def test_visibility_follows_the_entity(
    client_for, pudong, district_clerk, other_district_clerk, auditor, make_user
):
    trade = record(district_clerk, pudong)
    for user, status in [
        (district_clerk, 200),
        (auditor, 200),
        (other_district_clerk, 404),
        (make_user(None, pudong), 404),  # roles all removed: sees nothing
    ]:
        client = client_for(user)
        assert client.get(reverse("allocations:trade", args=[trade.pk])).status_code == status
        assert (
            client.get(reverse("allocations:trade_evidence", args=[trade.pk])).status_code == status
        )
    download = client_for(district_clerk).get(
        reverse("allocations:trade_evidence", args=[trade.pk])
    )
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]
    assert download["Cache-Control"] == "private, no-store"


def test_trade_evidence_goes_through_the_front_web_server_when_set(
    client_for, pudong, district_clerk, settings
):
    trade = record(district_clerk, pudong)
    settings.PRIVATE_FILES_SERVER = "nginx"
    response = client_for(district_clerk).get(
        reverse("allocations:trade_evidence", args=[trade.pk])
    )
    assert response["X-Accel-Redirect"].endswith(trade.evidence.name)
    assert response.content == b""


def test_a_confirmed_trade_is_corrected_only_by_reversing_the_record(
    client_for, pudong, district_clerk, municipal_approver, second_approver
):
    trade = record(district_clerk, pudong)
    trades.confirm_trade(record=trade, user=municipal_approver)
    trade.refresh_from_db()
    with pytest.raises(ledger_services.PostingOwned, match="冲正交易记录"):
        ledger_services.propose_correction(
            action="reverse_transaction",
            record=trade.transaction,
            reason="x",
            user=municipal_approver,
        )
    with pytest.raises(ledger_services.PostingOwned):
        ledger_services.reverse(
            original=trade.transaction, reason="x", user=district_clerk, approver=municipal_approver
        )
    page = client_for(district_clerk).get(reverse("allocations:trade", args=[trade.pk]))
    propose = reverse("ledger:correction_new", args=["reverse_trade_record", trade.pk])
    assert propose in page.content.decode()
    correct(
        "reverse_trade_record",
        trade,
        proposer=district_clerk,
        approver=second_approver,
        reason="证书作废",
    )
    trade.refresh_from_db()
    assert trade.status == RecordStatus.REVERSED and balance(pudong, "NOX") == 0
    # Its number may be recorded again.
    record(district_clerk, pudong)


def test_reversing_an_acquisition_whose_quota_was_used_is_refused(
    pudong, district_clerk, municipal_approver, second_approver
):
    trade = record(district_clerk, pudong)
    trades.confirm_trade(record=trade, user=municipal_approver)
    ledger_services.place_hold(
        account=ledger_services.entity_account(pudong, "NOX"),
        amount="2",
        user=district_clerk,
        reason="建设项目",
    )
    with pytest.raises(
        ledger_services.LedgerError, match=r"可用 0\.125 吨，少于该交易记录入账的 2\.125 吨"
    ):
        correct(
            "reverse_trade_record", trade, proposer=municipal_approver, approver=second_approver
        )


def test_trade_list_is_bounded(client_for, pudong, district_clerk, municipal_approver):
    """As many queries for five records as for one (the navigation's inbox counts included)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    record(district_clerk, pudong, number="N-0")
    client = client_for(municipal_approver)
    client.get(reverse("allocations:trades"))  # sessions and caches warmed
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("allocations:trades"))
    for n in range(1, 5):
        record(district_clerk, pudong, number=f"N-{n}")
    client.get(reverse("allocations:trades"))  # the inbox counts, changed, cached again
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("allocations:trades"))
    assert page.status_code == 200 and len(page.context["page"]) == 5
    assert len(five) == len(one) <= 16


def test_new_record_form_shows_the_ledger_available(
    client_for, pudong, district_clerk, municipal_clerk
):
    fund(pudong, "NOX", "7.5", user=municipal_clerk)
    page = client_for(district_clerk).get(reverse("allocations:trade_new")).content.decode()
    assert "本台账当前可用指标" in page and "7.500" in page


def test_a_bureau_account_is_not_a_trading_ledger(municipal_clerk, bureau):
    with pytest.raises(trades.AllocationForbidden):
        record(municipal_clerk, bureau)


def test_over_long_decision_comment_is_reported_not_dropped(
    client_for, pudong, district_clerk, municipal_approver
):
    trade = record(district_clerk, pudong)
    response = client_for(municipal_approver).post(
        reverse("allocations:trade_act", args=[trade.pk, "confirm"]),
        {"comment": "意" * 1001},
        follow=True,
    )
    assert "确保该变量包含不超过 1000 字符" in response.content.decode()
    trade.refresh_from_db()
    assert trade.status == RecordStatus.PROPOSED
    with pytest.raises(trades.InvalidInput, match="最多只能保存 1000 个"):
        trades.confirm_trade(record=trade, user=municipal_approver, comment="意" * 1001)


def test_another_approver_than_the_recorder_confirms(client_for, pudong, bureau, municipal_clerk):
    trade = record(municipal_clerk, pudong)
    approver = UserFactory(entity=bureau, roles=["MUNICIPAL_APPROVER"])
    trades.confirm_trade(record=trade, user=approver)
    assert balance(pudong, "NOX") == D("2.125")


def test_control_characters_never_reach_the_stored_file_name(pudong, district_clerk):
    trade = trades.record_trade(
        user=district_clerk,
        entity=pudong,
        direction="ACQUIRED",
        certificate_number="NUL-1",
        counterparty="某公司",
        trade_date=TODAY,
        pollutant="NOX",
        amount="1",
        evidence=SimpleUploadedFile("合\x00同\r\n.pdf", PDF),
    )
    assert trade.evidence_name == "合同.pdf"
