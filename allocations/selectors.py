"""Progress towards five-year targets and what is due (DESIGN.md §5), from DB aggregates."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from ledger.models import (
    ZERO,
    Entity,
    EntityKind,
    HoldStatus,
    Pollutant,
    Role,
    User,
    exact_amount,
)
from reductions.models import PlanPeriod, ProjectAmount, Status, Tier

from .models import (
    AllocationLine,
    AllocationPolicy,
    ConstructionProject,
    ConstructionStatus,
    RoundStatus,
    Target,
)

OWNER_KINDS = (EntityKind.DISTRICT, EntityKind.COMMITTEE, EntityKind.ENTERPRISE)


@dataclass
class Progress:
    entity: Entity
    pollutant: str
    key: Decimal
    package: Decimal
    micro: Decimal
    voc_mgmt: Decimal
    target: Decimal | None
    allocated: Decimal
    met: bool = False

    @property
    def symbol(self) -> str:
        return Pollutant(self.pollutant).symbol

    @property
    def due(self) -> Decimal:
        if not self.met:
            return ZERO
        return max(ZERO, self.key - self.target + self.package)

    @property
    def surplus(self) -> Decimal:
        return ZERO if self.target is None else max(ZERO, self.key - self.target)

    @property
    def give(self) -> Decimal:
        return max(ZERO, self.due - self.allocated)


def policy_in_force(on: datetime.date) -> AllocationPolicy:
    policy = AllocationPolicy.objects.filter(effective_from__lte=on).first()
    if policy is None:
        raise AllocationPolicy.DoesNotExist(f"no allocation policy in force on {on}")
    return policy


def _certified_sums(period: PlanPeriod, as_of: datetime.date) -> dict[tuple[int, str], dict]:
    """Certified reductions per (owner, pollutant) and tier, as of a date: one query.
    KEY counts from the Ministry's certification date, the others from certification."""
    certified_by = Q(project__certified_at__date__lte=as_of)
    rows = (
        ProjectAmount.objects.filter(
            project__plan_period=period,
            project__status=Status.CERTIFIED,
            certified__isnull=False,
        )
        .filter(
            Q(project__tier=Tier.KEY, project__national_date__lte=as_of)
            | (~Q(project__tier=Tier.KEY) & certified_by)
        )
        .values("project__owner", "pollutant")
        .annotate(
            key=Coalesce(Sum("certified", filter=Q(project__tier=Tier.KEY)), ZERO),
            package=Coalesce(Sum("certified", filter=Q(project__tier=Tier.PACKAGE)), ZERO),
            micro=Coalesce(Sum("certified", filter=Q(project__tier=Tier.MICRO)), ZERO),
            voc_mgmt=Coalesce(Sum("certified", filter=Q(project__tier=Tier.VOC_MGMT)), ZERO),
        )
    )
    return {(r["project__owner"], r["pollutant"]): r for r in rows}


def _allocated(period: PlanPeriod) -> dict[tuple[int, str], Decimal]:
    """What approved rounds of the period gave each entity, per pollutant: one query."""
    rows = (
        AllocationLine.objects.filter(round__plan_period=period, round__status=RoundStatus.APPROVED)
        .values("entity", "pollutant")
        .annotate(total=Sum(Coalesce("adjusted", "proposed")))
    )
    return {(r["entity"], r["pollutant"]): r["total"] for r in rows}


def progress(
    *,
    period: PlanPeriod,
    as_of: datetime.date,
    policy: AllocationPolicy | None = None,
    entities=None,
) -> list[Progress]:
    """One row per entity × pollutant: certified reductions, target, met, allocated, due.
    Four queries whatever the number of projects."""
    policy = policy or policy_in_force(as_of)
    if entities is None:
        entities = Entity.objects.filter(kind__in=OWNER_KINDS, is_active=True).order_by(
            "kind", "code"
        )
    sums = _certified_sums(period, as_of)
    targets = {
        (t.entity_id, t.pollutant): t.amount for t in Target.objects.filter(plan_period=period)
    }
    allocated = _allocated(period)
    rows: list[Progress] = []
    for entity in entities:
        mine = []
        for pollutant in Pollutant.values:
            s = sums.get((entity.pk, pollutant), {})
            mine.append(
                Progress(
                    entity=entity,
                    pollutant=pollutant,
                    key=exact_amount(s.get("key")),
                    package=exact_amount(s.get("package")),
                    micro=exact_amount(s.get("micro")),
                    voc_mgmt=exact_amount(s.get("voc_mgmt")),
                    target=targets.get((entity.pk, pollutant)),
                    allocated=exact_amount(allocated.get((entity.pk, pollutant))),
                )
            )
        for row in mine:
            basis = row.key + (row.package if policy.met_counts_package else ZERO)
            row.met = row.target is not None and basis >= row.target
        if policy.all_pollutants_must_be_met:
            with_targets = [r for r in mine if r.target is not None]
            all_met = bool(with_targets) and all(r.met for r in with_targets)
            for row in mine:
                row.met = row.met and all_met
        rows.extend(mine)
    return rows


def use_requests_waiting_for(user: User) -> QuerySet[ConstructionProject]:
    """Requests with an open line this user decides (the holding entity's approver, the
    municipal approver for the reserve); never the maker's own. One query."""
    mine = Q(pk__in=[])
    if user.has_role(Role.MUNICIPAL_APPROVER):
        mine |= Q(lines__account__entity__kind__in=[EntityKind.BUREAU, EntityKind.ENTERPRISE])
    if user.has_role(Role.DISTRICT_APPROVER) and user.entity_id:
        mine |= Q(lines__account__entity_id=user.entity_id)
    return (
        ConstructionProject.objects.filter(status=ConstructionStatus.REQUESTED)
        .filter(mine & Q(lines__hold__status=HoldStatus.ACTIVE))
        .exclude(created_by=user)
        .distinct()
    )
