"""`make run`'s demo data is made through the services, reconciles, and is not repeated."""

from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command

from allocations.models import AllocationRound, ConstructionProject, TradeRecord
from ledger import audit
from ledger.models import Hold, Transaction
from ledger.services import entity_account
from reductions.models import Project
from tests.factories import as_committed

pytestmark = pytest.mark.django_db


def test_demo_data_goes_through_the_workflows_and_loads_once():
    call_command("load_demo")
    call_command("load_demo")
    kinds = Counter(Transaction.objects.values_list("kind", flat=True))
    assert kinds == {"MICRO_CREDIT": 1, "ALLOCATION": 2, "TRADE_IN": 1, "RESERVE_INTAKE": 1}
    round_ = AllocationRound.objects.get()
    assert (round_.status, round_.created_by.username, round_.decided_by.username) == (
        "APPROVED",
        "municipal_clerk",
        "municipal_approver",
    )
    assert TradeRecord.objects.get().status == "CONFIRMED"
    assert ConstructionProject.objects.get().status == "REQUESTED"
    assert Hold.objects.get().status == "ACTIVE"
    pudong = round_.lines.first().entity
    assert entity_account(pudong, "NOX").balance == Decimal("5.000")  # 15 t certified, target 10
    assert Project.objects.filter(status="CERTIFIED", tier="KEY").count() == 2
    as_committed()
    assert audit.reconcile() == []
    assert audit.verify().findings == []
