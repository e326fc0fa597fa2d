"""The municipal reserve's intake (储备库, 沪环规〔2023〕4号): recorded by a municipal clerk with
its source and evidence, confirmed by another municipal approver, posted RESERVE_INTAKE."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations import selectors, trades
from allocations.models import RecordStatus, ReserveIntake
from ledger import services as ledger_services
from tests.factories import correct

from .conftest import balance, pdf

D = Decimal
pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def intake(user, *, source="SHUTDOWN", amount="5", pollutant="VOCS", **extra):
    return trades.record_reserve_intake(
        user=user,
        pollutant=pollutant,
        amount=amount,
        source=source,
        intake_date=TODAY - datetime.timedelta(days=1),
        evidence=pdf("关停证明.pdf"),
        **extra,
    )


def test_intake_recorded_confirmed_and_shown_by_source(
    client_for, bureau, municipal_clerk, municipal_approver
):
    clerk = client_for(municipal_clerk)
    response = clerk.post(
        reverse("allocations:reserve_intake_new"),
        {
            "source": "OTHER",
            "source_other": "",
            "intake_date": TODAY.isoformat(),
            "pollutant": "VOCS",
            "amount": "1.5",
            "evidence": pdf(),
        },
    )
    assert "请说明指标来源。" in response.content.decode()
    response = clerk.post(
        reverse("allocations:reserve_intake_new"),
        {
            "source": "OTHER",
            "source_other": "企业自愿注销",
            "intake_date": TODAY.isoformat(),
            "pollutant": "VOCS",
            "amount": "1.5",
            "evidence": pdf(),
        },
    )
    other = ReserveIntake.objects.get()
    assert response.url == reverse("allocations:reserve_intake", args=[other.pk])
    shutdown = intake(municipal_clerk)
    buy_back = intake(municipal_clerk, source="BUY_BACK", amount="2", pollutant="NOX")
    assert balance(bureau, "VOCS") == 0
    approver = client_for(municipal_approver)
    detail = approver.get(reverse("allocations:reserve_intake", args=[other.pk])).content.decode()
    assert "确认并入账" in detail and "其他：企业自愿注销" in detail
    for record in (other, shutdown, buy_back):
        approver.post(reverse("allocations:reserve_intake_act", args=[record.pk, "confirm"]))
    assert balance(bureau, "VOCS") == D("6.5") and balance(bureau, "NOX") == D("2")
    shutdown.refresh_from_db()
    txn = shutdown.transaction
    assert (txn.kind, txn.posted_by, txn.approved_by) == (
        "RESERVE_INTAKE",
        municipal_clerk,
        municipal_approver,
    )
    by_source = {row.source: row.amounts for row in selectors.reserve_intake_by_source()}
    assert by_source["SHUTDOWN"] == [0, D("5"), 0, 0]  # NOx, VOCs, COD, NH3-N
    assert by_source["BUY_BACK"] == [D("2"), 0, 0, 0]
    assert by_source["OTHER"] == [0, D("1.5"), 0, 0]
    detail = approver.get(reverse("allocations:reserve_intake", args=[other.pk])).content.decode()
    assert reverse("ledger:correction_new", args=["reverse_reserve_intake", other.pk]) in detail
    page = approver.get(reverse("allocations:reserve")).content.decode()
    assert "按来源统计的入库量（已确认）" in page
    assert "关停、搬迁收回" in page and "其他：企业自愿注销" in page and "6.500" in page


def test_the_clerk_who_recorded_cannot_confirm_even_with_both_roles(dual_municipal, bureau):
    record = intake(dual_municipal)
    with pytest.raises(
        trades.MakerCannotDecide, match="您登记了该入库记录，须由另一位市级审核人员确认"
    ):
        trades.confirm_reserve_intake(record=record, user=dual_municipal)
    assert balance(bureau, "VOCS") == 0


def test_only_municipal_clerks_record_and_approvers_confirm(
    client_for, district_clerk, superuser, municipal_clerk, auditor
):
    with pytest.raises(trades.AllocationForbidden):
        intake(district_clerk)
    with pytest.raises(trades.AllocationForbidden):
        intake(superuser)
    record = intake(municipal_clerk)
    with pytest.raises(trades.AllocationForbidden, match="您没有执行此操作的权限"):
        trades.confirm_reserve_intake(record=record, user=superuser)
    assert client_for(district_clerk).get(reverse("allocations:reserve")).status_code == 403
    assert client_for(superuser).get(reverse("allocations:reserve")).status_code == 403
    auditor_client = client_for(auditor)
    assert auditor_client.get(reverse("allocations:reserve")).status_code == 200
    assert auditor_client.get(reverse("allocations:reserve_intake_new")).status_code == 403
    evidence = reverse("allocations:reserve_evidence", args=[record.pk])
    assert auditor_client.get(evidence).status_code == 200
    assert client_for(district_clerk).get(evidence).status_code == 404


def test_intake_dates_within_the_plan_and_not_in_the_future(municipal_clerk):
    with pytest.raises(trades.InvalidInput, match="早于第一个规划期"):
        trades.record_reserve_intake(
            user=municipal_clerk,
            pollutant="NOX",
            amount="1",
            source="BUY_BACK",
            intake_date=datetime.date(2020, 12, 31),
            evidence=pdf(),
        )
    with pytest.raises(trades.InvalidInput, match="晚于今天"):
        trades.record_reserve_intake(
            user=municipal_clerk,
            pollutant="NOX",
            amount="1",
            source="BUY_BACK",
            intake_date=TODAY + datetime.timedelta(days=1),
            evidence=pdf(),
        )
    assert not ReserveIntake.objects.exists()


def test_a_confirmed_intake_is_reversed_only_through_its_record(
    bureau, municipal_clerk, municipal_approver, second_approver
):
    record = intake(municipal_clerk)
    trades.confirm_reserve_intake(record=record, user=municipal_approver)
    record.refresh_from_db()
    with pytest.raises(ledger_services.PostingOwned, match="冲正储备入库"):
        ledger_services.propose_correction(
            action="reverse_transaction",
            record=record.transaction,
            reason="x",
            user=municipal_clerk,
        )
    correct(
        "reverse_reserve_intake",
        record,
        proposer=municipal_clerk,
        approver=second_approver,
        reason="重复入库",
    )
    record.refresh_from_db()
    assert record.status == RecordStatus.REVERSED and balance(bureau, "VOCS") == 0
    assert all(row.amounts == [0, 0, 0, 0] for row in selectors.reserve_intake_by_source())
