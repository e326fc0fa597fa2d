"""Concurrent writers on PostgreSQL: row locks keep the ledger exact."""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection

from ledger import audit, services
from ledger.models import Entity, Role, Transaction
from ledger.services import Leg
from tests.factories import EntityFactory, UserFactory, fund, transfer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("posting_path"),
]

WORKERS = 8


def run_concurrently(target, count: int) -> list:
    """Start ``count`` threads at once; return what each returned or raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def body(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target(index)
        except Exception as error:  # the test inspects every outcome
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    return results


@pytest.fixture
def setup_entity():
    bureau = Entity.objects.filter(kind="BUREAU").first() or EntityFactory(kind="BUREAU")
    entity: Entity = EntityFactory(kind="DISTRICT")
    clerk = UserFactory(entity=bureau, roles=[Role.MUNICIPAL_CLERK])
    return entity, clerk


def test_concurrent_draws_exactly_the_affordable_number_succeed(setup_entity):
    entity, clerk = setup_entity
    fund(entity, "COD", "5.000", user=clerk, key="fund")
    account = services.entity_account(entity, "COD")
    sink = services.system_account("CONSUMPTION", "COD")

    def draw(i: int):
        return services.post(
            kind="USE",
            legs=[Leg(account, Decimal("-1.000")), Leg(sink, Decimal("1.000"))],
            idempotency_key=f"draw-{i}",
            user=clerk,
        )

    results = run_concurrently(draw, WORKERS)
    succeeded = [r for r in results if isinstance(r, Transaction)]
    refused = [r for r in results if isinstance(r, services.InsufficientQuota)]
    assert len(succeeded) == 5
    assert len(refused) == WORKERS - 5, results
    account.refresh_from_db()
    assert account.balance == Decimal("0.000")
    assert audit.reconcile() == []


def test_concurrent_holds_never_overcommit(setup_entity):
    entity, clerk = setup_entity
    fund(entity, "NOX", "3.000", user=clerk, key="fund")
    account = services.entity_account(entity, "NOX")

    results = run_concurrently(
        lambda i: services.place_hold(account=account, amount="1", user=clerk, reason=f"r{i}"),
        WORKERS,
    )
    assert sum(1 for r in results if isinstance(r, services.InsufficientQuota)) == WORKERS - 3
    account.refresh_from_db()
    assert (account.balance, account.held, account.available) == (
        Decimal("3"),
        Decimal("3"),
        Decimal("0"),
    )


def test_concurrent_requests_with_one_idempotency_key_post_once(setup_entity):
    entity, clerk = setup_entity
    results = run_concurrently(
        lambda i: fund(entity, "VOCS", "2", user=clerk, key="same-request"), WORKERS
    )
    assert all(isinstance(r, Transaction) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert services.entity_account(entity, "VOCS").balance == Decimal("2")


def test_opposite_transfers_do_not_deadlock(setup_entity):
    entity, clerk = setup_entity
    other = EntityFactory(kind="DISTRICT")
    fund(entity, "COD", "50", user=clerk, key="a")
    fund(other, "COD", "50", user=clerk, key="b")

    def trade(i: int):
        seller, buyer = (entity, other) if i % 2 else (other, entity)
        return transfer(
            seller=seller,
            buyer=buyer,
            pollutant="COD",
            amount="1",
            idempotency_key=f"x{i}",
            user=clerk,
        )

    results = run_concurrently(trade, WORKERS)
    assert all(isinstance(r, tuple) for r in results), results
    total = (
        services.entity_account(entity, "COD").balance
        + services.entity_account(other, "COD").balance
    )
    assert total == Decimal("100")
    assert audit.reconcile() == []
