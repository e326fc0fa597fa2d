"""Writes for targets and allocation rounds. Approval posts every line in one transaction."""

import datetime
from decimal import ROUND_CEILING, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import services as ledger_services
from ledger.models import (
    Entity,
    EntityKind,
    HoldStatus,
    Pollutant,
    Role,
    SystemAccountKind,
    User,
)
from reductions.models import PlanPeriod

from . import selectors
from .models import (
    AllocationLine,
    AllocationRound,
    ConstructionProject,
    ConstructionStatus,
    NewEmission,
    ReplacementRatio,
    RoundStatus,
    Target,
    TargetChange,
    UseLine,
)


class AllocationError(ledger_services.LedgerError):
    """A refusal of an allocation or use step; ``str()`` is the translated message."""


def _require(user: User, *roles: str) -> None:
    if not user.has_role(*roles):
        raise AllocationError(_("You do not have permission to do this."))


def set_target(
    *, entity: Entity, plan_period: PlanPeriod, pollutant: str, amount, reason: str, user: User
) -> Target:
    """Enter or change a five-year target; every change is kept with its reason."""
    _require(user, Role.MUNICIPAL_CLERK)
    amount = ledger_services.to_amount(amount, allow_zero=True, allow_negative=False)
    reason = (reason or "").strip()
    with transaction.atomic():
        target = (
            Target.objects.select_for_update()
            .filter(entity=entity, plan_period=plan_period, pollutant=pollutant)
            .first()
        )
        old = target.amount if target else None
        if target is not None and not reason:
            raise AllocationError(_("Say why the target changes."))
        if target is None:
            target = Target(entity=entity, plan_period=plan_period, pollutant=pollutant)
        target.amount = amount
        target.updated_by = user
        target.updated_at = timezone.now()
        target.save()
        TargetChange.objects.create(
            target=target,
            old_amount=old,
            new_amount=amount,
            reason=reason or _("first entry"),
            changed_by=user,
        )
    return target


def draft_round(*, plan_period: PlanPeriod, as_of: datetime.date, user: User) -> AllocationRound:
    """Compute the §5 proposals and keep one line per entity × pollutant with something due."""
    _require(user, Role.MUNICIPAL_CLERK)
    if as_of > timezone.localdate():
        raise AllocationError(_("The as-of date cannot be in the future."))
    policy = selectors.policy_in_force(as_of)
    open_round = AllocationRound.objects.filter(
        plan_period=plan_period, status__in=[RoundStatus.DRAFT, RoundStatus.SUBMITTED]
    )
    if open_round.exists():
        raise AllocationError(_("A round of this plan period is still open."))
    try:
        with transaction.atomic():
            round_ = AllocationRound.objects.create(
                plan_period=plan_period, as_of=as_of, policy=policy, created_by=user
            )
            AllocationLine.objects.bulk_create(
                AllocationLine(
                    round=round_,
                    entity=row.entity,
                    pollutant=row.pollutant,
                    key_certified=row.key,
                    package_certified=row.package,
                    target=row.target,
                    already_allocated=row.allocated,
                    proposed=row.give,
                )
                for row in selectors.progress(period=plan_period, as_of=as_of, policy=policy)
                if row.give > 0
            )
    except IntegrityError:
        # Another clerk opened one between the check and the insert.
        raise AllocationError(_("A round of this plan period is still open.")) from None
    return round_


def _lock(round_: AllocationRound) -> AllocationRound:
    return AllocationRound.objects.select_for_update().get(pk=round_.pk)


def adjust_line(*, line: AllocationLine, amount, reason: str, user: User) -> AllocationLine:
    """Lower a proposal, with a reason; never above what is due."""
    _require(user, Role.MUNICIPAL_CLERK)
    amount = ledger_services.to_amount(amount, allow_zero=True, allow_negative=False)
    if not (reason or "").strip():
        raise AllocationError(_("Say why the line is lowered."))
    with transaction.atomic():
        round_ = _lock(line.round)
        if round_.status != RoundStatus.DRAFT:
            raise AllocationError(_("Only a draft round can be adjusted."))
        line = AllocationLine.objects.get(pk=line.pk)
        if amount > line.proposed:
            raise AllocationError(
                _("%(amount)s t is more than the %(due)s t due; a line can only be lowered.")
                % {"amount": amount, "due": line.proposed}
            )
        line.adjusted = amount
        line.adjust_reason = reason.strip()
        line.save(update_fields=["adjusted", "adjust_reason"])
    return line


def submit_round(*, round_: AllocationRound, user: User) -> AllocationRound:
    _require(user, Role.MUNICIPAL_CLERK)
    with transaction.atomic():
        round_ = _lock(round_)
        if round_.status != RoundStatus.DRAFT:
            raise AllocationError(_("Only a draft round can be submitted."))
        round_.status = RoundStatus.SUBMITTED
        round_.save(update_fields=["status"])
    return round_


def approve_round(*, round_: AllocationRound, approver: User, comment: str = "") -> AllocationRound:
    """Post every line as an ALLOCATION from the national pool, in one transaction.
    A second approval (or a retry) posts nothing more."""
    _require(approver, Role.MUNICIPAL_APPROVER)
    with transaction.atomic():
        round_ = _lock(round_)
        if round_.status == RoundStatus.APPROVED:
            return round_
        if round_.status != RoundStatus.SUBMITTED:
            raise AllocationError(_("Only a submitted round can be approved."))
        if round_.created_by_id == approver.pk:
            raise AllocationError(
                _("You drafted this round; another municipal approver must approve it.")
            )
        lines = [line for line in round_.lines.select_related("entity") if line.amount > 0]
        accounts = ledger_services.entity_accounts((line.entity, line.pollutant) for line in lines)
        pools = {
            p: ledger_services.system_account(SystemAccountKind.ALLOCATION_POOL, p)
            for p in {line.pollutant for line in lines}
        }
        label = _("Allocation round #%(id)s") % {"id": round_.pk}
        posted = ledger_services.post_batch(
            postings=[
                ledger_services.Posting(
                    kind="ALLOCATION",
                    legs=[
                        ledger_services.Leg(pools[line.pollutant], -line.amount),
                        ledger_services.Leg(
                            accounts[(line.entity_id, line.pollutant)], line.amount
                        ),
                    ],
                    idempotency_key=f"allocation:line:{line.pk}",
                    reference=round_,
                    reference_text=label,
                )
                for line in lines
            ],
            user=round_.created_by,
            approver=approver,
        )
        for line, txn in zip(lines, posted, strict=True):
            line.transaction = txn
        AllocationLine.objects.bulk_update(lines, ["transaction"])
        round_.status = RoundStatus.APPROVED
        round_.decided_by = approver
        round_.decided_at = timezone.now()
        round_.comment = comment
        round_.save()
    return round_


def return_round(*, round_: AllocationRound, approver: User, comment: str) -> AllocationRound:
    _require(approver, Role.MUNICIPAL_APPROVER)
    if not (comment or "").strip():
        raise AllocationError(_("Say why the round is returned."))
    with transaction.atomic():
        round_ = _lock(round_)
        if round_.status != RoundStatus.SUBMITTED:
            raise AllocationError(_("Only a submitted round can be returned."))
        round_.status = RoundStatus.DRAFT
        round_.comment = comment.strip()
        round_.save(update_fields=["status", "comment"])
    return round_


def revoke_round(*, round_: AllocationRound, user: User, reason: str) -> AllocationRound:
    """Undo an approved round as a whole: every posted line is reversed."""
    _require(user, Role.MUNICIPAL_APPROVER)
    if not (reason or "").strip():
        raise AllocationError(_("Say why the round is revoked."))
    with transaction.atomic():
        round_ = _lock(round_)
        if round_.status != RoundStatus.APPROVED:
            raise AllocationError(_("Only an approved round can be revoked."))
        for line in round_.lines.exclude(transaction=None).select_related("transaction"):
            try:
                ledger_services.reverse(original=line.transaction, reason=reason, user=user)
            except ledger_services.LedgerError as error:
                raise AllocationError(
                    _("%(entity)s: %(error)s") % {"entity": line.entity, "error": error}
                ) from None
        round_.status = RoundStatus.REVOKED
        round_.comment = reason.strip()
        round_.save(update_fields=["status", "comment"])
    return round_


# --- Use by construction projects (DESIGN.md §6) ------------------------------------------


def ratio_in_force(pollutant: str, area_status: str, on: datetime.date) -> ReplacementRatio:
    ratio = (
        ReplacementRatio.objects.filter(
            pollutant=pollutant, area_status=area_status, effective_from__lte=on
        )
        .order_by("-effective_from")
        .first()
    )
    if ratio is None:
        raise AllocationError(
            _("No replacement ratio is in force for %(p)s on %(date)s.")
            % {"p": Pollutant(pollutant).symbol, "date": on}
        )
    return ratio


def _may_enter_for(user: User, district: Entity) -> bool:
    return user.has_role(Role.MUNICIPAL_CLERK) or (
        user.has_role(Role.DISTRICT_CLERK) and user.entity_id == district.pk
    )


def save_construction_project(
    *, user: User, data: dict, emissions: dict[str, Decimal | None]
) -> ConstructionProject:
    """Enter a construction project with its new emissions per pollutant."""
    district = data["district"]
    if not _may_enter_for(user, district):
        raise AllocationError(
            _("You may not enter construction projects for %(d)s.") % {"d": district}
        )
    clean = {}
    for pollutant, value in emissions.items():
        if value in (None, ""):
            continue
        amount = ledger_services.to_amount(value, allow_zero=True, allow_negative=False)
        if amount:
            clean[pollutant] = amount
    if not clean:
        raise AllocationError(_("Enter the new emission of at least one pollutant."))
    try:
        with transaction.atomic():
            project = ConstructionProject.objects.create(created_by=user, **data)
            NewEmission.objects.bulk_create(
                NewEmission(project=project, pollutant=p, amount=a) for p, a in clean.items()
            )
    except IntegrityError:
        raise AllocationError(
            _("EIA approval number %(n)s is already registered.") % {"n": data["eia_number"]}
        ) from None
    return project


def _may_request_for(user: User, project: ConstructionProject) -> bool:
    return user.pk == project.created_by_id or _may_enter_for(user, project.district)


def may_request_use(user: User, project: ConstructionProject) -> bool:
    """Who the request form is for: the maker, or anyone who may enter projects there."""
    return project.status == ConstructionStatus.DRAFT and _may_request_for(user, project)


WITHDRAWABLE = (ConstructionStatus.DRAFT, ConstructionStatus.REQUESTED)


def may_withdraw_use(user: User, project: ConstructionProject) -> bool:
    return user.pk == project.created_by_id and project.status in WITHDRAWABLE


def drawable_accounts(project: ConstructionProject) -> list[Entity]:
    """Whose quota a project may draw: its district's ledger and the municipal reserve."""
    bureau = Entity.objects.filter(kind=EntityKind.BUREAU).first()
    return [e for e in (project.district, bureau) if e is not None]


def request_use(
    *, project: ConstructionProject, user: User, lines: list[tuple[Entity, str, Decimal]]
) -> ConstructionProject:
    """Hold emission × ratio on each (entity, pollutant, emission covered) line; all lines or
    none. The lines of a pollutant must cover its whole new emission."""
    if not _may_request_for(user, project):
        raise AllocationError(_("You do not have permission to do this."))
    emissions = {e.pollutant: e.amount for e in project.emissions.all()}
    covered: dict[str, Decimal] = {}
    allowed = {e.pk for e in drawable_accounts(project)}
    clean = []
    for entity, pollutant, value in lines:
        if value in (None, ""):
            continue
        amount = ledger_services.to_amount(value, allow_zero=True, allow_negative=False)
        if not amount:
            continue
        if entity.pk not in allowed:
            raise AllocationError(
                _("%(e)s's quota cannot be drawn for this project.") % {"e": entity}
            )
        covered[pollutant] = covered.get(pollutant, Decimal(0)) + amount
        clean.append((entity, pollutant, amount))
    for pollutant, emission in emissions.items():
        if covered.get(pollutant, Decimal(0)) != emission:
            raise AllocationError(
                _("The lines cover %(c)s t of %(p)s, the project adds %(e)s t; they must match.")
                % {
                    "c": covered.get(pollutant, Decimal("0.000")),
                    "p": Pollutant(pollutant).symbol,
                    "e": emission,
                }
            )
    if set(covered) - set(emissions):
        raise AllocationError(_("A line names a pollutant the project does not emit."))
    today = timezone.localdate()
    with transaction.atomic():
        project = ConstructionProject.objects.select_for_update().get(pk=project.pk)
        if project.status != ConstructionStatus.DRAFT:
            raise AllocationError(_("Quota was already requested for this project."))
        accounts = {
            (entity.pk, pollutant): ledger_services.entity_account(entity, pollutant)
            for entity, pollutant, _amount in clean
        }
        ledger_services.lock_accounts(a.pk for a in accounts.values())
        for index, (entity, pollutant, emission) in enumerate(clean):
            ratio = ratio_in_force(pollutant, project.area_status, today)
            drawn = (emission * ratio.ratio).quantize(
                ledger_services.QUANTUM, rounding=ROUND_CEILING
            )
            account = accounts[(entity.pk, pollutant)]
            hold = ledger_services.place_hold(
                account=account,
                amount=drawn,
                user=user,
                reason=_("Construction project %(name)s (%(eia)s)")
                % {"name": project.name, "eia": project.eia_number},
                reference=project,
                idempotency_key=f"use:{project.pk}:{index}",
            )
            UseLine.objects.create(
                project=project,
                account=account,
                pollutant=pollutant,
                emission=emission,
                ratio=ratio.ratio,
                amount=drawn,
                hold=hold,
            )
        project.status = ConstructionStatus.REQUESTED
        project.save(update_fields=["status"])
    return project


def may_decide_line(user: User, line: UseLine) -> bool:
    """The holding entity's approver decides its line (municipal for the reserve)."""
    entity = line.account.entity
    if entity.kind in (EntityKind.BUREAU, EntityKind.ENTERPRISE):
        return user.has_role(Role.MUNICIPAL_APPROVER)
    return user.has_role(Role.DISTRICT_APPROVER) and user.entity_id == entity.pk


def _open_lines(project: ConstructionProject) -> list[UseLine]:
    return [
        line
        for line in project.lines.select_related("account__entity", "hold")
        if line.hold.status == HoldStatus.ACTIVE
    ]


def may_decide_use(user: User, project: ConstructionProject) -> bool:
    """Something of this request waits for this user; the maker never decides."""
    if user.pk == project.created_by_id or project.status != ConstructionStatus.REQUESTED:
        return False
    return any(may_decide_line(user, line) for line in _open_lines(project))


def _lock_project(project: ConstructionProject, user: User) -> tuple[ConstructionProject, list]:
    project = ConstructionProject.objects.select_for_update().get(pk=project.pk)
    lines = _open_lines(project)
    if project.status != ConstructionStatus.REQUESTED or not lines:
        return project, []
    if not may_decide_use(user, project):
        raise AllocationError(_("This request is not yours to decide."))
    return project, lines


def approve_use(
    *, project: ConstructionProject, user: User, comment: str = ""
) -> ConstructionProject:
    """Consume the holds on the user's lines as USE postings; the project is approved when
    every line is. A repeated approval posts nothing more."""
    with transaction.atomic():
        project, lines = _lock_project(project, user)
        mine = [line for line in lines if may_decide_line(user, line)]
        for line in mine:
            ledger_services.consume_hold(
                hold=line.hold, user=project.created_by, approver=user, memo=project.eia_number
            )
        if mine and len(mine) == len(lines):
            project.status = ConstructionStatus.APPROVED
            project.decided_by = user
            project.decided_at = timezone.now()
            project.decision_comment = comment
            project.save()
    return project


def reject_use(*, project: ConstructionProject, user: User, comment: str) -> ConstructionProject:
    """Refuse the request: every hold still open is released."""
    if not (comment or "").strip():
        raise AllocationError(_("Say why the request is rejected."))
    with transaction.atomic():
        project, lines = _lock_project(project, user)
        if not lines:
            return project
        for line in lines:
            ledger_services.release_hold(hold=line.hold, user=user)
        project.status = ConstructionStatus.REJECTED
        project.decided_by = user
        project.decided_at = timezone.now()
        project.decision_comment = comment.strip()
        project.save()
    return project


def withdraw_use(*, project: ConstructionProject, user: User) -> ConstructionProject:
    with transaction.atomic():
        project = ConstructionProject.objects.select_for_update().get(pk=project.pk)
        if user.pk != project.created_by_id:
            raise AllocationError(_("Only the person who entered the project can withdraw it."))
        if project.status not in WITHDRAWABLE:
            raise AllocationError(_("This project can no longer be withdrawn."))
        for line in project.lines.select_related("hold"):
            ledger_services.release_hold(hold=line.hold, user=user)
        project.status = ConstructionStatus.WITHDRAWN
        project.save(update_fields=["status"])
    return project
