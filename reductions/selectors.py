"""Reads of reduction projects: what a user may see, list filters, status counts, queues."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from ledger.models import EntityKind, Pollutant, Role, User
from ledger.permissions import is_human_user

from . import confirm, workflow
from .models import (
    Attachment,
    BundleFiling,
    FilingStatus,
    Project,
    ProjectAmount,
    ProjectStatusCount,
    RetierAction,
    RetierRecord,
    Review,
    Status,
    Tier,
)

DISTRICT_KINDS = (EntityKind.DISTRICT, EntityKind.COMMITTEE)


def visible_projects(user: User) -> QuerySet[Project]:
    """All projects for municipal roles and auditors; the own entity's for a clerk, approver
    or enterprise user; none for anyone else (a user whose roles were removed, a superuser
    without business roles)."""
    projects = Project.objects.select_related("owner", "project_type__parent", "industry")
    return _scoped(user, projects)


ALL = object()  # what _visible_owner answers for a user who sees every owner's projects


def _visible_owner(user: User):
    """Whose projects the user sees: ``ALL``, one entity id, or ``None`` (nobody's)."""
    if user.has_perm("reductions.see_all_projects"):
        return ALL
    if user.is_active and user.entity_id and is_human_user.test(user):
        return user.entity_id
    return None


def _scoped(user: User, rows: QuerySet, owner_field: str = "owner_id") -> QuerySet:
    owner = _visible_owner(user)
    if owner is ALL:
        return rows
    if owner is None:
        return rows.none()
    return rows.filter(**{owner_field: owner})


def visible_filings(user: User) -> QuerySet[BundleFiling]:
    filings = BundleFiling.objects.select_related(
        "owner", "project_type__parent", "recorded_by", "confirmed_by"
    )
    return _scoped(user, filings)


def of_type(projects: QuerySet[Project], type_id: int) -> QuerySet[Project]:
    """Projects of this type, or of one of its sub-types when it is a heading (清洁能源替代
    covers its sub-types; projects are entered under the sub-types)."""
    return projects.filter(Q(project_type_id=type_id) | Q(project_type__parent_id=type_id))


def filter_projects(projects: QuerySet[Project], params) -> QuerySet[Project]:
    """Apply the list page's filters (status, tier, type, year, plan period, entity,
    pollutant)."""
    if params.get("status"):
        projects = projects.filter(status=params["status"])
    if params.get("tier"):
        projects = projects.filter(tier=params["tier"])
    if params.get("project_type"):
        projects = of_type(projects, params["project_type"])
    if params.get("year"):
        projects = projects.filter(accounting_year=params["year"])
    if params.get("period"):
        projects = projects.filter(plan_period_id=params["period"])
    if params.get("owner"):
        projects = projects.filter(owner__code=params["owner"])
    if params.get("pollutant"):
        # EXISTS, not a join with DISTINCT over every column of the list, its count and the
        # status counts (issue 13).
        projects = projects.filter(
            Exists(
                ProjectAmount.objects.filter(project=OuterRef("pk"), pollutant=params["pollutant"])
            )
        )
    return projects


# A filtered list counts its projects per status only up to this many: counting 25,000
# projects of one pollutant took 25 ms of every page view at 100,000 projects (issue 13).
FILTERED_COUNT_LIMIT = 1000


def status_counts(
    user: User, projects: QuerySet[Project], *, filtered: bool
) -> dict[str, int] | None:
    """Projects per status. Unfiltered, from the counts the database keeps per owner and
    status (``ProjectStatusCount``: a few rows, whatever the number of projects); filtered,
    from at most ``FILTERED_COUNT_LIMIT`` + 1 rows of the filtered projects, or ``None``
    when more match (the page says so instead of showing figures)."""
    if filtered:
        statuses = list(
            projects.order_by().values_list("status", flat=True)[: FILTERED_COUNT_LIMIT + 1]
        )
        if len(statuses) > FILTERED_COUNT_LIMIT:
            return None
        found = Counter(statuses)
    else:
        kept = _scoped(user, ProjectStatusCount.objects.all())
        found = dict(kept.values("status").annotate(n=Sum("count")).values_list("status", "n"))
    return {status: found.get(status, 0) for status in Status.values}


def queue(user: User) -> QuerySet[Project]:
    """Projects whose waiting review step this user may take now (my queue), in one query:
    the role of the step, the entity, a small package filed before its certification, and
    maker–checker over the whole path (the same rule as ``workflow.earlier_actor_ids``)."""
    mine = Review.objects.filter(project=OuterRef("pk"), actor=user)
    took_part = (
        Q(created_by=user)
        | Q(last_edited_by=user)
        | Exists(Attachment.objects.filter(project=OuterRef("pk"), uploaded_by=user))
        | Exists(mine.filter(action__in=workflow.MAKER_ACTIONS))
    )
    condition = Q(pk__in=[])
    for kinds, routes in (
        (DISTRICT_KINDS, workflow.DISTRICT_ROUTES),
        ((EntityKind.ENTERPRISE,), workflow.ENTERPRISE_ROUTES),
    ):
        for tier, steps in routes.items():
            waiting = Status.SUBMITTED
            for step in steps:
                if user.has_role(*workflow.roles_for(step)):
                    here = Q(tier=tier, owner__kind__in=kinds, status=waiting)
                    here &= ~Exists(
                        mine.filter(action=workflow.APPROVE).exclude(to_status=step.target)
                    )
                    if not workflow.step_is_municipal(step):
                        here &= Q(owner_id=user.entity_id)
                    if tier == Tier.PACKAGE and step.target == Status.CERTIFIED:
                        here &= Q(filing__status=FilingStatus.FILED)
                    condition |= here
                waiting = step.target
    return visible_projects(user).filter(condition).exclude(took_part).order_by("updated_at")


@dataclass(frozen=True)
class TimelineRow:
    """One step of a project's history as the reader sees it: labels, not stored codes."""

    review: Review
    role: str
    amounts: str


def timeline(reviews: Iterable[Review]) -> list[TimelineRow]:
    """The project's history with roles and pollutants named in the reader's language and
    amounts in tonnes with 3 decimals."""
    order = list(Pollutant.values)
    rows = []
    for review in reviews:
        role = str(Role(review.role).label) if review.role in Role.values else review.role
        amounts = [
            (p, Decimal(review.amounts[p]))
            for p in order
            if review.amounts.get(p) not in (None, "")
        ]
        rows.append(
            TimelineRow(
                review=review,
                role=role,
                amounts=confirm.amounts_text(amounts) if amounts else "",
            )
        )
    return rows


def retier_records(*, everything: bool = False) -> list[RetierRecord]:
    """What upgrades kept for the bureau to review (unreviewed first), or every record."""
    records = RetierRecord.objects.select_related("project__owner").order_by("pk")
    if not everything:
        records = records.filter(action=RetierAction.KEPT_FOR_REVIEW, resolved_at__isnull=True)
    return list(records)


# The orderings of the project list (``?order=<name>``, ``-<name>`` for descending): the
# name in the URL, the key the keyset pages by. Tier and status sort in their workflow order,
# not by code; an entity sorts by its code (the administrative division code).
PROJECT_ORDERINGS = {
    "id": "pk",
    "name": "name",
    "owner": "owner__code",
    "year": "accounting_year",
    "tier": "tier_rank",
    "status": "status_rank",
}
DEFAULT_PROJECT_ORDER = ("id", True)  # newest first


def project_order(value: str | None) -> tuple[str, bool]:
    """The ordering a ``?order=`` value names, as (name, descending); anything that is not
    a known ordering gives the default (newest first)."""
    value = value or ""
    name = value.removeprefix("-")
    if name not in PROJECT_ORDERINGS:
        return DEFAULT_PROJECT_ORDER
    return name, value.startswith("-")


def _rank(field: str, values: list[str]) -> Case:
    return Case(
        *(When(**{field: v}, then=Value(i)) for i, v in enumerate(values)),
        default=Value(len(values)),
        output_field=IntegerField(),
    )


def ordered_projects(projects: QuerySet[Project], name: str) -> tuple[QuerySet[Project], str]:
    """The projects with what ordering ``name`` sorts by, and that key (for keyset paging)."""
    key = PROJECT_ORDERINGS[name]
    if key == "tier_rank":
        projects = projects.annotate(tier_rank=_rank("tier", Tier.values))
    elif key == "status_rank":
        projects = projects.annotate(status_rank=_rank("status", Status.values))
    return projects, key
