"""Four-eyes corrections of the postings this app's records cause (DESIGN.md §4).

Each is proposed with a reason by one person and approved by another; approval reverses the
record's postings *through the record* and changes the record's state in the same database
transaction, so the ledger and the workflow never disagree:

- revoke an approved allocation round (its allocation and recovery lines);
- cancel a construction project's approved use (its USE postings; the project CANCELLED);
- reverse a confirmed trade record or a confirmed reserve intake.

It also tells the revoke-certification page what revoking a KEY or PACKAGE certification
does to what is due, allocated and owed (the next round's recovery, §5).
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ledger import corrections
from ledger import services as ledger_services
from ledger.models import EntityKind, Pollutant, Role, User

from . import selectors
from .models import (
    AllocationRound,
    ConstructionProject,
    ConstructionStatus,
    RecordStatus,
    ReserveIntake,
    RoundStatus,
    TradeDirection,
    TradeRecord,
)


def _reverse_through(record, txns, correction, approver: User) -> None:
    """Reverse the record's postings in one batch: every account locked once, in id order."""
    ledger_services.reverse_all(
        originals=txns,
        reason=correction.reason,
        user=correction.proposed_by,
        approver=approver,
        through=record,
    )


# --- Revoke an allocation round ----------------------------------------------------------


def may_propose_round(user: User, round_: AllocationRound) -> bool:
    return round_.status == RoundStatus.APPROVED and user.has_role(
        Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER
    )


def may_approve_round(user: User, round_: AllocationRound) -> bool:
    return round_.status == RoundStatus.APPROVED and user.has_role(Role.MUNICIPAL_APPROVER)


def check_round(round_: AllocationRound) -> None:
    if round_.status != RoundStatus.APPROVED:
        raise ledger_services.LedgerError(
            _("Only an approved round can be revoked."), code="round_not_approved"
        )


def _posted_lines(round_: AllocationRound):
    return round_.lines.exclude(transaction=None).select_related("entity", "transaction")


def preview_round(round_: AllocationRound) -> list[str]:
    lines = []
    for line in _posted_lines(round_):
        values = {
            "amount": line.amount,
            "pollutant": line.get_pollutant_display(),
            "entity": line.entity,
            "txn": line.transaction_id,
        }
        if line.is_recovery:
            lines.append(
                _(
                    "Give back %(amount)s t of %(pollutant)s to %(entity)s "
                    "(reversing recovery #%(txn)s)"
                )
                % values
            )
        else:
            lines.append(
                _("Take back %(amount)s t of %(pollutant)s from %(entity)s (reversing #%(txn)s)")
                % values
            )
    return lines


def perform_round(*, record: AllocationRound, correction, approver: User) -> None:
    _reverse_through(
        record, [line.transaction for line in _posted_lines(record)], correction, approver
    )
    record.status = RoundStatus.REVOKED
    record.comment = correction.reason
    record.save(update_fields=["status", "comment"])


REVOKE_ROUND = corrections.register(
    corrections.CorrectionAction(
        code="revoke_round",
        model=AllocationRound,
        label=gettext_lazy("Revoke the allocation round"),
        perform=perform_round,
        may_propose=may_propose_round,
        may_approve=may_approve_round,
        check=check_round,
        preview=preview_round,
        url_name="allocations:round",
        visible=lambda user: (
            AllocationRound.objects.all()
            if user.has_perm("allocations.see_rounds")
            else AllocationRound.objects.none()
        ),
    )
)


# --- Cancel a construction project's approved use ------------------------------------------


def _lines_with_use(project: ConstructionProject):
    return [
        line
        for line in project.lines.filter(attempt=project.attempt).select_related(
            "account__entity", "hold__consumed_by"
        )
        if line.hold.consumed_by_id
    ]


def may_propose_cancel(user: User, project: ConstructionProject) -> bool:
    """Municipal users, or the owner's own users (district clerk or approver, enterprise)."""
    if project.status != ConstructionStatus.APPROVED:
        return False
    if user.has_role(Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER):
        return True
    return user.entity_id == project.owner_id and user.has_role(
        Role.DISTRICT_CLERK, Role.DISTRICT_APPROVER, Role.ENTERPRISE_USER
    )


def may_approve_cancel(user: User, project: ConstructionProject) -> bool:
    """The municipal approver; a district approver when every line drew its own ledger."""
    if project.status != ConstructionStatus.APPROVED:
        return False
    if user.has_role(Role.MUNICIPAL_APPROVER):
        return True
    return (
        user.has_role(Role.DISTRICT_APPROVER)
        and user.entity_id == project.owner_id
        and project.owner.kind != EntityKind.ENTERPRISE
        and all(line.account.entity_id == project.owner_id for line in _lines_with_use(project))
    )


def check_cancel(project: ConstructionProject) -> None:
    if project.status != ConstructionStatus.APPROVED:
        raise ledger_services.LedgerError(
            _("Only an approved use can be cancelled."), code="use_not_approved"
        )


def preview_cancel(project: ConstructionProject) -> list[str]:
    lines = [
        _("Give back %(amount)s t to %(account)s (reversing use #%(txn)s)")
        % {"amount": line.amount, "account": line.account, "txn": line.hold.consumed_by_id}
        for line in _lines_with_use(project)
    ]
    lines.append(_("The project and its lines show as cancelled, with the reason."))
    return lines


def perform_cancel(*, record: ConstructionProject, correction, approver: User) -> None:
    _reverse_through(
        record, [line.hold.consumed_by for line in _lines_with_use(record)], correction, approver
    )
    record.status = ConstructionStatus.CANCELLED
    record.cancel_reason = correction.reason
    record.cancelled_at = timezone.now()
    record.save(update_fields=["status", "cancel_reason", "cancelled_at"])


def _lock_project(project: ConstructionProject) -> ConstructionProject:
    # Lock the project row only, not its owner's entity row.
    projects = ConstructionProject.objects.select_for_update(of=("self",))
    return projects.select_related("owner").get(pk=project.pk)


CANCEL_USE = corrections.register(
    corrections.CorrectionAction(
        code="cancel_use",
        model=ConstructionProject,
        label=gettext_lazy("Cancel the approved use"),
        perform=perform_cancel,
        may_propose=may_propose_cancel,
        may_approve=may_approve_cancel,
        check=check_cancel,
        preview=preview_cancel,
        url_name="allocations:construction",
        visible=lambda user: selectors.visible_construction_projects(user),
        lock=_lock_project,
    )
)


# --- Reverse a trade record or a reserve intake ------------------------------------------


def _check_confirmed(record) -> None:
    if record.status != RecordStatus.CONFIRMED or record.transaction_id is None:
        raise ledger_services.LedgerError(
            _("Only a confirmed record can be reversed."), code="record_not_confirmed"
        )


def _check_takeback(record, account, label) -> None:
    """Reversing a credit takes quota back: refused, with the figures, when it is gone."""
    account.refresh_from_db(fields=["balance", "held"])
    if account.available < record.amount:
        raise ledger_services.LedgerError(
            _(
                "%(account)s has %(available)s t available, less than the %(amount)s t this "
                "%(record)s credited; cancel what used it first."
            )
            % {
                "account": account,
                "available": account.available,
                "amount": record.amount,
                "record": label,
            },
            code="credit_used",
        )


def may_propose_trade_reversal(user: User, record: TradeRecord) -> bool:
    if record.status != RecordStatus.CONFIRMED:
        return False
    if user.has_role(Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER):
        return True
    return user.entity_id == record.entity_id and user.has_role(
        Role.DISTRICT_CLERK, Role.ENTERPRISE_USER
    )


def may_approve_record_reversal(user: User, record) -> bool:
    return record.status == RecordStatus.CONFIRMED and user.has_role(Role.MUNICIPAL_APPROVER)


def check_trade_reversal(record: TradeRecord) -> None:
    _check_confirmed(record)
    if record.direction == TradeDirection.ACQUIRED:
        account = ledger_services.entity_account(record.entity, record.pollutant)
        _check_takeback(record, account, _("trade record"))


def preview_trade_reversal(record: TradeRecord) -> list[str]:
    account = ledger_services.entity_account(record.entity, record.pollutant)
    amount = -record.amount if record.direction == TradeDirection.ACQUIRED else record.amount
    return [
        _("%(account)s: %(amount)s t (reversing #%(txn)s)")
        % {"account": account, "amount": amount, "txn": record.transaction_id},
        _("The record shows as reversed; its certificate number may be recorded again."),
    ]


def _perform_record_reversal(*, record, correction, approver: User) -> None:
    _reverse_through(record, [record.transaction], correction, approver)
    record.status = RecordStatus.REVERSED
    record.decision_comment = correction.reason
    record.save(update_fields=["status", "decision_comment"])


REVERSE_TRADE_RECORD = corrections.register(
    corrections.CorrectionAction(
        code="reverse_trade_record",
        model=TradeRecord,
        label=gettext_lazy("Reverse the trade record"),
        perform=_perform_record_reversal,
        may_propose=may_propose_trade_reversal,
        may_approve=may_approve_record_reversal,
        check=check_trade_reversal,
        preview=preview_trade_reversal,
        url_name="allocations:trade",
        visible=lambda user: selectors.visible_trade_records(user),
    )
)


def may_propose_intake_reversal(user: User, record: ReserveIntake) -> bool:
    return record.status == RecordStatus.CONFIRMED and user.has_role(
        Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER
    )


def check_intake_reversal(record: ReserveIntake) -> None:
    _check_confirmed(record)
    from .trades import reserve_entity

    account = ledger_services.entity_account(reserve_entity(), record.pollutant)
    _check_takeback(record, account, _("reserve intake"))


def preview_intake_reversal(record: ReserveIntake) -> list[str]:
    from .trades import reserve_entity

    account = ledger_services.entity_account(reserve_entity(), record.pollutant)
    return [
        _("%(account)s: %(amount)s t (reversing #%(txn)s)")
        % {"account": account, "amount": -record.amount, "txn": record.transaction_id},
    ]


REVERSE_RESERVE_INTAKE = corrections.register(
    corrections.CorrectionAction(
        code="reverse_reserve_intake",
        model=ReserveIntake,
        label=gettext_lazy("Reverse the reserve intake"),
        perform=_perform_record_reversal,
        may_propose=may_propose_intake_reversal,
        may_approve=may_approve_record_reversal,
        check=check_intake_reversal,
        preview=preview_intake_reversal,
        url_name="allocations:reserve_intake",
        visible=lambda user: selectors.visible_reserve_intakes(user),
    )
)


# --- What revoking a certification does to allocation (§5) -------------------------------


def revocation_effect(project) -> list[str]:
    """For a certified KEY or PACKAGE project: per pollutant, what is due before and after,
    what was allocated (net), and what the next round would recover or still give."""
    from reductions.models import Status, Tier

    if project.status != Status.CERTIFIED or project.tier not in (Tier.KEY, Tier.PACKAGE):
        return []
    certified = {a.pollutant for a in project.amounts.all() if a.certified}
    if not certified:
        return []
    as_of = timezone.localdate()
    try:
        now = selectors.progress(period=project.plan_period, as_of=as_of, entities=[project.owner])
        after = selectors.progress(
            period=project.plan_period,
            as_of=as_of,
            entities=[project.owner],
            exclude_projects=[project.pk],
        )
    except selectors.NoPolicy:
        return []
    lines = []
    for before, row in zip(now, after, strict=True):
        if row.pollutant not in certified:
            continue
        values = {
            "pollutant": Pollutant(row.pollutant).symbol,
            "before": before.due,
            "after": row.due,
            "allocated": row.allocated,
            "entity": row.entity,
            "recover": row.recover,
            "available": row.available,
            "owed": row.owed - row.recover,
            "give": row.give,
        }
        text = (
            _(
                "%(pollutant)s: due to %(entity)s %(before)s t → %(after)s t; allocated so far "
                "(net) %(allocated)s t."
            )
            % values
        )
        if row.owed > 0:
            text += " " + (
                _(
                    "The next allocation round will recover %(recover)s t (%(available)s t "
                    "available now)."
                )
                % values
            )
            if values["owed"] > 0:
                text += " " + (
                    _(
                        "%(owed)s t cannot be recovered now: it stays owed and is netted "
                        "against later allocations."
                    )
                    % values
                )
        else:
            text += " " + _("Nothing to recover; %(give)s t would still be due.") % values
        lines.append(text)
    return lines


corrections.add_preview("revoke_certification", revocation_effect)
