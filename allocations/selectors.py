"""Progress towards five-year targets and what is due (DESIGN.md §5), from DB aggregates."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Concat
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ledger.errors import DomainError
from ledger.models import (
    ZERO,
    Account,
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
    MAKER_ACTIONS,
    AllocationLine,
    AllocationPolicy,
    AllocationRound,
    ConstructionProject,
    ConstructionStatus,
    HoldPolicy,
    LineKind,
    RecordStatus,
    ReserveIntake,
    ReserveSource,
    RoundStatus,
    Target,
    TradeDirection,
    TradeRecord,
)

OWNER_KINDS = (EntityKind.DISTRICT, EntityKind.COMMITTEE, EntityKind.ENTERPRISE)


class NoPolicy(DomainError):
    """No allocation policy is in force on the date asked (before the first plan period)."""

    code = "no_policy_in_force"
    kind = "invalid"


@dataclass
class Progress:
    """One entity × pollutant. ``allocated`` is the net of allocations and recoveries of
    approved rounds; ``available`` (balance − held) is read only where something is owed."""

    entity: Entity
    pollutant: str
    key: Decimal
    package: Decimal
    micro: Decimal
    voc_mgmt: Decimal
    target: Decimal | None
    allocated: Decimal
    met: bool = False
    available: Decimal = ZERO

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

    @property
    def owed(self) -> Decimal:
        """Allocated beyond what is due (after a revoked certification): to be recovered."""
        return max(ZERO, self.allocated - self.due)

    @property
    def recover(self) -> Decimal:
        """What a round drafted now would recover: the owed amount, up to what is available."""
        return min(self.owed, max(ZERO, self.available))


def first_plan_day() -> datetime.date | None:
    first = PlanPeriod.objects.order_by("start_year").values_list("start_year", flat=True).first()
    return datetime.date(first, 1, 1) if first else None


def policy_in_force(on: datetime.date) -> AllocationPolicy:
    policy = AllocationPolicy.objects.filter(effective_from__lte=on).first()
    if policy is None:
        earliest = AllocationPolicy.objects.order_by("effective_from").first()
        raise NoPolicy(
            _(
                "No allocation rule is in force on %(date)s: the first plan period and its "
                "allocation rules start on %(start)s. Choose a later date."
            )
            % {
                "date": on.isoformat(),
                "start": (earliest.effective_from.isoformat() if earliest else "—"),
            }
        )
    return policy


def hold_policy_in_force(on: datetime.date) -> HoldPolicy:
    policy = HoldPolicy.objects.filter(effective_from__lte=on).first()
    if policy is None:
        raise NoPolicy(
            _("No hold lifetime is set for %(date)s; the bureau sets it in the administration.")
            % {"date": on.isoformat()},
            code="no_hold_policy",
        )
    return policy


def _certified_sums(
    period: PlanPeriod,
    as_of: datetime.date,
    exclude_projects: Iterable[int] = (),
    owners: list[int] | None = None,
) -> dict[tuple[int, str], dict]:
    """Certified reductions per (owner, pollutant) and tier, as of a date: one query, over
    the given owners only when there are some (one entity's page reads its own projects).
    KEY counts from the Ministry's certification date, the others from certification."""
    certified_by = Q(project__certified_at__date__lte=as_of)
    amounts = ProjectAmount.objects.filter(
        project__plan_period=period,
        project__status=Status.CERTIFIED,
        certified__isnull=False,
    )
    if owners is not None:
        amounts = amounts.filter(project__owner_id__in=owners)
    rows = (
        amounts.exclude(project__in=list(exclude_projects))
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


def allocated_net(
    *, period: PlanPeriod | None = None, owners: list[int] | None = None
) -> dict[tuple[int, str], Decimal]:
    """What approved rounds (of the period, when given) gave each entity (of ``owners``, when
    given), net of what they recovered, per pollutant: one query. A revoked round counts for
    nothing (its postings were reversed)."""
    amount = Coalesce("adjusted", "proposed")
    lines = AllocationLine.objects.filter(round__status=RoundStatus.APPROVED)
    if period is not None:
        lines = lines.filter(round__plan_period=period)
    if owners is not None:
        lines = lines.filter(entity_id__in=owners)
    rows = lines.values("entity", "pollutant").annotate(
        total=Sum(
            Case(When(kind=LineKind.RECOVERY, then=-amount), default=amount),
            output_field=AllocationLine._meta.get_field("proposed"),
        )
    )
    return {(r["entity"], r["pollutant"]): r["total"] for r in rows}


def _available(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], Decimal]:
    """Balance − held of the entity accounts of these (entity, pollutant) pairs: one query."""
    if not pairs:
        return {}
    rows = Account.objects.filter(entity_id__in={e for e, _p in pairs}).values_list(
        "entity_id", "pollutant", "balance", "held"
    )
    return {
        (e, p): exact_amount(balance) - exact_amount(held)
        for e, p, balance, held in rows
        if (e, p) in pairs
    }


def progress_entities() -> QuerySet[Entity]:
    """The entities with targets and progress: districts, committees and enterprises in use.
    ``kind_code`` orders them by kind, then code (the overview's keyset)."""
    return Entity.objects.filter(kind__in=OWNER_KINDS, is_active=True).annotate(
        kind_code=Concat("kind", Value(" "), "code")
    )


def progress(
    *,
    period: PlanPeriod,
    as_of: datetime.date,
    policy: AllocationPolicy | None = None,
    entities=None,
    exclude_projects: Iterable[int] = (),
) -> list[Progress]:
    """One row per entity × pollutant: certified reductions, target, met, allocated (net),
    due, and what is owed. A bounded number of queries whatever the number of projects
    (one more, for the accounts, only when something is owed). ``exclude_projects`` shows
    the effect of revoking those projects' certifications."""
    policy = policy or policy_in_force(as_of)
    owners = None
    if entities is None:
        entities = progress_entities().order_by("kind", "code")
    else:
        entities = list(entities)
        owners = [e.pk for e in entities]
    sums = _certified_sums(period, as_of, exclude_projects, owners)
    targets = Target.objects.filter(plan_period=period)
    if owners is not None:
        targets = targets.filter(entity_id__in=owners)
    targets = {(t.entity_id, t.pollutant): t.amount for t in targets}
    allocated = allocated_net(period=period, owners=owners)
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
    available = _available({(r.entity.pk, r.pollutant) for r in rows if r.owed > 0})
    for row in rows:
        row.available = available.get((row.entity.pk, row.pollutant), ZERO)
    return rows


def round_makers(round_: AllocationRound) -> set[int]:
    """Everyone who drafted, lowered a line of or submitted the round: never its approver."""
    steps = set(round_.steps.filter(action__in=MAKER_ACTIONS).values_list("actor_id", flat=True))
    return steps | {round_.created_by_id} | ({round_.submitted_by_id} - {None})


def use_requests_waiting_for(user: User) -> QuerySet[ConstructionProject]:
    """Requests with an open line this user decides (the holding entity's approver, the
    municipal approver for the reserve and enterprises); never the maker's or requester's
    own. One query."""
    mine = Q(pk__in=[])
    if user.has_role(Role.MUNICIPAL_APPROVER):
        mine |= Q(lines__account__entity__kind__in=[EntityKind.BUREAU, EntityKind.ENTERPRISE])
    if user.has_role(Role.DISTRICT_APPROVER) and user.entity_id:
        mine |= Q(lines__account__entity_id=user.entity_id)
    return (
        ConstructionProject.objects.filter(status=ConstructionStatus.REQUESTED)
        .filter(
            mine
            & Q(lines__hold__status=HoldStatus.ACTIVE)
            & Q(lines__approved_by__isnull=True)
            & Q(lines__attempt=F("attempt"))
        )
        .exclude(created_by=user)
        .exclude(requested_by=user)
        .distinct()
    )


# --- Who sees which records (DESIGN.md §7) ------------------------------------------------


def _own_entity_only(user: User, queryset: QuerySet, field: str) -> QuerySet:
    """Everything for municipal roles and auditors; the user's own entity's rows for other
    business roles; nothing for a user without a business role."""
    if user.has_perm("allocations.see_all_records"):
        return queryset
    if user.entity_id and user.has_perm("allocations.see_own_records"):
        return queryset.filter(**{field: user.entity_id})
    return queryset.none()


def visible_construction_projects(user: User) -> QuerySet[ConstructionProject]:
    return _own_entity_only(
        user,
        ConstructionProject.objects.select_related("owner", "industry", "created_by"),
        "owner_id",
    )


def visible_trade_records(user: User) -> QuerySet[TradeRecord]:
    return _own_entity_only(
        user,
        TradeRecord.objects.select_related("entity", "proposed_by", "decided_by"),
        "entity_id",
    )


def trade_records_waiting_for(user: User) -> QuerySet[TradeRecord]:
    """Records this user may confirm: the municipal approver's, never the recorder's own."""
    if not user.has_role(Role.MUNICIPAL_APPROVER):
        return TradeRecord.objects.none()
    return (
        visible_trade_records(user).filter(status=RecordStatus.PROPOSED).exclude(proposed_by=user)
    )


def visible_reserve_intakes(user: User) -> QuerySet[ReserveIntake]:
    if not user.has_perm("allocations.see_reserve"):
        return ReserveIntake.objects.none()
    return ReserveIntake.objects.select_related("proposed_by", "decided_by")


@dataclass(frozen=True)
class SourceTotals:
    source: str
    label: str
    amounts: list[Decimal]  # per pollutant, in Pollutant order


def reserve_intake_by_source() -> list[SourceTotals]:
    """Confirmed intake of the municipal reserve per source and pollutant (reversed intakes
    no longer count): one query."""
    rows = (
        ReserveIntake.objects.filter(status=RecordStatus.CONFIRMED)
        .values("source", "pollutant")
        .annotate(total=Sum("amount"))
    )
    totals = {(r["source"], r["pollutant"]): exact_amount(r["total"]) for r in rows}
    return [
        SourceTotals(
            source=source.value,
            label=source.label,
            amounts=[totals.get((source.value, p), ZERO) for p in Pollutant.values],
        )
        for source in ReserveSource
    ]


@dataclass
class RoundTotals:
    """The foot of a round's table: proposals and what posts, allocations and recoveries."""

    proposed: Decimal = ZERO
    allocated: Decimal = ZERO
    recovery_proposed: Decimal = ZERO
    recovered: Decimal = ZERO

    @property
    def adjusted(self) -> bool:
        return self.proposed != self.allocated

    @property
    def recovery_adjusted(self) -> bool:
        return self.recovery_proposed != self.recovered


def round_totals(lines: Iterable[AllocationLine]) -> RoundTotals:
    totals = RoundTotals()
    for line in lines:
        if line.is_recovery:
            totals.recovery_proposed += line.proposed
            totals.recovered += line.amount
        else:
            totals.proposed += line.proposed
            totals.allocated += line.amount
    return totals


# --- What a confirmation says will post (the data-confirm text of a decision button) -------


def _join(items: Iterable[str]) -> str:
    """A list in the reader's language: 甲、乙 in Chinese, "a, b" otherwise."""
    return ("、" if (get_language() or "").startswith("zh") else ", ").join(items)


def figure(pollutant: str, amount: Decimal) -> str:
    """``NOx 1.800 t`` (吨 in Chinese): a pollutant's amount as the pages show it."""
    return _("%(symbol)s %(amount)s t") % {
        "symbol": Pollutant(pollutant).symbol,
        "amount": f"{exact_amount(amount):.3f}",
    }


def _totals(pairs: Iterable[tuple[str, Decimal]]) -> str:
    totals: dict[str, Decimal] = {}
    for pollutant, amount in pairs:
        totals[pollutant] = totals.get(pollutant, ZERO) + amount
    return _join(figure(p, totals[p]) for p in Pollutant.values if p in totals)


# Up to this many accounts are named one by one; a larger round says only its totals.
CONFIRM_ACCOUNTS_LISTED = 12


def round_approval_text(round_: AllocationRound, lines: list[AllocationLine]) -> str:
    """What approving the round posts: how many accounts are credited (and recovered from),
    the total per pollutant, and each account when they are few."""
    posting = [line for line in lines if line.amount > 0]
    gives = [line for line in posting if not line.is_recovery]
    takes = [line for line in posting if line.is_recovery]
    parts = [_("Approve allocation round #%(id)s.") % {"id": round_.pk}]
    if gives:
        parts.append(
            _("This credits %(count)s accounts, in total %(totals)s.")
            % {"count": len(gives), "totals": _totals((x.pollutant, x.amount) for x in gives)}
        )
    if takes:
        parts.append(
            _("It recovers from %(count)s accounts, in total %(totals)s.")
            % {"count": len(takes), "totals": _totals((x.pollutant, x.amount) for x in takes)}
        )
    if not posting:
        parts.append(_("Nothing posts: every line is zero."))
    elif len(posting) <= CONFIRM_ACCOUNTS_LISTED:
        for line in posting:
            values = {"entity": line.entity.name, "figure": figure(line.pollutant, line.amount)}
            parts.append(
                (_("%(entity)s: −%(figure)s") if line.is_recovery else _("%(entity)s: +%(figure)s"))
                % values
            )
    return "\n".join(parts)


def round_return_text(round_: AllocationRound) -> str:
    return _("Return allocation round #%(id)s to the clerk? Nothing posts.") % {"id": round_.pk}


def round_submit_text(round_: AllocationRound, lines: list[AllocationLine]) -> str:
    gives = [x for x in lines if x.amount > 0 and not x.is_recovery]
    return _(
        "Submit allocation round #%(id)s for approval: %(count)s allocation lines, in total "
        "%(totals)s. It can no longer be adjusted."
    ) % {
        "id": round_.pk,
        "count": len(gives),
        "totals": _totals((x.pollutant, x.amount) for x in gives) or "0",
    }


def _use_lines(project: ConstructionProject, lines) -> list[str]:
    return [
        _("%(ledger)s %(symbol)s account: %(amount)s t")
        % {
            "ledger": line.account.entity.name,
            "symbol": Pollutant(line.pollutant).symbol,
            "amount": f"{exact_amount(line.amount):.3f}",
        }
        for line in lines
    ]


def use_decision_texts(project: ConstructionProject, held: list, mine: list) -> dict[str, str]:
    """The confirmation of each decision on a use request: ``held`` are this attempt's lines
    whose hold is still active (released by a rejection or withdrawal), ``mine`` those the
    user approves now (used once every line is approved)."""
    values = {"project": project.name}
    return {
        "approve": "\n".join(
            [
                _(
                    "Approve the use of quota for %(project)s: the quota held on these "
                    "accounts is used."
                )
                % values,
                *_use_lines(project, mine),
                *(
                    [_("It posts once the other lines are approved too.")]
                    if any(line.approved_by_id is None and line not in mine for line in held)
                    else []
                ),
            ]
        ),
        "reject": "\n".join(
            [
                _(
                    "Reject the request of %(project)s: the quota held on these accounts is "
                    "released."
                )
                % values,
                *_use_lines(project, held),
            ]
        ),
        "withdraw": "\n".join(
            [
                _(
                    "Withdraw the request of %(project)s: the quota held on these accounts is "
                    "released."
                )
                % values,
                *_use_lines(project, held),
            ]
        ),
    }


def trade_decision_texts(record: TradeRecord) -> dict[str, str]:
    values = {
        "id": record.pk,
        "ledger": record.entity.name,
        "figure": figure(record.pollutant, record.amount),
    }
    if record.direction == TradeDirection.ACQUIRED:
        confirm = _("Confirm trade record #%(id)s: %(ledger)s is credited %(figure)s (trade in).")
    else:
        confirm = _("Confirm trade record #%(id)s: %(ledger)s is debited %(figure)s (trade out).")
    return {
        "confirm": confirm % values,
        "reject": _("Reject trade record #%(id)s? Nothing posts.") % values,
    }


def intake_decision_texts(record: ReserveIntake, reserve: Entity | None) -> dict[str, str]:
    values = {
        "id": record.pk,
        "ledger": reserve.name if reserve else "",
        "figure": figure(record.pollutant, record.amount),
    }
    return {
        "confirm": _(
            "Confirm reserve intake #%(id)s: the municipal reserve (%(ledger)s) is credited "
            "%(figure)s."
        )
        % values,
        "reject": _("Reject reserve intake #%(id)s? Nothing posts.") % values,
    }
