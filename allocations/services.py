"""Writes for targets, allocation rounds and construction projects' use of quota.

Approval of a round posts every line (allocations and recoveries) in one transaction; the use
of quota holds on request, consumes on approval of the last line, and releases on rejection,
withdrawal or expiry — the project's state and the ledger change together.
"""

import datetime
from decimal import ROUND_CEILING, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from ledger import services as ledger_services
from ledger.models import (
    ZERO,
    Entity,
    EntityKind,
    HoldStatus,
    Pollutant,
    Role,
    SystemAccountKind,
    TransactionKind,
    User,
)
from reductions.models import PlanPeriod

from . import selectors
from .models import (
    AllocationLine,
    AllocationRound,
    ConstructionProject,
    ConstructionStatus,
    LineKind,
    NewEmission,
    ReplacementRatio,
    RoundAction,
    RoundStatus,
    RoundStep,
    Target,
    TargetChange,
    UseLine,
)

# Longest comment or reason kept with a decision; longer input is refused, never cut.
MAX_COMMENT = 1000
OWNER_KINDS = (EntityKind.DISTRICT, EntityKind.COMMITTEE, EntityKind.ENTERPRISE)


class AllocationError(ledger_services.LedgerError):
    """A refusal of an allocation or use step; ``str()`` is the translated message."""

    code = "allocation_refused"


class AllocationForbidden(AllocationError):
    code = "forbidden"
    kind = "forbidden"


class MakerCannotDecide(AllocationError):
    """Maker–checker: whoever took an earlier step never takes the approving one."""

    code = "four_eyes_violation"
    kind = "forbidden"


class RequestExpired(AllocationError):
    code = "hold_expired"
    kind = "conflict"


class InvalidInput(AllocationError):
    code = "invalid_input"
    kind = "invalid"


class StateConflict(AllocationError):
    code = "state_conflict"
    kind = "conflict"


def _require(user: User, *roles: str) -> None:
    if not user.has_role(*roles):
        raise AllocationForbidden(_("You do not have permission to do this."))


def clean_comment(comment: str | None, *, required: bool = False, message: str = "") -> str:
    """A decision's comment or reason: refused when missing (if required) or too long."""
    comment = (comment or "").strip()
    if required and not comment:
        raise AllocationError(message or _("Say why."), code="reason_required")
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(
            _("The comment is %(length)s characters long; at most %(max)s are kept.")
            % {"length": len(comment), "max": MAX_COMMENT},
            code="comment_too_long",
        )
    return comment


def check_record_date(value: datetime.date, *, field: str, label: str) -> datetime.date:
    """A trade or intake date: not before the first plan period, not in the future."""
    today = timezone.localdate()
    if value > today:
        raise InvalidInput(
            code="date_in_future",
            field_errors={
                field: _("%(label)s %(date)s is in the future.")
                % {"label": label, "date": value.isoformat()}
            },
        )
    start = selectors.first_plan_day()
    if start is not None and value < start:
        raise InvalidInput(
            code="date_before_plan",
            field_errors={
                field: _("%(label)s %(date)s is before the first plan period (from %(start)s).")
                % {"label": label, "date": value.isoformat(), "start": start.isoformat()}
            },
        )
    return value


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
            raise AllocationError(
                code="reason_required", field_errors={"reason": _("Say why the target changes.")}
            )
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
            reason=reason,
            changed_by=user,
        )
    return target


# --- Allocation rounds (DESIGN.md §5) -------------------------------------------------------


def _step(round_: AllocationRound, action: str, user: User, comment: str = "") -> None:
    RoundStep.objects.create(round=round_, action=action, actor=user, comment=comment)


def draft_round(*, plan_period: PlanPeriod, as_of: datetime.date, user: User) -> AllocationRound:
    """Compute the §5 proposals and keep one line per entity × pollutant with something due
    (an allocation) or owed (a recovery, up to the entity's available quota now)."""
    _require(user, Role.MUNICIPAL_CLERK)
    if as_of > timezone.localdate():
        raise AllocationError(
            code="date_in_future",
            field_errors={"as_of": _("The as-of date cannot be in the future.")},
        )
    policy = selectors.policy_in_force(as_of)
    open_round = AllocationRound.objects.filter(
        plan_period=plan_period, status__in=[RoundStatus.DRAFT, RoundStatus.SUBMITTED]
    )
    if open_round.exists():
        raise AllocationError(_("A round of this plan period is still open."))
    rows = selectors.progress(period=plan_period, as_of=as_of, policy=policy)
    try:
        with transaction.atomic():
            round_ = AllocationRound.objects.create(
                plan_period=plan_period, as_of=as_of, policy=policy, created_by=user
            )
            lines = []
            for row in rows:
                common = {
                    "round": round_,
                    "entity": row.entity,
                    "pollutant": row.pollutant,
                    "key_certified": row.key,
                    "package_certified": row.package,
                    "target": row.target if row.target is not None else ZERO,
                    "due": row.due,
                    "already_allocated": row.allocated,
                }
                if row.give > 0:
                    lines.append(
                        AllocationLine(kind=LineKind.ALLOCATION, proposed=row.give, **common)
                    )
                elif row.owed > 0:
                    lines.append(
                        AllocationLine(
                            kind=LineKind.RECOVERY,
                            proposed=row.recover,
                            available=row.available,
                            **common,
                        )
                    )
            AllocationLine.objects.bulk_create(lines)
            _step(round_, RoundAction.DRAFT, user)
    except IntegrityError:
        # Another clerk opened one between the check and the insert.
        raise AllocationError(_("A round of this plan period is still open.")) from None
    return round_


def _lock(round_: AllocationRound) -> AllocationRound:
    return AllocationRound.objects.select_for_update().get(pk=round_.pk)


def adjust_line(*, line: AllocationLine, amount, reason: str, user: User) -> AllocationLine:
    """Lower a proposal (an allocation or a recovery), with a reason; never above it."""
    _require(user, Role.MUNICIPAL_CLERK)
    amount = ledger_services.to_amount(amount, allow_zero=True, allow_negative=False)
    reason = (reason or "").strip()
    if not reason:
        raise AllocationError(
            code="reason_required", field_errors={"reason": _("Say why the line is lowered.")}
        )
    if len(reason) > 300:
        raise InvalidInput(
            code="comment_too_long",
            field_errors={
                "reason": _("The reason is %(length)s characters long; at most %(max)s are kept.")
                % {"length": len(reason), "max": 300}
            },
        )
    with transaction.atomic():
        round_ = _lock(line.round)
        if round_.status != RoundStatus.DRAFT:
            raise AllocationError(_("Only a draft round can be adjusted."))
        line = AllocationLine.objects.select_related("entity").get(pk=line.pk)
        if amount > line.proposed:
            raise AllocationError(
                field_errors={
                    "amount": _(
                        "%(amount)s t is more than the %(due)s t due; a line can only be lowered."
                    )
                    % {"amount": amount, "due": line.proposed}
                }
            )
        line.adjusted = amount
        line.adjust_reason = reason
        line.adjusted_by = user
        line.save(update_fields=["adjusted", "adjust_reason", "adjusted_by"])
        _step(
            round_,
            RoundAction.ADJUST,
            user,
            _("%(entity)s %(symbol)s: %(amount)s — %(reason)s")
            % {
                "entity": line.entity.name,
                "symbol": Pollutant(line.pollutant).symbol,
                "amount": amount,
                "reason": reason,
            },
        )
    return line


def submit_round(*, round_: AllocationRound, user: User) -> AllocationRound:
    _require(user, Role.MUNICIPAL_CLERK)
    with transaction.atomic():
        round_ = _lock(round_)
        if round_.status != RoundStatus.DRAFT:
            raise AllocationError(_("Only a draft round can be submitted."))
        round_.status = RoundStatus.SUBMITTED
        round_.submitted_by = user
        round_.submitted_at = timezone.now()
        round_.save(update_fields=["status", "submitted_by", "submitted_at"])
        _step(round_, RoundAction.SUBMIT, user)
    return round_


def may_decide_round(user: User, round_: AllocationRound) -> bool:
    """A municipal approver who took no maker step of the round (drafted, lowered a line,
    submitted), even when holding the clerk role too."""
    return (
        round_.status == RoundStatus.SUBMITTED
        and user.has_role(Role.MUNICIPAL_APPROVER)
        and user.pk not in selectors.round_makers(round_)
    )


def _check_round_checker(round_: AllocationRound, user: User) -> None:
    if user.pk in selectors.round_makers(round_):
        raise MakerCannotDecide(
            _(
                "You drafted, lowered a line of or submitted this round; another municipal "
                "approver must decide it."
            )
        )


def _recovery_shortfalls(lines, accounts, locked) -> list[str]:
    short = []
    for line in lines:
        if not line.is_recovery:
            continue
        account = locked[accounts[(line.entity_id, line.pollutant)].pk]
        if account.available < line.amount:
            short.append(
                _("%(entity)s %(pollutant)s: %(amount)s t to recover, %(available)s t available")
                % {
                    "entity": line.entity,
                    "pollutant": Pollutant(line.pollutant).symbol,
                    "amount": line.amount,
                    "available": account.available,
                }
            )
    return short


def approve_round(*, round_: AllocationRound, approver: User, comment: str = "") -> AllocationRound:
    """Post every line in one transaction: an allocation from the national pool, a recovery
    back to it. A second approval (or a retry) posts nothing more.

    A recovery line takes what the entity had available when the round was drafted. If less
    is available now (quota used or held in between), the approval is refused, naming each
    such line with both figures: the approver returns the round and the clerk lowers those
    lines, so what posts is always exactly what was approved."""
    _require(approver, Role.MUNICIPAL_APPROVER)
    comment = clean_comment(comment)
    with transaction.atomic():
        round_ = _lock(round_)
        if round_.status == RoundStatus.APPROVED:
            return round_
        if round_.status != RoundStatus.SUBMITTED:
            raise AllocationError(_("Only a submitted round can be approved."))
        _check_round_checker(round_, approver)
        lines = [line for line in round_.lines.select_related("entity") if line.amount > 0]
        accounts = ledger_services.entity_accounts((line.entity, line.pollutant) for line in lines)
        pools = {
            p: ledger_services.system_account(SystemAccountKind.ALLOCATION_POOL, p)
            for p in {line.pollutant for line in lines}
        }
        locked = ledger_services.lock_accounts(
            [a.pk for a in accounts.values()] + [a.pk for a in pools.values()]
        )
        short = _recovery_shortfalls(lines, accounts, locked)
        if short:
            raise AllocationError(
                _(
                    "Less quota is available now than the round's recovery lines take: "
                    "%(lines)s. Return the round so that the clerk lowers these lines; what "
                    "cannot be recovered stays owed."
                )
                % {"lines": "；".join(short)},
                code="recovery_exceeds_available",
            )
        label = _("Allocation round #%(id)s") % {"id": round_.pk}
        postings = []
        for line in lines:
            account, pool = accounts[(line.entity_id, line.pollutant)], pools[line.pollutant]
            if line.is_recovery:
                kind, key = TransactionKind.RECOVERY, f"recovery:line:{line.pk}"
                legs = [
                    ledger_services.Leg(account, -line.amount),
                    ledger_services.Leg(pool, line.amount),
                ]
            else:
                kind, key = TransactionKind.ALLOCATION, f"allocation:line:{line.pk}"
                legs = [
                    ledger_services.Leg(pool, -line.amount),
                    ledger_services.Leg(account, line.amount),
                ]
            postings.append(
                ledger_services.Posting(
                    kind=kind,
                    legs=legs,
                    idempotency_key=key,
                    reference=round_,
                    reference_text=label,
                )
            )
        posted = ledger_services.post_batch(
            postings=postings, user=round_.submitted_by or round_.created_by, approver=approver
        )
        for line, txn in zip(lines, posted, strict=True):
            line.transaction = txn
        AllocationLine.objects.bulk_update(lines, ["transaction"])
        round_.status = RoundStatus.APPROVED
        round_.decided_by = approver
        round_.decided_at = timezone.now()
        round_.comment = comment
        round_.save()
        _step(round_, RoundAction.APPROVE, approver, comment)
    return round_


def return_round(*, round_: AllocationRound, approver: User, comment: str) -> AllocationRound:
    _require(approver, Role.MUNICIPAL_APPROVER)
    comment = clean_comment(comment, required=True, message=_("Say why the round is returned."))
    with transaction.atomic():
        round_ = _lock(round_)
        if round_.status != RoundStatus.SUBMITTED:
            raise AllocationError(_("Only a submitted round can be returned."))
        _check_round_checker(round_, approver)
        round_.status = RoundStatus.DRAFT
        round_.comment = comment
        round_.save(update_fields=["status", "comment"])
        _step(round_, RoundAction.RETURN, approver, comment)
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


def may_enter_for(user: User, owner: Entity) -> bool:
    """A municipal clerk for any owner; a district clerk for its district or committee; an
    enterprise user for its own enterprise."""
    if owner.kind not in OWNER_KINDS:
        return False
    if user.has_role(Role.MUNICIPAL_CLERK):
        return True
    if user.entity_id != owner.pk:
        return False
    if owner.kind == EntityKind.ENTERPRISE:
        return user.has_role(Role.ENTERPRISE_USER)
    return user.has_role(Role.DISTRICT_CLERK)


PROJECT_TEXT_LIMITS = {"name": 200, "builder": 200, "eia_number": 100}


def save_construction_project(
    *, user: User, data: dict, emissions: dict[str, Decimal | None]
) -> ConstructionProject:
    """Enter a construction project of a district, committee or municipal enterprise, with
    its new emissions per pollutant."""
    owner = data["owner"]
    if owner.kind not in OWNER_KINDS:
        raise AllocationError(
            _(
                "A construction project belongs to a district, a management committee or a "
                "municipal enterprise."
            ),
            code="owner_kind",
        )
    if not may_enter_for(user, owner):
        raise AllocationForbidden(
            _("You may not enter construction projects for %(d)s.") % {"d": owner}
        )
    data = {**data, **{k: (data.get(k) or "").strip() for k in PROJECT_TEXT_LIMITS}}
    for field, limit in PROJECT_TEXT_LIMITS.items():
        if not data[field] or len(data[field]) > limit:
            raise InvalidInput(
                code="invalid_text",
                field_errors={field: _("Enter between 1 and %(max)s characters.") % {"max": limit}},
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


REQUESTABLE = (ConstructionStatus.DRAFT, ConstructionStatus.EXPIRED)
WITHDRAWABLE = (ConstructionStatus.DRAFT, ConstructionStatus.REQUESTED, ConstructionStatus.EXPIRED)


def _may_request_for(user: User, project: ConstructionProject) -> bool:
    if user.pk == project.created_by_id:
        return user.has_role(Role.MUNICIPAL_CLERK, Role.DISTRICT_CLERK, Role.ENTERPRISE_USER)
    return may_enter_for(user, project.owner)


def may_request_use(user: User, project: ConstructionProject) -> bool:
    """Who the request form is for: the maker, or anyone who may enter projects there; a
    request that expired may be made again."""
    return project.status in REQUESTABLE and _may_request_for(user, project)


def may_withdraw_use(user: User, project: ConstructionProject) -> bool:
    return (
        user.pk in (project.created_by_id, project.requested_by_id)
        and project.status in WITHDRAWABLE
        and user.has_perm("allocations.enter_construction")
    )


def drawable_accounts(project: ConstructionProject) -> list[Entity]:
    """Whose quota a project may draw: its owner's ledger (which holds what it acquired by
    trading) and the municipal reserve."""
    bureau = Entity.objects.filter(kind=EntityKind.BUREAU).first()
    return [e for e in (project.owner, bureau) if e is not None]


def source_positions(project: ConstructionProject) -> dict[tuple[int, str], Decimal]:
    """Available quota (balance − held) of each drawable ledger per pollutant: one query."""
    from ledger.models import Account

    sources = drawable_accounts(project)
    available = {(e.pk, p): ZERO for e in sources for p in Pollutant.values}
    for account in Account.objects.filter(entity__in=sources):
        available[(account.entity_id, account.pollutant)] = account.available
    return available


def _hold_texts(project: ConstructionProject) -> tuple[str, str]:
    """The hold's reason (≤ 300) and the reference shown on postings (≤ 200)."""
    text = _("Construction project %(name)s (%(eia)s)") % {
        "name": project.name,
        "eia": project.eia_number,
    }
    return Truncator(text).chars(300), Truncator(text).chars(200)


def request_use(
    *, project: ConstructionProject, user: User, lines: list[tuple[Entity, str, Decimal]]
) -> ConstructionProject:
    """Hold emission × ratio on each (entity, pollutant, emission covered) line until the
    hold lifetime in force runs out; all lines or none. The lines of a pollutant must cover
    its whole new emission."""
    if not _may_request_for(user, project):
        raise AllocationForbidden(_("You do not have permission to do this."))
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
    now = timezone.now()
    lifetime = selectors.hold_policy_in_force(timezone.localdate()).lifetime_days
    expires_at = now + datetime.timedelta(days=lifetime)
    reason, reference_text = _hold_texts(project)
    with transaction.atomic():
        project = ConstructionProject.objects.select_for_update().get(pk=project.pk)
        if project.status not in REQUESTABLE:
            raise AllocationError(_("Quota was already requested for this project."))
        attempt = project.attempt + 1
        accounts = {
            (entity.pk, pollutant): ledger_services.entity_account(entity, pollutant)
            for entity, pollutant, _amount in clean
        }
        ledger_services.lock_accounts(a.pk for a in accounts.values())
        for index, (entity, pollutant, emission) in enumerate(clean):
            ratio = ratio_in_force(pollutant, project.area_status, now.date())
            drawn = (emission * ratio.ratio).quantize(
                ledger_services.QUANTUM, rounding=ROUND_CEILING
            )
            account = accounts[(entity.pk, pollutant)]
            hold = ledger_services.place_hold(
                account=account,
                amount=drawn,
                user=user,
                reason=reason,
                reference=project,
                reference_text=reference_text,
                idempotency_key=f"use:{project.pk}:{attempt}:{index}",
                expires_at=expires_at,
            )
            UseLine.objects.create(
                project=project,
                attempt=attempt,
                account=account,
                pollutant=pollutant,
                emission=emission,
                ratio=ratio.ratio,
                amount=drawn,
                hold=hold,
            )
        project.status = ConstructionStatus.REQUESTED
        project.attempt = attempt
        project.requested_by = user
        project.requested_at = now
        project.expires_at = expires_at
        project.save(
            update_fields=["status", "attempt", "requested_by", "requested_at", "expires_at"]
        )
    return project


def may_decide_line(user: User, line: UseLine) -> bool:
    """The holding entity's approver decides its line (municipal for the reserve and for a
    municipal enterprise's own ledger)."""
    entity = line.account.entity
    if entity.kind in (EntityKind.BUREAU, EntityKind.ENTERPRISE):
        return user.has_role(Role.MUNICIPAL_APPROVER)
    return user.has_role(Role.DISTRICT_APPROVER) and user.entity_id == entity.pk


def current_lines(project: ConstructionProject) -> list[UseLine]:
    """The lines of the latest request (an earlier one may have expired)."""
    return list(
        project.lines.filter(attempt=project.attempt).select_related(
            "account__entity", "hold", "approved_by"
        )
    )


def _open_lines(project: ConstructionProject, lines: list[UseLine] | None = None) -> list[UseLine]:
    return [
        line
        for line in (current_lines(project) if lines is None else lines)
        if line.hold.status == HoldStatus.ACTIVE and line.approved_by_id is None
    ]


def is_past_deadline(project: ConstructionProject, now=None) -> bool:
    return project.expires_at is not None and project.expires_at <= (now or timezone.now())


def _is_maker(user: User, project: ConstructionProject) -> bool:
    return user.pk in (project.created_by_id, project.requested_by_id)


def may_decide_use(user: User, project: ConstructionProject) -> bool:
    """Something of this request waits for this user; the maker or requester never decides."""
    if _is_maker(user, project) or project.status != ConstructionStatus.REQUESTED:
        return False
    return any(may_decide_line(user, line) for line in _open_lines(project))


def _check_decider(user: User, project: ConstructionProject, lines: list[UseLine]) -> None:
    if _is_maker(user, project):
        raise MakerCannotDecide(
            _("You entered or requested this project; another approver must decide it.")
        )
    if not any(may_decide_line(user, line) for line in lines):
        raise AllocationForbidden(_("This request is not yours to decide."))


def _refuse_expired(project: ConstructionProject) -> None:
    raise RequestExpired(
        _(
            "This request expired on %(date)s: its held quota is released and cannot be used. "
            "Request the quota again."
        )
        % {"date": timezone.localtime(project.expires_at).strftime("%Y-%m-%d %H:%M")}
    )


def _lock_accounts_of(lines: list[UseLine], *, with_sinks: bool = False) -> None:
    """Lock every account the request's lines touch, once, in id order, before resolving its
    holds one by one: otherwise two requests resolving lines on the same accounts in other
    orders could deadlock."""
    ids = [line.account_id for line in lines]
    if with_sinks:
        ids += [
            ledger_services.system_account(SystemAccountKind.CONSUMPTION, line.pollutant).pk
            for line in lines
        ]
    ledger_services.lock_accounts(ids)


def _release_holds(lines: list[UseLine], *, user: User | None, expire: bool = False) -> None:
    """Give back the quota of every still-open hold of these lines (released, or expired by
    the scheduled job)."""
    _lock_accounts_of(lines)
    close = ledger_services.expire_hold if expire else ledger_services.release_hold
    for line in lines:
        if line.hold.status == HoldStatus.ACTIVE:
            close(hold=line.hold, user=user)


def approve_use(
    *, project: ConstructionProject, user: User, comment: str = ""
) -> ConstructionProject:
    """Approve the user's lines of the request. When the last line is approved, every hold is
    consumed as a USE posting caused by the project, and the project is approved — in the
    same transaction. A repeated approval posts nothing more; an expired request is refused."""
    comment = clean_comment(comment)
    with transaction.atomic():
        project = ConstructionProject.objects.select_for_update().get(pk=project.pk)
        if project.status == ConstructionStatus.APPROVED:
            return project
        if project.status == ConstructionStatus.EXPIRED or (
            project.status == ConstructionStatus.REQUESTED and is_past_deadline(project)
        ):
            _refuse_expired(project)
        if project.status != ConstructionStatus.REQUESTED:
            raise StateConflict(
                _("This project is %(status)s; there is nothing to approve.")
                % {"status": project.get_status_display()},
                code="not_requested",
            )
        lines = current_lines(project)
        open_lines = _open_lines(project, lines)
        mine = [line for line in open_lines if may_decide_line(user, line)]
        if not mine and any(line.approved_by_id == user.pk for line in lines):
            return project
        _check_decider(user, project, open_lines)
        now = timezone.now()
        for line in mine:
            line.approved_by = user
            line.approved_at = now
            line.comment = comment
            line.save(update_fields=["approved_by", "approved_at", "comment"])
        if all(line.approved_by_id for line in lines):
            _lock_accounts_of(lines, with_sinks=True)
            for line in lines:
                ledger_services.consume_hold(
                    hold=line.hold,
                    user=project.requested_by,
                    approver=line.approved_by,
                    memo=project.eia_number,
                    reference=project,
                )
            project.status = ConstructionStatus.APPROVED
            project.decided_by = user
            project.decided_at = now
            project.decision_comment = comment
            project.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    return project


def reject_use(*, project: ConstructionProject, user: User, comment: str) -> ConstructionProject:
    """Refuse the request: every hold still open is released."""
    comment = clean_comment(comment, required=True, message=_("Say why the request is rejected."))
    with transaction.atomic():
        project = ConstructionProject.objects.select_for_update().get(pk=project.pk)
        if project.status == ConstructionStatus.REJECTED:
            return project
        if project.status != ConstructionStatus.REQUESTED:
            raise StateConflict(
                _("This project is %(status)s; there is nothing to reject.")
                % {"status": project.get_status_display()},
                code="not_requested",
            )
        _check_decider(user, project, _open_lines(project))
        _release_holds(current_lines(project), user=user)
        project.status = ConstructionStatus.REJECTED
        project.decided_by = user
        project.decided_at = timezone.now()
        project.decision_comment = comment
        project.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    return project


def withdraw_use(*, project: ConstructionProject, user: User) -> ConstructionProject:
    with transaction.atomic():
        project = ConstructionProject.objects.select_for_update().get(pk=project.pk)
        if user.pk not in (project.created_by_id, project.requested_by_id) or not user.has_perm(
            "allocations.enter_construction"
        ):
            raise AllocationForbidden(
                _("Only the person who entered or requested the project can withdraw it.")
            )
        if project.status not in WITHDRAWABLE:
            raise AllocationError(_("This project can no longer be withdrawn."))
        _release_holds(current_lines(project), user=user)
        project.status = ConstructionStatus.WITHDRAWN
        project.save(update_fields=["status"])
    return project


def expire_requests(*, now: datetime.datetime | None = None) -> list[int]:
    """Release the holds of every request past its deadline and mark it EXPIRED, one project
    per transaction (the scheduled job); the requester is told after commit. Returns the ids
    of the projects expired now; running it again expires nothing more."""
    from .tasks import notify_use_expired

    now = now or timezone.now()
    expired = []
    due = ConstructionProject.objects.filter(
        status=ConstructionStatus.REQUESTED, expires_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            project = ConstructionProject.objects.select_for_update().get(pk=pk)
            if project.status != ConstructionStatus.REQUESTED or not is_past_deadline(project, now):
                continue
            _release_holds(current_lines(project), user=None, expire=True)
            project.status = ConstructionStatus.EXPIRED
            project.save(update_fields=["status"])
            transaction.on_commit(lambda pk=pk: notify_use_expired.delay(pk))
        expired.append(pk)
    return expired
