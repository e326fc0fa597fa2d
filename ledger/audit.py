"""What an auditor runs against the ledger: reconciliation, hash-chain verification, digests.

- ``reconcile()`` recomputes everything stored from what it is stored for: balances and held
  amounts from legs and holds, each transaction's legs summing to zero, running balances,
  every pollutant netting to zero across all accounts, and the commit sequence.
- ``verify()`` recomputes every account's hash chain from its legs (and, given a digest kept
  outside the system, proves nothing committed before it changed).
- ``make_digest()`` writes today's digest: one hash over every account's head leg.

Each check names what is wrong; the management commands exit 1 on any finding.
"""

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Max, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import integrity
from .models import (
    ZERO,
    Account,
    Entry,
    Hold,
    HoldStatus,
    LedgerDigest,
    Transaction,
    TransactionCommit,
    exact_amount,
)
from .selectors import AMOUNT
from .services import number_commits

# Sums compared in SQL allow for SQLite returning sums of decimals as binary floats; every
# amount is a whole number of kilograms, so half a gram is far below any real difference.
EPSILON = "0.0005"


@dataclass(frozen=True)
class Finding:
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _account_findings() -> list[Finding]:
    legs = (
        Entry.objects.filter(account=OuterRef("pk"))
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    holds = (
        Hold.objects.filter(account=OuterRef("pk"), status=HoldStatus.ACTIVE)
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    accounts = Account.objects.select_related("entity").annotate(
        legs_total=Coalesce(Subquery(legs, output_field=AMOUNT), Value(ZERO)),
        active_held=Coalesce(Subquery(holds, output_field=AMOUNT), Value(ZERO)),
    )
    findings = []
    for account in accounts:
        legs_total = exact_amount(account.legs_total)
        active_held = exact_amount(account.active_held)
        if account.balance != legs_total:
            findings.append(
                Finding(
                    "balance_mismatch",
                    f"account {account.pk} ({account}): stored balance {account.balance}, "
                    f"legs sum to {legs_total}",
                )
            )
        if account.held != active_held:
            findings.append(
                Finding(
                    "held_mismatch",
                    f"account {account.pk} ({account}): stored held {account.held}, "
                    f"active holds sum to {active_held}",
                )
            )
    return findings


def reconcile() -> list[Finding]:
    """Every disagreement between what is stored and what it is derived from. Committed
    transactions are numbered first: one still without a number afterwards is a finding."""
    number_commits()
    entry, txn, account = (
        Entry._meta.db_table,
        Transaction._meta.db_table,
        Account._meta.db_table,
    )
    commit = TransactionCommit._meta.db_table
    findings = _account_findings()
    for txn_id, pollutant, total in _rows(
        f"SELECT transaction_id, pollutant, SUM(amount) FROM {entry}"
        f" GROUP BY transaction_id, pollutant HAVING ABS(SUM(amount)) > {EPSILON}"
    ):
        findings.append(
            Finding(
                "unbalanced_transaction",
                f"transaction {txn_id}: {pollutant} legs sum to {exact_amount(total)}",
            )
        )
    for txn_id, legs in _rows(
        f"SELECT t.id, COUNT(e.id) FROM {txn} t LEFT JOIN {entry} e ON e.transaction_id = t.id"
        " GROUP BY t.id HAVING COUNT(e.id) < 2"
    ):
        findings.append(Finding("too_few_legs", f"transaction {txn_id} has {legs} leg(s)"))
    for entry_id, account_id, after, expected in _rows(
        f"SELECT id, account_id, balance_after, expected FROM (SELECT id, account_id,"
        f" balance_after, COALESCE(LAG(balance_after) OVER (PARTITION BY account_id"
        f" ORDER BY id), 0) + amount AS expected FROM {entry}) legs"
        f" WHERE ABS(balance_after - expected) > {EPSILON}"
    ):
        findings.append(
            Finding(
                "running_balance",
                f"leg {entry_id} of account {account_id}: running balance "
                f"{exact_amount(after)}, its previous leg and amount give {exact_amount(expected)}",
            )
        )
    for entry_id, account_id in _rows(
        f"SELECT e.id, e.account_id FROM {entry} e JOIN {account} a ON a.id = e.account_id"
        " WHERE e.pollutant <> a.pollutant"
    ):
        findings.append(
            Finding(
                "leg_pollutant", f"leg {entry_id} differs in pollutant from account {account_id}"
            )
        )
    for pollutant, total in _rows(
        f"SELECT pollutant, SUM(balance) FROM {account} GROUP BY pollutant"
        f" HAVING ABS(SUM(balance)) > {EPSILON}"
    ):
        findings.append(
            Finding(
                "not_net_zero",
                f"{pollutant}: all accounts (system and entity) sum to {exact_amount(total)}, "
                "not zero",
            )
        )
    [(transactions, commits, last_seq, unsequenced)] = _rows(
        f"SELECT (SELECT COUNT(*) FROM {txn}), (SELECT COUNT(*) FROM {commit}),"
        f" (SELECT COALESCE(MAX(seq), 0) FROM {commit}),"
        f" (SELECT COUNT(*) FROM {txn} t WHERE NOT EXISTS"
        f" (SELECT 1 FROM {commit} c WHERE c.transaction_id = t.id))"
    )
    if unsequenced or commits != transactions or last_seq != commits:
        findings.append(
            Finding(
                "commit_sequence",
                f"{transactions} transactions, {commits} commit numbers, last number {last_seq}, "
                f"{unsequenced} transaction(s) without one: the sequence has gaps or holes",
            )
        )
    return findings


# --- Hash chains and digests -----------------------------------------------------------


@dataclass
class Verification:
    legs: int = 0
    accounts: int = 0
    findings: list[Finding] = field(default_factory=list)
    # account id → (leg id, recomputed hash) of its last leg, or of its last leg committed
    # at or before the digest's sequence number when checking a digest.
    heads: dict[int, tuple[int, str]] = field(default_factory=dict)


def _legs_in_chain_order() -> Iterator[tuple]:
    """Every leg with its transaction's hashed fields and commit number, per account in
    posting order, streamed (a server-side cursor on PostgreSQL)."""
    txn_columns = ", ".join(f"t.{name}" for name in integrity.TRANSACTION_FIELDS)
    sql = (
        f"SELECT e.id, e.hash, c.seq, e.transaction_id, e.account_id, e.pollutant, e.amount,"
        f" e.balance_after, e.effective_date, {txn_columns}"
        f" FROM {Entry._meta.db_table} e"
        f" JOIN {Transaction._meta.db_table} t ON t.id = e.transaction_id"
        f" LEFT JOIN {TransactionCommit._meta.db_table} c ON c.transaction_id = t.id"
        " ORDER BY e.account_id, e.id"
    )
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(5000):
            yield from rows


def verify(digest: dict | None = None) -> Verification:
    """Recompute every chain; with ``digest`` (as written by ``digest_payload``), also check
    that each account's chain passes through the head the digest recorded."""
    number_commits()
    result = Verification()
    as_of = digest["last_seq"] if digest else None
    account, prev, broken = None, integrity.GENESIS, False
    for entry_id, stored, seq, *leg_and_txn in _legs_in_chain_order():
        leg, txn_fields = leg_and_txn[:6], leg_and_txn[6:]
        leg[3], leg[4] = exact_amount(leg[3]), exact_amount(leg[4])
        if isinstance(leg[5], str):  # SQLite returns dates as text in raw queries
            leg[5] = datetime.date.fromisoformat(leg[5])
        txn_fields[2] = _as_date(txn_fields[2])
        if leg[1] != account:
            account, prev, broken = leg[1], integrity.GENESIS, False
            result.accounts += 1
        prev = integrity.leg_hash(prev, leg, txn_fields)
        result.legs += 1
        if prev != stored and not broken:
            broken = True  # one finding per account: everything after it differs too
            result.findings.append(
                Finding(
                    "hash_chain",
                    f"account {account}, leg {entry_id}: stored hash differs from the one its "
                    "fields and the previous leg give; posted history was changed here or before",
                )
            )
        if as_of is None or (seq is not None and seq <= as_of):
            result.heads[account] = (entry_id, prev)
    if digest:
        result.findings.extend(_digest_findings(digest, result.heads))
    return result


def _as_date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _digest_findings(digest: dict, heads: dict[int, tuple[int, str]]) -> list[Finding]:
    findings = []
    recorded = {int(k): tuple(v) for k, v in digest["heads"].items()}
    for account, head in sorted(recorded.items()):
        now = heads.get(account)
        if now is None or list(now) != list(head):
            findings.append(
                Finding(
                    "digest_head",
                    f"account {account}: the digest of {digest['date']} recorded leg {head[0]} "
                    f"with hash {head[1][:16]}…, the ledger now gives "
                    + (f"leg {now[0]} with {now[1][:16]}…" if now else "no legs"),
                )
            )
    for account in sorted(set(heads) - set(recorded)):
        findings.append(
            Finding(
                "digest_head",
                f"account {account} has legs committed before the digest of {digest['date']} "
                "that the digest does not know",
            )
        )
    value = integrity.digest_of(
        recorded, digest["last_seq"], digest.get("last_transaction_id"), digest["date"]
    )
    if value != digest["digest"]:
        findings.append(
            Finding("digest_file", "the digest file does not match its own heads: it was edited")
        )
    return findings


def _current_heads() -> tuple[dict[int, tuple[int, str]], int, int | None]:
    """Every account's last leg and the last commit number, read in one snapshot."""
    last_ids = Entry.objects.values("account_id").annotate(last=Max("id")).values("last")
    heads = {
        account: (entry_id, value)
        for entry_id, account, value in Entry.objects.filter(pk__in=last_ids).values_list(
            "id", "account_id", "hash"
        )
    }
    last = TransactionCommit.objects.order_by("-seq").values_list("seq", "transaction_id").first()
    return heads, last[0] if last else 0, last[1] if last else None


def make_digest(date: datetime.date | None = None) -> LedgerDigest:
    """Write the digest of the ledger as it is now (a consistent snapshot)."""
    date = date or timezone.localdate()
    number_commits()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        heads, last_seq, last_txn = _current_heads()
        return LedgerDigest.objects.create(
            digest_date=date,
            last_seq=last_seq,
            last_transaction_id=last_txn,
            accounts=len(heads),
            digest=integrity.digest_of(heads, last_seq, last_txn, date.isoformat()),
            heads={str(k): list(v) for k, v in heads.items()},
        )


def digest_payload(digest: LedgerDigest) -> dict:
    """The digest as the JSON file to keep outside the system."""
    return {
        "date": digest.digest_date.isoformat(),
        "last_seq": digest.last_seq,
        "last_transaction_id": digest.last_transaction_id,
        "accounts": digest.accounts,
        "digest": digest.digest,
        "heads": digest.heads,
    }


def dump_digest(digest: LedgerDigest) -> str:
    return json.dumps(digest_payload(digest), ensure_ascii=False, indent=1, sort_keys=True)
