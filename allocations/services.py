"""Writes for targets and allocation rounds. Approval posts every line in one transaction."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import services as ledger_services
from ledger.models import Entity, Role, SystemAccountKind, User
from reductions.models import PlanPeriod

from . import selectors
from .models import AllocationLine, AllocationRound, RoundStatus, Target, TargetChange


class AllocationError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


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
        lines = list(round_.lines.select_related("entity"))
        for line in lines:
            if line.amount <= 0:
                continue
            line.transaction = ledger_services.credit_entity(
                kind="ALLOCATION",
                source=SystemAccountKind.ALLOCATION_POOL,
                entity=line.entity,
                pollutant=line.pollutant,
                amount=line.amount,
                idempotency_key=f"allocation:line:{line.pk}",
                user=round_.created_by,
                approver=approver,
                reference=round_,
                reference_text=_("Allocation round #%(id)s") % {"id": round_.pk},
                effective_date=timezone.localdate(),
            )
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
