"""Allocation round at scale: 200 entities × 4 pollutants, 100,000 certified projects.

Times the round's proposal computation (allocations.selectors.progress, what draft_round
uses) beside one hand-written SQL aggregate over the same tables, in the same run, and the
approval that posts every line. Goals (issue 5): proposals within 3× of the bare aggregate
and under 2 s; approving 800 lines in under 5 s.
"""

import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_user, report, setup_django

ENTITIES = 200
PROJECTS = int(os.environ.get("BENCH_PROJECTS", "100000"))
POLLUTANTS = ["NOX", "VOCS", "COD", "NH3N"]
BATCH = 5000
REPEAT = 5


def prepare():
    from django.db import transaction
    from django.utils import timezone

    from allocations.models import Target
    from ledger.models import Entity, EntityKind, Role
    from ledger.services import set_roles
    from reductions.models import Industry, PlanPeriod, Project, ProjectAmount, ProjectType

    clerk = bench_user()
    approver = type(clerk).objects.filter(username="bench-approver").first()
    if approver is None:
        approver = type(clerk).objects.create(username="bench-approver", entity=clerk.entity)
        set_roles(user=approver, roles=[Role.MUNICIPAL_APPROVER])
    period = PlanPeriod.objects.get(code="14FYP")
    entities = []
    for i in range(ENTITIES):
        entity, _ = Entity.objects.get_or_create(
            code=f"BENCH-R{i:03d}",
            defaults={"kind": EntityKind.ENTERPRISE, "name_zh": f"分配基准{i}"},
        )
        entities.append(entity)
    have = Project.objects.filter(name__startswith="BENCH-R").count()
    industry = Industry.objects.get(code="26")
    types = {
        "NOX": ProjectType.objects.get(code="A_NOX_TREATMENT"),
        "VOCS": ProjectType.objects.get(code="A_VOC_TREATMENT"),
        "COD": ProjectType.objects.get(code="W_STRUCTURE"),
        "NH3N": ProjectType.objects.get(code="W_STRUCTURE"),
    }
    now = timezone.now()
    national = timezone.localdate() - datetime.timedelta(days=30)
    for first in range(have, PROJECTS, BATCH):
        with transaction.atomic():
            projects = []
            for n in range(first, min(first + BATCH, PROJECTS)):
                pollutant = POLLUTANTS[(n // ENTITIES) % 4]
                key = n % 3 != 0
                projects.append(
                    Project(
                        owner=entities[n % ENTITIES],
                        name=f"BENCH-R{n}",
                        enterprise_name="基准企业",
                        credit_code="91310000132200821H",
                        industry=industry,
                        project_type=types[pollutant],
                        measure="bench",
                        plan_period=period,
                        accounting_year=2024,
                        completion_date=datetime.date(2024, 6, 30),
                        tier="KEY" if key else "PACKAGE",
                        tier_reason="bench",
                        accounting_method="NATIONAL_KEY" if key else "NATIONAL_PACKAGE",
                        status="CERTIFIED",
                        created_by=clerk,
                        last_edited_by=clerk,
                        certified_at=now,
                        national_date=national if key else None,
                    )
                )
            Project.objects.bulk_create(projects)
            ProjectAmount.objects.bulk_create(
                ProjectAmount(
                    project=p,
                    pollutant=POLLUTANTS[(int(p.name[7:]) // ENTITIES) % 4],
                    claimed=Decimal("1.250"),
                    certified=Decimal("1.250"),
                )
                for p in projects
            )
    for entity in entities:
        for pollutant in POLLUTANTS:
            Target.objects.update_or_create(
                entity=entity,
                plan_period=period,
                pollutant=pollutant,
                defaults={"amount": Decimal("10"), "updated_by": clerk},
            )
    return period, clerk, approver


BARE_SQL = """
SELECT p.owner_id, a.pollutant,
       SUM(CASE WHEN p.tier = 'KEY' THEN a.certified END),
       SUM(CASE WHEN p.tier = 'PACKAGE' THEN a.certified END),
       SUM(CASE WHEN p.tier = 'MICRO' THEN a.certified END),
       SUM(CASE WHEN p.tier = 'VOC_MGMT' THEN a.certified END)
  FROM reductions_projectamount a
  JOIN reductions_project p ON p.id = a.project_id
 WHERE p.plan_period_id = %s AND p.status = 'CERTIFIED' AND a.certified IS NOT NULL
   AND ((p.tier = 'KEY' AND p.national_date <= %s) OR (p.tier <> 'KEY' AND p.certified_at <= %s))
 GROUP BY p.owner_id, a.pollutant
"""


def best(fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(REPEAT):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    vendor = setup_django(fresh_sqlite=False)
    from django.db import connection
    from django.utils import timezone

    from allocations import selectors, services
    from allocations.models import AllocationRound, RoundStatus

    t = time.perf_counter()
    period, clerk, approver = prepare()
    prepared = time.perf_counter() - t
    as_of = timezone.localdate()
    end_of_day = timezone.now()

    def bare():
        with connection.cursor() as cursor:
            cursor.execute(BARE_SQL, [period.pk, as_of, end_of_day])
            return cursor.fetchall()

    # A fresh start every run: revoke what an earlier run approved, drop open drafts.
    from ledger import services as ledger_services

    for old in AllocationRound.objects.filter(plan_period=period, status=RoundStatus.APPROVED):
        correction = ledger_services.propose_correction(
            action="revoke_round", record=old, reason="bench rerun", user=clerk
        )
        ledger_services.approve_correction(correction=correction, user=approver)
    AllocationRound.objects.filter(plan_period=period, status__in=["DRAFT", "SUBMITTED"]).delete()

    bare_time, rows = best(bare)
    proposal_time, progress = best(lambda: selectors.progress(period=period, as_of=as_of))
    due_lines = sum(1 for r in progress if r.give > 0)

    t = time.perf_counter()
    round_ = services.draft_round(plan_period=period, as_of=as_of, user=clerk)
    draft_time = time.perf_counter() - t
    services.submit_round(round_=round_, user=clerk)
    lines = round_.lines.count()
    t = time.perf_counter()
    services.approve_round(round_=round_, approver=approver)
    approve_time = time.perf_counter() - t

    report(
        f"allocation_round: {PROJECTS:,} certified projects, {ENTITIES} entities, {vendor}"
        f" (data ready in {prepared:.1f} s)",
        [
            ("bare SQL aggregate (median of 5)", f"{bare_time:.3f} s, {len(rows)} groups"),
            ("round proposals (median of 5)", f"{proposal_time:.3f} s, {due_lines} lines due"),
            ("ratio proposals/bare", f"{proposal_time / bare_time:.2f} (goal ≤ 3, and < 2 s)"),
            ("draft_round (proposals + insert lines)", f"{draft_time:.3f} s"),
            (f"approve_round posting {lines} lines", f"{approve_time:.3f} s (goal < 5 s)"),
        ],
    )


if __name__ == "__main__":
    main()
