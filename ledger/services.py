"""Every write to the ledger goes through these functions.

Each write runs in one ``transaction.atomic()`` and locks the accounts it touches with
``select_for_update()`` in ascending id order (then holds), so concurrent writers never
deadlock and always see the balance they check. The same rules hold on SQLite; on
PostgreSQL the database re-checks them with triggers at commit.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    QUANTUM,
    ROLE_ENTITY_KINDS,
    Account,
    AdjustmentProposal,
    AdjustmentStatus,
    Entity,
    Entry,
    Hold,
    HoldStatus,
    Pollutant,
    Role,
    RoleAssignment,
    SystemAccountKind,
    Transaction,
    TransactionKind,
    User,
    exact_amount,
)


class LedgerError(Exception):
    """A refusal a user can act on; ``str()`` is the translated message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidAmount(LedgerError):
    pass


class UnbalancedTransaction(LedgerError):
    pass


class InsufficientQuota(LedgerError):
    def __init__(self, account: Account, available: Decimal, requested: Decimal):
        super().__init__(
            _(
                "Insufficient available quota in %(account)s: %(available)s t available, "
                "%(requested)s t requested."
            )
            % {"account": account, "available": available, "requested": requested}
        )
        self.account = account
        self.available = available
        self.requested = requested


class AccountClosed(LedgerError):
    pass


class ReversalNotAllowed(LedgerError):
    pass


class DuplicateReversal(ReversalNotAllowed):
    pass


class FourEyesViolation(LedgerError):
    pass


class HoldStateError(LedgerError):
    pass


class RoleNotAllowed(LedgerError):
    pass


@dataclass(frozen=True)
class Leg:
    account: Account
    amount: Decimal


def to_amount(value, *, allow_zero: bool = False, allow_negative: bool = True) -> Decimal:
    """Parse a tonnes figure exactly: at most three decimal places, never a float."""
    if isinstance(value, float):
        raise InvalidAmount(_("Amounts must be exact decimals, not floating point numbers."))
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidAmount(_("“%(value)s” is not a number.") % {"value": value}) from None
    if not amount.is_finite():
        raise InvalidAmount(_("“%(value)s” is not a number.") % {"value": value})
    if amount != amount.quantize(QUANTUM):
        raise InvalidAmount(
            _("Amounts are kept to the kilogram: at most three decimal places (%(value)s).")
            % {"value": value}
        )
    if amount.adjusted() >= 15:
        raise InvalidAmount(_("%(value)s t is too large.") % {"value": value})
    if not allow_zero and amount == 0:
        raise InvalidAmount(_("The amount must not be zero."))
    if not allow_negative and amount < 0:
        raise InvalidAmount(_("The amount must be positive."))
    return amount.quantize(QUANTUM)


def _reference_fields(reference: models.Model | None, reference_text: str) -> dict:
    if reference is None:
        return {"reference_type": None, "reference_id": "", "reference_text": reference_text}
    return {
        "reference_type": ContentType.objects.get_for_model(reference),
        "reference_id": str(reference.pk),
        "reference_text": reference_text or str(reference)[:200],
    }


def lock_accounts(account_ids: Iterable[int]) -> dict[int, Account]:
    """Lock the given accounts in ascending id order and return them fresh from the DB."""
    ids = sorted(set(account_ids))
    locked = {
        a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    if len(locked) != len(ids):
        raise LedgerError(_("An account of this transaction does not exist."))
    return locked


def _posted_with_keys(keys: Sequence[str]) -> dict[str, Transaction]:
    """Transactions already posted under these idempotency keys (one query if none)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Transaction._meta.db_table} WHERE idempotency_key IN "
            f"({', '.join(['%s'] * len(keys))})",
            list(keys),
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return {}
    return {t.idempotency_key: t for t in Transaction.objects.filter(pk__in=ids)}


def _lock_positions(account_ids: Iterable[int]) -> dict[int, tuple[Decimal, Decimal, bool, bool]]:
    """Lock accounts in ascending id order; return (balance, held, may_go_negative, open).

    The posting hot path uses this instead of lock_accounts(): plain SQL on Django's own
    connection, because compiling ORM queries cost more than the database work
    (bench/ledger_post.py)."""
    ids = sorted(set(account_ids))
    sql = (
        f"SELECT id, balance, held, may_go_negative, is_active FROM {Account._meta.db_table}"
        f" WHERE id IN ({', '.join(['%s'] * len(ids))}) ORDER BY id"
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        rows = cursor.fetchall()
    if len(rows) != len(ids):
        raise LedgerError(_("An account of this transaction does not exist."))
    return {
        pk: (exact_amount(balance), exact_amount(held), bool(negative), bool(active))
        for pk, balance, held, negative, active in rows
    }


def _check_legs(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise UnbalancedTransaction(_("A transaction needs at least two legs."))
    if len({leg.account.pk for leg in legs}) != len(legs):
        raise UnbalancedTransaction(_("An account may appear only once in a transaction."))
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        to_amount(leg.amount)
        totals[leg.account.pollutant] += leg.amount
    unbalanced = [Pollutant(p).symbol for p, total in totals.items() if total != 0]
    if unbalanced:
        raise UnbalancedTransaction(
            _("The legs do not sum to zero for %(pollutants)s.")
            % {"pollutants": ", ".join(unbalanced)}
        )


@dataclass(frozen=True)
class Posting:
    """One transaction to post: its kind, legs, key and what caused it."""

    kind: str
    legs: Sequence[Leg]
    idempotency_key: str
    reference: models.Model | None = None
    reference_text: str = ""
    memo: str = ""
    effective_date: datetime.date | None = None
    reverses: Transaction | None = None
    paired_with: Transaction | None = None


def post(
    *,
    kind: str,
    legs: Sequence[Leg],
    idempotency_key: str,
    user: User,
    approver: User | None = None,
    reference: models.Model | None = None,
    reference_text: str = "",
    memo: str = "",
    effective_date: datetime.date | None = None,
    reverses: Transaction | None = None,
    paired_with: Transaction | None = None,
) -> Transaction:
    """Post a balanced transaction. A repeated idempotency key returns the first posting."""
    posting = Posting(
        kind=kind,
        legs=legs,
        idempotency_key=idempotency_key,
        reference=reference,
        reference_text=reference_text,
        memo=memo,
        effective_date=effective_date,
        reverses=reverses,
        paired_with=paired_with,
    )
    return post_batch(postings=[posting], user=user, approver=approver)[0]


# Rows per INSERT: six parameters each stays under SQLite's oldest variable limit (999).
ENTRY_ROWS_PER_INSERT = 150


def _check_posting(posting: Posting, user: User, approver: User | None) -> None:
    _check_legs(posting.legs)
    if posting.kind == TransactionKind.ADJUSTMENT and approver is None:
        raise FourEyesViolation(_("An adjustment needs an approver."))
    if approver is not None and approver.pk == user.pk:
        raise FourEyesViolation(_("The approver must be a different person from the maker."))
    if not posting.idempotency_key:
        raise LedgerError(_("A posting needs an idempotency key."))


def post_batch(
    *, postings: Sequence[Posting], user: User, approver: User | None = None
) -> list[Transaction]:
    """Post many balanced transactions, all or none, in one database transaction.

    Every account is locked once, in ascending id order; running balances follow the order
    of the postings. A posting whose key was used before returns the first posting.
    """
    keys = [p.idempotency_key for p in postings]
    for posting in postings:
        _check_posting(posting, user, approver)
    if len(set(keys)) != len(keys):
        raise LedgerError(_("Two postings of one batch share an idempotency key."))
    try:
        with transaction.atomic():
            positions = _lock_positions(leg.account.pk for p in postings for leg in p.legs)
            existing = _posted_with_keys(keys)
            fresh = [p for p in postings if p.idempotency_key not in existing]
            balances = {pk: position[0] for pk, position in positions.items()}
            after: list[list[Decimal]] = []
            for posting in fresh:
                after.append([])
                for leg in posting.legs:
                    _balance, held, may_go_negative, is_open = positions[leg.account.pk]
                    if not is_open:
                        raise AccountClosed(
                            _("Account %(account)s is closed.") % {"account": leg.account}
                        )
                    current = balances[leg.account.pk]
                    if not may_go_negative and current + leg.amount - held < 0:
                        raise InsufficientQuota(leg.account, current - held, -leg.amount)
                    balances[leg.account.pk] = current + leg.amount
                    after[-1].append(current + leg.amount)
            today = timezone.localdate()
            created = Transaction.objects.bulk_create(
                Transaction(
                    kind=p.kind,
                    effective_date=p.effective_date or today,
                    memo=p.memo,
                    idempotency_key=p.idempotency_key,
                    posted_by=user,
                    approved_by=approver,
                    reverses=p.reverses,
                    paired_with=p.paired_with,
                    **_reference_fields(p.reference, p.reference_text),
                )
                for p in fresh
            )
            _insert_entries(
                [
                    (
                        txn.pk,
                        leg.account.pk,
                        leg.account.pollutant,
                        leg.amount,
                        balance,
                        txn.effective_date,
                    )
                    for txn, posting, legs_after in zip(created, fresh, after, strict=True)
                    for leg, balance in zip(posting.legs, legs_after, strict=True)
                ]
            )
            touched = {leg.account.pk for p in fresh for leg in p.legs}
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {Account._meta.db_table} SET balance = %s WHERE id = %s",
                    [(balances[pk], pk) for pk in sorted(touched)],
                )
    except IntegrityError:
        # A concurrent request with the same keys won the race: return its postings.
        found = _posted_with_keys(keys)
        if len(found) != len(keys):
            raise
        return [found[k] for k in keys]
    by_key = {txn.idempotency_key: txn for txn in created}
    return [existing.get(k) or by_key[k] for k in keys]


def _insert_entries(rows: list[tuple]) -> None:
    """Legs as plain multi-row INSERTs: the ORM's bulk_create costs more than the work."""
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ENTRY_ROWS_PER_INSERT):
            chunk = rows[start : start + ENTRY_ROWS_PER_INSERT]
            cursor.execute(
                f"INSERT INTO {Entry._meta.db_table} (transaction_id, account_id, pollutant,"
                " amount, balance_after, effective_date) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk)),
                [value for row in chunk for value in row],
            )


def system_account(kind: str, pollutant: str) -> Account:
    account, _created = Account.objects.get_or_create(
        entity=None,
        system_kind=kind,
        pollutant=pollutant,
        defaults={"may_go_negative": True},
    )
    return account


def entity_account(entity: Entity, pollutant: str) -> Account:
    account, _created = Account.objects.get_or_create(
        entity=entity, pollutant=pollutant, defaults={"system_kind": ""}
    )
    return account


def entity_accounts(pairs: Iterable[tuple[Entity, str]]) -> dict[tuple[int, str], Account]:
    """The accounts of many (entity, pollutant) pairs, created where missing: two or three
    queries however many pairs."""
    wanted = {(entity.pk, pollutant) for entity, pollutant in pairs}
    entity_ids = {entity_id for entity_id, _pollutant in wanted}

    def fetch() -> dict[tuple[int, str], Account]:
        return {
            (a.entity_id, a.pollutant): a
            for a in Account.objects.filter(entity_id__in=entity_ids)
            if (a.entity_id, a.pollutant) in wanted
        }

    found = fetch()
    missing = wanted - found.keys()
    if missing:
        Account.objects.bulk_create(
            [Account(entity_id=e, pollutant=p, system_kind="") for e, p in sorted(missing)],
            ignore_conflicts=True,
        )
        found = fetch()
    return found


def _check_pollutant(pollutant: str) -> str:
    if pollutant not in Pollutant.values:
        raise LedgerError(_("Unknown pollutant “%(p)s”.") % {"p": pollutant})
    return pollutant


def credit_entity(
    *,
    kind: str,
    source: str,
    entity: Entity,
    pollutant: str,
    amount,
    idempotency_key: str,
    user: User,
    approver: User | None = None,
    reference: models.Model | None = None,
    reference_text: str = "",
    memo: str = "",
    effective_date: datetime.date | None = None,
) -> Transaction:
    """Credit an entity from a system account (allocation, certified credit, exchange)."""
    amount = to_amount(amount, allow_negative=False)
    _check_pollutant(pollutant)
    return post(
        kind=kind,
        legs=[
            Leg(system_account(source, pollutant), -amount),
            Leg(entity_account(entity, pollutant), amount),
        ],
        idempotency_key=idempotency_key,
        user=user,
        approver=approver,
        reference=reference,
        reference_text=reference_text,
        memo=memo,
        effective_date=effective_date,
    )


def acquire_from_exchange(
    *,
    entity: Entity,
    pollutant: str,
    amount,
    certificate_number: str,
    user: User,
    effective_date: datetime.date | None = None,
    memo: str = "",
) -> Transaction:
    """Record quota an entity bought through emission-rights trading (排污权交易)."""
    certificate_number = certificate_number.strip()
    if not certificate_number:
        raise LedgerError(_("The trade certificate number is required."))
    return credit_entity(
        kind=TransactionKind.TRADE_IN,
        source=SystemAccountKind.TRADING,
        entity=entity,
        pollutant=pollutant,
        amount=amount,
        idempotency_key=f"exchange:{certificate_number}:{pollutant}",
        user=user,
        reference_text=certificate_number,
        memo=memo,
        effective_date=effective_date,
    )


def transfer(
    *,
    seller: Entity,
    buyer: Entity,
    pollutant: str,
    amount,
    idempotency_key: str,
    user: User,
    reference_text: str = "",
    memo: str = "",
    effective_date: datetime.date | None = None,
) -> tuple[Transaction, Transaction]:
    """A trade between two entities: TRADE_OUT from the seller to the trading counterpart
    and TRADE_IN from the counterpart to the buyer, in one database transaction."""
    amount = to_amount(amount, allow_negative=False)
    _check_pollutant(pollutant)
    if seller.pk == buyer.pk:
        raise LedgerError(_("Seller and buyer must be different entities."))
    counterpart = system_account(SystemAccountKind.TRADING, pollutant)
    seller_account = entity_account(seller, pollutant)
    buyer_account = entity_account(buyer, pollutant)
    common = {
        "user": user,
        "reference_text": reference_text,
        "memo": memo,
        "effective_date": effective_date,
    }
    with transaction.atomic():
        lock_accounts([counterpart.pk, seller_account.pk, buyer_account.pk])
        out = post(
            kind=TransactionKind.TRADE_OUT,
            legs=[Leg(seller_account, -amount), Leg(counterpart, amount)],
            idempotency_key=f"{idempotency_key}:out",
            **common,
        )
        into = post(
            kind=TransactionKind.TRADE_IN,
            legs=[Leg(counterpart, -amount), Leg(buyer_account, amount)],
            idempotency_key=f"{idempotency_key}:in",
            paired_with=out,
            **common,
        )
    return out, into


def reverse(*, original: Transaction, reason: str, user: User) -> Transaction:
    """Correct a mistake by posting the opposite legs; nothing is edited or deleted.
    Reversing one half of a transfer reverses both halves."""
    reason = (reason or "").strip()
    if not reason:
        raise ReversalNotAllowed(_("A reversal needs a reason."))
    if original.kind == TransactionKind.REVERSAL:
        raise ReversalNotAllowed(_("A reversal cannot itself be reversed."))
    group = [original]
    if original.paired_with_id:
        group.append(original.paired_with)
    elif hasattr(original, "pair_of"):
        group.append(original.pair_of)
    with transaction.atomic():
        account_ids = Entry.objects.filter(transaction__in=group).values_list(
            "account_id", flat=True
        )
        lock_accounts(account_ids)
        if Transaction.objects.filter(reverses__in=group).exists():
            raise DuplicateReversal(
                _("Transaction #%(id)s has already been reversed.") % {"id": original.pk}
            )
        reversals = [
            post(
                kind=TransactionKind.REVERSAL,
                legs=[
                    Leg(entry.account, -entry.amount)
                    for entry in txn.entries.select_related("account")
                ],
                idempotency_key=f"reversal:{txn.pk}",
                user=user,
                reverses=txn,
                reference=txn,
                reference_text=_("Reversal of #%(id)s") % {"id": txn.pk},
                memo=reason,
            )
            for txn in sorted(group, key=lambda t: t.pk)
        ]
    return next(r for r in reversals if r.reverses_id == original.pk)


def place_hold(
    *,
    account: Account,
    amount,
    user: User,
    reason: str,
    reference: models.Model | None = None,
    reference_text: str = "",
    idempotency_key: str | None = None,
) -> Hold:
    """Reserve quota; refused when it exceeds what is available."""
    amount = to_amount(amount, allow_negative=False)
    with transaction.atomic():
        locked = lock_accounts([account.pk])[account.pk]
        if idempotency_key:
            existing = Hold.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        if not locked.is_active:
            raise AccountClosed(_("Account %(account)s is closed.") % {"account": locked})
        if locked.entity_id is None:
            raise LedgerError(_("Quota can be held only on an entity's account."))
        if amount > locked.available:
            raise InsufficientQuota(locked, locked.available, amount)
        hold = Hold.objects.create(
            account=locked,
            amount=amount,
            reason=reason,
            created_by=user,
            idempotency_key=idempotency_key,
            **_reference_fields(reference, reference_text),
        )
        Account.objects.filter(pk=locked.pk).update(held=locked.held + amount)
    return hold


def _lock_hold(hold: Hold, extra_account_ids: Sequence[int] = ()) -> tuple[Hold, dict]:
    locked_accounts = lock_accounts([hold.account_id, *extra_account_ids])
    return Hold.objects.select_for_update().get(pk=hold.pk), locked_accounts


def release_hold(*, hold: Hold, user: User) -> Hold:
    """Give held quota back (request rejected or withdrawn). Releasing twice is a no-op."""
    with transaction.atomic():
        hold, accounts = _lock_hold(hold)
        if hold.status == HoldStatus.RELEASED:
            return hold
        if hold.status != HoldStatus.ACTIVE:
            raise HoldStateError(_("This hold has already been consumed."))
        account = accounts[hold.account_id]
        Account.objects.filter(pk=account.pk).update(held=account.held - hold.amount)
        hold.status = HoldStatus.RELEASED
        hold.closed_by = user
        hold.closed_at = timezone.now()
        hold.save(update_fields=["status", "closed_by", "closed_at"])
    return hold


def consume_hold(
    *,
    hold: Hold,
    user: User,
    approver: User | None = None,
    memo: str = "",
    effective_date: datetime.date | None = None,
) -> Transaction:
    """Turn held quota into a USE posting to the consumption sink. Idempotent."""
    sink = system_account(SystemAccountKind.CONSUMPTION, hold.account.pollutant)
    with transaction.atomic():
        hold, accounts = _lock_hold(hold, [sink.pk])
        if hold.status == HoldStatus.CONSUMED:
            return hold.consumed_by
        if hold.status != HoldStatus.ACTIVE:
            raise HoldStateError(_("This hold has already been released."))
        account = accounts[hold.account_id]
        Account.objects.filter(pk=account.pk).update(held=account.held - hold.amount)
        txn = post(
            kind=TransactionKind.USE,
            legs=[Leg(account, -hold.amount), Leg(sink, hold.amount)],
            idempotency_key=f"hold:{hold.pk}:use",
            user=user,
            approver=approver,
            reference=hold,
            reference_text=hold.reference_text or hold.reason,
            memo=memo,
            effective_date=effective_date,
        )
        hold.status = HoldStatus.CONSUMED
        hold.closed_by = user
        hold.closed_at = timezone.now()
        hold.consumed_by = txn
        hold.save(update_fields=["status", "closed_by", "closed_at", "consumed_by"])
    return txn


def propose_adjustment(*, account: Account, amount, reason: str, user: User) -> AdjustmentProposal:
    amount = to_amount(amount)
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("An adjustment needs a reason."))
    return AdjustmentProposal.objects.create(
        account=account, amount=amount, reason=reason, proposed_by=user
    )


def _decide(proposal: AdjustmentProposal, approver: User) -> AdjustmentProposal:
    proposal = AdjustmentProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != AdjustmentStatus.PROPOSED:
        raise LedgerError(_("This adjustment has already been decided."))
    if proposal.proposed_by_id == approver.pk:
        raise FourEyesViolation(
            _("You proposed this adjustment; another municipal approver must decide it.")
        )
    return proposal


def approve_adjustment(
    *, proposal: AdjustmentProposal, approver: User, comment: str = ""
) -> Transaction:
    """Post an approved adjustment against the adjustments system account."""
    with transaction.atomic():
        proposal = _decide(proposal, approver)
        account = proposal.account
        contra = system_account(SystemAccountKind.ADJUSTMENT, account.pollutant)
        txn = post(
            kind=TransactionKind.ADJUSTMENT,
            legs=[Leg(account, proposal.amount), Leg(contra, -proposal.amount)],
            idempotency_key=f"adjustment:{proposal.pk}",
            user=proposal.proposed_by,
            approver=approver,
            reference=proposal,
            reference_text=_("Adjustment proposal #%(id)s") % {"id": proposal.pk},
            memo=proposal.reason,
        )
        proposal.status = AdjustmentStatus.APPROVED
        proposal.decided_by = approver
        proposal.decided_at = timezone.now()
        proposal.decision_comment = comment
        proposal.transaction = txn
        proposal.save()
    return txn


def reject_adjustment(
    *, proposal: AdjustmentProposal, approver: User, comment: str
) -> AdjustmentProposal:
    if not (comment or "").strip():
        raise LedgerError(_("Say why the adjustment is rejected."))
    with transaction.atomic():
        proposal = _decide(proposal, approver)
        proposal.status = AdjustmentStatus.REJECTED
        proposal.decided_by = approver
        proposal.decided_at = timezone.now()
        proposal.decision_comment = comment
        proposal.save()
    return proposal


def check_role_fits_entity(*, role: str, entity: Entity | None) -> None:
    allowed = ROLE_ENTITY_KINDS[Role(role)]
    if entity is None or entity.kind not in allowed:
        raise RoleNotAllowed(
            _("The role “%(role)s” cannot be held by a user of %(entity)s.")
            % {"role": Role(role).label, "entity": entity or _("no entity")}
        )


def set_roles(*, user: User, roles: Iterable[str]) -> None:
    """Give a user exactly these roles; each must fit the user's entity."""
    roles = set(roles)
    for role in roles:
        check_role_fits_entity(role=role, entity=user.entity)
    with transaction.atomic():
        user.role_assignments.exclude(role__in=roles).delete()
        have = set(user.role_assignments.values_list("role", flat=True))
        RoleAssignment.objects.bulk_create(
            RoleAssignment(user=user, role=role) for role in roles - have
        )
    user.__dict__.pop("roles", None)
