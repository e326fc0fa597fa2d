"""Reads of reduction projects: what a user may see, list filters, status counts, queues."""

from django.db.models import Count, Q, QuerySet

from ledger.models import EntityKind, User

from . import workflow
from .models import Project, Status

DISTRICT_KINDS = (EntityKind.DISTRICT, EntityKind.COMMITTEE)


def visible_projects(user: User) -> QuerySet[Project]:
    projects = Project.objects.select_related("owner", "project_type__parent", "industry")
    if user.has_perm("reductions.see_all_projects"):
        return projects
    return projects.filter(owner_id=user.entity_id) if user.entity_id else projects.none()


def filter_projects(projects: QuerySet[Project], params) -> QuerySet[Project]:
    """Apply the list page's filters (status, tier, type, year, entity, pollutant)."""
    if params.get("status"):
        projects = projects.filter(status=params["status"])
    if params.get("tier"):
        projects = projects.filter(tier=params["tier"])
    if params.get("project_type"):
        projects = projects.filter(project_type_id=params["project_type"])
    if params.get("year"):
        projects = projects.filter(accounting_year=params["year"])
    if params.get("owner"):
        projects = projects.filter(owner__code=params["owner"])
    if params.get("pollutant"):
        projects = projects.filter(amounts__pollutant=params["pollutant"]).distinct()
    return projects


def status_counts(projects: QuerySet[Project]) -> dict[str, int]:
    rows = projects.order_by().values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in Status.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def queue(user: User) -> QuerySet[Project]:
    """Projects whose waiting review step is this user's (my queue), in one query."""
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
                    if not workflow.step_is_municipal(step):
                        here &= Q(owner_id=user.entity_id)
                    condition |= here
                waiting = step.target
    return (
        visible_projects(user)
        .filter(condition)
        .exclude(Q(created_by=user) | Q(last_edited_by=user))
        .order_by("updated_at")
    )
