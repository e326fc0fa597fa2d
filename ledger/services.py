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

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import corrections, integrity
from .errors import DomainError
from .models import (
    QUANTUM,
    ROLE_ENTITY_KINDS,
    Account,
    AdjustmentProposal,
    AdjustmentStatus,
    Correction,
    CorrectionStatus,
    Entity,
    Entry,
    Hold,
    HoldStatus,
    Pollutant,
    Role,
    RoleAssignment,
    SequenceCounter,
    SystemAccountKind,
    Transaction,
    TransactionCommit,
    TransactionKind,
    User,
    exact_amount,
)


class LedgerError(DomainError):
    """A refusal a user can act on; ``str()`` is the translated message."""

    code = "ledger_error"


class InvalidAmount(LedgerError):
    code = "invalid_amount"
    kind = "invalid"


class UnbalancedTransaction(LedgerError):
    code = "unbalanced_transaction"
    kind = "invalid"


class InsufficientQuota(LedgerError):
    code = "insufficient_quota"

    def __init__(self, account: Account, available: Decimal, requested: Decimal):
        super().__init__(
            _(
                "Insufficient available quota in %(account)s: %(available)s t available, "
                "%(requested)s t requested."
            )
            % {"account": account, "available": available, "requested": requested},
            account_id=account.pk,
            available=str(available),
            requested=str(requested),
        )
        self.account = account
        self.available = available
        self.requested = requested


class AccountClosed(LedgerError):
    code = "account_closed"
    kind = "conflict"


class ReversalNotAllowed(LedgerError):
    code = "reversal_not_allowed"
    kind = "conflict"


class DuplicateReversal(ReversalNotAllowed):
    code = "already_reversed"


class FourEyesViolation(LedgerError):
    code = "four_eyes_violation"
    kind = "forbidden"


class HoldStateError(LedgerError):
    code = "hold_state"
    kind = "conflict"


class RoleNotAllowed(LedgerError):
    code = "role_not_allowed"
    kind = "invalid"


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


# Parameters per INSERT: stays under SQLite's oldest variable limit (999).
ENTRY_PARAMETERS_PER_INSERT = 980


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
    if not postings:
        return []
    keys = [p.idempotency_key for p in postings]
    for posting in postings:
        _check_posting(posting, user, approver)
    if len(set(keys)) != len(keys):
        raise LedgerError(_("Two postings of one batch share an idempotency key."))
    try:
        if server_side_posting() and len(postings) == 1 and connection.get_autocommit():
            # Outside a transaction the one call is one statement, which PostgreSQL runs as
            # its own transaction, deferred checks included: no BEGIN and COMMIT round trips.
            results = _post_server_side(postings, user, approver)
        else:
            with transaction.atomic():
                if server_side_posting():
                    results = _post_server_side(postings, user, approver)
                else:
                    results = _post_in_python(postings, user, approver)
    except IntegrityError:
        # A concurrent request with the same keys won the race: return its postings.
        found = _posted_with_keys(keys)
        if len(found) != len(keys):
            raise
        return [found[k] for k in keys]
    return results


def server_side_posting() -> bool:
    """PostgreSQL posts through ``ledger_post()`` (migration 0006), one round trip a
    posting; ``LEDGER_SERVER_SIDE_POSTING=False`` (and SQLite) use the Python path."""
    return connection.vendor == "postgresql" and settings.LEDGER_SERVER_SIDE_POSTING


def _new_transaction(posting: Posting, user: User, approver: User | None, today) -> Transaction:
    return Transaction(
        kind=posting.kind,
        effective_date=posting.effective_date or today,
        memo=posting.memo,
        idempotency_key=posting.idempotency_key,
        posted_by=user,
        approved_by=approver,
        reverses=posting.reverses,
        paired_with=posting.paired_with,
        **_reference_fields(posting.reference, posting.reference_text),
    )


POST_CALL = (
    "SELECT * FROM ledger_post(%s, %s::date, %s, %s, %s::bigint, %s::bigint, %s::bigint,"
    " %s::bigint, %s::integer, %s, %s, %s::timestamptz, %s::bigint[], %s::text[],"
    " %s::numeric[])"
)


def _post_server_side(
    postings: Sequence[Posting], user: User, approver: User | None
) -> list[Transaction]:
    """Each posting in one call of ``ledger_post()``, which locks, checks and writes. A batch
    first locks all its accounts at once in id order, so batches never deadlock."""
    if len(postings) > 1:
        _lock_positions(leg.account.pk for p in postings for leg in p.legs)
    today = timezone.localdate()
    results = []
    with connection.cursor() as cursor:
        for posting in postings:
            txn = _new_transaction(posting, user, approver, today)
            accounts = {leg.account.pk: leg for leg in posting.legs}
            cursor.execute(
                POST_CALL,
                [
                    txn.kind,
                    txn.effective_date,
                    txn.memo,
                    txn.idempotency_key,
                    user.pk,
                    approver.pk if approver else None,
                    txn.reverses_id,
                    txn.paired_with_id,
                    txn.reference_type_id,
                    txn.reference_id,
                    txn.reference_text,
                    txn.posted_at,
                    list(accounts),
                    [leg.account.pollutant for leg in posting.legs],
                    [leg.amount for leg in posting.legs],
                ],
            )
            status, txn_id, account_id, available = cursor.fetchone()
            if status == "posted":
                txn.pk = txn_id
                txn._state.adding, txn._state.db = False, connection.alias
                results.append(txn)
            elif status == "duplicate":
                results.append(Transaction.objects.get(pk=txn_id))
            elif status == "closed":
                raise AccountClosed(
                    _("Account %(account)s is closed.") % {"account": accounts[account_id].account}
                )
            elif status == "insufficient":
                leg = accounts[account_id]
                raise InsufficientQuota(leg.account, exact_amount(available), -leg.amount)
            else:
                raise LedgerError(_("An account of this transaction does not exist."))
    return results


def _post_in_python(
    postings: Sequence[Posting], user: User, approver: User | None
) -> list[Transaction]:
    keys = [p.idempotency_key for p in postings]
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
                raise AccountClosed(_("Account %(account)s is closed.") % {"account": leg.account})
            current = balances[leg.account.pk]
            if not may_go_negative and current + leg.amount - held < 0:
                raise InsufficientQuota(leg.account, current - held, -leg.amount)
            balances[leg.account.pk] = current + leg.amount
            after[-1].append(current + leg.amount)
    today = timezone.localdate()
    created = Transaction.objects.bulk_create(
        _new_transaction(p, user, approver, today) for p in fresh
    )
    rows = [
        (txn.pk, leg.account.pk, leg.account.pollutant, leg.amount, balance, txn.effective_date)
        for txn, posting, legs_after in zip(created, fresh, after, strict=True)
        for leg, balance in zip(posting.legs, legs_after, strict=True)
    ]
    if connection.vendor == "postgresql":
        # The database chains each leg's hash and numbers the commit (integrity.py).
        _insert_entries(rows)
    else:
        _insert_entries(rows, hashes=_chain_hashes(rows, created))
        _number_commits(created)
    touched = {leg.account.pk for p in fresh for leg in p.legs}
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Account._meta.db_table} SET balance = %s WHERE id = %s",
            [(balances[pk], pk) for pk in sorted(touched)],
        )
    by_key = {txn.idempotency_key: txn for txn in created}
    return [existing.get(k) or by_key[k] for k in keys]


def _insert_entries(rows: list[tuple], hashes: list[str] | None = None) -> None:
    """Legs as plain multi-row INSERTs: the ORM's bulk_create costs more than the work."""
    columns = "transaction_id, account_id, pollutant, amount, balance_after, effective_date"
    if hashes is not None:
        rows = [(*row, value) for row, value in zip(rows, hashes, strict=True)]
        columns += ", hash"
    width = len(rows[0]) if rows else 6
    placeholders = "(" + ", ".join(["%s"] * width) + ")"
    per_insert = ENTRY_PARAMETERS_PER_INSERT // width
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_insert):
            chunk = rows[start : start + per_insert]
            cursor.execute(
                f"INSERT INTO {Entry._meta.db_table} ({columns}) VALUES "
                + ", ".join([placeholders] * len(chunk)),
                [value for row in chunk for value in row],
            )


def _transaction_fields(txn: Transaction) -> tuple:
    return tuple(getattr(txn, name) for name in integrity.TRANSACTION_FIELDS)


def _chain_hashes(rows: list[tuple], created: list[Transaction]) -> list[str]:
    """Each leg's hash, chained to its account's previous leg (what PostgreSQL's trigger
    computes there). Runs under the account locks the posting holds."""
    accounts = sorted({row[1] for row in rows})
    heads = dict(
        Entry.objects.filter(
            pk__in=Entry.objects.filter(account_id__in=accounts)
            .values("account_id")
            .annotate(last=models.Max("id"))
            .values("last")
        ).values_list("account_id", "hash")
    )
    fields = {txn.pk: _transaction_fields(txn) for txn in created}
    hashes = []
    for row in rows:
        value = integrity.leg_hash(heads.get(row[1], integrity.GENESIS), row, fields[row[0]])
        heads[row[1]] = value
        hashes.append(value)
    return hashes


def _number_commits(created: list[Transaction]) -> None:
    """Commit sequence numbers where the database does not assign them (SQLite, whose single
    writer makes insertion order the commit order)."""
    last = TransactionCommit.objects.aggregate(last=models.Max("seq"))["last"] or 0
    TransactionCommit.objects.bulk_create(
        TransactionCommit(seq=last + number, transaction=txn)
        for number, txn in enumerate(created, start=1)
    )
    SequenceCounter.objects.update_or_create(pk=1, defaults={"last": last + len(created)})


def number_commits() -> int:
    """Give every committed, not yet numbered transaction its commit sequence number; return
    how many were numbered. PostgreSQL numbers in one serial step outside the postings
    (``ledger_number_commits()``, integrity.py); SQLite numbers as it posts, so there is
    nothing to do. Readers of the sequence call this first."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT ledger_number_commits()")
        return cursor.fetchone()[0]


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


class PostingOwned(ReversalNotAllowed):
    code = "posting_owned_by_record"


def reverse(
    *,
    original: Transaction,
    reason: str,
    user: User,
    approver: User,
    through: models.Model | None = None,
) -> Transaction:
    """Post the opposite legs of ``original``; see ``reverse_all``."""
    return reverse_all(
        originals=[original], reason=reason, user=user, approver=approver, through=through
    )[0]


def reverse_all(
    *,
    originals: Sequence[Transaction],
    reason: str,
    user: User,
    approver: User,
    through: models.Model | None = None,
) -> list[Transaction]:
    """Post the opposite legs of each original, all or none; nothing is edited or deleted.
    Reversing one half of a paired trade reverses both halves. Four-eyes: ``user`` proposed
    it, ``approver`` decided. Every account is locked once, in id order, before any posting,
    so a record's correction touching many accounts never deadlocks with other postings.

    A transaction caused by a domain record is reversed only ``through`` that record (its own
    correction action), never bare; see ``ledger.corrections``. Returns the reversal of each
    original, in order."""
    reason = (reason or "").strip()
    if not reason:
        raise ReversalNotAllowed(_("A reversal needs a reason."))
    group: dict[int, Transaction] = {}
    for original in originals:
        if original.kind == TransactionKind.REVERSAL:
            raise ReversalNotAllowed(_("A reversal cannot itself be reversed."))
        owner = owning_record(original)
        if owner is not None and not (
            through is not None and type(through) is type(owner) and through.pk == owner.pk
        ):
            action = corrections.owner_action(type(owner))
            raise PostingOwned(
                _(
                    "Transaction #%(id)s was posted by %(record)s; correct it there "
                    "(%(action)s), not by a bare reversal."
                )
                % {"id": original.pk, "record": original.reference_text, "action": action.label}
            )
        group[original.pk] = original
        if original.paired_with_id:
            group.setdefault(original.paired_with_id, original.paired_with)
        elif hasattr(original, "pair_of"):
            group.setdefault(original.pair_of.pk, original.pair_of)
    with transaction.atomic():
        lock_accounts(
            Entry.objects.filter(transaction__in=group).values_list("account_id", flat=True)
        )
        done = Transaction.objects.filter(reverses__in=group).values_list("reverses_id", flat=True)
        if done:
            raise DuplicateReversal(
                _("Transaction #%(id)s has already been reversed.") % {"id": min(done)}
            )
        reversals = post_batch(
            postings=[
                Posting(
                    kind=TransactionKind.REVERSAL,
                    legs=[
                        Leg(entry.account, -entry.amount)
                        for entry in txn.entries.select_related("account")
                    ],
                    idempotency_key=f"reversal:{txn.pk}",
                    reverses=txn,
                    reference=txn,
                    reference_text=_("Reversal of #%(id)s") % {"id": txn.pk},
                    memo=reason,
                )
                for txn in sorted(group.values(), key=lambda t: t.pk)
            ],
            user=user,
            approver=approver,
        )
    by_original = {r.reverses_id: r for r in reversals}
    return [by_original[original.pk] for original in originals]


def owning_record(txn: Transaction) -> models.Model | None:
    """The domain record whose own action must correct ``txn``, if any. A posting that
    references a hold (uses posted before they referenced their request) belongs to whatever
    the hold was placed for."""
    reference_type, reference_id = txn.reference_type, txn.reference_id
    if reference_type is not None and reference_type.model_class() is Hold:
        hold = Hold.objects.select_related("reference_type").filter(pk=reference_id).first()
        reference_type, reference_id = (
            (hold.reference_type, hold.reference_id) if hold else (None, "")
        )
    if reference_type is None:
        return None
    model = reference_type.model_class()
    if corrections.owner_action(model) is None:
        return None
    return model._default_manager.filter(pk=reference_id).first()


# --- Four-eyes corrections --------------------------------------------------------------


class CorrectionError(LedgerError):
    code = "correction_refused"


def _record_of(correction: Correction) -> models.Model:
    model = correction.reference_type.model_class()
    return model._default_manager.get(pk=correction.reference_id)


def _action(code: str) -> corrections.CorrectionAction:
    action = corrections.get(code)
    if action is None:
        raise CorrectionError(_("Unknown correction."), code="unknown_correction")
    return action


def propose_correction(*, action: str, record: models.Model, reason: str, user: User) -> Correction:
    """Propose a correction with its reason; another person decides it."""
    spec = _action(action)
    reason = (reason or "").strip()
    if not reason:
        raise CorrectionError(
            field_errors={"reason": _("Say why this is corrected.")}, code="reason_required"
        )
    # Decide on the record as it is now, not as the caller last read it.
    record = type(record)._default_manager.get(pk=record.pk)
    if not spec.may_propose(user, record):
        raise FourEyesViolation(_("You may not propose this correction."), code="forbidden")
    spec.check(record)
    content_type = ContentType.objects.get_for_model(record)
    try:
        with transaction.atomic():
            return Correction.objects.create(
                action=spec.code,
                reference_type=content_type,
                reference_id=str(record.pk),
                reference_text=str(record)[:200],
                reason=reason,
                proposed_by=user,
            )
    except IntegrityError:
        raise CorrectionError(
            _("A correction of this record is already proposed."), code="correction_open"
        ) from None


def _lock_open_correction(correction: Correction, user: User) -> Correction:
    correction = Correction.objects.select_for_update().get(pk=correction.pk)
    if correction.status != CorrectionStatus.PROPOSED:
        raise CorrectionError(
            _("This correction has already been decided."), code="correction_decided"
        )
    if correction.proposed_by_id == user.pk:
        raise FourEyesViolation(_("You proposed this correction; another person must decide it."))
    return correction


def approve_correction(*, correction: Correction, user: User, comment: str = "") -> Correction:
    """Carry the correction out and mark it approved, in one database transaction."""
    spec = _action(correction.action)
    with transaction.atomic():
        correction = _lock_open_correction(correction, user)
        record = _record_of(correction)
        if spec.lock is not None:
            record = spec.lock(record)
        else:
            record = type(record)._default_manager.select_for_update().get(pk=record.pk)
        if not spec.may_approve(user, record):
            raise FourEyesViolation(_("You may not approve this correction."), code="forbidden")
        spec.check(record)
        spec.perform(record=record, correction=correction, approver=user)
        correction.status = CorrectionStatus.APPROVED
        correction.decided_by = user
        correction.decided_at = timezone.now()
        correction.decision_comment = (comment or "").strip()
        correction.save()
    return correction


def reject_correction(*, correction: Correction, user: User, comment: str) -> Correction:
    spec = _action(correction.action)
    comment = (comment or "").strip()
    if not comment:
        raise CorrectionError(
            field_errors={"comment": _("Say why the correction is rejected.")},
            code="comment_required",
        )
    with transaction.atomic():
        correction = _lock_open_correction(correction, user)
        if not spec.may_approve(user, _record_of(correction)):
            raise FourEyesViolation(_("You may not decide this correction."), code="forbidden")
        correction.status = CorrectionStatus.REJECTED
        correction.decided_by = user
        correction.decided_at = timezone.now()
        correction.decision_comment = comment
        correction.save()
    return correction


def _check_bare_reversal(txn: Transaction) -> None:
    if txn.kind == TransactionKind.REVERSAL:
        raise ReversalNotAllowed(_("A reversal cannot itself be reversed."))
    owner = owning_record(txn)
    if owner is not None:
        action = corrections.owner_action(type(owner))
        raise PostingOwned(
            _(
                "Transaction #%(id)s was posted by %(record)s; correct it there "
                "(%(action)s), not by a bare reversal."
            )
            % {"id": txn.pk, "record": txn.reference_text, "action": action.label}
        )
    if Transaction.objects.filter(reverses=txn).exists() or (
        txn.paired_with_id and Transaction.objects.filter(reverses=txn.paired_with_id).exists()
    ):
        raise DuplicateReversal(
            _("Transaction #%(id)s has already been reversed.") % {"id": txn.pk}
        )


def _perform_bare_reversal(*, record: Transaction, correction: Correction, approver: User) -> None:
    reverse(
        original=record, reason=correction.reason, user=correction.proposed_by, approver=approver
    )


def _preview_bare_reversal(txn: Transaction) -> list[str]:
    return [
        _("%(account)s: %(amount)s t") % {"account": entry.account, "amount": -entry.amount}
        for entry in txn.entries.select_related("account__entity")
    ]


def _selectors():
    from . import selectors

    return selectors


REVERSE_TRANSACTION = corrections.register(
    corrections.CorrectionAction(
        code="reverse_transaction",
        model=Transaction,
        label=gettext_lazy("Reverse the transaction"),
        perform=_perform_bare_reversal,
        may_propose=lambda user, txn: user.has_perm("ledger.propose_reversal", txn),
        may_approve=lambda user, txn: user.has_perm("ledger.approve_reversal", txn),
        check=_check_bare_reversal,
        preview=_preview_bare_reversal,
        url_name="ledger:transaction",
        owns_postings=False,
        # Transactions are append-only: nothing to lock but the accounts (reverse() does).
        lock=lambda txn: txn,
        visible=lambda user: _selectors().visible_transactions(user),
    )
)


def place_hold(
    *,
    account: Account,
    amount,
    user: User,
    reason: str,
    reference: models.Model | None = None,
    reference_text: str = "",
    idempotency_key: str | None = None,
    expires_at: datetime.datetime | None = None,
) -> Hold:
    """Reserve quota until ``expires_at`` (never, if None); refused when it exceeds what is
    available."""
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
            expires_at=expires_at,
            **_reference_fields(reference, reference_text),
        )
        Account.objects.filter(pk=locked.pk).update(held=locked.held + amount)
    return hold


def _lock_hold(hold: Hold, extra_account_ids: Sequence[int] = ()) -> tuple[Hold, dict]:
    locked_accounts = lock_accounts([hold.account_id, *extra_account_ids])
    return Hold.objects.select_for_update().get(pk=hold.pk), locked_accounts


def _close_hold(*, hold: Hold, user: User | None, status: str) -> Hold:
    """Release or expire a hold: the quota becomes available again. Doing it twice is a
    no-op; a hold resolved another way is refused."""
    with transaction.atomic():
        hold, accounts = _lock_hold(hold)
        if hold.status == status:
            return hold
        if hold.status != HoldStatus.ACTIVE:
            raise HoldStateError(
                _("This hold was already resolved: %(status)s.")
                % {"status": hold.get_status_display()}
            )
        account = accounts[hold.account_id]
        Account.objects.filter(pk=account.pk).update(held=account.held - hold.amount)
        hold.status = status
        hold.closed_by = user
        hold.closed_at = timezone.now()
        hold.save(update_fields=["status", "closed_by", "closed_at"])
    return hold


def release_hold(*, hold: Hold, user: User) -> Hold:
    """Give held quota back (request rejected or withdrawn)."""
    return _close_hold(hold=hold, user=user, status=HoldStatus.RELEASED)


def expire_hold(*, hold: Hold, user: User | None = None) -> Hold:
    """Give back quota whose hold passed its deadline (the scheduled job; no person)."""
    return _close_hold(hold=hold, user=user, status=HoldStatus.EXPIRED)


class HoldExpired(HoldStateError):
    code = "hold_expired"


def consume_hold(
    *,
    hold: Hold,
    user: User,
    approver: User | None = None,
    memo: str = "",
    effective_date: datetime.date | None = None,
    reference: models.Model | None = None,
) -> Transaction:
    """Turn held quota into a USE posting to the consumption sink, caused by ``reference``
    (the request's record; the hold if None). Idempotent; an expired hold is refused."""
    sink = system_account(SystemAccountKind.CONSUMPTION, hold.account.pollutant)
    with transaction.atomic():
        hold, accounts = _lock_hold(hold, [sink.pk])
        if hold.status == HoldStatus.CONSUMED:
            return hold.consumed_by
        if hold.status != HoldStatus.ACTIVE:
            raise HoldStateError(
                _("This hold was already resolved: %(status)s.")
                % {"status": hold.get_status_display()}
            )
        if hold.is_expired():
            raise HoldExpired(
                _("The hold expired on %(date)s; the request must be made again.")
                % {"date": timezone.localtime(hold.expires_at).strftime("%Y-%m-%d %H:%M")}
            )
        account = accounts[hold.account_id]
        Account.objects.filter(pk=account.pk).update(held=account.held - hold.amount)
        txn = post(
            kind=TransactionKind.USE,
            legs=[Leg(account, -hold.amount), Leg(sink, hold.amount)],
            idempotency_key=f"hold:{hold.pk}:use",
            user=user,
            approver=approver,
            reference=reference or hold,
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
        raise LedgerError(
            field_errors={"reason": _("An adjustment needs a reason.")}, code="reason_required"
        )
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
        raise LedgerError(
            field_errors={"comment": _("Say why the adjustment is rejected.")},
            code="comment_required",
        )
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


def set_user_language(*, user: User, language: str) -> None:
    """Remember the interface language the user chose (one of settings.LANGUAGES)."""
    if language not in dict(settings.LANGUAGES):
        raise LedgerError(_("Unknown language."), code="unknown_language")
    if user.language != language:
        user.language = language
        User.objects.filter(pk=user.pk).update(language=language)


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
