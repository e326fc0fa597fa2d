"""Re-tiering on upgrade, shared by the data migrations that change tier rules.

It uses the tier function the service uses (``tiers.project_tier``, with
``services.rule_in_force``) on the migration's historical models. A project is re-tiered
only when it is not certified and its current state exists on the new tier's route; anything
else is kept as it was and listed for the bureau to review (``RetierRecord``, shown by
``manage.py tier_review``). Reasons are written in the site's language, as users read them.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from . import tiers, workflow
from .models import Status
from .services import rule_in_force

RETIERED = "RETIERED"
KEPT = "KEPT"
DATA_FIELDS = (
    "boiler_capacity",
    "sewage_capacity",
    "new_large_scale_farm",
    "below_scale_central_treatment",
    "green_island",
)
UNROUTED_STATES = {Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.WITHDRAWN}


def type_name(project_type) -> str:
    """The type's name as ``ProjectType.__str__`` gives it (historical models lack it)."""
    if project_type.parent_id:
        return f"{project_type.parent.name_zh} — {project_type.name_zh}"
    return project_type.name_zh


def states_on_route(owner_kind: str, tier: str) -> set[str]:
    routes = workflow.ENTERPRISE_ROUTES if owner_kind == "ENTERPRISE" else workflow.DISTRICT_ROUTES
    return UNROUTED_STATES | {step.target for step in routes[tier][:-1]}


def tier_of(project, rules) -> tiers.TierResult:
    return tiers.project_tier(
        project_type=project.project_type,
        type_name=type_name(project.project_type),
        rule=rule_in_force(project.project_type, project.completion_date, rules=rules),
        amounts={a.pollutant: a.claimed for a in project.amounts.all()},
        data={f: getattr(project, f) for f in DATA_FIELDS},
        micro_threshold=settings.QUOTA_MICRO_THRESHOLD,
    )


def has_reason_code(project) -> bool:
    """Whether the (historical) model stores the tier reason as a code (migration 0009)."""
    return any(f.name == "tier_reason_code" for f in project._meta.get_fields())


def keep_for_review(apps, *, migration: str, project, note: str) -> None:
    apps.get_model("reductions", "RetierRecord").objects.create(
        project=project, migration=migration, action=KEPT, old_tier=project.tier, note=note
    )


def retier(apps, *, migration: str, projects) -> None:
    """Re-tier uncertified ``projects`` (a historical queryset) under the rules now in force."""
    rules = apps.get_model("reductions", "PackageRule").objects
    Record = apps.get_model("reductions", "RetierRecord")
    with translation.override(settings.LANGUAGE_CODE):
        for project in (
            projects.exclude(status=Status.CERTIFIED)
            .select_related("project_type__parent", "owner")
            .prefetch_related("amounts")
            .order_by("pk")
        ):
            result = tier_of(project, rules)
            if result.excluded:
                keep_for_review(
                    apps,
                    migration=migration,
                    project=project,
                    note=_("Kept as it was: %(reason)s") % {"reason": result.reason},
                )
                continue
            if result.tier != project.tier and project.status not in states_on_route(
                project.owner.kind, result.tier
            ):
                keep_for_review(
                    apps,
                    migration=migration,
                    project=project,
                    note=_(
                        "Would now be %(tier)s (%(reason)s), but its state %(status)s is not "
                        "on that route; kept as it was."
                    )
                    % {
                        "tier": result.tier,
                        "reason": result.reason,
                        "status": project.status,
                    },
                )
                continue
            old_tier = project.tier
            project.tier = result.tier
            project.tier_reason = result.reason[:400]
            project.accounting_method = result.method
            fields = ["tier", "tier_reason", "accounting_method"]
            if has_reason_code(project):
                project.tier_reason_code = result.code
                project.tier_reason_params = result.params
                fields += ["tier_reason_code", "tier_reason_params"]
            project.save(update_fields=fields)
            if old_tier != result.tier:
                Record.objects.create(
                    project=project,
                    migration=migration,
                    action=RETIERED,
                    old_tier=old_tier,
                    new_tier=result.tier,
                    note=result.reason,
                )


def settle_deferred_checks(schema_editor) -> None:
    """Run PostgreSQL's deferred foreign-key checks now, so that the schema changes after a
    data step in the same migration do not meet pending trigger events."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
