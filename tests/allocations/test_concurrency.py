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
