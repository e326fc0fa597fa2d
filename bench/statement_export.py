"""Excel statement export of 100,000 entries vs. bare openpyxl write-only writing the same
rows, in the same run. Goal (issue 3): the export takes under 2x the bare write."""

import datetime
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, bench_user, report, setup_django

ENTRIES = int(os.environ.get("BENCH_EXPORT_ENTRIES", "100000"))
BATCH = 5000


def prepare():
    """An entity whose COD account has ENTRIES legs (allocations from the pool)."""
    from django.db import transaction

    from ledger import services
    from ledger.models import Entity, EntityKind, Entry

    user = bench_user()
    entity, _ = Entity.objects.get_or_create(
        code="BENCH-EXPORT", defaults={"kind": EntityKind.ENTERPRISE, "name_zh": "导出基准企业"}
    )
    account = services.entity_account(entity, "COD")
    have = Entry.objects.filter(account=account).count()
    if have >= ENTRIES:
        return entity
    pool = services.system_account("ALLOCATION_POOL", "COD")
    start = datetime.date(2021, 1, 1)
    # Generated in bulk through the ORM with correct running balances, so the ledger's
    # triggers and reconciliation accept the data; posting 100,000 times would take minutes.
    balance = account.balance
    pool_balance = pool.balance
    for first in range(have, ENTRIES, BATCH):
        with transaction.atomic():
            balance, pool_balance = _write_batch(
                first, account, pool, user, start, balance, pool_balance
            )
    return entity


def _write_batch(first, account, pool, user, start, balance, pool_balance):
    """One batch of allocations: transactions, then both legs with running balances."""
    from ledger.models import Account, Entry, Transaction

    count = min(BATCH, ENTRIES - first)
    txns = Transaction.objects.bulk_create(
        Transaction(
            kind="ALLOCATION",
            effective_date=start + datetime.timedelta(days=(first + i) // 60),
            idempotency_key=f"bench-export-{first + i}",
            reference_text=f"基准 {first + i}",
            posted_by=user,
        )
        for i in range(count)
    )
    entries = []
    amount = Decimal("1.250")
    for txn in txns:
        balance += amount
        pool_balance -= amount
        for acct, signed, after in ((account, amount, balance), (pool, -amount, pool_balance)):
            entries.append(
                Entry(
                    transaction=txn,
                    account=acct,
                    pollutant="COD",
                    amount=signed,
                    balance_after=after,
                    effective_date=txn.effective_date,
                )
            )
    Entry.objects.bulk_create(entries)
    Account.objects.filter(pk=account.pk).update(balance=balance)
    Account.objects.filter(pk=pool.pk).update(balance=pool_balance)
    return balance, pool_balance


def bare_openpyxl(rows: list[tuple], path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("COD")
    sheet.append(["title"])
    sheet.append(["header"] * 8)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def main() -> None:
    vendor = setup_django(fresh_sqlite=False)
    from ledger import selectors, services
    from ledger.exports import write_statement

    t = time.perf_counter()
    entity = prepare()
    prepared = time.perf_counter() - t
    account = services.entity_account(entity, "COD")
    _opening, count, rows = selectors.statement_rows(account)
    same_rows = [
        (r.date, r.transaction_id, "指标分配", r.reference, r.amount, None, r.running, r.held)
        for r in rows
    ]

    t = time.perf_counter()
    bare_openpyxl(same_rows, RESULTS / "bare.xlsx")
    bare = time.perf_counter() - t

    t = time.perf_counter()
    written = write_statement(
        entity=entity, date_from=None, date_to=None, path=RESULTS / "statement.xlsx"
    )
    export = time.perf_counter() - t

    report(
        f"statement_export: {written:,} entries on {vendor} (data ready in {prepared:.1f} s)",
        [
            ("bare openpyxl write-only", f"{bare:.2f} s"),
            ("statement export (query + write)", f"{export:.2f} s"),
            ("ratio export/bare", f"{export / bare:.2f} (goal < 2.00)"),
        ],
    )
    assert count == written >= ENTRIES


if __name__ == "__main__":
    main()
