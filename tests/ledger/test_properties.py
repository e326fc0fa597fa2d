"""Random sequences of ledger operations against an independent model of balances."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import services
from ledger.models import Account, Entry, Hold, Transaction
from ledger.services import Leg
from tests.factories import reconciled, transfer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("posting_path")]

POLLUTANTS = ["COD", "NOX"]
amounts = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("20"), places=3)
entity_index = st.integers(0, 2)
pollutant = st.sampled_from(POLLUTANTS)

operation = st.one_of(
    st.tuples(st.just("fund"), entity_index, pollutant, amounts),
    st.tuples(st.just("use"), entity_index, pollutant, amounts),
    st.tuples(st.just("hold"), entity_index, pollutant, amounts),
    st.tuples(st.just("consume"), st.integers(0, 20)),
    st.tuples(st.just("release"), st.integers(0, 20)),
    st.tuples(st.just("reverse"), st.integers(0, 40)),
    st.tuples(st.just("transfer"), entity_index, entity_index, pollutant, amounts),
)


class Model:
    """What the balances must be, computed without the ledger."""

    def __init__(self):
        self.balance = defaultdict(Decimal)
        self.held = defaultdict(Decimal)
        self.legs: dict[int, list[tuple[tuple, Decimal]]] = {}

    def available(self, key) -> Decimal:
        return self.balance[key] - self.held[key]

    def apply(self, txn_id: int, legs: list[tuple[tuple, Decimal]]) -> None:
        self.legs[txn_id] = legs
        for key, amount in legs:
            self.balance[key] += amount


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_random_operations_keep_the_ledger_exact(
    ops, pudong, xuhui, enterprise, municipal_clerk, municipal_approver
):
    entities = [pudong, xuhui, enterprise]
    user = municipal_clerk
    with transaction.atomic():
        model = Model()
        holds: list = []
        posted: list = []
        counter = iter(range(10_000))

        def key(entity, p):
            return ("E", entity.pk, p)

        def system(kind, p):
            return ("S", kind, p)

        for op in ops:
            name = op[0]
            if name == "fund":
                _n, i, p, amount = op
                txn = services.credit_entity(
                    kind="ALLOCATION",
                    source="ALLOCATION_POOL",
                    entity=entities[i],
                    pollutant=p,
                    amount=amount,
                    idempotency_key=f"f{next(counter)}",
                    user=user,
                )
                model.apply(
                    txn.pk, [(system("ALLOCATION_POOL", p), -amount), (key(entities[i], p), amount)]
                )
                posted.append(txn)
            elif name == "use":
                _n, i, p, amount = op
                k = key(entities[i], p)
                legs = [
                    Leg(services.entity_account(entities[i], p), -amount),
                    Leg(services.system_account("CONSUMPTION", p), amount),
                ]
                if amount > model.available(k):
                    with pytest.raises(services.InsufficientQuota):
                        services.post(
                            kind="USE", legs=legs, idempotency_key=f"u{next(counter)}", user=user
                        )
                    continue
                txn = services.post(
                    kind="USE", legs=legs, idempotency_key=f"u{next(counter)}", user=user
                )
                model.apply(txn.pk, [(k, -amount), (system("CONSUMPTION", p), amount)])
                posted.append(txn)
            elif name == "hold":
                _n, i, p, amount = op
                k = key(entities[i], p)
                account = services.entity_account(entities[i], p)
                if amount > model.available(k):
                    with pytest.raises(services.InsufficientQuota):
                        services.place_hold(account=account, amount=amount, user=user, reason="r")
                    continue
                holds.append(
                    (services.place_hold(account=account, amount=amount, user=user, reason="r"), k)
                )
                model.held[k] += amount
            elif name in ("consume", "release"):
                if not holds:
                    continue
                hold, k = holds[op[1] % len(holds)]
                hold.refresh_from_db()
                if hold.status != "ACTIVE":
                    with (
                        pytest.raises(services.HoldStateError)
                        if (
                            (name == "consume" and hold.status == "RELEASED")
                            or (name == "release" and hold.status == "CONSUMED")
                        )
                        else _nothing()
                    ):
                        (services.consume_hold if name == "consume" else services.release_hold)(
                            hold=hold, user=user
                        )
                    continue
                model.held[k] -= hold.amount
                if name == "consume":
                    txn = services.consume_hold(hold=hold, user=user)
                    p = k[2]
                    model.apply(
                        txn.pk, [(k, -hold.amount), (system("CONSUMPTION", p), hold.amount)]
                    )
                    posted.append(txn)
                else:
                    services.release_hold(hold=hold, user=user)
            elif name == "reverse":
                if not posted:
                    continue
                original = posted[op[1] % len(posted)]
                group = [original.pk]
                if original.paired_with_id:
                    group.append(original.paired_with_id)
                elif Transaction.objects.filter(paired_with=original).exists():
                    group.append(Transaction.objects.get(paired_with=original).pk)
                negated = [(k, -a) for t in group for k, a in model.legs[t]]
                already = Transaction.objects.filter(reverses_id__in=group).exists()
                deltas = defaultdict(Decimal)
                for k, a in negated:
                    deltas[k] += a
                overdraws = any(
                    k[0] == "E" and model.available(k) + d < 0 for k, d in deltas.items()
                )
                if already or overdraws:
                    with pytest.raises(services.LedgerError):
                        services.reverse(
                            original=original, reason="r", user=user, approver=municipal_approver
                        )
                    continue
                services.reverse(
                    original=original, reason="r", user=user, approver=municipal_approver
                )
                for k, a in negated:
                    model.balance[k] += a
            elif name == "transfer":
                _n, i, j, p, amount = op
                if i == j:
                    with pytest.raises(services.LedgerError):
                        transfer(
                            seller=entities[i],
                            buyer=entities[j],
                            pollutant=p,
                            amount=amount,
                            idempotency_key=f"t{next(counter)}",
                            user=user,
                        )
                    continue
                seller, buyer = key(entities[i], p), key(entities[j], p)
                if amount > model.available(seller):
                    with pytest.raises(services.InsufficientQuota):
                        transfer(
                            seller=entities[i],
                            buyer=entities[j],
                            pollutant=p,
                            amount=amount,
                            idempotency_key=f"t{next(counter)}",
                            user=user,
                        )
                    continue
                out, into = transfer(
                    seller=entities[i],
                    buyer=entities[j],
                    pollutant=p,
                    amount=amount,
                    idempotency_key=f"t{next(counter)}",
                    user=user,
                )
                model.apply(out.pk, [(seller, -amount), (system("TRADING", p), amount)])
                model.apply(into.pk, [(system("TRADING", p), -amount), (buyer, amount)])
                posted.extend([out, into])

            # Invariants after every step.
            assert reconciled() == []
            for account in Account.objects.all():
                k = (
                    key(account.entity, account.pollutant)
                    if account.entity_id
                    else system(account.system_kind, account.pollutant)
                )
                assert account.balance == model.balance[k], k
                assert account.held == model.held[k], k
                if account.entity_id:
                    assert account.available >= 0
            totals = Entry.objects.values("pollutant").annotate(total=Sum("amount"))
            assert all(row["total"] == 0 for row in totals)
            held_total = Hold.objects.filter(status="ACTIVE").aggregate(t=Sum("amount"))["t"] or 0
            assert held_total == sum(model.held.values())
        transaction.set_rollback(True)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
