"""The city's annual ledger report over 1,000,000 legs beside one hand-written SQL aggregate
of the same rows, in the same run. Goal (issue 11): within 3x of the bare aggregate.

Uses the legs bench/verify.py loads (bulk, once, reused on later runs); PostgreSQL only.
"""

import datetime
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_user, report, setup_django

REPEAT = 3
SQL = """
SELECT e.pollutant, t.kind,
       sum(e.amount) FILTER (WHERE e.effective_date < %(start)s),
       sum(e.amount) FILTER (WHERE e.effective_date >= %(start)s)
  FROM ledger_entry e
  JOIN ledger_account a ON a.id = e.account_id
  JOIN ledger_transaction t ON t.id = e.transaction_id
 WHERE a.entity_id IS NOT NULL AND e.effective_date <= %(end)s
 GROUP BY e.pollutant, t.kind
"""


def best(function) -> tuple[float, object]:
    times, result = [], None
    for _n in range(REPEAT):
        t0 = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    vendor = setup_django(fresh_sqlite=False)
    if vendor != "postgresql":
        print("annual_report: PostgreSQL only (set DATABASE_URL)")
        return
    import verify
    from django.db import connection

    from ledger import reports
    from ledger.models import Entry

    verify.prepare()
    user = bench_user()
    year = datetime.date.today().year
    legs = Entry.objects.count()

    def bare():
        with connection.cursor() as cursor:
            cursor.execute(
                SQL, {"start": datetime.date(year, 1, 1), "end": datetime.date(year, 12, 31)}
            )
            return cursor.fetchall()

    def city():
        return reports.annual_report(year=year, entity=None, user=user)

    bare_s, rows = best(bare)
    report_s, result = best(city)
    totals = {line.pollutant.symbol: f"{line.closing:.3f}" for line in result.lines}
    report(
        f"annual_report ({vendor}, {legs:,} legs, best of {REPEAT})",
        [
            ("hand-written SQL aggregate", f"{bare_s:.3f} s ({len(rows)} groups)"),
            ("city annual report", f"{report_s:.3f} s ({report_s / bare_s:.2f}x; goal < 3x)"),
            ("closing balances", ", ".join(f"{k} {v}" for k, v in totals.items())),
        ],
    )


if __name__ == "__main__":
    main()
