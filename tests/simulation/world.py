"""A seeded random workload over the whole system (in the spirit of TigerBeetle's VOPR).

Several threads, each with its own random generator derived from the seed, take random
domain actions through the services, as random users of the right roles: projects entered,
reviewed, filed, certified and revoked; targets; rounds drafted, approved and revoked (with
recovery lines when certifications were revoked); construction requests held, approved,
rejected, withdrawn, expired and cancelled; trades and reserve intake confirmed and reversed.
A refusal (a DomainError) is a legitimate outcome and counted; anything else is a failure.
Afterwards ``check_invariants`` proves the ledger and every domain record agree.

With one thread a seed replays exactly; with several, the interleaving also varies.
"""

import datetime
import random
import threading
import traceback
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection
from django.db.models import Sum
from django.utils import timezone

from allocations import services as allocation_services
from allocations import trades
from allocations.models import (
    AllocationLine,
    AllocationRound,
    AreaStatus,
    ConstructionProject,
    ConstructionStatus,
    RecordStatus,
    ReserveIntake,
    ReserveSource,
    RoundStatus,
    TradeDirection,
    TradeRecord,
    UseLine,
)
from ledger import audit
from ledger import services as ledger_services
from ledger.errors import DomainError
from ledger.models import Correction, Entity, Entry, HoldStatus, Role, Transaction, User
from reductions import bundles
from reductions import services as reduction_services
from reductions.models import PlanPeriod, Project, Status, Tier
from tests.factories import EVIDENCE_PDF, EntityFactory, UserFactory, project_data

POLLUTANTS = ("COD", "NOX")
TYPES = {"COD": "W_STRUCTURE", "NOX": "A_STRUCTURE"}
# Amounts that land in each tier for the two structure-upgrade types (Annex 2: 0.1 < r ≤ 5).
AMOUNTS = ("0.050", "0.080", "0.600", "2.500", "4.000", "6.000", "9.500", "14.000")


@dataclass
class Team:
    district_clerks: dict[int, list[User]]
    district_approvers: dict[int, list[User]]
    enterprise_users: dict[int, list[User]]
    municipal_clerks: list[User]
    municipal_approvers: list[User]
    districts: list[Entity]
    enterprises: list[Entity]


def build_team() -> Team:
    bureau = Entity.objects.get(kind="BUREAU")
    districts = list(Entity.objects.filter(code__in=["310115", "310104", "310106"]))
    enterprises = [EntityFactory(kind="ENTERPRISE", code="SIM-E1", name_zh="模拟市管企业")]

    def users(role, entity, n):
        return [
            UserFactory(
                entity=entity, roles=[role], username=f"sim-{role.lower()}-{entity.code}-{i}"
            )
            for i in range(n)
        ]

    team = Team(
        district_clerks={d.pk: users(Role.DISTRICT_CLERK, d, 2) for d in districts},
        district_approvers={d.pk: users(Role.DISTRICT_APPROVER, d, 2) for d in districts},
        enterprise_users={e.pk: users(Role.ENTERPRISE_USER, e, 2) for e in enterprises},
        municipal_clerks=users(Role.MUNICIPAL_CLERK, bureau, 2),
        municipal_approvers=users(Role.MUNICIPAL_APPROVER, bureau, 3),
        districts=districts,
        enterprises=enterprises,
    )
    # Someone who holds both district roles: maker–checker must still hold.
    both = team.district_clerks[districts[0].pk][0]
    ledger_services.set_roles(user=both, roles=[Role.DISTRICT_CLERK, Role.DISTRICT_APPROVER])
    team.district_approvers[districts[0].pk].append(both)
    period = PlanPeriod.objects.get(code="14FYP")
    for entity in [*districts, *enterprises]:
        for pollutant in POLLUTANTS:
            allocation_services.set_target(
                entity=entity,
                plan_period=period,
                pollutant=pollutant,
                amount=Decimal("5.000"),
                reason="",
                user=team.municipal_clerks[0],
            )
    return team


def evidence() -> SimpleUploadedFile:
    return SimpleUploadedFile("证明.pdf", EVIDENCE_PDF, content_type="application/pdf")


@dataclass
class Outcome:
    done: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


class Actor:
    """One thread's stream of actions."""

    def __init__(self, team: Team, rng: random.Random, outcome: Outcome, name: str):
        self.team, self.rng, self.outcome, self.name = team, rng, outcome, name
        self.counter = 0

    # --- helpers -------------------------------------------------------------------------

    def pick(self, items):
        items = list(items)
        return self.rng.choice(items) if items else None

    def makers_of(self, entity: Entity) -> list[User]:
        if entity.kind == "ENTERPRISE":
            return self.team.enterprise_users[entity.pk]
        return self.team.district_clerks[entity.pk]

    def reviewers_for(self, project: Project) -> list[User]:
        step = reduction_services.workflow.next_step(project)
        if step is None:
            return []
        if step.role == Role.DISTRICT_APPROVER:
            return self.team.district_approvers.get(project.owner_id, [])
        if step.role == Role.MUNICIPAL_CLERK:
            return self.team.municipal_clerks + self.team.municipal_approvers
        return self.team.municipal_approvers

    def unique(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.name}-{self.counter}"

    def record(self, op: str, action) -> None:
        try:
            action()
        except DomainError as refusal:
            self.outcome.refused[f"{op}:{refusal.code}"] += 1
        except Exception:
            self.outcome.failures.append(f"{op} ({self.name}):\n{traceback.format_exc()}")
        else:
            self.outcome.done[op] += 1

    # --- operations ----------------------------------------------------------------------

    def enter_project(self):
        owner = self.pick([*self.team.districts, *self.team.enterprises])
        maker = self.pick(self.makers_of(owner))
        pollutant = self.pick(POLLUTANTS)
        project = reduction_services.save_project(
            user=maker,
            owner=owner,
            data=project_data(TYPES[pollutant], name=self.unique("项目")),
            amounts={pollutant: Decimal(self.pick(AMOUNTS))},
        )
        reduction_services.add_attachment(project=project, upload=evidence(), user=maker)
        extra = {}
        if project.tier == Tier.PACKAGE and owner.kind == "ENTERPRISE":
            extra = {
                "filing_number": self.unique("GJ-E"),
                "filing_date": datetime.date(2025, 8, 1),
            }
        reduction_services.act(project=project, user=maker, action="submit", **extra)

    def review_project(self):
        project = self.pick(
            Project.objects.filter(
                status__in=[Status.SUBMITTED, Status.DISTRICT_REVIEWED, Status.MUNICIPAL_REVIEWED]
            ).order_by("?")[:5]
        )
        if project is None:
            return
        user = self.pick(self.reviewers_for(project))
        if user is None:
            return
        step = reduction_services.workflow.next_step(project)
        if self.rng.random() < 0.1:
            reduction_services.act(project=project, user=user, action="return", comment="退回")
            return
        kwargs = {}
        if step.records_national_result:
            kwargs = {
                "document_number": self.unique("环办核"),
                "document_date": datetime.date(2025, 12, 1),
            }
        if self.rng.random() < 0.2:
            kwargs["amounts"] = {
                a.pollutant: (a.claimed * Decimal("0.9")).quantize(Decimal("0.001"))
                for a in project.amounts.all()
            }
        reduction_services.act(project=project, user=user, action="approve", **kwargs)

    def file_bundle(self):
        district = self.pick(self.team.districts)
        clerk = self.pick(self.team.district_clerks[district.pk])
        bundle = self.pick(bundles.bundles(clerk))
        if bundle is None:
            return
        filing = bundles.record_filing(
            user=clerk,
            bundle=bundle,
            filing_number=self.unique("GJ-D"),
            filing_date=datetime.date(2025, 10, 1),
        )
        bundles.confirm_filing(
            user=self.pick(self.team.district_approvers[district.pk]), filing=filing
        )

    def resubmit_returned(self):
        project = self.pick(Project.objects.filter(status=Status.RETURNED).order_by("?")[:3])
        if project is None:
            return
        maker = self.pick(self.makers_of(project.owner))
        extra = {}
        if project.tier == Tier.PACKAGE and project.owner.kind == "ENTERPRISE":
            extra = {"filing_number": self.unique("GJ-E"), "filing_date": datetime.date(2025, 8, 1)}
        reduction_services.act(project=project, user=maker, action="submit", **extra)

    def correct(self, action: str, record, proposers, approvers, reason="模拟更正"):
        correction = ledger_services.propose_correction(
            action=action, record=record, reason=reason, user=self.pick(proposers)
        )
        if self.rng.random() < 0.15:
            ledger_services.reject_correction(
                correction=correction, user=self.pick(approvers), comment="不同意"
            )
            return
        ledger_services.approve_correction(correction=correction, user=self.pick(approvers))

    def decide_open_correction(self):
        correction = self.pick(Correction.objects.filter(status="PROPOSED")[:5])
        if correction is not None:
            ledger_services.approve_correction(
                correction=correction, user=self.pick(self.team.municipal_approvers)
            )

    def revoke_certification(self):
        project = self.pick(Project.objects.filter(status=Status.CERTIFIED).order_by("?")[:5])
        if project is None:
            return
        approvers = [
            *self.team.municipal_approvers,
            *self.team.district_approvers.get(project.owner_id, []),
        ]
        self.correct("revoke_certification", project, approvers, approvers)

    def run_round(self):
        period = PlanPeriod.objects.get(code="14FYP")
        clerk = self.pick(self.team.municipal_clerks)
        round_ = AllocationRound.objects.filter(
            plan_period=period, status__in=[RoundStatus.DRAFT, RoundStatus.SUBMITTED]
        ).first() or allocation_services.draft_round(
            plan_period=period, as_of=timezone.localdate(), user=clerk
        )
        if round_.status == RoundStatus.DRAFT:
            line = round_.lines.order_by("?").first()
            if line is not None and self.rng.random() < 0.2:
                allocation_services.adjust_line(
                    line=line, amount=line.proposed / 2, reason="留存", user=clerk
                )
            allocation_services.submit_round(round_=round_, user=clerk)
        allocation_services.approve_round(
            round_=round_, approver=self.pick(self.team.municipal_approvers)
        )

    def revoke_round(self):
        round_ = self.pick(AllocationRound.objects.filter(status=RoundStatus.APPROVED))
        if round_ is not None:
            self.correct(
                "revoke_round", round_, self.team.municipal_clerks, self.team.municipal_approvers
            )

    def trade(self):
        entity = self.pick([*self.team.districts, *self.team.enterprises])
        record = trades.record_trade(
            user=self.pick(self.makers_of(entity)),
            entity=entity,
            direction=self.pick(
                [TradeDirection.ACQUIRED, TradeDirection.ACQUIRED, TradeDirection.SOLD]
            ),
            certificate_number=self.unique("JY"),
            counterparty="外省某企业",
            trade_date=datetime.date(2026, 5, 1),
            pollutant=self.pick(POLLUTANTS),
            amount=Decimal(self.pick(("0.500", "1.000", "3.000"))),
            evidence=evidence(),
        )
        if self.rng.random() < 0.85:
            trades.confirm_trade(record=record, user=self.pick(self.team.municipal_approvers))
        else:
            trades.reject_trade(
                record=record, user=self.pick(self.team.municipal_approvers), comment="凭证不符"
            )

    def reverse_trade(self):
        record = self.pick(TradeRecord.objects.filter(status=RecordStatus.CONFIRMED)[:5])
        if record is not None:
            self.correct(
                "reverse_trade_record",
                record,
                self.team.municipal_clerks + self.team.municipal_approvers,
                self.team.municipal_approvers,
            )

    def reserve_intake(self):
        record = trades.record_reserve_intake(
            user=self.pick(self.team.municipal_clerks),
            pollutant=self.pick(POLLUTANTS),
            amount=Decimal("2.000"),
            source=self.pick(ReserveSource.values[:3]),
            intake_date=datetime.date(2026, 4, 1),
            evidence=evidence(),
        )
        trades.confirm_reserve_intake(record=record, user=self.pick(self.team.municipal_approvers))

    def request_use(self):
        owner = self.pick([*self.team.districts, *self.team.enterprises])
        maker = self.pick(self.makers_of(owner))
        pollutant = self.pick(POLLUTANTS)
        emission = Decimal(self.pick(("0.300", "0.800", "1.500")))
        project = allocation_services.save_construction_project(
            user=maker,
            data={
                "name": self.unique("建设项目"),
                "builder": "模拟建设单位",
                "eia_number": self.unique("环评"),
                "owner": owner,
                "industry": project_data()["industry"],
                "area_status": AreaStatus.ATTAINMENT,
            },
            emissions={pollutant: emission},
        )
        reserve = trades.reserve_entity()
        source = owner if self.rng.random() < 0.7 else reserve
        allocation_services.request_use(
            project=project, user=maker, lines=[(source, pollutant, emission)]
        )

    def decide_use(self):
        project = self.pick(
            ConstructionProject.objects.filter(status=ConstructionStatus.REQUESTED).order_by("?")[
                :5
            ]
        )
        if project is None:
            return
        line = project.lines.select_related("account__entity").first()
        entity = line.account.entity
        deciders = (
            self.team.municipal_approvers
            if entity.kind in ("BUREAU", "ENTERPRISE")
            else self.team.district_approvers.get(entity.pk, [])
        )
        roll = self.rng.random()
        if roll < 0.7:
            allocation_services.approve_use(project=project, user=self.pick(deciders))
        elif roll < 0.85:
            allocation_services.reject_use(
                project=project, user=self.pick(deciders), comment="不符合要求"
            )
        else:
            allocation_services.withdraw_use(project=project, user=project.created_by)

    def cancel_use(self):
        project = self.pick(
            ConstructionProject.objects.filter(status=ConstructionStatus.APPROVED).order_by("?")[:5]
        )
        if project is None:
            return
        people = [
            *self.team.municipal_approvers,
            *self.team.district_approvers.get(project.owner_id, []),
        ]
        self.correct("cancel_use", project, people, people)

    def expire(self):
        allocation_services.expire_requests(now=timezone.now() + datetime.timedelta(days=400))

    OPERATIONS = (
        ("enter_project", 14),
        ("review_project", 22),
        ("file_bundle", 5),
        ("resubmit_returned", 3),
        ("revoke_certification", 3),
        ("decide_open_correction", 1),
        ("run_round", 5),
        ("revoke_round", 1),
        ("trade", 6),
        ("reverse_trade", 2),
        ("reserve_intake", 2),
        ("request_use", 9),
        ("decide_use", 8),
        ("cancel_use", 2),
        ("expire", 1),
    )

    def step(self) -> None:
        names, weights = zip(*self.OPERATIONS, strict=True)
        op = self.rng.choices(names, weights)[0]
        self.record(op, getattr(self, op))


def run(seed: int, operations: int, threads: int, team: Team) -> Outcome:
    outcome = Outcome()
    barrier = threading.Barrier(threads)

    def body(index: int) -> None:
        actor = Actor(team, random.Random(f"{seed}:{index}"), outcome, name=f"t{index}")
        try:
            barrier.wait()
            for _ in range(operations // threads):
                actor.step()
        finally:
            connection.close()

    workers = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    close_old_connections()
    return outcome


# --- What must hold afterwards ---------------------------------------------------------------


def _live(txn_ids) -> set[int]:
    """Of these transactions, those not reversed."""
    reversed_ids = set(
        Transaction.objects.filter(reverses_id__in=txn_ids).values_list("reverses_id", flat=True)
    )
    return set(txn_ids) - reversed_ids


def _postings_of(record) -> list[Transaction]:
    return list(
        Transaction.objects.filter(
            reference_type__app_label=record._meta.app_label,
            reference_type__model=record._meta.model_name,
            reference_id=str(record.pk),
        ).exclude(kind="REVERSAL")
    )


def _moved(txn_id: int, entity_id: int, pollutant: str) -> Decimal:
    """What one transaction moved on an entity's account (signed)."""
    total = Entry.objects.filter(
        transaction_id=txn_id, account__entity_id=entity_id, pollutant=pollutant
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


def check_invariants() -> list[str]:
    """Counts and amounts: every live posting a record owns moved exactly what the record
    says, and a record that should have no live posting has none."""
    problems = [str(f) for f in audit.reconcile()]
    problems += [str(f) for f in audit.verify().findings]

    for line in UseLine.objects.select_related("hold", "project"):
        hold, project = line.hold, line.project
        if hold.status == HoldStatus.ACTIVE and project.status != ConstructionStatus.REQUESTED:
            problems.append(f"use line {line.pk}: hold active but project {project.status}")
        if project.status == ConstructionStatus.REQUESTED and hold.status not in (
            HoldStatus.ACTIVE,
            HoldStatus.CONSUMED,
        ):
            problems.append(f"use line {line.pk}: project requested but hold {hold.status}")
        if hold.status == HoldStatus.CONSUMED:
            live = _live([hold.consumed_by_id])
            want = 0 if project.status == ConstructionStatus.CANCELLED else 1
            if len(live) != want:
                problems.append(
                    f"use line {line.pk} ({project.status}): consumed hold has {len(live)} live "
                    f"USE posting(s), expected {want}"
                )
            account = hold.account
            moved = _moved(hold.consumed_by_id, account.entity_id, account.pollutant)
            if moved != -hold.amount:
                problems.append(f"use line {line.pk}: USE moved {moved}, hold was {hold.amount}")
        elif hold.status == HoldStatus.ACTIVE and project.status == ConstructionStatus.APPROVED:
            problems.append(f"use line {line.pk}: approved project with an open hold")

    for line in AllocationLine.objects.select_related("round").exclude(transaction=None):
        live = _live([line.transaction_id])
        want = 0 if line.round.status == RoundStatus.REVOKED else 1
        if len(live) != want:
            problems.append(
                f"round {line.round_id} line {line.pk} ({line.round.status}): {len(live)} live "
                f"posting(s), expected {want}"
            )
        sign = -1 if line.is_recovery else 1
        moved = _moved(line.transaction_id, line.entity_id, line.pollutant)
        if moved != sign * line.amount:
            problems.append(f"round {line.round_id} line {line.pk}: moved {moved}, {line.amount}")
    for line in AllocationLine.objects.filter(round__status=RoundStatus.APPROVED, transaction=None):
        if line.amount > 0:
            problems.append(f"approved round {line.round_id} line {line.pk} posted nothing")

    for project in Project.objects.filter(tier__in=[Tier.MICRO, Tier.VOC_MGMT]).prefetch_related(
        "amounts"
    ):
        live = _live([t.pk for t in _postings_of(project)])
        want = (
            sum(1 for a in project.amounts.all() if a.certified)
            if project.status == Status.CERTIFIED
            else 0
        )
        if len(live) != want:
            problems.append(
                f"project {project.pk} ({project.tier} {project.status}): {len(live)} live "
                f"credit(s), expected {want}"
            )
        if project.status == Status.CERTIFIED:
            for amount in project.amounts.all():
                credited = sum(
                    (_moved(t, project.owner_id, amount.pollutant) for t in live), Decimal(0)
                )
                if credited != (amount.certified or 0):
                    problems.append(
                        f"project {project.pk}: {amount.pollutant} credited {credited}, "
                        f"certified {amount.certified}"
                    )

    for model in (TradeRecord, ReserveIntake):
        for record in model.objects.all():
            live = _live([t.pk for t in _postings_of(record)])
            want = 1 if record.status == RecordStatus.CONFIRMED else 0
            if len(live) != want:
                problems.append(
                    f"{model.__name__} {record.pk} ({record.status}): {len(live)} live "
                    f"posting(s), expected {want}"
                )
            sign = -1 if getattr(record, "direction", None) == TradeDirection.SOLD else 1
            entity_id = getattr(record, "entity_id", None) or trades.reserve_entity().pk
            for txn in live:
                moved = _moved(txn, entity_id, record.pollutant)
                if moved != sign * record.amount:
                    problems.append(
                        f"{model.__name__} {record.pk}: moved {moved}, recorded {record.amount}"
                    )
    return problems
