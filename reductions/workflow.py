"""The verification routes of DESIGN.md §1/§3 as one explicit table.

After SUBMITTED a project walks the review steps of its route, chosen by tier and owner kind;
each step names the state it leads to and the role that takes it. The last step certifies.
RETURNED (with a reason) is open from every review step; WITHDRAWN to the maker before the
first review; a certified project can be revoked by a municipal approver.

Maker–checker over the whole path (DESIGN §3): whoever took an earlier step on a project —
entered, edited, added evidence, submitted, or passed an earlier review step — never takes
a review step, even holding both roles. Returning a project is not a step on its path: the
reviewer who returned it may review the corrected project, and a reviewer may take the same
step again in a later pass.
"""

from dataclasses import dataclass

from ledger.models import EntityKind, Role

from .models import Action, Attachment, Project, Review, Status, Tier


@dataclass(frozen=True)
class ReviewStep:
    target: str
    role: str
    # The last step of a KEY route records the Ministry's result rather than deciding.
    records_national_result: bool = False

    @property
    def label(self) -> str:
        return Status(self.target).label


DISTRICT_ROUTES = {
    Tier.KEY: (
        ReviewStep(Status.DISTRICT_REVIEWED, Role.DISTRICT_APPROVER),
        ReviewStep(Status.MUNICIPAL_REVIEWED, Role.MUNICIPAL_APPROVER),
        ReviewStep(Status.CERTIFIED, Role.MUNICIPAL_CLERK, records_national_result=True),
    ),
    Tier.PACKAGE: (
        ReviewStep(Status.DISTRICT_REVIEWED, Role.DISTRICT_APPROVER),
        ReviewStep(Status.CERTIFIED, Role.MUNICIPAL_APPROVER),
    ),
    Tier.MICRO: (ReviewStep(Status.CERTIFIED, Role.DISTRICT_APPROVER),),
    Tier.VOC_MGMT: (ReviewStep(Status.CERTIFIED, Role.DISTRICT_APPROVER),),
}
ENTERPRISE_ROUTES = {
    Tier.KEY: (
        ReviewStep(Status.MUNICIPAL_REVIEWED, Role.MUNICIPAL_APPROVER),
        ReviewStep(Status.CERTIFIED, Role.MUNICIPAL_CLERK, records_national_result=True),
    ),
    Tier.PACKAGE: (ReviewStep(Status.CERTIFIED, Role.MUNICIPAL_APPROVER),),
    Tier.MICRO: (ReviewStep(Status.CERTIFIED, Role.MUNICIPAL_APPROVER),),
    Tier.VOC_MGMT: (ReviewStep(Status.CERTIFIED, Role.MUNICIPAL_APPROVER),),
}

# Recording the national result is a municipal user's job: either municipal role may do it.
EQUIVALENT_ROLES = {Role.MUNICIPAL_CLERK: {Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER}}

MAKER_ROLE = {
    EntityKind.DISTRICT: Role.DISTRICT_CLERK,
    EntityKind.COMMITTEE: Role.DISTRICT_CLERK,
    EntityKind.ENTERPRISE: Role.ENTERPRISE_USER,
}

REVIEW_STATES = (Status.SUBMITTED, Status.DISTRICT_REVIEWED, Status.MUNICIPAL_REVIEWED)

# Actions. CREATE and EDIT are recorded in the history too, so the maker–checker rule can be
# checked from the data.
CREATE = Action.CREATE
EDIT = Action.EDIT
SUBMIT = Action.SUBMIT
WITHDRAW = Action.WITHDRAW
APPROVE = Action.APPROVE
RETURN = Action.RETURN
REVOKE = Action.REVOKE


def route(project: Project) -> tuple[ReviewStep, ...]:
    routes = ENTERPRISE_ROUTES if project.owner.kind == EntityKind.ENTERPRISE else DISTRICT_ROUTES
    return routes[project.tier]


def next_step(project: Project) -> ReviewStep | None:
    """The review step that waits now, or None when nothing waits for a reviewer."""
    if project.status not in REVIEW_STATES:
        return None
    steps = route(project)
    if project.status == Status.SUBMITTED:
        return steps[0]
    for index, step in enumerate(steps[:-1]):
        if step.target == project.status:
            return steps[index + 1]
    return None


def roles_for(step: ReviewStep) -> set[str]:
    return EQUIVALENT_ROLES.get(step.role, {step.role})


def step_is_municipal(step: ReviewStep) -> bool:
    return bool(roles_for(step) & {Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER})


# Steps that put the taker on the project's path (besides passing a review step).
MAKER_ACTIONS = (CREATE, EDIT, SUBMIT)


def earlier_actor_ids(project: Project, step: ReviewStep) -> set[int]:
    """Everyone who took an earlier step on the project's path than ``step``."""
    ids = {project.created_by_id, project.last_edited_by_id}
    ids.update(Attachment.objects.filter(project=project).values_list("uploaded_by_id", flat=True))
    ids.update(
        Review.objects.filter(project=project, action__in=MAKER_ACTIONS).values_list(
            "actor_id", flat=True
        )
    )
    ids.update(
        Review.objects.filter(project=project, action=APPROVE)
        .exclude(to_status=step.target)
        .values_list("actor_id", flat=True)
    )
    return ids
