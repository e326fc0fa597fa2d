"""Writes for trade records (排污权交易, 四(三)) and the municipal reserve's intake (储备库).

Both are maker–checker records: one person records (with evidence), a municipal approver —
never the same person — confirms, and the confirmation posts to the ledger in the same
database transaction. A confirmed record is corrected only by reversing the record itself
(``allocations.corrections``).
"""

import datetime
import os
import unicodedata

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ledger import files
from ledger import services as ledger_services
from ledger.models import Entity, EntityKind, Pollutant, Role, SystemAccountKind, User

from .models import (
    LIVE_STATUSES,
    RecordStatus,
    ReserveIntake,
    ReserveSource,
    TradeDirection,
    TradeRecord,
)
from .services import (
    AllocationError,
    AllocationForbidden,
    InvalidInput,
    MakerCannotDecide,
    StateConflict,
    check_record_date,
    clean_comment,
    may_enter_for,
)

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


class DuplicateCertificate(AllocationError):
    code = "duplicate_certificate"
    kind = "conflict"


def normalise_number(value: str) -> str:
    """Certificate numbers compare as written on paper: full-width forms folded (NFKC),
    spaces dropped, letters upper-case."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


def check_evidence(upload) -> str:
    """The evidence file's original name, once its size and type (from its bytes) pass."""
    if not upload:
        raise InvalidInput(
            code="evidence_required", field_errors={"evidence": _("Attach the evidence file.")}
        )
    # Control characters (a NUL, for one) never reach the database or a download header.
    name = "".join(
        c for c in os.path.basename(upload.name or "") if unicodedata.category(c) != "Cc"
    )
    extension = os.path.splitext(name)[1].lower()
    kind = files.kind_for_extension(name)
    if kind is None:
        raise InvalidInput(
            code="evidence_type",
            field_errors={"evidence": _("Evidence must be a PDF, PNG, JPEG or XLSX file.")},
        )
    if upload.size > MAX_EVIDENCE_BYTES:
        raise InvalidInput(
            code="evidence_too_large",
            field_errors={"evidence": _("The file is larger than 10 MB.")},
        )
    # The same check from the bytes as project evidence: a ZIP renamed .xlsx is refused.
    if files.detected_type(upload) != kind:
        raise InvalidInput(
            code="evidence_type",
            field_errors={
                "evidence": _("The file's content is not a %(type)s file.")
                % {"type": extension[1:].upper()}
            },
        )
    if len(name) > 255:
        name = name[: 255 - len(extension)] + extension
    return name


def _amount(value):
    try:
        return ledger_services.to_amount(value, allow_negative=False)
    except ledger_services.InvalidAmount as error:
        raise InvalidInput(code=error.code, field_errors={"amount": str(error)}) from None


def _pollutant(value: str) -> str:
    if value not in Pollutant.values:
        raise InvalidInput(
            code="unknown_pollutant",
            field_errors={"pollutant": _("Unknown pollutant “%(p)s”.") % {"p": value}},
        )
    return value


def _text(value: str, *, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise InvalidInput(
            code="invalid_text",
            field_errors={field: _("Enter between 1 and %(max)s characters.") % {"max": limit}},
        )
    return value


def _save_with_evidence(record, upload, name: str):
    """Store the file under a random name and the record, all or nothing."""
    record.evidence_name = name
    record.evidence.save(name, upload, save=False)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        record.evidence.delete(save=False)
        raise
    return record


def _lock(model, record):
    return model.objects.select_for_update().get(pk=record.pk)


def _check_checker(record, user: User, message: str) -> None:
    if record.proposed_by_id == user.pk:
        raise MakerCannotDecide(message)


def _check_open(record) -> None:
    if record.status != RecordStatus.PROPOSED:
        raise StateConflict(
            _("This record is %(status)s; only a record awaiting confirmation can be decided.")
            % {"status": record.get_status_display()},
            code="record_decided",
        )


def _mark(record, status: str, user: User, comment: str, txn=None) -> None:
    record.status = status
    record.decided_by = user
    record.decided_at = timezone.now()
    record.decision_comment = comment
    record.transaction = txn
    record.save(
        update_fields=["status", "decided_by", "decided_at", "decision_comment", "transaction"]
    )


# --- Trade records -----------------------------------------------------------------------


def may_record_trade_for(user: User, entity: Entity) -> bool:
    """The entity's own district clerk or enterprise user, or a municipal clerk: the same
    people who enter its construction projects."""
    return may_enter_for(user, entity)


def _earlier_record(number: str, direction: str) -> TradeRecord | None:
    return (
        TradeRecord.objects.filter(
            certificate_number=number, direction=direction, status__in=LIVE_STATUSES
        )
        .select_related("entity")
        .first()
    )


def _duplicate(earlier: TradeRecord, user: User) -> DuplicateCertificate:
    """The refusal naming the earlier record — in full only to whom may see that record;
    anyone else learns that the number is taken, not another entity's trade."""
    from .selectors import visible_trade_records

    if not visible_trade_records(user).filter(pk=earlier.pk).exists():
        return DuplicateCertificate(
            _(
                "Certificate number %(number)s was already recorded (%(direction)s) by another "
                "entity. A certificate is recorded once; if this is a mistake, ask the "
                "municipal bureau."
            )
            % {"number": earlier.certificate_number, "direction": earlier.get_direction_display()}
        )
    return DuplicateCertificate(
        _(
            "Certificate number %(number)s was already recorded (%(direction)s) in trade "
            "record #%(id)s: %(entity)s, %(pollutant)s %(amount)s t, %(date)s, %(status)s. "
            "A certificate is recorded once."
        )
        % {
            "number": earlier.certificate_number,
            "direction": earlier.get_direction_display(),
            "id": earlier.pk,
            "entity": earlier.entity,
            "pollutant": Pollutant(earlier.pollutant).symbol,
            "amount": earlier.amount,
            "date": earlier.trade_date.isoformat(),
            "status": earlier.get_status_display(),
        },
        record_id=earlier.pk,
    )


def _refuse_oversell(entity: Entity, pollutant: str, amount, account) -> None:
    raise AllocationError(
        _(
            "%(entity)s cannot sell %(amount)s t of %(pollutant)s: %(available)s t is "
            "available (balance %(balance)s t, held %(held)s t)."
        )
        % {
            "entity": entity,
            "amount": amount,
            "pollutant": Pollutant(pollutant).symbol,
            "available": account.available,
            "balance": account.balance,
            "held": account.held,
        },
        code="insufficient_quota",
    )


def record_trade(
    *,
    user: User,
    entity: Entity,
    direction: str,
    certificate_number: str,
    counterparty: str,
    trade_date: datetime.date,
    pollutant: str,
    amount,
    evidence,
    memo: str = "",
) -> TradeRecord:
    """Record quota acquired or sold through emission-rights trading; a municipal approver
    confirms it before it posts. A certificate number already recorded for the same side of
    a trade is refused, naming the earlier record."""
    if not may_record_trade_for(user, entity):
        raise AllocationForbidden(
            _("You may not record trades for %(entity)s.") % {"entity": entity}
        )
    if direction not in TradeDirection.values:
        raise InvalidInput(
            code="invalid_direction", field_errors={"direction": _("Choose acquired or sold.")}
        )
    pollutant = _pollutant(pollutant)
    amount = _amount(amount)
    number = _text(normalise_number(certificate_number), field="certificate_number", limit=100)
    counterparty = _text(counterparty, field="counterparty", limit=200)
    check_record_date(trade_date, field="trade_date", label=_("Trade date"))
    memo = clean_comment(memo)
    name = check_evidence(evidence)
    if direction == TradeDirection.SOLD:
        account = ledger_services.entity_account(entity, pollutant)
        if account.available < amount:
            _refuse_oversell(entity, pollutant, amount, account)
    earlier = _earlier_record(number, direction)
    if earlier is not None:
        raise _duplicate(earlier, user)
    record = TradeRecord(
        entity=entity,
        direction=direction,
        certificate_number=number,
        counterparty=counterparty,
        trade_date=trade_date,
        pollutant=pollutant,
        amount=amount,
        memo=memo,
        proposed_by=user,
    )
    try:
        return _save_with_evidence(record, evidence, name)
    except IntegrityError:
        # Someone recorded the same number between the check and the insert.
        earlier = _earlier_record(number, direction)
        if earlier is None:
            raise
        raise _duplicate(earlier, user) from None


def confirm_trade(*, record: TradeRecord, user: User, comment: str = "") -> TradeRecord:
    """Post the trade: TRADE_IN from the trading counterpart into the entity's account, or
    TRADE_OUT from it (refused, with the figures, beyond its available quota)."""
    if not user.has_role(Role.MUNICIPAL_APPROVER):
        raise AllocationForbidden(_("You do not have permission to do this."))
    comment = clean_comment(comment)
    with transaction.atomic():
        record = _lock(TradeRecord, record)
        if record.status == RecordStatus.CONFIRMED:
            return record
        _check_open(record)
        _check_checker(
            record, user, _("You recorded this trade; another municipal approver must confirm it.")
        )
        account = ledger_services.entity_account(record.entity, record.pollutant)
        counterpart = ledger_services.system_account(SystemAccountKind.TRADING, record.pollutant)
        if record.direction == TradeDirection.ACQUIRED:
            kind = "TRADE_IN"
            legs = [
                ledger_services.Leg(counterpart, -record.amount),
                ledger_services.Leg(account, record.amount),
            ]
        else:
            kind = "TRADE_OUT"
            legs = [
                ledger_services.Leg(account, -record.amount),
                ledger_services.Leg(counterpart, record.amount),
            ]
        try:
            txn = ledger_services.post(
                kind=kind,
                legs=legs,
                idempotency_key=f"trade-record:{record.pk}",
                user=record.proposed_by,
                approver=user,
                reference=record,
                reference_text=str(record)[:200],
                memo="；".join(filter(None, [record.counterparty, record.memo])),
                effective_date=record.trade_date,
            )
        except ledger_services.InsufficientQuota as error:
            _refuse_oversell(record.entity, record.pollutant, record.amount, error.account)
        _mark(record, RecordStatus.CONFIRMED, user, comment, txn)
    return record


def _reject(model, record, user: User, comment: str, maker_message: str):
    """Refuse a record with a reason; nothing posts (a trade's number is free again)."""
    if not user.has_role(Role.MUNICIPAL_APPROVER):
        raise AllocationForbidden(_("You do not have permission to do this."))
    comment = clean_comment(comment, required=True, message=_("Say why the record is rejected."))
    with transaction.atomic():
        record = _lock(model, record)
        _check_open(record)
        _check_checker(record, user, maker_message)
        _mark(record, RecordStatus.REJECTED, user, comment)
    return record


def reject_trade(*, record: TradeRecord, user: User, comment: str) -> TradeRecord:
    return _reject(
        TradeRecord,
        record,
        user,
        comment,
        _("You recorded this trade; another municipal approver must decide it."),
    )


# --- Municipal reserve intake --------------------------------------------------------------


def reserve_entity() -> Entity:
    bureau = Entity.objects.filter(kind=EntityKind.BUREAU).first()
    if bureau is None:
        raise AllocationError(_("The municipal bureau is not set up."), code="no_bureau")
    return bureau


def record_reserve_intake(
    *,
    user: User,
    pollutant: str,
    amount,
    source: str,
    intake_date: datetime.date,
    evidence,
    source_other: str = "",
    memo: str = "",
) -> ReserveIntake:
    """A municipal clerk records quota entering the reserve, with its source and evidence."""
    if not user.has_role(Role.MUNICIPAL_CLERK):
        raise AllocationForbidden(_("You do not have permission to do this."))
    pollutant = _pollutant(pollutant)
    amount = _amount(amount)
    if source not in ReserveSource.values:
        raise InvalidInput(
            code="invalid_source", field_errors={"source": _("Choose where the quota comes from.")}
        )
    if source == ReserveSource.OTHER:
        source_other = _text(source_other, field="source_other", limit=200)
    check_record_date(intake_date, field="intake_date", label=_("Date"))
    memo = clean_comment(memo)
    name = check_evidence(evidence)
    reserve_entity()
    record = ReserveIntake(
        pollutant=pollutant,
        amount=amount,
        source=source,
        source_other=source_other if source == ReserveSource.OTHER else "",
        intake_date=intake_date,
        memo=memo,
        proposed_by=user,
    )
    return _save_with_evidence(record, evidence, name)


def confirm_reserve_intake(
    *, record: ReserveIntake, user: User, comment: str = ""
) -> ReserveIntake:
    """Post the intake: RESERVE_INTAKE from the reserve-intake issuance account into the
    bureau's (the reserve's) account."""
    if not user.has_role(Role.MUNICIPAL_APPROVER):
        raise AllocationForbidden(_("You do not have permission to do this."))
    comment = clean_comment(comment)
    with transaction.atomic():
        record = _lock(ReserveIntake, record)
        if record.status == RecordStatus.CONFIRMED:
            return record
        _check_open(record)
        _check_checker(
            record,
            user,
            _("You recorded this intake; another municipal approver must confirm it."),
        )
        txn = ledger_services.credit_entity(
            kind="RESERVE_INTAKE",
            source=SystemAccountKind.RESERVE_SOURCE,
            entity=reserve_entity(),
            pollutant=record.pollutant,
            amount=record.amount,
            idempotency_key=f"reserve-intake:{record.pk}",
            user=record.proposed_by,
            approver=user,
            reference=record,
            reference_text=f"{record} · {record.source_label}"[:200],
            memo=record.memo,
            effective_date=record.intake_date,
        )
        _mark(record, RecordStatus.CONFIRMED, user, comment, txn)
    return record


def reject_reserve_intake(*, record: ReserveIntake, user: User, comment: str) -> ReserveIntake:
    return _reject(
        ReserveIntake,
        record,
        user,
        comment,
        _("You recorded this intake; another municipal approver must decide it."),
    )
