import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from allocations import services
from allocations.models import AllocationLine, AllocationPolicy, AllocationRound, RoundStatus
from ledger import services as ledger_services
from ledger.models import Entity, Role, Transaction
from reductions.models import PlanPeriod
from tests.factories import EntityFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_approvals_of_one_round_post_once():
    bureau = Entity.objects.filter(kind="BUREAU").first() or EntityFactory(kind="BUREAU")
    clerk = UserFactory(entity=bureau, roles=[Role.MUNICIPAL_CLERK])
    approvers = [UserFactory(entity=bureau, roles=[Role.MUNICIPAL_APPROVER]) for _ in range(6)]
    period, _ = PlanPeriod.objects.get_or_create(
        code="14FYP", defaults={"name_zh": "十四五", "start_year": 2021, "end_year": 2025}
    )
    policy, _ = AllocationPolicy.objects.get_or_create(effective_from="2021-01-01")
    round_ = AllocationRound.objects.create(
        plan_period=period,
        as_of=timezone.localdate(),
        policy=policy,
        created_by=clerk,
        status=RoundStatus.SUBMITTED,
    )
    entities = [EntityFactory(kind="DISTRICT") for _ in range(3)]
    for entity in entities:
        AllocationLine.objects.create(
            round=round_,
            entity=entity,
            pollutant="COD",
            key_certified=Decimal("12"),
            package_certified=0,
            target=Decimal("10"),
            due=Decimal("2"),
            already_allocated=0,
            proposed=Decimal("2"),
        )
    barrier = threading.Barrier(len(approvers))
    outcomes = []

    def approve(user):
        try:
            barrier.wait()
            outcomes.append(services.approve_round(round_=round_, approver=user).status)
        except Exception as error:  # every outcome is inspected below
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    assert outcomes == [RoundStatus.APPROVED] * len(approvers), outcomes
    assert Transaction.objects.filter(kind="ALLOCATION").count() == 3
    for entity in entities:
        assert ledger_services.entity_account(entity, "COD").balance == Decimal("2")


def _run_together(fn, args_list):
    barrier = threading.Barrier(len(args_list))
    outcomes = []

    def run(*args):
        try:
            barrier.wait()
            outcomes.append(fn(*args))
        except Exception as error:  # every outcome is inspected by the caller
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=a) for a in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    return outcomes


def test_one_certificate_number_recorded_once_under_concurrency():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from allocations import trades
    from allocations.models import TradeRecord

    entities = [EntityFactory(kind="DISTRICT") for _ in range(4)]
    clerks = [UserFactory(entity=e, roles=[Role.DISTRICT_CLERK]) for e in entities]
    PlanPeriod.objects.get_or_create(
        code="14FYP", defaults={"name_zh": "十四五", "start_year": 2021, "end_year": 2025}
    )

    def record(clerk):
        return trades.record_trade(
            user=clerk,
            entity=clerk.entity,
            direction="ACQUIRED",
            certificate_number="RACE-1",
            counterparty="某公司",
            trade_date=timezone.localdate(),
            pollutant="NOX",
            amount="1",
            evidence=SimpleUploadedFile("a.pdf", b"%PDF-1.4 race"),
        )

    outcomes = _run_together(record, [(c,) for c in clerks])
    recorded = [o for o in outcomes if isinstance(o, TradeRecord)]
    refused = [o for o in outcomes if isinstance(o, trades.DuplicateCertificate)]
    assert (len(recorded), len(refused)) == (1, 3), outcomes
    assert TradeRecord.objects.count() == 1


def test_concurrent_confirmations_of_a_trade_post_once():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from allocations import trades

    bureau = Entity.objects.filter(kind="BUREAU").first() or EntityFactory(kind="BUREAU")
    district = EntityFactory(kind="DISTRICT")
    clerk = UserFactory(entity=district, roles=[Role.DISTRICT_CLERK])
    approvers = [UserFactory(entity=bureau, roles=[Role.MUNICIPAL_APPROVER]) for _ in range(4)]
    PlanPeriod.objects.get_or_create(
        code="14FYP", defaults={"name_zh": "十四五", "start_year": 2021, "end_year": 2025}
    )
    record = trades.record_trade(
        user=clerk,
        entity=district,
        direction="ACQUIRED",
        certificate_number="RACE-2",
        counterparty="某公司",
        trade_date=timezone.localdate(),
        pollutant="NOX",
        amount="1.5",
        evidence=SimpleUploadedFile("a.pdf", b"%PDF-1.4 race"),
    )
    outcomes = _run_together(
        lambda user: trades.confirm_trade(record=record, user=user).status,
        [(a,) for a in approvers],
    )
    assert outcomes == ["CONFIRMED"] * len(approvers), outcomes
    assert Transaction.objects.filter(kind="TRADE_IN").count() == 1
    assert ledger_services.entity_account(district, "NOX").balance == Decimal("1.5")
